//! Sessions: one per login. An access token names its session (`sid`), the refresh tokens
//! of the login are the session's family, and the token check reads the session together
//! with the user, so ending a session (logout, a password change, deactivation) stops its
//! access tokens at once, not when they expire.

use diesel::prelude::*;

use crate::db::schema::{refresh_tokens, sessions, users};
use crate::db::{DbConnection, now};
use crate::ids::{MunicipalityId, SessionId, UserId};

use super::Role;

/// Starts a session of `user_id`.
pub fn start(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<SessionId> {
    let id = SessionId::new();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Ends a session and revokes its refresh tokens.
pub fn end(conn: &mut DbConnection, id: &SessionId) -> QueryResult<()> {
    let at = now();
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(at))
    .execute(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of `user_id` but `except` (the caller's own, on a password change).
pub fn end_all_of_user(
    conn: &mut DbConnection,
    user_id: &UserId,
    except: Option<&SessionId>,
) -> QueryResult<()> {
    let open: Vec<SessionId> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .select(sessions::id)
        .load(conn)?;
    for id in open.iter().filter(|id| Some(*id) != except) {
        end(conn, id)?;
    }
    Ok(())
}

/// Ends every open session and revokes every refresh token (after a restore: the copy does
/// not know of logouts and password changes made since it was taken). How many ended.
pub fn end_all(conn: &mut DbConnection) -> QueryResult<usize> {
    let at = now();
    let ended = diesel::update(sessions::table.filter(sessions::ended_at.is_null()))
        .set(sessions::ended_at.eq(at))
        .execute(conn)?;
    diesel::update(refresh_tokens::table.filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(at))
        .execute(conn)?;
    Ok(ended)
}

/// Id, role and municipality of a live, active user whose session `session` is open: what
/// an access token may act as, in one query.
pub fn active_subject(
    conn: &mut DbConnection,
    id: &UserId,
    session: &SessionId,
) -> QueryResult<Option<(UserId, Role, Option<MunicipalityId>)>> {
    users::table
        .inner_join(sessions::table)
        .filter(users::id.eq(id))
        .filter(sessions::id.eq(session))
        .filter(sessions::ended_at.is_null())
        .filter(users::deleted_at.is_null())
        .filter(users::active.eq(true))
        .select((users::id, users::role, users::municipality_id))
        .first(conn)
        .optional()
}
