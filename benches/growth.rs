//! Growth benchmark: how the cost of a request grows with the network's history. The same
//! requests, signed in as an admin (the response cache off), one after the other over real
//! TCP, against a database at 1× and at 100× the data: 100 → 10,000 documents, 20 → 2,000
//! meetings, about 1,100 → 110,000 revisions and change-feed entries (municipality edits),
//! with 100 municipalities at both sizes. Pages are equally full at both sizes. Prints p50
//! and p99 per request at both sizes and the ratio of the p50s, on SQLite and (with
//! `TEST_DATABASE_URL`) PostgreSQL.
//!
//! Run with `taskset -c 0,1 cargo bench --bench growth` (`GROWTH_SCALE` sets the larger size,
//! default 100; `GROWTH_REPEATS` the requests per figure, default 60).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use engagiert::app::Context;
use engagiert::auth::{AuthUser, Role, jwt::TokenUse};
use engagiert::config::Settings;
use engagiert::db::{DbConnection, write_transaction};
use engagiert::documents::api::{DocumentInput, DocumentStatus};
use engagiert::documents::service::Documents;
use engagiert::history::revisions::{Action, Actor};
use engagiert::meetings::service::Meetings;
use engagiert::municipalities::api::MunicipalityInput;
use engagiert::municipalities::service::{self as municipalities, Municipalities};
use engagiert::resource::Resource;
use engagiert::resource::recording::{self, Before, record_created};
use serde_json::json;

