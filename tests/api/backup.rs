//! `engagiert backup`, `restore` and `restored` as an operator runs them (the binary, with
//! `DATABASE_URL`): a copy taken under write load holds every write answered before it
//! began; a garbage file changes nothing; after a restore, sessions from before answer 401
//! and change-feed cursors from before (or beyond the head) are told to resync, while plain
//! numbers from before epochs keep working as the current history.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{Value, json};

use crate::both_backends;
#[allow(unused_imports)]
use crate::helpers::*;

fn engagiert(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engagiert"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

async fn engagiert_blocking(database_url: &str, args: &[&str]) -> Output {
    let (url, args): (String, Vec<String>) = (
        database_url.to_owned(),
        args.iter().map(|a| a.to_string()).collect(),
    );
    actix_web::rt::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        engagiert(&url, &args)
    })
    .await
    .unwrap()
}

fn town(n: usize) -> Value {
    json!({"name": format!("Sicherungsort {n}"), "kind": "town", "ags": format!("05978{:03}", 100 + n),
           "membership": {"status": "member", "joined_on": "2024-01-15"}})
}

/// The schema of a PostgreSQL test app (its URL sets `search_path`).
fn schema_of(url: &str) -> String {
    url.split("search_path%3D")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

both_backends! {
    async fn a_restore_ends_sessions_and_starts_a_new_feed_history(app) {
        let admin = app.admin().await;
        let kept = app.municipality(town(1)).await;
        let page = app.get("/api/v1/changes").bearer(&admin).send().await.expect(200).json();
        let before = page["next"].as_str().unwrap().to_owned();
        let (epoch, head) = before.split_once('.').expect("a cursor names its history");
        // A plain number, as cursors were before epochs, is the current history.
        app.get(&format!("/api/v1/changes?after={head}")).bearer(&admin).send().await.expect(200);
        // Beyond the newest change: resync, in both forms.
        let beyond: i64 = head.parse::<i64>().unwrap() + 1000;
        for cursor in [format!("{epoch}.{beyond}"), beyond.to_string()] {
            let problem = app.get(&format!("/api/v1/changes?after={cursor}")).bearer(&admin).send().await.problem(409);
            assert_eq!(problem["type"], "/problems/resync", "{problem}");
        }

        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("engagiert.backup");
        let copy_arg = copy.to_str().unwrap().to_owned();
        let made = engagiert_blocking(app.database_url(), &["backup", "-o", &copy_arg]).await;
        assert!(made.status.success(), "{made:?}");
        let metrics = app.get("/metrics").send().await.expect(200).text();
        let age: f64 = metrics.lines().find_map(|l| l.strip_prefix("engagiert_backup_age_seconds ")).unwrap().trim().parse().unwrap();
        assert!((0.0..120.0).contains(&age), "the backup's age: {age}");
        // Never over an existing file.
        let again = engagiert_blocking(app.database_url(), &["backup", "-o", &copy_arg]).await;
        assert!(!again.status.success());
        // Changed after the backup: not in the copy.
        let later = app.municipality(town(2)).await;

        let restored_url = match app.backend {
            engagiert::db::Backend::Sqlite => dir.path().join("restored.db").to_str().unwrap().to_owned(),
            engagiert::db::Backend::Postgres => {
                let listed = Command::new("pg_restore").arg("--list").arg(&copy).output().unwrap();
                assert!(listed.status.success() && String::from_utf8_lossy(&listed.stdout).contains("TABLE"), "{listed:?}");
                // Into an empty database: the app's own schema, dropped (a restore into a
                // database that has tables is refused first).
                let refused = engagiert_blocking(app.database_url(), &["restore", &copy_arg]).await;
                assert!(!refused.status.success(), "{refused:?}");
                let schema = schema_of(app.database_url());
                app.db().run(move |conn| {
                    use diesel::connection::SimpleConnection;
                    conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).map_err(engagiert::error::ApiError::internal)
                }).await.unwrap();
                app.database_url().to_owned()
            }
        };
        let restore = engagiert_blocking(&restored_url, &["restore", &copy_arg]).await;
        assert!(restore.status.success(), "{restore:?}");
        let report = String::from_utf8_lossy(&restore.stdout);
        assert!(report.contains("sessions ended") && report.contains("API tokens") && report.contains("webhooks"), "{report}");

        let restored = TestApp::on_database(&restored_url);
        let get = |path: &str| TestApp::req_to(&restored, actix_web::http::Method::GET, path);
        get(&format!("/api/v1/municipalities/{kept}")).send().await.expect(200);
        get(&format!("/api/v1/municipalities/{later}")).send().await.expect(404);
        // The session from before the restore has ended.
        get("/api/v1/auth/me").bearer(&admin).send().await.problem(401);
        // The copy's admin signs in anew.
        let login = TestApp::req_to(&restored, actix_web::http::Method::POST, "/api/v1/auth/login")
            .json(&json!({"email": "admin@engagiert.example", "password": PASSWORD}))
            .send().await.expect(200).json();
        let admin = login["access_token"].as_str().unwrap().to_owned();
        let problem = get(&format!("/api/v1/changes?after={before}")).bearer(&admin).send().await.problem(409);
        assert_eq!(problem["type"], "/problems/resync");
        let fresh = get("/api/v1/changes").bearer(&admin).send().await.expect(200).json();
        let next = fresh["next"].as_str().unwrap();
        assert_ne!(next.split('.').next(), Some(epoch), "a new history");
        get(&format!("/api/v1/changes?after={next}")).bearer(&admin).send().await.expect(200);
    }
}

