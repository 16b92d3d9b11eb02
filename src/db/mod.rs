//! The persistence seam: one connection type over SQLite and PostgreSQL, chosen by
//! `DATABASE_URL`, a pool that reports real connection errors, the embedded migrations of
//! each backend, and `Db::run`, which keeps every blocking database call off the async workers.

pub mod commits;
pub mod query;
pub mod record;
pub mod schema;

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use actix_web::web;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
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

/// A pooled connection with what the pool needs to know to throw it away: whether a query
/// on it found the database gone, and the generation it was opened in.
pub struct PoolConn {
    conn: DbConnection,
    generation: u64,
    lost: bool,
}

impl Deref for PoolConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Picks the backend from the URL scheme, so a failing connection reports its real cause
/// (diesel's stock manager tries every backend and reports only that none matched).
///
/// Recovery after the database went away (a PostgreSQL restart, a failover): the first query
/// that finds its connection gone marks it lost and starts a new *generation*; every
/// connection of an older generation is then dropped instead of reused, so the burst of
/// failures is limited to the requests already under way, without a check on every checkout.
#[derive(Debug)]
pub struct Manager {
    target: DbTarget,
    generation: Arc<AtomicU64>,
}

impl ManageConnection for Manager {
    type Connection = PoolConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConn, r2d2::Error> {
        let generation = self.generation.load(Ordering::Acquire);
        let conn = match self.target.backend {
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.target.address)
                    .map_err(r2d2::Error::ConnectionError)?;
                // Times are `timestamptz` and the service binds UTC wall-clock values: the
                // session zone makes the two mean the same instant.
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(r2d2::Error::QueryError)?;
                DbConnection::Postgresql(conn)
            }
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target.address)
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: switching to WAL takes a lock other new connections wait on.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                ))
                .map_err(r2d2::Error::QueryError)?;
                DbConnection::Sqlite(conn)
            }
        };
        Ok(PoolConn {
            conn,
            generation,
            lost: false,
        })
    }

    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), r2d2::Error> {
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        conn.lost
            || conn.generation < self.generation.load(Ordering::Acquire)
            || conn.conn.is_broken()
    }
}

/// How long an SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// How often a transaction that lost a serialization race, a deadlock or (SQLite) the wait
/// for the lock is tried again before the error is reported.
const TRANSACTION_ATTEMPTS: u32 = 4;

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

/// Told how long each checkout waited for a connection; set by the metrics, so this module
/// needs to know nothing about them.
pub type CheckoutObserver = Box<dyn Fn(Duration) + Send + Sync>;

/// The handle every handler holds: the pool plus which backend sits behind it.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    generation: Arc<AtomicU64>,
    /// Shared by all clones, so handles cloned before the metrics were attached report too.
    checkout_observer: Arc<OnceLock<CheckoutObserver>>,
    /// Wakes the requests waiting for new changes after each commit.
    commits: Arc<commits::Commits>,
}

impl Db {
    /// Builds the pool without connecting, so the service can start (and answer `/readyz`
    /// with 503) while the database is still away.
    pub fn new(mut target: DbTarget, options: &PoolOptions) -> Self {
        let backend = target.backend;
        if backend == Backend::Postgres {
            target.address = with_connect_timeout(&target.address, options.connection_timeout);
        }
        let generation = Arc::new(AtomicU64::new(0));
        let listen = (backend == Backend::Postgres).then(|| target.address.clone());
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            // Checking every checkout costs a third of the throughput; a connection that died
            // while idle fails its next query instead, which answers 503 and retires it and
            // every other connection of its generation (see `Manager`).
            .test_on_check_out(false)
            .build_unchecked(Manager {
                target,
                generation: generation.clone(),
            });
        Self {
            pool,
            backend,
            generation,
            checkout_observer: Arc::default(),
            commits: commits::Commits::new(listen),
        }
    }

    /// Reports the wait of every later checkout to `observer`; the first observer set stays.
    pub fn observe_checkouts(&self, observer: CheckoutObserver) {
        let _ = self.checkout_observer.set(observer);
    }

    /// Open and idle connections, for the pool gauges.
    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection of the current generation.
    pub fn connection(&self) -> Result<PooledConn, ApiError> {
        self.connection_within(None)
    }

    /// A connection from the pool, waiting at most `wait` (the pool's timeout without one).
    fn connection_within(&self, wait: Option<Duration>) -> Result<PooledConn, ApiError> {
        loop {
            let started = Instant::now();
            let checkout = match wait {
                Some(wait) => self.pool.get_timeout(wait),
                None => self.pool.get(),
            };
            // Failed waits count too: a pool timeout is the wait that matters most.
            if let Some(observe) = self.checkout_observer.get() {
                observe(started.elapsed());
            }
            let mut conn = checkout.map_err(|error| {
                // r2d2 names the last connection error when there was one; on SQLite a plain
                // timeout means the writers ahead hold every connection, not a lost database.
                let plain_timeout = error.to_string() == "timed out waiting for connection";
                if self.backend == Backend::Sqlite && plain_timeout {
                    ApiError::busy(error)
                } else {
                    ApiError::unavailable_from(error)
                }
            })?;
            if conn.generation >= self.generation.load(Ordering::Acquire) {
                return Ok(conn);
            }
            // Opened before the database was last found gone: retire it, take another.
            conn.lost = true;
        }
    }