const SECRET: &[u8] = b"a benchmark secret that is long enough for HS256";
const PASSWORD: &str = "ein Passwort fuer den Benchmark";
const TOWNS: usize = 100;
const TOPICS: [&str; 5] = [
    "quartier",
    "ehrenamtskarte",
    "engagementstrategie",
    "anerkennungskultur",
    "digitalisierung",
];
/// Words of titles and bodies; `q=` asks for one that a fifth of the documents carry.
const WORDS: [&str; 5] = [
    "Leitfaden",
    "Werkstatt",
    "Praxisbeispiel",
    "Bilanz",
    "Fortbildung",
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_user() -> AuthUser {
    AuthUser {
        id: "growth".into(),
        role: Role::Admin,
        municipality_id: None,
        token_use: TokenUse::Access,
        session: None,
    }
}

/// Everything at `scale`: towns, their edits (revisions), documents and meetings.
fn seed(conn: &mut DbConnection, scale: usize) -> Vec<String> {
    let towns: Vec<String> = (0..TOWNS)
        .map(|i| {
            let input: MunicipalityInput = serde_json::from_value(json!({
                "name": format!("Wachstums-Gemeinde {i:03}"), "kind": "municipality",
                "ags": format!("05{}97{:03}", [1, 3, 5, 7, 9][i % 5], i), "population": 1000 + i,
                "membership": if i % 4 == 0 { json!({"status": "applicant"}) } else { json!({"status": "member", "joined_on": "2021-03-01"}) },
                "topics": [TOPICS[i % 5]],
                "description": format!("Eine Kommune mit {}", WORDS[i % 5])
            })).unwrap();
            let row = municipalities::create(conn, &input, &Actor::system()).unwrap();
            record_created::<Municipalities>(conn, row.id.as_str()).unwrap();
            row.id.into_string()
        })
        .collect();
    // Nine edits per town per scale step, a thousand per transaction.
    let edits = 9 * scale;
    for round in 0..edits.div_ceil(10) {
        write_transaction(conn, &mut |conn| {
            for step in 0..10.min(edits - round * 10) {
                for id in &towns {
                    edit(conn, id, (round * 10 + step) as u64)?;
                }
            }
            Ok(())
        })
        .unwrap();
    }
    let admin = admin_user();
    let documents = 100 * scale;
    for chunk in 0..documents.div_ceil(500) {
        write_transaction(conn, &mut |conn| {
            for i in chunk * 500..(chunk * 500 + 500).min(documents) {
                let input: DocumentInput = serde_json::from_value(json!({
                    "kind": "practice_example",
                    "title": format!("{} Nummer {i}", WORDS[i % 5]),
                    "summary": format!("Kurzfassung {i} über {}", TOPICS[i % 5]),
                    "body": format!("Text des Dokuments {i}. {} und Ehrenamt in NRW.", WORDS[(i / 5) % 5]),
                    "topics": [TOPICS[i % 5]],
                    "municipality_ids": [towns[i % TOWNS]]
                })).unwrap();
                let row = engagiert::documents::service::create(conn, &admin, &input)?;
                engagiert::documents::model::set_status(conn, &row, DocumentStatus::Published)?;
                record_created::<Documents>(conn, row.id.as_str())?;
            }
            Ok(())
        })
        .unwrap();
    }
    let meetings = 20 * scale;
    write_transaction(conn, &mut |conn| {
        for i in 0..meetings {
            // Half behind, half ahead of today, a day apart.
            let day = Utc::now() - Days::new(meetings as u64 / 2) + Days::new(i as u64);
            let input = serde_json::from_value(json!({
                "kind": "workshop", "title": format!("Werkstatt {i}"), "format": "online",
                "starts_at": day, "ends_at": day + Duration::from_secs(3600),
                "online_url": "https://konferenz.example.org/raum",
                "host_municipality_id": towns[i % TOWNS]
            }))
            .unwrap();
            let row = engagiert::meetings::service::create(conn, &input)?;
            record_created::<Meetings>(conn, row.id.as_str())?;
        }
        Ok(())
    })
    .unwrap();
    let new = engagiert::users::api::NewUser {
        email: engagiert::types::Email::parse("admin@example.org").unwrap(),
        name: "Admin".into(),
        role: Role::Admin,
        municipality_id: None,
        password: PASSWORD.into(),
        active: true,
    };
    engagiert::users::create_account(conn, new).unwrap();
    towns
}

/// One edit of a town's population, recorded as a revision and a change.
fn edit(conn: &mut DbConnection, id: &str, step: u64) -> Result<(), engagiert::error::ApiError> {
    let current = Municipalities::find(conn, id)?.unwrap();
    let details = Municipalities::details(conn, std::slice::from_ref(&current))?;
    let mut input = serde_json::to_value(Municipalities::input(&current, &details)?).unwrap();
    input["population"] = json!(2000 + step);
    let input: MunicipalityInput = serde_json::from_value(input).unwrap();
    let row = municipalities::store(conn, &current, &input, &Actor::system())?;
    let after = Municipalities::details(conn, std::slice::from_ref(&row))?;
    recording::record::<Municipalities>(
        conn,
        &Actor::system(),
        Action::Updated,
        Before::Row(&current, &details),
        &row,
        &after,
    )
}

/// p50 and p99 in milliseconds of `repeats` sequential requests of `path`.
fn measure(agent: &ureq::Agent, base: &str, token: &str, path: &str, repeats: usize) -> (f64, f64) {
    let mut times = Vec::with_capacity(repeats);
    for round in 0..repeats + 5 {
        let started = Instant::now();
        let mut answer = agent
            .get(&format!("{base}{path}"))
            .header("Authorization", token)
            .call()
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        answer.body_mut().read_to_vec().unwrap();
        if round >= 5 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    (
        support::percentile(&times, 0.5),
        support::percentile(&times, 0.99),
    )
}

type Figures = Vec<(String, f64, f64)>;

/// Seeds a fresh database at `scale` and measures every request on it.
fn at_scale(url: &str, scale: usize, repeats: usize) -> Figures {
    let db = support::migrated(url, 4);
    let mut pooled = db.connection().unwrap();
    let conn: &mut DbConnection = &mut pooled;
    let started = Instant::now();
    let towns = seed(conn, scale);
    if url.starts_with("postgres") {
        // The state autovacuum keeps: statistics, and a visibility map for index-only counts.
        conn.batch_execute("VACUUM ANALYZE").unwrap();
    }
    use engagiert::db::schema::{documents, revisions};
    let head: i64 = revisions::table
        .select(diesel::dsl::max(revisions::seq))
        .first::<Option<i64>>(conn)
        .unwrap()
        .unwrap_or(0);
    let document: String = documents::table
        .select(documents::id)
        .order(documents::id.desc())
        .first::<engagiert::ids::DocumentId>(conn)
        .unwrap()
        .into_string();
    drop(pooled);
    eprintln!(
        "  {scale}×: seeded in {:.0} s (feed head {head})",
        started.elapsed().as_secs_f64()
    );
    // Uncached: every request asks the database (signed-in reads are cached too).
    let settings = Settings {
        cache_bytes: 0,
        ..Settings::defaults()
    };
    let ctx = Context::new(&settings, db, SECRET).expect("context");
    let (base, handle) = support::serve(ctx, 1);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let login: serde_json::Value = agent
        .post(&format!("{base}/api/v1/auth/login"))
        .send_json(json!({"email": "admin@example.org", "password": PASSWORD}))
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let token = format!("Bearer {}", login["access_token"].as_str().unwrap());
    let today = Utc::now().date_naive();
    let requests = [
        (
            "municipalities ?status=member&q=",
            "/api/v1/municipalities?status=member&q=Werkstatt&limit=20".to_owned(),
        ),
        ("documents list", "/api/v1/documents?limit=20".to_owned()),
        (
            "documents ?topic=",
            format!("/api/v1/documents?topic={}&limit=20", TOPICS[2]),
        ),
        (
            "documents ?q=",
            "/api/v1/documents?q=werkstatt&limit=20".to_owned(),
        ),
        (
            "document with details",
            format!("/api/v1/documents/{document}"),
        ),
        (
            "municipality revisions",
            format!("/api/v1/municipalities/{}/revisions?limit=20", towns[7]),
        ),
        (
            "changes ?after= near the end",
            format!("/api/v1/changes?after={}&limit=20", head - 20),
        ),
        (
            "audit ?collection=documents",
            "/api/v1/audit?collection=documents&limit=20".to_owned(),
        ),
        (
            "meetings from today",
            format!("/api/v1/meetings?from={today}&limit=20"),
        ),
    ];
    let figures = requests
        .iter()
        .map(|(name, path)| {
            let (p50, p99) = measure(&agent, &base, &token, path, repeats);
            (name.to_string(), p50, p99)
        })
        .collect();
    actix_web::rt::System::new().block_on(handle.stop(false));
    figures
}

fn main() {
    let scale = env_number("GROWTH_SCALE", 100) as usize;
    let repeats = env_number("GROWTH_REPEATS", 60) as usize;
    for backend in support::backends() {
        eprintln!("{backend}:");
        let small =
            support::with_database(backend, "growth_small", |url| at_scale(url, 1, repeats));
        let large =
            support::with_database(backend, "growth_large", |url| at_scale(url, scale, repeats));
        println!(
            "\n{backend:<10} {:<38} {:>14} {:>14} {:>16} {:>8}",
            "request",
            "1× p50/p99 ms",
            format!("{scale}× p50 ms"),
            format!("{scale}× p99 ms"),
            "ratio"
        );
        for ((name, p50, p99), (_, big50, big99)) in small.iter().zip(&large) {
            let flag = if big50 / p50 > 2.0 { "  > 2" } else { "" };
            println!(
                "{backend:<10} {name:<38} {p50:>6.2} /{p99:>6.2} {big50:>14.2} {big99:>16.2} {:>8.2}{flag}",
                big50 / p50
            );
        }
    }
}
