//! The `idempotency_keys` table: one row per caller and key, first a claim (no `status`)
//! while the request runs, then the answer to replay. Shared by every instance through the
//! database, so a retry that reaches another instance is recognised too.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::idempotency_keys;
use crate::db::{DbConnection, now};

/// How long an answer is kept (API contract: 24 hours).
pub const KEPT_FOR: Duration = Duration::hours(24);
/// A claim older than this without an answer belongs to a request whose instance died.
pub const ABANDONED_AFTER: Duration = Duration::minutes(2);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct KeyRow {
    pub caller: String,
    pub key: String,
    pub request_hash: String,
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
}

/// The first answer, as stored.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = idempotency_keys, treat_none_as_null = true)]
pub struct Answer {
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Option<Vec<u8>>,
}

/// What a request with a key may do.
pub enum Claim {
    /// The key is new (or its earlier holder was abandoned): run the request.
    Run,
    /// A request ran before under this key: answer what it answered, if the request's hash
    /// (given here for a request hashed only as it streams) is the same.
    Replay { hash: String, answer: Answer },
    /// The key was used for another request (422).
    OtherRequest,
    /// The same request is still running (409).
    Running,
}

/// Claims `key` for `caller` and the request with `hash`, after dropping expired keys. A
/// request whose body streams (an upload) is hashed as it passes: `None` here, and its hash
/// is stored with its answer (`answer`).
pub fn claim(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    hash: Option<&str>,
) -> QueryResult<Claim> {
    let at = now();
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(at - KEPT_FOR)))
        .execute(conn)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::caller.eq(caller),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash.unwrap_or_default()),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => return Ok(Claim::Run),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(error) => return Err(error),
    }
    let Some(row) = idempotency_keys::table
        .find((caller, key))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?
    else {
        // Expired and purged by another request in between: claim it again.
        return claim(conn, caller, key, hash);
    };
    if hash.is_some_and(|hash| row.request_hash != hash) {
        return Ok(Claim::OtherRequest);
    }
    if row.status.is_some() {
        return Ok(Claim::Replay {
            hash: row.request_hash,
            answer: Answer {
                status: row.status,
                content_type: row.content_type,
                location: row.location,
                etag: row.etag,
                body: row.body,
            },
        });
    }
    if row.created_at >= at - ABANDONED_AFTER {
        return Ok(Claim::Running);
    }
    // Taken over only by the one request that moves the claim's time on.
    let taken = diesel::update(
        idempotency_keys::table
            .find((caller, key))
            .filter(idempotency_keys::status.is_null())
            .filter(idempotency_keys::created_at.eq(row.created_at)),
    )
    .set(idempotency_keys::created_at.eq(at))
    .execute(conn)?;
    Ok(if taken == 1 {
        Claim::Run
    } else {
        Claim::Running
    })
}

/// Stores the answer to a claimed key (and the hash of a request that streamed).
pub fn answer(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    answer: &Answer,
    streamed_hash: Option<&str>,
) -> QueryResult<()> {
    let row = idempotency_keys::table.find((caller, key));
    match streamed_hash {
        Some(hash) => diesel::update(row)
            .set((answer, idempotency_keys::request_hash.eq(hash)))
            .execute(conn),
        None => diesel::update(row).set(answer).execute(conn),
    }
    .map(|_| ())
}

/// Gives a claimed key up: the request failed in a way a retry may mend, or its answer must
/// not be kept.
pub fn release(conn: &mut DbConnection, caller: &str, key: &str) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .find((caller, key))
            .filter(idempotency_keys::status.is_null()),
    )
    .execute(conn)
    .map(|_| ())
}
