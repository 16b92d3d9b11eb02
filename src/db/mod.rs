//! The persistence seam: one connection type over SQLite and PostgreSQL, chosen by
//! `DATABASE_URL`, a pool that reports real connection errors, the embedded migrations of
//! each backend, and `Db::run`, which keeps every blocking database call off the async workers.

pub mod schema;

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a `DATABASE_URL` points: a PostgreSQL URL, or an SQLite file given as a path or
/// `sqlite://path`.
#[derive(Clone, Debug)]
pub struct DbTarget {
    pub backend: Backend,
    /// What the driver is handed: the URL for PostgreSQL, the file path for SQLite.
    pub address: String,
}

impl DbTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                address: url.to_owned(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(format!(
                "DATABASE_URL must be postgres://…, sqlite://PATH or a file path, not {:?}",
                redact_url(url)
            ));
        }
        if path == ":memory:" {
            return Err(
                "an in-memory SQLite database cannot be shared by a pool; use a file".into(),
            );
        }
        Ok(Self {
            backend: Backend::Sqlite,
            address: path.to_owned(),
        })
    }
}

/// A URL with any password replaced, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Picks the backend from the URL scheme, so a failing connection reports its real cause
/// (diesel's stock manager tries every backend and reports only that none matched).
#[derive(Debug)]
pub struct Manager {
    target: DbTarget,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.target.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target.address)
                .map(DbConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target.address)
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: switching to WAL takes a lock other new connections wait on.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;

#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

/// The handle every handler holds: the pool plus which backend sits behind it.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
}

impl Db {
    /// Builds the pool without connecting, so the service can start (and answer `/readyz`
    /// with 503) while the database is still away.
    pub fn new(target: DbTarget, options: &PoolOptions) -> Self {
        let backend = target.backend;
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            // Checking every checkout costs a third of the throughput; a connection that died
            // while idle fails its next query instead, which answers 503.
            .test_on_check_out(false)
            .build_unchecked(Manager { target });
        Self { pool, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn connection(&self) -> Result<r2d2::PooledConnection<Manager>, ApiError> {
        self.pool.get().map_err(ApiError::unavailable_from)
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        web::block(move || {
            let mut conn = db.connection()?;
            work(&mut conn)
        })
        .await
        .map_err(|_| ApiError::internal("the database task was cancelled"))?
    }

    /// Like `run`, inside one transaction.
    pub async fn transaction<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| conn.transaction(work)).await
    }

    /// A cheap round trip with a short timeout, for `/readyz`.
    pub async fn ping(&self) -> Result<(), ApiError> {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool
                .get_timeout(Duration::from_secs(2))
                .map_err(ApiError::unavailable_from)?;
            conn.batch_execute("SELECT 1")
                .map_err(ApiError::unavailable_from)
        })
        .await
        .map_err(|_| ApiError::internal("the database task was cancelled"))?
    }

    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        migrate(&mut conn)
    }
}

pub fn migrate(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// The current time as stored: UTC, truncated to microseconds so that SQLite and PostgreSQL
/// hold and return the same value.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored timestamp as the API shows it (UTC, rendered with `Z`).
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
