//! `GET /api/v1/changes`, the change feed integration scripts follow, and `GET
//! /api/v1/audit`, the network office's audit log. Both read the `revisions` table.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::NaiveDateTime;
use serde::Deserialize;
use tokio::time::{Instant, timeout_at};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::api::{AuditEntry, ChangeFeed, ChangeItem};
use super::cursor::{self, Cursor};
use super::revisions::{self, Action, COLLECTIONS, Follower};
use crate::auth::AuthUser;
use crate::config::Limits;
use crate::db::Db;
use crate::error::{ApiError, Code};
use crate::http::list::{Page, PageParams};
use crate::http::{ApiQuery, time};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(changes).service(audit);
}

/// The longest `wait`, in seconds: below the usual 60 s proxy timeouts.
const MAX_WAIT: u64 = 30;
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next` (or an item's `cursor`) of the last page read; absent: from the start.
    /// A cursor of an earlier history (before a restore) or beyond the newest change is
    /// 409 `/problems/resync`: start over from the collections' `updated_since`.
    #[param(example = "3f9a0c5e7d21b4a8.1042")]
    pub after: Option<String>,
    /// How many items to return, 1 to 1000.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// Only changes of this collection (`municipalities`, `meetings`, `registrations`,
    /// `documents`, `attachments`, `surveys`, `users`, `webhooks`).
    #[param(example = "meetings")]
    pub collection: Option<String>,
    /// Seconds to hold the request, at most 30, until a change arrives when there is none
    /// yet; an empty page when none came.
    #[param(minimum = 0, maximum = 30, default = 0)]
    pub wait: Option<u64>,
}

fn known_collection(collection: Option<String>) -> Result<Option<String>, ApiError> {
    match collection {
        Some(name) if !COLLECTIONS.contains(&name.as_str()) => Err(ApiError::bad_parameter(
            "collection",
            Code::InvalidValue,
            format!("must be one of {}", COLLECTIONS.join(", ")),
        )),
        other => Ok(other),
    }
}

/// Follow every change, in commit order.
///
/// Any signed-in caller; changes of records the caller may not read (drafts of others,
/// accounts) are left out. Following `next` returns every committed change exactly once,
/// also when transactions commit in another order than they began. Items carry no data:
/// read the record at `path` (a deletion answers 410 there).
#[utoipa::path(
    tag = "history",
    params(FeedQuery),
    responses(
        (status = 200, description = "The next changes (possibly none) and the cursor to continue with.", body = ChangeFeed),
        BadRequest, Unauthorized, Conflict, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/changes")]
pub async fn changes(
    db: web::Data<Db>,
    user: AuthUser,
    query: ApiQuery<FeedQuery>,
    limits: web::Data<Limits>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let after = match query.after.as_deref() {
        None | Some("") => None,
        Some(text) => Some(Cursor::parse(text).ok_or_else(|| {
            ApiError::bad_parameter(
                "after",
                Code::InvalidFormat,
                "is not a cursor this feed gave out",
            )
        })?),
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_parameter(
            "limit",
            Code::OutOfRange,
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT {
        return Err(ApiError::bad_parameter(
            "wait",
            Code::OutOfRange,
            format!("must be between 0 and {MAX_WAIT} seconds"),
        ));
    }
    let collection = known_collection(query.collection)?;
    let follower = Follower::of(&user);
    let deadline = Instant::now() + Duration::from_secs(wait).min(limits.changes_wait);
    // Subscribed before the first read, so a change committed between the read and the
    // wait still wakes it; no connection is held while waiting.
    let mut commits = db.commits();
    let (epoch, rows) = loop {
        let (collection, follower, after) = (collection.clone(), follower.clone(), after.clone());
        let (epoch, rows) = db
            .run(move |conn| {
                let epoch = cursor::epoch(conn)?;
                let from = match &after {
                    None => 0,
                    Some(after) => match after.refusal(&epoch, cursor::head(conn)?) {
                        Some(why) => return Err(ApiError::resync(why)),
                        None => after.seq,
                    },
                };
                let rows = revisions::feed(conn, from, limit, collection.as_deref(), &follower)?;
                Ok((epoch, rows))
            })
            .await?;
        if !rows.is_empty() || wait == 0 {
            break (epoch, rows);
        }
        match timeout_at(deadline, commits.changed()).await {
            Ok(Ok(())) => continue,
            _ => break (epoch, rows),
        }
    };
    let from = after.map_or(0, |after| after.seq);
    let next = cursor::format(&epoch, rows.last().map_or(from, |row| row.seq));
    let items = rows.iter().map(|row| ChangeItem::of(row, &epoch)).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ChangeFeed { items, next }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only changes of this collection.
    #[param(example = "municipalities")]
    pub collection: Option<String>,
    /// Only changes by this user or API token (its id).
    pub actor_id: Option<String>,
    #[param(inline)]
    pub action: Option<Action>,
    /// Only changes at or after this RFC 3339 timestamp.
    #[serde(default, deserialize_with = "time::timestamp")]
    #[param(value_type = Option<DateTime<Utc>>, example = "2025-01-01T00:00:00Z")]
    pub since: Option<NaiveDateTime>,
    /// Only changes before this RFC 3339 timestamp.
    #[serde(default, deserialize_with = "time::timestamp")]
    #[param(value_type = Option<DateTime<Utc>>, example = "2026-01-01T00:00:00Z")]
    pub until: Option<NaiveDateTime>,
    /// How many entries to return, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// How many entries to skip.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<u64>,
}

/// The audit log (admin).
///
/// Every recorded change of every collection, newest first: who changed what when, with the
/// merge patch of each revision.
#[utoipa::path(
    tag = "history",
    params(AuditFilter),
    responses(
        (status = 200, description = "A page of the audit log.", body = Page<AuditEntry>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Forbidden, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn audit(
    db: web::Data<Db>,
    // Taking the caller applies the authorization table (`auth::rules`).
    _caller: AuthUser,
    query: ApiQuery<AuditFilter>,
) -> Result<Page<AuditEntry>, ApiError> {
    let filter = query.0;
    let paging = PageParams {
        limit: filter.limit,
        offset: filter.offset,
    }
    .resolve()?;
    let audit = revisions::Filter {
        collection: known_collection(filter.collection)?,
        actor_id: filter.actor_id,
        action: filter.action,
        since: filter.since,
        until: filter.until,
        ..Default::default()
    };
    let page = paging.clone();
    let (rows, names, total) = db
        .run(move |conn| {
            let (rows, total) = revisions::page(conn, &audit, paging.limit, paging.offset)?;
            let names = revisions::actor_names(conn, &rows)?;
            Ok((rows, names, total))
        })
        .await?;
    let items = rows.iter().map(|row| AuditEntry::of(row, &names)).collect();
    Ok(Page::new(items, total, &page))
}