#[actix_web::test]
async fn a_backup_under_write_load_holds_every_answered_write_and_a_garbage_restore_changes_nothing()
 {
    let app = TestApp::sqlite().await;
    let admin = app.admin().await;
    let (base, server) = app.serve();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (base, admin, stop) = (base.clone(), admin.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut answered: Vec<(Instant, String)> = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && n < 900 {
                let body = town(n);
                let answer: Value = ureq::post(&format!("{base}/api/v1/municipalities"))
                    .header("Authorization", &format!("Bearer {admin}"))
                    .send_json(&body)
                    .unwrap()
                    .body_mut()
                    .read_json()
                    .unwrap();
                answered.push((Instant::now(), answer["id"].as_str().unwrap().to_owned()));
                n += 1;
            }
            answered
        })
    };
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let began = Instant::now();
    let made = engagiert_blocking(
        app.database_url(),
        &["backup", "-o", copy.to_str().unwrap()],
    )
    .await;
    assert!(made.status.success(), "{made:?}");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let answered = actix_web::rt::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
    server.stop(true).await;
    let before: Vec<&String> = answered
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| id)
        .collect();
    assert!(
        before.len() >= 5,
        "writes before the backup: {}",
        before.len()
    );

    let integrity = Command::new("sqlite3")
        .arg(&copy)
        .arg("PRAGMA integrity_check")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&integrity.stdout).trim(), "ok");
    let served = TestApp::on_database(copy.to_str().unwrap());
    for id in &before {
        TestApp::req_to(
            &served,
            actix_web::http::Method::GET,
            &format!("/api/v1/municipalities/{id}"),
        )
        .send()
        .await
        .expect(200);
    }

    // A garbage file: refused, and the database stays byte for byte as it was.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"SQLite format 3\0 but not really, just some bytes".repeat(200),
    )
    .unwrap();
    let target = dir.path().join("target.db");
    std::fs::copy(&copy, &target).unwrap();
    let untouched = std::fs::read(&target).unwrap();
    let refused = engagiert_blocking(
        target.to_str().unwrap(),
        &["restore", garbage.to_str().unwrap()],
    )
    .await;
    assert!(!refused.status.success(), "{refused:?}");
    assert!(!String::from_utf8_lossy(&refused.stderr).is_empty());
    assert_eq!(
        std::fs::read(&target).unwrap(),
        untouched,
        "the database is unchanged"
    );
    assert!(
        !Path::new(&format!("{}.restore", target.display())).exists(),
        "no staged copy is left behind"
    );
}
