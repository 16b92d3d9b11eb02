//! What every benchmark shares: running one measurement on SQLite (a file in a temporary
//! directory) and, with `TEST_DATABASE_URL`, on PostgreSQL (a schema of its own, dropped
//! afterwards).

#![allow(dead_code)] // each benchmark uses a part

use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use engagiert::db::{Db, DbTarget, PoolOptions};

/// The backends there are: SQLite, and PostgreSQL when `TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<&'static str> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => vec!["sqlite", "postgres"],
        _ => {
            println!("postgres   skipped: set TEST_DATABASE_URL to measure PostgreSQL too");
            vec!["sqlite"]
        }
    }
}

/// Calls `run(backend, database_url)` for each backend there is.
pub fn on_each_backend(name: &str, mut run: impl FnMut(&str, &str)) {
    for backend in backends() {
        with_database(backend, name, |url| run(backend, url));
    }
}

/// `run` on a database of its own on `backend`: a SQLite file in a temporary directory, or a
/// PostgreSQL schema beside `TEST_DATABASE_URL`'s, dropped afterwards.
pub fn with_database<T>(backend: &str, name: &str, run: impl FnOnce(&str) -> T) -> T {
    if backend == "sqlite" {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join(format!("{name}.db"));
        return run(&format!("sqlite://{}", file.display()));
    }
    let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let schema = format!("bench_{name}_{}", std::process::id());
    let mut conn = diesel::PgConnection::establish(&base).expect("PostgreSQL");
    conn.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .expect("schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    let result = run(&format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ));
    conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("drop schema");
    result
}

/// A pool of `max_size` connections on `url`, migrated.
pub fn migrated(url: &str, max_size: u32) -> Db {
    let db = Db::new(
        DbTarget::parse(url).expect("database url"),
        &PoolOptions {
            max_size,
            connection_timeout: Duration::from_secs(30),
        },
    );
    db.migrate().expect("migrate");
    db
}

/// The service on `ctx` over real TCP on a free port, with `workers`, in a thread of its
/// own: its base URL and the handle that stops it.
pub fn serve(
    ctx: engagiert::app::Context,
    workers: usize,
) -> (String, actix_web::dev::ServerHandle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = engagiert::app::start(ctx, listener, Some(workers)).expect("server");
            started_tx.send(server.handle()).expect("handle");
            server.await.expect("server ran");
        })
    });
    (base, started_rx.recv().expect("server started"))
}

/// The value at fraction `p` of sorted milliseconds (NaN for none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
