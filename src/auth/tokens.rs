//! Refresh tokens: random, stored only as SHA-256 hashes, each usable once. The tokens of
//! one login are a family, its session (`accounts::sessions`); presenting an already used
//! token ends the session, because then either the client or a thief holds a copy.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::refresh_tokens;
use crate::db::{DbConnection, now};
use crate::ids::{RefreshTokenId, SessionId, UserId};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: RefreshTokenId,
    /// The session (login) the token belongs to.
    pub family_id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Stores a new refresh token of the session `family_id`.
pub fn store(
    conn: &mut DbConnection,
    user_id: &UserId,
    family_id: &SessionId,
    token: &str,
    lifetime: Duration,
) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(RefreshTokenId::new()),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(digest(token)),
            refresh_tokens::expires_at.eq(at + lifetime),
            refresh_tokens::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, token: &str) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Marks the token used; false if it already was (or was revoked) — a reuse.
pub fn mark_used(conn: &mut DbConnection, id: &RefreshTokenId) -> QueryResult<bool> {
    diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now()))
    .execute(conn)
    .map(|n| n == 1)
}
