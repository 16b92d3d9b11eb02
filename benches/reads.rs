//! Read benchmark: public reads of the service against serving the very same bytes from
//! memory. For SQLite and (with `TEST_DATABASE_URL`) PostgreSQL it seeds 100 full
//! municipalities, starts the release binary pinned to core 0 with one worker, captures its
//! list page (`?limit=100`, plain and brotli), one record and the member list widget, and
//! the list and the record as a signed-in admin (a session's access token) and the record
//! as a script (an API token), starts a minimal actix-web server (this binary,
//! `baseline` mode) that answers those bytes, pinned the same way, and runs `wrk -t1 -c64`
//! pinned to core 1 against each, alternating, for several rounds. Prints the medians of
//! requests per second and p99 latency, the ratio, and the service's peak RSS; then the
//! write throughput (creates and patches per second) with the response cache off and on.
//!
//! Run with `cargo bench --bench reads` (needs `wrk` and `taskset`; `BENCH_SECONDS`,
//! `BENCH_ROUNDS` change the length; `BENCH_LOG` the service's `RUST_LOG`, default `info`;
//! `BENCH_BEFORE` names a build from before the cache, whose writes are measured too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const SERVICE: &str = env!("CARGO_BIN_EXE_engagiert");
const PASSWORD: &str = "benchmark-admin-password";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// 100 municipalities with everything a member's record has.
fn seed(url: &str) {
    let db = support::migrated(url, 1);
    let mut conn = db.connection().unwrap();
    for i in 0..100 {
        let input = serde_json::from_value(json!({
            "name": format!("Lese-Gemeinde {i:03}"),
            "kind": "municipality",
            "ags": format!("05{}97{:03}", [1, 3, 5, 7, 9][i % 5], i),
            "population": 5000 + i * 113,
            "location": {"lat": 51.0 + (i as f64) / 200.0, "lon": 7.0 + (i as f64) / 100.0},
            "membership": {"status": "member", "joined_on": "2021-03-01"},
            "engagement_office": {"name": format!("Freiwilligenagentur {i}"), "email": "info@example.org",
                                  "phone": "+49 2303 1030", "url": "https://ehrenamt.example.org"},
            "contacts": [
                {"name": "Erika Mustermann", "role": "Ehrenamtskoordination", "email": "erika@example.org", "public": true},
                {"name": "Max Mustermann", "role": "Stabsstelle", "phone": "+49 2303 1031", "public": true}
            ],
            "topics": ["ehrenamtskarte", "quartier", "engagementstrategie"],
            "description": "Demodaten: eine Mitgliedskommune des Netzwerks mit Ehrenamtsagentur, Ehrenamtskarte und einer Engagementstrategie, die gemeinsam mit Vereinen, Initiativen und Engagierten entwickelt wurde."
        }))
        .expect("input");
        engagiert::municipalities::service::create(
            &mut conn,
            &input,
            &engagiert::history::revisions::Actor::system(),
        )
        .expect("create");
    }
}

/// An access token of the admin's session, as the admin frontend holds it.
fn admin_token(base: &str) -> String {
    let pair: serde_json::Value = ureq::post(&format!("{base}/api/v1/auth/login"))
        .send_json(json!({"email": "admin@example.org", "password": PASSWORD}))
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    pair["access_token"].as_str().unwrap().to_owned()
}

/// A reader's API token, as an integration script holds it.
fn api_token(base: &str, session: &str) -> String {
    let (name, value) = session.split_once(": ").unwrap();
    let expires = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let issued: serde_json::Value = ureq::post(&format!("{base}/api/v1/api-tokens"))
        .header(name, value)
        .send_json(json!({"name": "Lese-Skript", "role": "reader", "expires_at": expires}))
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    issued["token"].as_str().unwrap().to_owned()
}

