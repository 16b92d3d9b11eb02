//! Erasure (Art. 17): a person who is a contact edited several times, a user who signed in
//! and changed records, a speaker, named in a registration note, in a webhook receiver's
//! answer and in an idempotent POST's stored answer is gone afterwards from every table
//! (the database's own dump) and every answer, the history stays consistent, and the dry
//! run before changed nothing.

use std::process::Command;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{PASSWORD, TestApp};
use crate::history::town;

const NAME: &str = "Quirin Zabelsberger";
const EMAIL: &str = "quirin.zabelsberger@kamen.example";
const PHONE: &str = "+49 2307 148 9911";

/// The whole database as text, as its own tools dump it.
fn dump(app: &TestApp) -> String {
    let url = app.database_url();
    let output = if let Some(path) = url.strip_prefix("sqlite://") {
        Command::new("sqlite3").arg(path).arg(".dump").output()
    } else {
        let base = std::env::var("TEST_DATABASE_URL").unwrap();
        let schema = url
            .split("search_path%3D")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .unwrap();
        Command::new("pg_dump")
            .args(["--data-only", "--schema", schema, &base])
            .output()
    }
    .expect("the database's dump tool (sqlite3, pg_dump) is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // pg_dump brackets its output with a random token each time (`\restrict`).
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The places in `text` where the person still is (bytes dumped as hex included).
fn traces(text: &str) -> Vec<&'static str> {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let lower = text.to_lowercase();
    [NAME, EMAIL, PHONE]
        .into_iter()
        .filter(|s| lower.contains(&s.to_lowercase()) || lower.contains(&hex(s)))
        .collect()
}

/// A receiver that answers every delivery naming the person (as a CRM might).
fn echoing_receiver() -> (String, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok().body(format!("updated contact {NAME} <{EMAIL}>"))
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), handle)
}

/// Applies every revision's merge patch in order and compares with each revision's record.
async fn history_replays(app: &TestApp, admin: &str, path: &str) {
    let list = app
        .get(&format!("{path}/revisions?limit=200"))
        .bearer(admin)
        .send()
        .await
        .expect(200)
        .json();
    let mut revisions = list["items"].as_array().unwrap().clone();
    revisions.reverse();
    let mut state = Value::Null;
    for revision in revisions {
        engagiert::http::merge_patch::merge(&mut state, &revision["changes"]);
        let version = revision["version"].as_i64().unwrap();
        let record = app
            .get(&format!("{path}/revisions/{version}"))
            .bearer(admin)
            .send()
            .await
            .expect(200)
            .json();
        // The record as shown then carries its id, version and time besides its fields.
        let mut shown = record["record"].clone();
        for read_only in ["id", "version", "updated_at"] {
            shown.as_object_mut().unwrap().remove(read_only);
        }
        assert_eq!(
            without_nulls(&state),
            without_nulls(&shown),
            "{path} version {version}"
        );
    }
}

fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

