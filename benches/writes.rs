//! Write benchmark: what recording a revision costs. The same write — a municipality's
//! population changed in one write transaction and read back, as `PATCH` does it — is timed
//! without and with its revision (merge patch, snapshot and, on PostgreSQL, the feed's turn), by one
//! writer and by four at once, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL. Prints
//! writes per second of both and the ratio; both run in the same process, one after the
//! other, so they share the machine's state.
//!
//! Run with `taskset -c 0,1 cargo bench --bench writes` (optionally `BENCH_SECONDS`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use engagiert::db::{Db, DbConnection, write_transaction};
use engagiert::history::revisions::{Action, Actor};
use engagiert::municipalities::api::MunicipalityInput;
use engagiert::municipalities::service::{self, Municipalities};
use engagiert::resource::Resource;
use engagiert::resource::recording::{self, Before};
use serde_json::json;

const TOWNS: usize = 100;

fn seconds() -> u64 {
    std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

fn seed(db: &Db) -> Vec<String> {
    let mut conn = db.connection().unwrap();
    (0..TOWNS)
        .map(|i| {
            let input: MunicipalityInput = serde_json::from_value(json!({
                "name": format!("Schreib-Gemeinde {i:03}"),
                "kind": "municipality",
                "ags": format!("05{}98{:03}", [1, 3, 5, 7, 9][i % 5], i),
                "population": 1000 + i,
                "membership": {"status": "member", "joined_on": "2021-03-01"},
                "contacts": [{"name": "Kontakt", "public": true}],
                "topics": ["quartier"]
            }))
            .unwrap();
            service::create(
                &mut conn,
                &input,
                &engagiert::history::revisions::Actor::system(),
            )
            .unwrap()
            .id
            .into_string()
        })
        .collect()
}

/// One write: the population of `id` changed, stored and (optionally) recorded.
fn write(conn: &mut DbConnection, id: &str, population: u64, record: bool) {
    write_transaction(conn, &mut |conn| {
        let current = Municipalities::find(conn, id)?.unwrap();
        let details = Municipalities::details(conn, std::slice::from_ref(&current))?;
        let mut input = serde_json::to_value(Municipalities::input(&current, &details)?).unwrap();
        input["population"] = json!(population);
        let input: MunicipalityInput = serde_json::from_value(input).unwrap();
        let row = service::store(
            conn,
            &current,
            &input,
            &engagiert::history::revisions::Actor::system(),
        )?;
        // Read back for the answer, as the pipeline does with or without history.
        let after = Municipalities::details(conn, std::slice::from_ref(&row))?;
        if record {
            let before = Before::Row(&current, &details);
            let actor = Actor::system();
            recording::record::<Municipalities>(
                conn,
                &actor,
                Action::Updated,
                before,
                &row,
                &after,
            )?;
        }
        Ok(())
    })
    .unwrap();
}

/// Writes per second of `writers` threads, each changing its own share of the towns.
fn measure(db: &Db, ids: &[String], writers: usize, record: bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(seconds());
    let started = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let (db, ids) = (db.clone(), ids);
                scope.spawn(move || {
                    let mut conn = db.connection().unwrap();
                    let mut done = 0u64;
                    while Instant::now() < deadline {
                        let id = &ids[(w + done as usize * writers) % ids.len()];
                        write(&mut conn, id, 2000 + done, record);
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn run(backend: &str, url: &str) {
    let db = support::migrated(url, 4);
    let ids = seed(&db);
    for writers in [1, 4] {
        measure(&db, &ids, writers, false); // warm-up
        let without = measure(&db, &ids, writers, false);
        let with = measure(&db, &ids, writers, true);
        println!(
            "{backend:<10} {writers} writer(s)   without revisions {without:>8.0} writes/s   with revisions {with:>8.0} writes/s   ({:.0} % of the throughput)",
            with / without * 100.0
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    support::on_each_backend("writes", run);
}
