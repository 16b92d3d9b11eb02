//! What the embeds show, read through the resources' own queries and representations, as
//! everyone sees them (contacts only as their consent allows, no online links, no drafts).

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::query::Paging;
use crate::documents::api::{Document, DocumentFilter};
use crate::error::ApiError;
use crate::ids::{DocumentId, MeetingId};
use crate::meetings::api::{Meeting, MeetingFilter};
use crate::municipalities::api::{Municipality, MunicipalityFilter};
use crate::privacy::consent::Audience;

/// Every list an embed shows is bounded: a website shows no more than this.
pub const MAX_ITEMS: i64 = 500;

fn everything() -> Paging {
    Paging {
        limit: MAX_ITEMS,
        offset: 0,
        updated_since: None,
        include_deleted: false,
    }
}

pub fn members(
    conn: &mut DbConnection,
    filter: &MunicipalityFilter,
) -> Result<Vec<Municipality>, ApiError> {
    let (rows, _) = crate::municipalities::model::list(conn, &everything(), filter)?;
    let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
    let details = crate::municipalities::details::load_details(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| details.show(row, Audience::everyone()))
        .collect())
}

/// A municipality by UUID, AGS or slug: 404 when there is none, 410 when it was deleted.
pub fn municipality(conn: &mut DbConnection, key: &str) -> Result<Municipality, ApiError> {
    let row = crate::municipalities::model::resolve(conn, key)?
        .ok_or_else(|| ApiError::not_found(format!("no municipality `{key}`")))?;
    if row.deleted_at.is_some() {
        return Err(ApiError::gone("the municipality has been deleted"));
    }
    let details =
        crate::municipalities::details::load_details(conn, std::slice::from_ref(&row.id))?;
    Ok(details.show(row, Audience::everyone()))
}

pub fn meetings(
    conn: &mut DbConnection,
    filter: &MeetingFilter,
    limit: i64,
) -> Result<Vec<Meeting>, ApiError> {
    let paging = Paging {
        limit,
        ..everything()
    };
    let (rows, _) = crate::meetings::model::list(conn, &paging, filter)?;
    let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
    let details = crate::meetings::details::load_details(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| details.show(row, false))
        .collect())
}

pub fn meeting(conn: &mut DbConnection, id: &MeetingId) -> Result<Meeting, ApiError> {
    let row = crate::meetings::model::find(conn, id)?
        .ok_or_else(|| ApiError::not_found("no such meeting"))?;
    if row.deleted_at.is_some() {
        return Err(ApiError::gone("the meeting has been deleted"));
    }
    let details = crate::meetings::details::load_details(conn, std::slice::from_ref(&row.id))?;
    Ok(details.show(row, false))
}

/// Published documents, newest first.
pub fn documents(
    conn: &mut DbConnection,
    filter: &DocumentFilter,
    limit: i64,
) -> Result<Vec<Document>, ApiError> {
    let rows = crate::documents::model::published(conn, filter, limit)?;
    let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
    let details = crate::documents::details::load_details(conn, &ids)?;
    Ok(rows.into_iter().map(|row| details.show(row)).collect())
}

/// A public document (published or archived); a draft is not found, a deleted one gone.
pub fn document(conn: &mut DbConnection, id: &DocumentId) -> Result<Document, ApiError> {
    let row = crate::documents::model::find(conn, id)?
        .ok_or_else(|| ApiError::not_found("no such document"))?;
    if row.status == crate::documents::api::DocumentStatus::Draft {
        return Err(ApiError::not_found("no such document"));
    }
    if row.deleted_at.is_some() {
        return Err(ApiError::gone("the document has been deleted"));
    }
    let details = crate::documents::details::load_details(conn, std::slice::from_ref(&row.id))?;
    Ok(details.show(row))
}

/// The membership figures of `/api/v1/stats/membership` for today.
pub fn membership(
    conn: &mut DbConnection,
    today: NaiveDateTime,
) -> Result<crate::stats::MembershipStats, ApiError> {
    Ok(crate::stats::membership(conn, today.date())?)
}
