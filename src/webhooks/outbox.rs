//! The outbox: deliveries derived from the change feed, claimed by one instance at a time,
//! and their attempts.
//!
//! **Deriving.** A cursor row remembers the last change turned into deliveries. Deriving
//! reads the changes after it, writes one delivery per change and subscribed webhook, and
//! moves the cursor, all in one write transaction that first takes the cursor row: two
//! instances deriving at once queue on it, and the second sees the first's cursor. Since
//! the feed hands out numbers in commit order, the cursor skips nothing, and a rolled-back
//! change never reaches the feed, so it is never delivered.
//!
//! **Claiming.** A due delivery is claimed by a conditional update that sets a lease; of two
//! instances updating the same row, PostgreSQL lets the second re-check the condition after
//! the first commits, so only one wins (the effect of `FOR UPDATE SKIP LOCKED`, written in
//! a form both backends run). A process that dies mid-send leaves the lease to expire, and
//! the delivery is sent again: at least once, never lost.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::db::schema::{
    revisions, webhook_attempts, webhook_deliveries, webhook_outbox_cursor, webhooks,
};
use crate::db::{DbConnection, now, utc};
use crate::error::ApiError;
use crate::history::revisions::Action;
use crate::ids::{DeliveryId, WebhookId};

crate::text_enum! {
    /// A delivery's state.
    pub enum DeliveryState {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

/// Changes turned into deliveries per transaction.
const DERIVE_BATCH: i64 = 500;

/// What the dispatcher needs of a webhook.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Target {
    pub id: WebhookId,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Target {
    /// The events the webhook subscribed to (`municipalities.updated`, `*`).
    fn subscriptions(&self) -> Vec<String> {
        super::model::subscriptions(&self.events)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub seq: i64,
    pub event: String,
    pub body: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// What `derive` would find to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// No change after the cursor.
    Nothing,
    /// Changes after the cursor; `listening`: some webhook is enabled to hear of them (if
    /// none is, deriving only moves the cursor past them).
    Changes { listening: bool },
}

/// What `derive` would find to do, read without writing, so that an idle dispatcher takes
/// no write lock.
pub fn pending_work(conn: &mut DbConnection) -> Result<Work, ApiError> {
    let newer: Option<i64> = revisions::table
        .filter(revisions::seq.gt(cursor(conn)?))
        .order(revisions::seq.asc())
        .select(revisions::seq)
        .first(conn)
        .optional()?;
    if newer.is_none() {
        return Ok(Work::Nothing);
    }
    let listening: i64 = webhooks::table
        .filter(webhooks::deleted_at.is_null())
        .filter(webhooks::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok(Work::Changes {
        listening: listening > 0,
    })
}

fn cursor(conn: &mut DbConnection) -> QueryResult<i64> {
    webhook_outbox_cursor::table
        .find(1)
        .select(webhook_outbox_cursor::seq)
        .first(conn)
}

/// Turns the changes after the cursor into deliveries; answers how many were written. Run
/// in a write transaction.
pub fn derive(conn: &mut DbConnection) -> Result<usize, ApiError> {
    // Taking the cursor row first makes concurrent derivers queue here.
    diesel::update(webhook_outbox_cursor::table.find(1))
        .set(webhook_outbox_cursor::seq.eq(webhook_outbox_cursor::seq))
        .execute(conn)?;
    let after = cursor(conn)?;
    let targets: Vec<(Target, Vec<String>)> = webhooks::table
        .filter(webhooks::deleted_at.is_null())
        .filter(webhooks::enabled.eq(true))
        .select(Target::as_select())
        .load(conn)?
        .into_iter()
        .map(|target: Target| {
            let subscriptions = target.subscriptions();
            (target, subscriptions)
        })
        .collect();
    let created = creations(conn, &targets)?;
    // No webhook hears of what came before the first creation among them: the cursor skips
    // that part of the feed without reading it.
    let first_created = targets
        .iter()
        .map(|(target, _)| created.get(target.id.as_str()).copied())
        .collect::<Option<Vec<i64>>>()
        .and_then(|seqs| seqs.into_iter().min());
    let from = first_created.map_or(after, |first| first.max(after));
    let changes: Vec<(i64, String, String, i32, Action, NaiveDateTime)> = revisions::table
        .filter(revisions::seq.gt(from))
        .order(revisions::seq.asc())
        .limit(DERIVE_BATCH)
        .select((
            revisions::seq,
            revisions::collection,
            revisions::record_id,
            revisions::version,
            revisions::action,
            revisions::at,
        ))
        .load(conn)?;
    let last = changes.last().map_or(from, |change| change.0);
    let epoch = if changes.is_empty() {
        String::new()
    } else {
        crate::history::cursor::epoch(conn)?
    };
    let at = now();
    let mut written = 0;
    for (seq, collection, id, version, action, changed_at) in &changes {
        let event = format!("{collection}.{action}");
        let body = json!({
            "type": event,
            "timestamp": utc(*changed_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": {
                "collection": collection,
                "id": id,
                "version": version,
                "action": action,
                "cursor": crate::history::cursor::format(&epoch, *seq),
            }
        })
        .to_string();
        // A webhook hears of the changes after its creation, not of the history before it,
        // nor of the changes to itself.
        let subscribed = targets.iter().filter(|(target, subscriptions)| {
            let after_creation = match created.get(target.id.as_str()) {
                Some(created) => seq > created,
                None => target.created_at <= *changed_at,
            };
            after_creation
                && !(collection == "webhooks" && id.as_str() == target.id.as_str())
                && subscriptions
                    .iter()
                    .any(|wanted| super::api::covers(wanted, &event))
        });
        for (target, _) in subscribed {
            diesel::insert_into(webhook_deliveries::table)
                .values((
                    webhook_deliveries::id.eq(DeliveryId::new()),
                    webhook_deliveries::webhook_id.eq(&target.id),
                    webhook_deliveries::seq.eq(seq),
                    webhook_deliveries::event.eq(&event),
                    webhook_deliveries::body.eq(&body),
                    webhook_deliveries::state.eq(DeliveryState::Pending),
                    webhook_deliveries::next_attempt_at.eq(at),
                    webhook_deliveries::created_at.eq(at),
                ))
                .execute(conn)?;
            written += 1;
        }
    }
    if last > after {
        diesel::update(webhook_outbox_cursor::table.find(1))
            .set(webhook_outbox_cursor::seq.eq(last))
            .execute(conn)?;
    }
    Ok(written)
}

/// Where in the feed each of `targets` was created (the number of its `created` change),
/// so that it hears of exactly the changes committed after it. (A webhook without one, made
/// outside the API, goes by its creation time.)
fn creations(
    conn: &mut DbConnection,
    targets: &[(Target, Vec<String>)],
) -> Result<HashMap<String, i64>, ApiError> {
    let ids: Vec<&str> = targets
        .iter()
        .map(|(target, _)| target.id.as_str())
        .collect();
    let rows: Vec<(String, i64)> = revisions::table
        .filter(revisions::collection.eq("webhooks"))
        .filter(revisions::action.eq(Action::Created))
        .filter(revisions::record_id.eq_any(ids))
        .select((revisions::record_id, revisions::seq))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Claims up to `limit` due deliveries of enabled, live webhooks for `lease`, with their
/// webhooks. (A disabled webhook's deliveries wait until it is enabled again.)
pub fn claim(
    conn: &mut DbConnection,
    limit: i64,
    lease: Duration,
) -> Result<Vec<(DeliveryRow, Target)>, ApiError> {
    let at = now();
    let due: Vec<DeliveryId> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhooks::enabled.eq(true))
        .filter(webhooks::deleted_at.is_null())
        .filter(webhook_deliveries::state.eq(DeliveryState::Pending))
        .filter(webhook_deliveries::next_attempt_at.le(at))
        .filter(
            webhook_deliveries::lease_until
                .is_null()
                .or(webhook_deliveries::lease_until.lt(at)),
        )
        .order(webhook_deliveries::next_attempt_at.asc())
        // More candidates than wanted: another instance may claim some of them first.
        .limit(limit * 4)
        .select(webhook_deliveries::id)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in due {
        if claimed.len() as i64 >= limit {
            break;
        }
        // The select's conditions again: another instance may have sent it meanwhile.
        let won = diesel::update(
            webhook_deliveries::table
                .find(&id)
                .filter(webhook_deliveries::state.eq(DeliveryState::Pending))
                .filter(webhook_deliveries::next_attempt_at.le(at))
                .filter(
                    webhook_deliveries::lease_until
                        .is_null()
                        .or(webhook_deliveries::lease_until.lt(at)),
                ),
        )
        .set(webhook_deliveries::lease_until.eq(at + lease))
        .execute(conn)?;
        if won == 1 {
            let pair = webhook_deliveries::table
                .inner_join(webhooks::table)
                .filter(webhook_deliveries::id.eq(&id))
                .select((DeliveryRow::as_select(), Target::as_select()))
                .first(conn)?;
            claimed.push(pair);
        }
    }
    Ok(claimed)
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Try again at this time.
    Retry(NaiveDateTime),
    /// No more attempts; the webhook is disabled with this reason.
    GiveUp(String),
}

/// One attempt as the log keeps it.
pub struct AttemptRecord<'a> {
    pub status: Option<u16>,
    pub duration_ms: i32,
    pub excerpt: &'a str,
    pub error: Option<&'a str>,
}

/// Records an attempt of `delivery` (as claimed) and what became of it, if the claim still
/// holds; `false` when its lease ran out and another instance claimed it meanwhile (whose
/// record then counts). Giving up disables the webhook, which the caller does in the same
/// transaction (`service::disable`).
pub fn record(
    conn: &mut DbConnection,
    delivery: &DeliveryRow,
    attempt: &AttemptRecord<'_>,
    outcome: &Outcome,
) -> Result<bool, ApiError> {
    let at = now();
    let (state, finished_at, next_attempt_at) = match outcome {
        Outcome::Delivered => (DeliveryState::Delivered, Some(at), delivery.next_attempt_at),
        Outcome::Retry(next) => (DeliveryState::Pending, None, *next),
        Outcome::GiveUp(_) => (DeliveryState::Failed, Some(at), delivery.next_attempt_at),
    };
    let claimed = webhook_deliveries::table
        .find(&delivery.id)
        .filter(webhook_deliveries::lease_until.eq(delivery.lease_until));
    let kept = diesel::update(claimed)
        .set((
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::state.eq(state),
            webhook_deliveries::finished_at.eq(finished_at),
            webhook_deliveries::next_attempt_at.eq(next_attempt_at),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if kept == 0 {
        return Ok(false);
    }
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(&delivery.id),
            webhook_attempts::at.eq(at),
            webhook_attempts::status_code.eq(attempt.status.map(i32::from)),
            webhook_attempts::duration_ms.eq(attempt.duration_ms),
            webhook_attempts::excerpt.eq(attempt.excerpt),
            webhook_attempts::error.eq(attempt.error),
        ))
        .execute(conn)?;
    Ok(true)
}
