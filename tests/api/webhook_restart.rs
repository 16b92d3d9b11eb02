//! A `kill -9` of the service with deliveries pending: the built binary serves the test's
//! database and dispatches while the receiver fails; it is killed mid-retry, started again
//! with the receiver answering, and every delivery arrives, each `webhook-id` at least once.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;
use crate::webhooks::{scripted_receiver, subscribe};

/// The service process; killed (SIGKILL) when dropped, so no test leaves one behind.
struct Service {
    child: Child,
    log: std::path::PathBuf,
}

impl Service {
    /// `engagiert serve` on `app`'s database, dispatching with one-second retries. A free
    /// port is picked and handed over, so another process may take it in between: then the
    /// service stops at once and is started again on another.
    async fn start(app: &TestApp, dir: &std::path::Path, name: &str) -> Service {
        for _ in 0..5 {
            if let Some(service) = Self::try_start(app, dir, name).await {
                return service;
            }
        }
        panic!("the service did not start");
    }

    async fn try_start(app: &TestApp, dir: &std::path::Path, name: &str) -> Option<Service> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_engagiert"))
            .env("DATABASE_URL", app.database_url())
            .env("ENGAGIERT_JWT_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("ENGAGIERT_BIND", format!("127.0.0.1:{port}"))
            .env("ENGAGIERT_ATTACHMENT_STORE", dir.join("attachments"))
            .env("ENGAGIERT_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("ENGAGIERT_WEBHOOK_RETRY_SCHEDULE", ["1"; 60].join(","))
            .env("ENGAGIERT_WEBHOOK_TIMEOUT", "2")
            .env("ENGAGIERT_WORKERS", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the service binary starts");
        let mut service = Service { child, log };
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if service.child.try_wait().unwrap().is_some() {
                eprintln!("the service stopped: {}", service.log_tail());
                return None;
            }
            if let Ok(answer) = client.get(&ready).send().await
                && answer.status().is_success()
            {
                return Some(service);
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not ready: {}",
                service.log_tail()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGKILL: no shutdown, no flushing, leases left behind.
    fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The deliveries in the database: (id, state).
async fn deliveries(app: &TestApp) -> Vec<(String, String)> {
    use engagiert::db::schema::webhook_deliveries as d;
    app.db()
        .run(|conn| {
            let rows: Vec<(engagiert::ids::DeliveryId, String)> =
                d::table.select((d::id, d::state)).load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, state)| (id.to_string(), state))
                .collect())
        })
        .await
        .unwrap()
}

both_backends! {
    async fn pending_deliveries_survive_a_kill_9(app) {
        let dir = tempfile::tempdir().unwrap();
        let admin = app.admin().await;
        // The receiver answers 503 until it is switched on.
        let answering = Arc::new(AtomicBool::new(false));
        let on = answering.clone();
        let (url, received, handle) = scripted_receiver(Arc::new(move || if on.load(Ordering::SeqCst) { 200 } else { 503 }));
        let answered = |status: u16| -> Vec<String> {
            received.lock().unwrap().iter().filter(|r| r.status == status)
                .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned()).collect()
        };
        subscribe(&app, &admin, &url, &["municipalities.created"]).await;
        let first = Service::start(&app, dir.path(), "first").await;
        for i in 0..20 {
            app.post("/api/v1/municipalities").bearer(&admin)
                .json(&json!({"name": format!("Ort {i}"), "kind": "municipality", "ags": format!("059780{:02}", 40 + i)}))
                .send().await.expect(201);
        }
        // The first instance is failing to deliver (and retrying) when it is killed.
        let started = Instant::now();
        while answered(503).len() < 25 {
            assert!(started.elapsed() < Duration::from_secs(60), "no attempts: {}", first.log_tail());
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        first.kill_9();
        let waiting = deliveries(&app).await;
        assert!(waiting.iter().all(|(_, state)| state == "pending"), "{waiting:?}");

        answering.store(true, Ordering::SeqCst);
        let second = Service::start(&app, dir.path(), "second").await;
        let started = Instant::now();
        loop {
            let rows = deliveries(&app).await;
            if rows.len() == 20 && rows.iter().all(|(_, state)| state == "delivered") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "not all delivered: {rows:?}\n{}", second.log_tail());
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let expected: BTreeSet<String> = deliveries(&app).await.into_iter().map(|(id, _)| id).collect();
        let delivered: BTreeSet<String> = answered(200).into_iter().collect();
        assert_eq!(delivered, expected, "each webhook-id arrived at least once");
        second.kill_9();
        handle.stop(false).await;
    }
}
