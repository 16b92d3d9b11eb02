//! What every benchmark shares: running one measurement on SQLite (a file in a temporary
//! directory) and, with `TEST_DATABASE_URL`, on PostgreSQL (a schema of its own, dropped
//! afterwards).

use diesel::Connection;
use diesel::connection::SimpleConnection;

/// Calls `run(backend, database_url)` for each backend there is.
pub fn on_each_backend(name: &str, mut run: impl FnMut(&str, &str)) {
    let dir = tempfile::tempdir().expect("temporary directory");
    run(
        "sqlite",
        &format!(
            "sqlite://{}",
            dir.path().join(format!("{name}.db")).display()
        ),
    );
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let schema = format!("bench_{name}_{}", std::process::id());
            let mut conn = diesel::PgConnection::establish(&base).expect("PostgreSQL");
            conn.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .expect("schema");
            let separator = if base.contains('?') { '&' } else { '?' };
            run(
                "postgres",
                &format!("{base}{separator}options=-c%20search_path%3D{schema}"),
            );
            conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .expect("drop schema");
        }
        _ => println!("postgres   skipped: set TEST_DATABASE_URL to measure PostgreSQL too"),
    }
}