/// Starts `binary` (the release build, or the one of `BENCH_BEFORE`) on `port`, pinned to
/// core 0 with one worker.
fn service(binary: &str, url: &str, port: u16, cache_bytes: u64, log: &Path) -> Child {
    let child = Command::new("taskset")
        .args(["-c", "0", binary, "serve"])
        .env("DATABASE_URL", url)
        .env("ENGAGIERT_BIND", format!("127.0.0.1:{port}"))
        .env("ENGAGIERT_WORKERS", "1")
        .env("ENGAGIERT_DB_POOL_SIZE", "4")
        .env(
            "ENGAGIERT_JWT_SECRET",
            "a benchmark secret that is long enough for HS256",
        )
        .env("ENGAGIERT_ADMIN_EMAIL", "admin@example.org")
        .env("ENGAGIERT_ADMIN_PASSWORD", PASSWORD)
        .env("ENGAGIERT_CACHE_BYTES", cache_bytes.to_string())
        .env(
            "RUST_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("taskset and the service");
    wait_ready(&format!("http://127.0.0.1:{port}/readyz"));
    child
}

fn wait_ready(url: &str) {
    let started = Instant::now();
    while ureq::get(url).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{url} never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Forgets a process's peak resident memory so far (start-up and the admin's password hash
/// are not the load measured).
fn reset_peak_rss(child: &Child) {
    let _ = std::fs::write(format!("/proc/{}/clear_refs", child.id()), "5");
}

/// The peak resident memory of a process, in MB.
fn peak_rss_mb(child: &Child) -> f64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}

/// `wrk -t1 -c64` pinned to core 1: requests per second and p99 in ms.
fn wrk(url: &str, seconds: u64, header: Option<&str>) -> (f64, f64) {
    let mut command = Command::new("taskset");
    command.args([
        "-c",
        "1",
        "wrk",
        "-t1",
        "-c64",
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().expect("taskset (util-linux)");
    // A missing wrk must not pass as a measurement of 0 requests per second.
    assert!(
        output.status.success(),
        "wrk failed (apt-get install wrk): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map_or(f64::NAN, |v| milliseconds(v.trim()));
    (rate, p99)
}

fn milliseconds(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (value, unit) = text.split_at(split);
    let value: f64 = value.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        _ => f64::NAN,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Creates and patches per second through the API (four clients on core 1).
fn writes(base: &str, seconds: u64, label: &str) -> f64 {
    let token = format!("Bearer {}", admin_token(base));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let done: u64 = std::thread::scope(|scope| {
        (0..4u64)
            .map(|w| {
                let token = token.clone();
                scope.spawn(move || {
                    let mut done = 0u64;
                    while Instant::now() < deadline {
                        let created: serde_json::Value = ureq::post(&format!("{base}/api/v1/municipalities"))
                            .header("Authorization", &token)
                            .send_json(json!({"name": format!("Schreib {label} {w}-{done}"), "kind": "regional_authority", "region": "arnsberg",
                                              "membership": {"status": "member", "joined_on": "2024-01-15"}}))
                            .unwrap()
                            .body_mut()
                            .read_json()
                            .unwrap();
                        let id = created["id"].as_str().unwrap();
                        ureq::patch(&format!("{base}/api/v1/municipalities/{id}"))
                            .header("Authorization", &token)
                            .header("Content-Type", "application/merge-patch+json")
                            .send(serde_json::to_vec(&json!({"population": done + 1})).unwrap())
                            .unwrap();
                        done += 2;
                    }
                    done
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum()
    });
    done as f64 / started.elapsed().as_secs_f64()
}

fn run(backend: &str, url: &str, work: &Path) {
    let seconds = env_number("BENCH_SECONDS", 10);
    let rounds = env_number("BENCH_ROUNDS", 3);
    seed(url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = service(
        SERVICE,
        url,
        port,
        32 * 1024 * 1024,
        &work.join(format!("{backend}.log")),
    );
    let list_path = "/api/v1/municipalities?limit=100";
    let list = ureq::get(&format!("{base}{list_path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&list).unwrap();
    let record_path = format!(
        "/api/v1/municipalities/{}",
        parsed["items"][0]["id"].as_str().unwrap()
    );
    let record = ureq::get(&format!("{base}{record_path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    // A municipal website's server fetching the member list widget (issue 26).
    let widget_path = "/embed/v1/members.html";
    let widget = ureq::get(&format!("{base}{widget_path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    // The same list as a browser or a feed reader asks for it: compressed (rule 38).
    let list_br = ureq::get(&format!("{base}{list_path}"))
        .header("Accept-Encoding", "br")
        .call()
        .unwrap()
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .unwrap();
    assert!(list_br.len() * 4 <= list.len(), "the list is compressed");
    // The admin frontend (a session's access token) and a script (an API token): signed-in
    // answers, captured with the same token (they show more than the public ones).
    let session = format!("Authorization: Bearer {}", admin_token(&base));
    let script = format!("Authorization: Bearer {}", api_token(&base, &session));
    let signed_in = |path: &str, authorization: &str| {
        let (name, value) = authorization.split_once(": ").unwrap();
        ureq::get(&format!("{base}{path}"))
            .header(name, value)
            .call()
            .unwrap()
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap()
    };
    let list_admin = signed_in(list_path, &session);
    let record_admin = signed_in(&record_path, &session);
    let record_script = signed_in(&record_path, &script);
    let files = work.join(format!("{backend}-bytes"));
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("list"), &list).unwrap();
    std::fs::write(files.join("record"), &record).unwrap();
    std::fs::write(files.join("widget"), &widget).unwrap();
    std::fs::write(files.join("list-br"), &list_br).unwrap();
    std::fs::write(files.join("list-admin"), &list_admin).unwrap();
    std::fs::write(files.join("record-admin"), &record_admin).unwrap();
    std::fs::write(files.join("record-script"), &record_script).unwrap();
    let baseline_port = free_port();
    let baseline = Command::new("taskset")
        .args(["-c", "0"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "baseline",
            files.to_str().unwrap(),
            &baseline_port.to_string(),
        ])
        .spawn()
        .unwrap();
    let baseline_base = format!("http://127.0.0.1:{baseline_port}");
    wait_ready(&format!("{baseline_base}/list"));
    reset_peak_rss(&server);
    reset_peak_rss(&baseline);

    let brotli = Some("Accept-Encoding: br");
    let session = Some(session.as_str());
    let script = Some(script.as_str());
    for (name, path, baseline_path, size, header) in [
        (
            "list limit=100",
            list_path.to_owned(),
            "/list",
            list.len(),
            None,
        ),
        (
            "list, br",
            list_path.to_owned(),
            "/list-br",
            list_br.len(),
            brotli,
        ),
        (
            "single record",
            record_path.clone(),
            "/record",
            record.len(),
            None,
        ),
        (
            "members widget",
            widget_path.to_owned(),
            "/widget",
            widget.len(),
            None,
        ),
        (
            "list, admin",
            list_path.to_owned(),
            "/list-admin",
            list_admin.len(),
            session,
        ),
        (
            "record, admin",
            record_path.clone(),
            "/record-admin",
            record_admin.len(),
            session,
        ),
        (
            "record, token",
            record_path.clone(),
            "/record-script",
            record_script.len(),
            script,
        ),
    ] {
        let (ours, theirs) = (
            format!("{base}{path}"),
            format!("{baseline_base}{baseline_path}"),
        );
        wrk(&ours, 2, header);
        wrk(&theirs, 2, header);
        let (mut rates, mut p99s, mut base_rates, mut base_p99s) = (vec![], vec![], vec![], vec![]);
        for _ in 0..rounds {
            let (rate, p99) = wrk(&ours, seconds, header);
            rates.push(rate);
            p99s.push(p99);
            let (rate, p99) = wrk(&theirs, seconds, header);
            base_rates.push(rate);
            base_p99s.push(p99);
        }
        let (rate, base_rate) = (median(rates), median(base_rates));
        println!(
            "{backend:<10} {name:<15} ({:>4} KB)  engagiert {rate:>9.0} req/s p99 {:>6.2} ms   in-memory baseline {base_rate:>9.0} req/s p99 {:>6.2} ms   ratio {:.3}",
            size / 1024,
            median(p99s),
            median(base_p99s),
            rate / base_rate
        );
    }
    println!(
        "{backend:<10} peak RSS: engagiert {:.1} MB, baseline {:.1} MB",
        peak_rss_mb(&server),
        peak_rss_mb(&baseline)
    );
    stop(baseline);
    let with_cache = writes(&base, seconds, "mit");
    stop(server);
    let server = service(
        SERVICE,
        url,
        port,
        0,
        &work.join(format!("{backend}-nocache.log")),
    );
    let without_cache = writes(&base, seconds, "ohne");
    stop(server);
    println!(
        "{backend:<10} writes (create + patch): cache off {without_cache:>7.0}/s, cache on {with_cache:>7.0}/s ({:.0} %)",
        with_cache / without_cache * 100.0
    );
    // With the cache off, PostgreSQL's change notifications still run: "before" proper is a
    // build from before the cache, on a database of its own (its own migrations).
    if let Ok(before) = std::env::var("BENCH_BEFORE") {
        let (before_url, drop_schema) = database_of_its_own(backend, url, work);
        let server = service(
            &before,
            &before_url,
            port,
            0,
            &work.join(format!("{backend}-before.log")),
        );
        let earlier = writes(&base, seconds, "vorher");
        stop(server);
        drop_schema();
        println!(
            "{backend:<10} writes (create + patch): {before} {earlier:>7.0}/s, cache on {with_cache:>7.0}/s ({:.0} %)",
            with_cache / earlier * 100.0
        );
    }
}

/// A fresh database beside `url` (a file, or a schema next to its schema), and how to drop
/// it again.
fn database_of_its_own(backend: &str, url: &str, work: &Path) -> (String, Box<dyn FnOnce()>) {
    if backend == "sqlite" {
        let file = work.join(format!("{backend}-before.db"));
        return (format!("sqlite://{}", file.display()), Box::new(|| ()));
    }
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let (_, schema) = url
        .split_once("search_path%3D")
        .expect("a schema of its own");
    let before = format!("{schema}_before");
    let mut conn = diesel::PgConnection::establish(url).expect("PostgreSQL");
    conn.batch_execute(&format!("CREATE SCHEMA {before}"))
        .expect("schema");
    let before_url = url.replace(
        &format!("search_path%3D{schema}"),
        &format!("search_path%3D{before}"),
    );
    let drop = move || {
        conn.batch_execute(&format!("DROP SCHEMA {before} CASCADE"))
            .expect("drop schema");
    };
    (before_url, Box::new(drop))
}

/// The baseline: a minimal actix-web server answering the captured bytes from memory.
fn baseline(dir: &str, port: &str) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    // Each captured answer at `/<its file name>`, with its media type.
    let answers: Vec<(String, &'static str, web::Bytes)> = [
        "list",
        "record",
        "widget",
        "list-br",
        "list-admin",
        "record-admin",
        "record-script",
    ]
    .into_iter()
    .map(|name| {
        let bytes = std::fs::read(PathBuf::from(dir).join(name)).unwrap();
        let media_type = if name == "widget" {
            "text/html; charset=utf-8"
        } else {
            "application/json"
        };
        (format!("/{name}"), media_type, web::Bytes::from(bytes))
    })
    .collect();
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            answers
                .iter()
                .cloned()
                .fold(App::new(), |app, (path, media_type, bytes)| {
                    let coding = path.ends_with("-br").then_some(("Content-Encoding", "br"));
                    app.route(
                        &path,
                        web::get().to(move || {
                            let bytes = bytes.clone();
                            async move {
                                let mut answer = HttpResponse::Ok();
                                if let Some(coding) = coding {
                                    answer.insert_header(coding);
                                }
                                answer.content_type(media_type).body(bytes)
                            }
                        }),
                    )
                })
        })
        .workers(1)
        .bind(("127.0.0.1", port.parse::<u16>().unwrap()))
        .unwrap()
        .run()
        .await
        .unwrap();
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("baseline") {
        return baseline(&args[2], &args[3]);
    }
    let work = tempfile::tempdir().unwrap();
    support::on_each_backend("reads", |backend, url| run(backend, url, work.path()));
}
