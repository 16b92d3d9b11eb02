//! `engagiert backup`, `engagiert restore` and `engagiert restored`: a consistent copy while
//! the service keeps serving, and a restore that checks the copy before it replaces
//! anything, then makes the restored database safe to serve (`restored`): every session
//! ends (logouts and password changes after the backup are not in it), the change feed
//! starts a new history (rule 37), and the API tokens and webhooks of the copy are listed
//! for the admin to revoke what was revoked since.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::schema::{api_tokens, maintenance, webhooks};
use crate::db::{Backend, Db, DbTarget, now};

/// Writes a copy of the database to `output` while the service may keep writing: every write
/// answered before the copy began is in it. SQLite: `VACUUM INTO` (one read transaction, so
/// one consistent state). PostgreSQL: `pg_dump` in its custom format (one snapshot), of the
/// schema the service uses.
pub fn backup(db: &Db, target: &DbTarget, output: &Path) -> anyhow::Result<()> {
    if output.exists() {
        bail!(
            "{} exists; a backup never overwrites a file",
            output.display()
        );
    }
    match target.backend {
        Backend::Sqlite => {
            // A connection of its own: `VACUUM INTO` reads in one transaction, beside the
            // service's writers (WAL), waiting for a write lock only briefly.
            let mut conn = diesel::SqliteConnection::establish(&target.address)
                .with_context(|| format!("cannot open {}", target.address))?;
            let path = output.to_str().context("the output path is not UTF-8")?;
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = 10000; VACUUM INTO '{}'",
                path.replace('\'', "''")
            ))
            .context("VACUUM INTO")?;
            check_sqlite(output)?;
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&target.address)
                .context("cannot connect to PostgreSQL")?;
            let schema = current_schema(&mut conn)?;
            let mut dump = Command::new("pg_dump");
            dump.args(["--format=custom", "--no-owner", "--file"])
                .arg(output);
            // A service in a schema of its own (`search_path`) is dumped alone; in `public`,
            // the database is the service's.
            if schema != "public" {
                dump.arg(format!("--schema={schema}"));
            }
            dump.arg(&target.address);
            run(dump, "pg_dump")?;
        }
    }
    let mut conn = connection(db)?;
    diesel::update(maintenance::table.find(1))
        .set(maintenance::last_backup_at.eq(now()))
        .execute(&mut **conn)?;
    Ok(())
}

fn connection(db: &Db) -> anyhow::Result<crate::db::PooledConn> {
    db.connection()
        .map_err(|e| anyhow::anyhow!("the database: {e}"))
}

/// Restores `file` into the database of `target`, after checking it; then [`restored`].
/// SQLite: the service must be stopped; the file replaces the database file whole.
/// PostgreSQL: the database (its schema) must be empty; `pg_restore` fills it.
pub fn restore(
    target: &DbTarget,
    file: &Path,
    open: impl Fn() -> anyhow::Result<Db>,
) -> anyhow::Result<Report> {
    match target.backend {
        Backend::Sqlite => {
            let database = PathBuf::from(&target.address);
            // Checked as a copy beside the database, then moved over it in one rename: an
            // interrupted restore leaves the old database as it was.
            let staged = sibling(&database, "restore");
            std::fs::copy(file, &staged)
                .with_context(|| format!("cannot copy {} beside the database", file.display()))?;
            if let Err(e) = check_sqlite(&staged) {
                let _ = std::fs::remove_file(&staged);
                return Err(e);
            }
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
            }
            std::fs::rename(&staged, &database)
                .with_context(|| format!("cannot replace {}", database.display()))?;
        }
        Backend::Postgres => {
            let mut list = Command::new("pg_restore");
            list.arg("--list").arg(file);
            run(list, "pg_restore --list").context("the file is not a readable backup")?;
            let mut conn = diesel::PgConnection::establish(&target.address)
                .context("cannot connect to PostgreSQL")?;
            if has_tables(&mut conn)? {
                bail!("the database is not empty: restore into an empty database (see README)");
            }
            drop(conn);
            let mut restore = Command::new("pg_restore");
            restore
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                ])
                .arg(format!("--dbname={}", target.address))
                .arg(file);
            run(restore, "pg_restore")?;
        }
    }
    restored(&open()?)
}

