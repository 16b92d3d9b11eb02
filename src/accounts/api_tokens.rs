//! The `api_tokens` table as authentication needs it: the row, and whether a token is still
//! good. Issuing, listing and revoking tokens is the `/api-tokens` resource (`crate::api_tokens`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Role;
use crate::db::schema::api_tokens;
use crate::db::{DbConnection, now};
use crate::ids::{ApiTokenId, MunicipalityId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens, treat_none_as_default_value = false)]
pub struct ApiTokenRow {
    pub id: ApiTokenId,
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<MunicipalityId>,
    pub expires_at: NaiveDateTime,
    pub created_by: Option<UserId>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// When the token last authenticated, to the minute.
    pub last_used_at: Option<NaiveDateTime>,
}
crate::impl_record!(ApiTokenRow);

/// The API token `id`, revoked or not.
pub fn find(conn: &mut DbConnection, id: &ApiTokenId) -> QueryResult<Option<ApiTokenRow>> {
    api_tokens::table
        .find(id)
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()
}

/// An unrevoked, unexpired API token as the caller of a request.
pub struct ActiveToken {
    pub id: ApiTokenId,
    pub role: Role,
    pub municipality_id: Option<MunicipalityId>,
    /// Whether its use was noted now: a write the caller announces (the token list shows it).
    pub use_noted: bool,
}

/// The API token `id` if unrevoked and unexpired. Notes the use when the last one noted is
/// more than a minute ago: a script polling every second writes once a minute, not per
/// request.
pub fn active_subject(
    conn: &mut DbConnection,
    id: &ApiTokenId,
) -> QueryResult<Option<ActiveToken>> {
    let at = now();
    let found: Option<(
        ApiTokenId,
        Role,
        Option<MunicipalityId>,
        Option<NaiveDateTime>,
    )> = api_tokens::table
        .find(id)
        .filter(api_tokens::deleted_at.is_null())
        .filter(api_tokens::expires_at.gt(at))
        .select((
            api_tokens::id,
            api_tokens::role,
            api_tokens::municipality_id,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, role, municipality_id, last_used_at)) = found else {
        return Ok(None);
    };
    let stale = at - chrono::Duration::minutes(1);
    let mut noted = false;
    if last_used_at.is_none_or(|last| last < stale) {
        noted = diesel::update(
            api_tokens::table.find(&id).filter(
                api_tokens::last_used_at
                    .is_null()
                    .or(api_tokens::last_used_at.lt(stale)),
            ),
        )
        .set(api_tokens::last_used_at.eq(at))
        .execute(conn)?
            > 0;
    }
    Ok(Some(ActiveToken {
        id,
        role,
        municipality_id,
        use_noted: noted,
    }))
}
