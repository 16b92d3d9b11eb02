//! The rows of `webhooks` and their queries; the outbox's tables are in `outbox`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api::{WebhookFilter, WebhookSort};
use super::signing::Secret;
use crate::db::query::{Paging, Sort};
use crate::db::schema::webhooks;
use crate::db::{DbConnection, MultiBackend, now};
use crate::ids::WebhookId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: WebhookId,
    pub url: String,
    /// A JSON array of event names.
    pub events: String,
    pub description: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}
crate::impl_record!(WebhookRow);

impl WebhookRow {
    pub fn subscriptions(&self) -> Vec<String> {
        subscriptions(&self.events)
    }
}

/// The events a stored `events` column names.
pub fn subscriptions(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// Events in their one stored order: sorted, without repeats.
pub fn in_order(mut events: Vec<String>) -> Vec<String> {
    events.sort();
    events.dedup();
    events
}

/// The writable fields as stored.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = webhooks, treat_none_as_null = true)]
pub struct WebhookChanges {
    pub url: String,
    pub events: String,
    pub description: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
}

pub fn find(conn: &mut DbConnection, id: &WebhookId) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new webhook signing with `secret`.
pub fn insert(
    conn: &mut DbConnection,
    fields: &WebhookChanges,
    secret: &Secret,
) -> QueryResult<WebhookRow> {
    let at = now();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(WebhookId::new()),
            webhooks::url.eq(&fields.url),
            webhooks::events.eq(&fields.events),
            webhooks::description.eq(&fields.description),
            webhooks::enabled.eq(fields.enabled),
            webhooks::disabled_reason.eq(&fields.disabled_reason),
            webhooks::secret.eq(secret.to_whsec()),
            webhooks::version.eq(1),
            webhooks::created_at.eq(at),
            webhooks::updated_at.eq(at),
        ))
        .returning(webhooks::all_columns)
        .get_result(conn)
}

/// Writes `changes` if the webhook is still at `version`; `None` when it is not.
pub fn update(
    conn: &mut DbConnection,
    id: &WebhookId,
    version: i32,
    changes: &WebhookChanges,
) -> QueryResult<Option<WebhookRow>> {
    diesel::update(
        webhooks::table
            .find(id)
            .filter(webhooks::version.eq(version)),
    )
    .set((
        changes,
        webhooks::version.eq(version + 1),
        webhooks::updated_at.eq(now()),
    ))
    .returning(webhooks::all_columns)
    .get_result(conn)
    .optional()
}

/// Signs with `secret` from now on and with the current one until `until`, if the webhook
/// is still at `version`.
pub fn rotate(
    conn: &mut DbConnection,
    current: &WebhookRow,
    secret: &Secret,
    until: NaiveDateTime,
) -> QueryResult<Option<WebhookRow>> {
    diesel::update(
        webhooks::table
            .find(&current.id)
            .filter(webhooks::version.eq(current.version)),
    )
    .set((
        webhooks::secret.eq(secret.to_whsec()),
        webhooks::previous_secret.eq(Some(&current.secret)),
        webhooks::previous_secret_until.eq(Some(until)),
        webhooks::version.eq(current.version + 1),
        webhooks::updated_at.eq(now()),
    ))
    .returning(webhooks::all_columns)
    .get_result(conn)
    .optional()
}

pub fn soft_delete(conn: &mut DbConnection, id: &WebhookId, version: i32) -> QueryResult<bool> {
    crate::soft_delete!(conn, webhooks, id, version)
}

pub fn undelete(
    conn: &mut DbConnection,
    id: &WebhookId,
    version: i32,
    next: i32,
) -> QueryResult<Option<WebhookRow>> {
    crate::undelete!(conn, webhooks, id, version, next)
}

fn filtered(
    paging: &Paging,
    filter: &WebhookFilter,
) -> webhooks::BoxedQuery<'static, MultiBackend> {
    let mut query = webhooks::table.into_boxed();
    crate::sync_filters!(query, paging, webhooks);
    if let Some(enabled) = filter.enabled {
        query = query.filter(webhooks::enabled.eq(enabled));
    }
    query
}

pub fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &WebhookFilter,
) -> QueryResult<(Vec<WebhookRow>, i64)> {
    let total = filtered(paging, filter).count().get_result(conn)?;
    let query = filtered(paging, filter);
    let sort = filter.sort.map_or(
        Sort {
            field: WebhookSort::CreatedAt,
            descending: false,
        },
        |order| order.0,
    );
    let query = crate::apply_sort!(query, sort, webhooks::id, {
        WebhookSort::Url => webhooks::url,
        WebhookSort::CreatedAt => webhooks::created_at,
        WebhookSort::UpdatedAt => webhooks::updated_at,
    });
    let rows = query
        .select(WebhookRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}
