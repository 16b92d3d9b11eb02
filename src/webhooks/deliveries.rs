//! The delivery log of a webhook (every delivery with every attempt) and redelivery.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::outbox::{DeliveryRow, DeliveryState};
use super::service::Webhooks;
use crate::auth::AuthUser;
use crate::db::schema::{webhook_attempts, webhook_deliveries};
use crate::db::{Db, DbConnection, now, utc};
use crate::error::ApiError;
use crate::http::list::{Page, PageParams};
use crate::http::path_id;
use crate::ids::DeliveryId;
use crate::resource::current;

/// One delivery of one change to one webhook, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// Also the `webhook-id` header of every attempt, so receivers can drop repeats.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    #[schema(example = "municipalities.updated")]
    pub event: String,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (given up).
    pub state: DeliveryState,
    /// The body every attempt sends.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    /// The receiver's status code; null when there was no answer.
    #[schema(example = 200)]
    pub status_code: Option<i32>,
    /// How long the receiver took (or until the attempt was given up), in milliseconds.
    #[schema(example = 87)]
    pub duration_ms: i32,
    /// The first bytes of the receiver's answer.
    #[schema(example = "ok")]
    pub response_excerpt: String,
    /// Why there was no answer (timeout, refused connection, refused address).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
struct AttemptRow {
    delivery_id: DeliveryId,
    at: NaiveDateTime,
    status_code: Option<i32>,
    duration_ms: i32,
    excerpt: String,
    error: Option<String>,
}

/// Paging and filter of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// How many deliveries to return, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    pub limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, default = 0, example = 0)]
    pub offset: Option<u64>,
    /// Only deliveries in this state.
    #[param(inline)]
    pub state: Option<DeliveryState>,
}

fn shown(row: DeliveryRow, attempts: Vec<AttemptRow>) -> Delivery {
    Delivery {
        id: row.id.into(),
        event: row.event,
        payload: serde_json::from_str(&row.body).unwrap_or(Value::Null),
        next_attempt_at: (row.state == DeliveryState::Pending).then(|| utc(row.next_attempt_at)),
        state: row.state,
        created_at: utc(row.created_at),
        finished_at: row.finished_at.map(utc),
        attempts: attempts
            .into_iter()
            .map(|attempt| DeliveryAttempt {
                at: utc(attempt.at),
                status_code: attempt.status_code,
                duration_ms: attempt.duration_ms,
                response_excerpt: attempt.excerpt,
                error: attempt.error,
            })
            .collect(),
    }
}

/// The attempts of `rows`, by delivery, oldest first.
fn attempts_of(
    conn: &mut DbConnection,
    rows: &[DeliveryRow],
) -> QueryResult<HashMap<DeliveryId, Vec<AttemptRow>>> {
    let ids: Vec<&DeliveryId> = rows.iter().map(|row| &row.id).collect();
    let mut by_delivery: HashMap<DeliveryId, Vec<AttemptRow>> = HashMap::new();
    let attempts: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(ids))
        .order((webhook_attempts::at.asc(), webhook_attempts::id.asc()))
        .select(AttemptRow::as_select())
        .load(conn)?;
    for attempt in attempts {
        by_delivery
            .entry(attempt.delivery_id.clone())
            .or_default()
            .push(attempt);
    }
    Ok(by_delivery)
}

/// `GET /webhooks/{id}/deliveries`: newest first.
pub async fn list(
    db: &Db,
    who: AuthUser,
    key: String,
    query: DeliveryQuery,
) -> Result<Page<Delivery>, ApiError> {
    let paging = PageParams {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let page = paging.clone();
    let state = query.state;
    let (rows, mut attempts, total) = db
        .run(move |conn| {
            let (webhook, ()) = current::<Webhooks>(conn, &key, Some(&who))?;
            let of_webhook = || {
                let mut query = webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(webhook.id.clone()))
                    .into_boxed();
                if let Some(state) = state {
                    query = query.filter(webhook_deliveries::state.eq(state));
                }
                query
            };
            let total: i64 = of_webhook().count().get_result(conn)?;
            let rows: Vec<DeliveryRow> = of_webhook()
                .order((
                    webhook_deliveries::created_at.desc(),
                    webhook_deliveries::seq.desc(),
                ))
                .limit(paging.limit)
                .offset(paging.offset)
                .select(DeliveryRow::as_select())
                .load(conn)?;
            let attempts = attempts_of(conn, &rows)?;
            Ok((rows, attempts, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let log = attempts.remove(&row.id).unwrap_or_default();
            shown(row, log)
        })
        .collect();
    Ok(Page::new(items, total, &page))
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`: the delivery is due now, with
/// the same `webhook-id` and body, and a fresh retry schedule.
pub async fn redeliver(
    db: &Db,
    who: AuthUser,
    key: String,
    delivery: String,
) -> Result<Delivery, ApiError> {
    db.transaction(move |conn| {
        let (webhook, ()) = current::<Webhooks>(conn, &key, Some(&who))?;
        if !webhook.enabled {
            return Err(ApiError::conflict(
                "the webhook is disabled: enable it first, then redeliver",
            ));
        }
        let no_such = || ApiError::not_found("no such delivery of this webhook");
        let id: DeliveryId = path_id(&delivery, "delivery")?;
        let row: DeliveryRow = webhook_deliveries::table
            .find(&id)
            .filter(webhook_deliveries::webhook_id.eq(&webhook.id))
            .select(DeliveryRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(no_such)?;
        if row.state == DeliveryState::Pending && row.lease_until.is_some_and(|until| until > now())
        {
            return Err(ApiError::conflict("this delivery is being sent right now"));
        }
        let row: DeliveryRow = diesel::update(webhook_deliveries::table.find(&row.id))
            .set((
                webhook_deliveries::state.eq(DeliveryState::Pending),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(now()),
                webhook_deliveries::finished_at.eq(None::<NaiveDateTime>),
                webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
            ))
            .returning(webhook_deliveries::all_columns)
            .get_result(conn)?;
        let mut attempts = attempts_of(conn, std::slice::from_ref(&row))?;
        let log = attempts.remove(&row.id).unwrap_or_default();
        Ok(shown(row, log))
    })
    .await
}