/// What a restored database holds that the admin must review.
#[derive(Debug)]
pub struct Report {
    pub sessions_ended: usize,
    pub epoch: String,
    /// Live API tokens: id, name, role, expiry.
    pub api_tokens: Vec<(String, String, String, chrono::NaiveDateTime)>,
    /// Webhooks: id, URL, enabled.
    pub webhooks: Vec<(String, String, bool)>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "sessions ended: {} (everyone signs in again)",
            self.sessions_ended
        )?;
        writeln!(
            f,
            "change feed: a new history {} (followers start over)",
            self.epoch
        )?;
        writeln!(
            f,
            "API tokens in the copy ({}); revoke those revoked since the backup:",
            self.api_tokens.len()
        )?;
        for (id, name, role, expires) in &self.api_tokens {
            writeln!(f, "  {id}  {role:<6}  until {expires}  {name}")?;
        }
        writeln!(
            f,
            "webhooks in the copy ({}); delete or disable those removed since:",
            self.webhooks.len()
        )?;
        for (id, url, enabled) in &self.webhooks {
            let state = if *enabled { "enabled " } else { "disabled" };
            writeln!(f, "  {id}  {state}  {url}")?;
        }
        Ok(())
    }
}

/// Makes a database restored by any means safe to serve: migrations applied (an older copy),
/// every session ended, a new change-feed history. Lists what the admin must review.
pub fn restored(db: &Db) -> anyhow::Result<Report> {
    db.migrate()?;
    let mut conn = connection(db)?;
    let report = (**conn).transaction::<_, diesel::result::Error, _>(|conn| {
        let sessions_ended = crate::accounts::sessions::end_all(conn)?;
        let epoch = crate::history::cursor::renew_epoch(conn)?;
        let api_tokens = api_tokens::table
            .filter(api_tokens::deleted_at.is_null())
            .order(api_tokens::created_at)
            .select((
                api_tokens::id,
                api_tokens::name,
                api_tokens::role,
                api_tokens::expires_at,
            ))
            .load::<(
                crate::ids::ApiTokenId,
                String,
                String,
                chrono::NaiveDateTime,
            )>(conn)?
            .into_iter()
            .map(|(id, name, role, expires)| (id.to_string(), name, role, expires))
            .collect();
        let webhooks = webhooks::table
            .filter(webhooks::deleted_at.is_null())
            .order(webhooks::created_at)
            .select((webhooks::id, webhooks::url, webhooks::enabled))
            .load::<(crate::ids::WebhookId, String, bool)>(conn)?
            .into_iter()
            .map(|(id, url, enabled)| (id.to_string(), url, enabled))
            .collect();
        Ok(Report {
            sessions_ended,
            epoch,
            api_tokens,
            webhooks,
        })
    })?;
    Ok(report)
}

/// `PRAGMA integrity_check` is `ok` and the file is an engagiert database.
fn check_sqlite(file: &Path) -> anyhow::Result<()> {
    let path = file.to_str().context("the path is not UTF-8")?;
    let mut conn = diesel::SqliteConnection::establish(path)
        .with_context(|| format!("{} cannot be opened as SQLite", file.display()))?;
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .with_context(|| format!("{} is not an SQLite database", file.display()))?;
    if checks.len() != 1 || checks[0].integrity_check != "ok" {
        let found: Vec<&str> = checks.iter().map(|c| c.integrity_check.as_str()).collect();
        bail!(
            "{} fails the integrity check: {}",
            file.display(),
            found.join("; ")
        );
    }
    conn.batch_execute("SELECT feed_epoch FROM maintenance LIMIT 1")
        .with_context(|| format!("{} is not a backup of engagiert", file.display()))?;
    Ok(())
}

fn current_schema(conn: &mut diesel::PgConnection) -> anyhow::Result<String> {
    #[derive(QueryableByName)]
    struct Schema {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let found: Schema = diesel::sql_query("SELECT current_schema() AS name").get_result(conn)?;
    Ok(found.name)
}

/// Whether the service's tables exist where the connection looks for them.
fn has_tables(conn: &mut diesel::PgConnection) -> anyhow::Result<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found =
        diesel::sql_query("SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS found")
            .get_result(conn)?;
    Ok(found.found)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {what} (is the PostgreSQL client installed?)"))?;
    if !output.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