both_backends! {
    async fn an_erased_person_is_in_no_table_and_no_answer(app) {
        let admin = app.admin().await;
        let kamen = app.post("/api/v1/municipalities").bearer(&admin).json(&town("Kamen", "05978020"))
            .send().await.expect(201).json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/municipalities/{kamen}");
        let (hook, _receiver) = echoing_receiver();
        crate::webhooks::subscribe(&app, &admin, &hook, &["municipalities.*"]).await;

        // A contact, edited several times; a namesake-free colleague stays.
        let colleague = json!({"name": "Berta Bleibt", "email": "berta@kamen.example", "publish": ["name"]});
        let person = json!({"name": NAME, "role": "Ehrenamtsbüro", "email": EMAIL, "phone": PHONE,
                            "publish": ["name", "role", "email", "phone"]});
        app.patch(&path).bearer(&admin).json(&json!({"contacts": [person, colleague]})).send().await.expect(200);
        let mut edited = person.clone();
        edited["role"] = json!("Leitung Ehrenamtsbüro");
        app.patch(&path).bearer(&admin).json(&json!({"contacts": [edited, colleague]})).send().await.expect(200);
        app.patch(&path).bearer(&admin)
            .json(&json!({"description": format!("Ansprechperson: {NAME}, Tel. {PHONE}.")})).send().await.expect(200);
        // A user, created by an idempotent POST, who signs in and changes a record.
        let user = app.post("/api/v1/users").bearer(&admin).header("Idempotency-Key", "neu-quirin")
            .json(&json!({"email": EMAIL, "name": NAME, "role": "editor", "municipality_id": kamen, "password": PASSWORD}))
            .send().await.expect(201).json();
        let user_id = user["id"].as_str().unwrap().to_owned();
        app.post("/api/v1/auth/login").json(&json!({"email": EMAIL, "password": "daneben"})).send().await.problem(401);
        let login = app.post("/api/v1/auth/login").json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send().await.expect(200).json();
        let token = login["access_token"].as_str().unwrap().to_owned();
        app.patch(&path).bearer(&token).json(&json!({"topics": ["ehrenamtskarte"]})).send().await.expect(200);
        // A speaker and a registration note.
        let meeting = crate::meetings::with(&crate::meetings::meeting("Netzwerktreffen", 30),
            json!({"agenda": [{"title": "Grußwort", "speaker": NAME}]}));
        let meeting_id = app.post("/api/v1/meetings").bearer(&admin).json(&meeting).send().await.expect(201)
            .json()["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/meetings/{meeting_id}/registrations")).bearer(&admin)
            .json(&json!({"municipality_id": kamen, "attendees": 1, "note": format!("Es kommt {NAME} ({EMAIL}).")}))
            .send().await.expect(201);
        // Deliveries whose receiver answered with the person.
        crate::webhooks::dispatcher(&app, vec![0]).run_once().await.unwrap();
        let before = dump(&app);
        assert_eq!(traces(&before), [NAME, EMAIL, PHONE], "the person is there before");

        // The dry run reports each place and changes nothing.
        let request = json!({"email": EMAIL, "name": NAME, "reason": format!("Antrag von {NAME} nach Art. 17")});
        let dry = app.post("/api/v1/privacy/erasures?dry_run=true").bearer(&admin).json(&request)
            .send().await.expect(200).json();
        assert_eq!(dry["dry_run"], true);
        for place in ["municipality_contacts.email", "users.email", "revisions.patch", "revisions.snapshot", "meeting_agenda_items.speaker",
                      "meeting_registrations.note", "webhook_attempts.excerpt", "idempotency_keys.body",
                      "login_failures.key", "municipalities.description"] {
            assert!(dry["found"][place].as_u64().unwrap_or(0) > 0, "{place} not reported: {dry}");
        }
        assert!(dump(&app) == before, "the dry run changed nothing");

        let done = app.post("/api/v1/privacy/erasures").bearer(&admin).json(&request).send().await.expect(200).json();
        assert_eq!(done["dry_run"], false);

        // No table holds the person.
        let after = dump(&app);
        assert!(traces(&after).is_empty(), "still in the database: {:?}", traces(&after));
        assert!(after.contains("Berta Bleibt"), "the colleague stays");
        // No answer either: records, history, feeds, exports, the cache.
        let answers = [
            path.clone(), format!("{path}/revisions"), format!("/api/v1/meetings/{meeting_id}"),
            format!("/api/v1/meetings/{meeting_id}/revisions"), format!("/api/v1/meetings/{meeting_id}/registrations"),
            format!("/api/v1/users/{user_id}"), format!("/api/v1/users/{user_id}/revisions"),
            "/api/v1/audit?limit=200".into(), "/api/v1/changes?limit=200".into(), "/api/v1/users".into(),
            "/api/v1/exports/municipalities.csv".into(), "/api/v1/feeds/meetings.ics".into(),
            "/api/v1/feeds/documents.atom".into(), "/api/v1/privacy/erasures".into(),
        ];
        for answer in &answers {
            let text = app.get(answer).bearer(&admin).send().await.expect(200).text();
            assert!(traces(&text).is_empty(), "{answer} still names the person: {text}");
        }
        let anonymous = app.get(&path).send().await.expect(200).text();
        assert!(traces(&anonymous).is_empty(), "the cached public answer was dropped");
        let account = app.get(&format!("/api/v1/users/{user_id}")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(account["name"], "Gelöschte Person");
        assert_eq!(account["active"], false);
        app.get("/api/v1/auth/me").bearer(&token).send().await.problem(401);
        let audit = app.get(&format!("/api/v1/audit?actor_id={user_id}")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(audit["items"][0]["actor"]["name"], "Gelöschte Person");

        // The history still replays.
        history_replays(&app, &admin, &path).await;
        history_replays(&app, &admin, &format!("/api/v1/meetings/{meeting_id}")).await;
        history_replays(&app, &admin, &format!("/api/v1/users/{user_id}")).await;

        // Safe to run twice: nothing left to find.
        let again = app.post("/api/v1/privacy/erasures").bearer(&admin).json(&request).send().await.expect(200).json();
        assert_eq!(again["found"], json!({}), "{again}");
        let record = app.get("/api/v1/privacy/erasures").bearer(&admin).send().await.expect(200).json();
        assert_eq!(record.as_array().unwrap().len(), 2);
        assert!(record[1]["reason"].as_str().unwrap().contains("[gelöscht]"));
    }

    async fn only_an_admin_with_a_password_may_erase(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let editor = app.editor(&unna).await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let admin_token = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Skript", "role": "admin", "expires_at": expires}))
            .send().await.expect(201).json()["token"].as_str().unwrap().to_owned();
        let request = json!({"email": "x@example.org", "reason": "Test"});
        for token in [&editor, &admin_token] {
            app.post("/api/v1/privacy/erasures").bearer(token).json(&request).send().await.problem(403);
            app.get("/api/v1/privacy/erasures").bearer(token).send().await.problem(403);
        }
        app.post("/api/v1/privacy/erasures").json(&request).send().await.problem(401);
        let problem = app.post("/api/v1/privacy/erasures").bearer(&admin).json(&json!({"reason": "Test"}))
            .send().await.problem(422);
        assert_eq!(problem["errors"][0]["field"], "email");
        app.post("/api/v1/privacy/erasures").bearer(&admin).json(&json!({"email": "x@example.org", "reason": " "}))
            .send().await.problem(422);
        let short = app.post("/api/v1/privacy/erasures").bearer(&admin).json(&json!({"name": "A.", "reason": "Test"}))
            .send().await.problem(422);
        assert_eq!(short["errors"][0]["field"], "name");
    }
}
