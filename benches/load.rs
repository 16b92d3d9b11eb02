//! Load benchmark: `GET /api/v1/municipalities?limit=100` and `GET /api/v1/municipalities/{id}`
//! under concurrent keep-alive clients over real TCP, on SQLite and (with
//! `TEST_DATABASE_URL`) PostgreSQL. Prints requests per second and p50/p99 latency.
//!
//! Run with `cargo bench --bench load` (optionally `BENCH_SECONDS`, `BENCH_CLIENTS`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use engagiert::app::Context;
use engagiert::config::Settings;
use engagiert::db::Db;
use serde_json::json;

const SECRET: &[u8] = b"a benchmark secret that is long enough for HS256";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 150 municipalities: the demo network and synthetic towns around it.
fn seed(db: &Db) {
    let mut conn = db.connection().expect("connection");
    // The demo's attachment row only: the benchmark downloads no file.
    let pdf = engagiert::demo::demo_pdf();
    let stored = engagiert::demo::StoredFile {
        sha256: engagiert::auth::tokens::hex(&<sha2::Sha256 as sha2::Digest>::digest(&pdf)),
        size: pdf.len() as u64,
    };
    engagiert::demo::load(&mut conn, &stored, "benchmark-password").expect("demo data");
    for i in 0..100 {
        let body = json!({
            "name": format!("Bench-Gemeinde {i:03}"),
            "kind": "municipality",
            "ags": format!("05{}99{:03}", [1, 3, 5, 7, 9][i % 5], i),
            "population": 1000 + i * 37,
            "location": {"lat": 51.0 + (i as f64) / 200.0, "lon": 7.0 + (i as f64) / 100.0},
            "membership": {"status": "member", "joined_on": "2021-03-01"},
            "engagement_office": {"name": format!("Freiwilligenagentur {i}"), "email": "info@example.org"},
            "contacts": [{"name": "Kontakt", "public": true}],
            "topics": ["ehrenamtskarte", "quartier"],
            "description": "Demodaten: synthetische Gemeinde für den Lasttest."
        });
        let input = serde_json::from_value(body).expect("input");
        engagiert::municipalities::service::create(
            &mut conn,
            &input,
            &engagiert::history::revisions::Actor::system(),
        )
        .expect("create");
    }
}

struct Figures {
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies: Vec<Duration>,
}

fn hammer(url: String, clients: usize, duration: Duration) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let url = url.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut latencies = Vec::new();
                let mut errors = 0;
                while !stop.load(Ordering::Relaxed) {
                    let begun = Instant::now();
                    match agent.get(&url).call() {
                        Ok(mut response) if response.status() == 200 => {
                            let _ = response.body_mut().read_to_vec();
                            latencies.push(begun.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut figures = Figures {
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies: Vec::new(),
    };
    for worker in workers {
        let (latencies, errors) = worker.join().unwrap();
        figures.requests += latencies.len();
        figures.errors += errors;
        figures.latencies.extend(latencies);
    }
    figures.seconds = started.elapsed().as_secs_f64();
    figures.latencies.sort();
    figures
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let milliseconds: Vec<f64> = sorted.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    support::percentile(&milliseconds, p)
}

fn run(backend: &str, url: &str) {
    let mut settings = Settings::defaults();
    settings.db_pool_size = 4;
    let db = support::migrated(url, 4);
    seed(&db);
    let id = {
        let mut conn = db.connection().unwrap();
        engagiert::municipalities::model::resolve(&mut conn, "unna")
            .unwrap()
            .unwrap()
            .id
    };
    let ctx = Context::new(&settings, db, SECRET).expect("context");
    let (base, handle) = support::serve(ctx, 2);
    let seconds = env_number("BENCH_SECONDS", 5);
    let clients = env_number("BENCH_CLIENTS", 32) as usize;
    for (name, path) in [
        (
            "list limit=100",
            "/api/v1/municipalities?limit=100".to_owned(),
        ),
        ("get by id", format!("/api/v1/municipalities/{id}")),
    ] {
        let url = format!("{base}{path}");
        hammer(url.clone(), clients, Duration::from_secs(1)); // warm-up
        let f = hammer(url, clients, Duration::from_secs(seconds));
        println!(
            "{backend:<10} {name:<15} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors, {clients} clients, {:.1} s)",
            f.requests as f64 / f.seconds,
            percentile(&f.latencies, 0.50),
            percentile(&f.latencies, 0.99),
            f.requests,
            f.errors,
            f.seconds,
        );
    }
    actix_web::rt::System::new().block_on(handle.stop(false));
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    support::on_each_backend("load", run);
}