    /// Notes what a failed unit of work says about its connection.
    fn after_failure(&self, conn: &mut PooledConn, error: &ApiError) {
        if error.is_database_lost() {
            conn.lost = true;
            // Only the first to notice starts a new generation.
            let _ = self.generation.compare_exchange(
                conn.generation,
                conn.generation + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }

    /// Runs blocking database work on the blocking thread pool. Work that writes what a
    /// read shows goes through [`Db::transaction`], or calls [`Db::announce`] after it: the
    /// response cache serves what it holds until a commit is announced.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        // The blocking thread works inside the request's span, so its log lines carry the
        // request id too.
        let span = tracing::Span::current();
        web::block(move || {
            let _entered = span.enter();
            let mut conn = db.connection()?;
            let result = work(&mut conn);
            if let Err(error) = &result {
                db.after_failure(&mut conn, error);
            }
            result
        })
        .await
        .map_err(|_| ApiError::internal("the database task was cancelled"))?
    }

    /// Like `run`, inside one write transaction (see [`write_transaction`]). `work` may run
    /// more than once: it is tried again after a serialization failure or a deadlock.
    pub async fn transaction<T, F>(&self, mut work: F) -> Result<T, ApiError>
    where
        F: FnMut(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let value = self
            .run(move |conn| write_transaction(conn, &mut work))
            .await?;
        self.commits.announce();
        Ok(value)
    }

    /// Tells the waiting requests that work done outside `transaction` (an import, which
    /// runs its own) was committed.
    pub fn announce(&self) {
        self.commits.announce();
    }

    /// The response cache's generation: the commits seen so far, while every commit is seen
    /// (see `commits`). Starts listening for other instances' commits on PostgreSQL.
    pub fn generation(&self) -> Option<u64> {
        self.commits.start_listening();
        self.commits.generation()
    }

    /// Sees every write transaction this service commits from now on (and, on PostgreSQL,
    /// every change another instance records): what a request waiting for news waits on.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<()> {
        self.commits.subscribe()
    }

    /// A cheap round trip, for `/readyz`: answered within a second either way, as a load
    /// balancer's health check waits no longer (503 when the database does not answer).
    pub async fn ping(&self) -> Result<(), ApiError> {
        let db = self.clone();
        let work = web::block(move || {
            let mut conn = db.connection_within(Some(PING_CHECKOUT))?;
            let result = conn
                .batch_execute("SELECT 1")
                .map_err(ApiError::unavailable_from);
            if let Err(error) = &result {
                db.after_failure(&mut conn, error);
            }
            result
        });
        match tokio::time::timeout(PING_ANSWER, work).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ApiError::internal("the database task was cancelled")),
            Err(_) => Err(ApiError::unavailable_from("no answer within a second")),
        }
    }

    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        migrate(&mut conn)
    }
}

/// How long `/readyz` waits for a connection, and for the whole answer.
const PING_CHECKOUT: Duration = Duration::from_millis(700);
const PING_ANSWER: Duration = Duration::from_millis(900);

/// Adds libpq's `connect_timeout` (whole seconds, at least 2) unless the URL sets one, so a
/// database host that does not answer cannot hold a request longer than the pool's timeout.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(2)
    )
}

/// Runs `work` in a transaction that writes: on SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so it waits its turn (busy timeout) instead of failing when it
/// reads and then writes; on PostgreSQL it is an ordinary transaction. A transaction that
/// lost a serialization race, a deadlock or the wait for SQLite's lock is rolled back and
/// tried again a few times, with a short pause.
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    work: &mut impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut attempt = 1;
    loop {
        match attempt_transaction(conn, work) {
            Err(error) if error.is_retryable() && attempt < TRANSACTION_ATTEMPTS => {
                tracing::info!(%error, attempt, "transaction retried");
                std::thread::sleep(Duration::from_millis(10 << attempt));
                attempt += 1;
            }
            result => return result,
        }
    }
}

type Transactions = <DbConnection as diesel::Connection>::TransactionManager;

fn attempt_transaction<T>(
    conn: &mut DbConnection,
    work: &mut impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgresql(_) => Transactions::begin_transaction(conn)?,
    }
    match work(conn) {
        Ok(value) => {
            Transactions::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = Transactions::rollback_transaction(conn) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
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
