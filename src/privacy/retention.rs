//! The retention janitor: every instance removes, in the background, what the settings say
//! is kept no longer (API contract, "Personal data", *Retention*): failed login attempts,
//! ended or expired sessions with their refresh tokens, finished webhook deliveries with
//! their attempts, the data (patch and snapshot) of old revisions, idempotency records after
//! their 24 hours, and the stored files of attachments deleted long ago.
//!
//! Several instances may sweep one database at the same moment. Every kind is therefore
//! removed in small batches, each its own short write transaction (SQLite's writers wait
//! only for a moment; PostgreSQL locks rows, never tables), and every statement names what
//! it removes by key *and* condition: a row another instance removed first is simply not
//! there to delete, and the result is the same whoever swept. Revisions lose their data by
//! `UPDATE … SET NULL` of rows that still have some, so a second sweep changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::{Retention, Settings};
use crate::db::schema::{
    attachments, idempotency_keys, login_failures, refresh_tokens, revisions, sessions,
    webhook_attempts, webhook_deliveries,
};
use crate::db::{Db, DbConnection, now};
use crate::error::ApiError;
use crate::history::keys::KEPT_FOR;
use crate::ids::{DeliveryId, SessionId};
use crate::storage::attachments::AttachmentStore;

/// Rows one batch removes at most: small enough that a batch's transaction is short.
const BATCH: usize = 500;
const BATCH_LIMIT: i64 = BATCH as i64;

/// How often a running janitor sweeps.
const EVERY: Duration = Duration::from_secs(10 * 60);

/// What one sweep removed, per kind (rows, or stored files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub login_failures: usize,
    pub sessions: usize,
    pub refresh_tokens: usize,
    pub deliveries: usize,
    pub delivery_attempts: usize,
    /// Revisions that lost their merge patch.
    pub revision_patches: usize,
    /// Revisions that lost their snapshot (never a record's latest).
    pub revision_snapshots: usize,
    pub idempotency_records: usize,
    /// Stored attachment files removed.
    pub files: usize,
}

impl Swept {
    /// Everything removed or cleared, of every kind.
    pub fn total(&self) -> usize {
        let Swept {
            login_failures,
            sessions,
            refresh_tokens,
            deliveries,
            delivery_attempts,
            revision_patches,
            revision_snapshots,
            idempotency_records,
            files,
        } = *self;
        login_failures
            + sessions
            + refresh_tokens
            + deliveries
            + delivery_attempts
            + revision_patches
            + revision_snapshots
            + idempotency_records
            + files
    }
}

/// What one batch did: the candidates it looked at (fewer than a batch means it was the
/// last), the rows it removed or cleared, and the dependent rows removed with them.
#[derive(Clone, Copy, Debug)]
struct Batch {
    seen: usize,
    removed: usize,
    dependents: usize,
}

impl Batch {
    fn new(seen: usize, removed: usize) -> Self {
        Batch {
            seen,
            removed,
            dependents: 0,
        }
    }
}

pub struct Janitor {
    db: Db,
    retention: Retention,
    /// The attachment store, for the files of deleted attachments.
    storage: Arc<AttachmentStore>,
    /// The pause between two sweeps of `run`.
    interval: Duration,
}

impl Janitor {
    /// The janitor of `retention`, removing files from `storage`.
    pub fn new(db: Db, retention: Retention, storage: Arc<AttachmentStore>) -> Self {
        Self {
            db,
            retention,
            storage,
            interval: EVERY,
        }
    }

    /// The janitor `settings` describe: their retention and attachment store.
    pub fn from_settings(db: Db, settings: &Settings) -> anyhow::Result<Self> {
        let storage = AttachmentStore::from_settings(settings)?;
        Ok(Self::new(db, settings.retention, Arc::new(storage)))
    }

    /// Sweeps at once and then every interval until the service stops. A failed sweep is
    /// logged (counts and error kinds only, never the data) and tried again at the next.
    pub async fn run(self) {
        loop {
            match self.sweep().await {
                Ok(swept) => {
                    if swept != Swept::default() {
                        tracing::info!(?swept, "retention: expired data removed");
                    }
                    if let Err(error) = self.record(swept).await {
                        tracing::warn!(%error, "retention: the sweep could not be recorded");
                    }
                }
                Err(error) => tracing::warn!(%error, "retention sweep failed"),
            }
            actix_web::rt::time::sleep(self.interval).await;
        }
    }

    /// Records a finished sweep where `/metrics` of every instance reads it.
    pub async fn record(&self, swept: Swept) -> Result<(), ApiError> {
        let removed = i64::try_from(swept.total()).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                use crate::db::schema::maintenance;
                diesel::update(maintenance::table.find(1))
                    .set((
                        maintenance::janitor_at.eq(crate::db::now()),
                        maintenance::janitor_removed.eq(removed),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    /// One sweep over every kind. A kind that fails does not keep the others from their
    /// turn; the first failure is answered after all were tried.
    pub async fn sweep(&self) -> Result<Swept, ApiError> {
        let retention = self.retention;
        let mut swept = Swept::default();
        let mut failure = None;
        if let Some(before) = cutoff(retention.login_attempts) {
            swept.login_failures = counted(&mut failure, self.login_failures(before).await).0;
        }
        if let Some(before) = cutoff(retention.sessions) {
            (swept.sessions, swept.refresh_tokens) =
                counted(&mut failure, self.sessions(before).await);
        }
        if let Some(before) = cutoff(retention.deliveries) {
            (swept.deliveries, swept.delivery_attempts) =
                counted(&mut failure, self.deliveries(before).await);
        }
        if let Some(before) = cutoff(retention.revision_data) {
            swept.revision_patches = counted(&mut failure, self.patches(before).await).0;
            swept.revision_snapshots = counted(&mut failure, self.snapshots(before).await).0;
        }
        // Always: the contract keeps an answer for replay 24 hours, whatever the settings.
        let before = now() - KEPT_FOR;
        swept.idempotency_records = counted(&mut failure, self.idempotency(before).await).0;
        if let Some(before) = cutoff(retention.deleted_files) {
            swept.files = counted(&mut failure, self.files(before).await);
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(swept),
        }
    }

    /// Runs `batch` in one write transaction after another, each continuing after the
    /// cursor the last one returned, until a batch saw fewer candidates than it may take.
    /// Answers the rows removed and the dependent rows removed with them.
    async fn in_batches<C, F>(&self, start: C, batch: F) -> Result<(usize, usize), ApiError>
    where
        C: Clone + Send + 'static,
        F: Fn(&mut DbConnection, &C) -> Result<(Batch, C), ApiError> + Clone + Send + 'static,
    {
        let (mut cursor, mut removed, mut dependents) = (start, 0_usize, 0_usize);
        loop {
            let (work, from) = (batch.clone(), cursor.clone());
            let (done, next) = self.db.transaction(move |conn| work(conn, &from)).await?;
            removed += done.removed;
            dependents += done.dependents;
            if done.seen < BATCH {
                return Ok((removed, dependents));
            }
            cursor = next;
        }
    }

    async fn login_failures(&self, before: NaiveDateTime) -> Result<(usize, usize), ApiError> {
        self.in_batches((), move |conn, _: &()| {
            let ids: Vec<i64> = login_failures::table
                .filter(login_failures::at.lt(before))
                .select(login_failures::id)
                .limit(BATCH_LIMIT)
                .load(conn)?;
            let seen = ids.len();
            let removed = diesel::delete(
                login_failures::table
                    .filter(login_failures::id.eq_any(ids))
                    .filter(login_failures::at.lt(before)),
            )
            .execute(conn)?;
            Ok((Batch::new(seen, removed), ()))
        })
        .await
    }

    /// Sessions ended before `before`, and sessions expired then: created before it, with
    /// no refresh token valid at or after it (a login without tokens counts from its
    /// start). Their refresh tokens go first. Walks every session older than `before` by
    /// id (from the nil UUID, below every other), since a live one among them stays and
    /// must not be looked at again.
    async fn sessions(&self, before: NaiveDateTime) -> Result<(usize, usize), ApiError> {
        let start = SessionId::from(uuid::Uuid::nil());
        self.in_batches(start, move |conn, after: &SessionId| {
            let batch: Vec<(SessionId, Option<NaiveDateTime>)> = sessions::table
                .filter(sessions::created_at.lt(before))
                .filter(sessions::id.gt(after))
                .select((sessions::id, sessions::ended_at))
                .order(sessions::id)
                .limit(BATCH_LIMIT)
                .load(conn)?;
            let last = batch
                .last()
                .map_or_else(|| after.clone(), |(id, _)| id.clone());
            let ids: Vec<SessionId> = batch.iter().map(|(id, _)| id.clone()).collect();
            let live: Vec<SessionId> = refresh_tokens::table
                .filter(refresh_tokens::family_id.eq_any(ids))
                .filter(refresh_tokens::expires_at.ge(before))
                .select(refresh_tokens::family_id)
                .distinct()
                .load(conn)?;
            let due: Vec<SessionId> = batch
                .iter()
                .filter(|(id, ended_at)| {
                    matches!(ended_at, Some(at) if *at < before) || !live.contains(id)
                })
                .map(|(id, _)| id.clone())
                .collect();
            let mut done = Batch::new(batch.len(), 0);
            if !due.is_empty() {
                // A session's refresh tokens are its family (no foreign key between them).
                done.dependents = diesel::delete(
                    refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(due.clone())),
                )
                .execute(conn)?;
                done.removed = diesel::delete(sessions::table.filter(sessions::id.eq_any(due)))
                    .execute(conn)?;
            }
            Ok((done, last))
        })
        .await
    }

    /// Deliveries finished before `before`, their attempts first (foreign key).
    async fn deliveries(&self, before: NaiveDateTime) -> Result<(usize, usize), ApiError> {
        self.in_batches((), move |conn, _: &()| {
            let ids: Vec<DeliveryId> = webhook_deliveries::table
                .filter(webhook_deliveries::finished_at.lt(before))
                .select(webhook_deliveries::id)
                .limit(BATCH_LIMIT)
                .load(conn)?;
            let seen = ids.len();
            let dependents = diesel::delete(
                webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(ids.clone())),
            )
            .execute(conn)?;
            let removed = diesel::delete(
                webhook_deliveries::table
                    .filter(webhook_deliveries::id.eq_any(ids))
                    .filter(webhook_deliveries::finished_at.lt(before)),
            )
            .execute(conn)?;
            let done = Batch {
                dependents,
                ..Batch::new(seen, removed)
            };
            Ok((done, ()))
        })
        .await
    }

    /// Revisions recorded before `before` lose their merge patch, a record's latest too.
    async fn patches(&self, before: NaiveDateTime) -> Result<(usize, usize), ApiError> {
        self.in_batches((), move |conn, _: &()| {
            let seqs: Vec<i64> = revisions::table
                .filter(revisions::at.lt(before))
                .filter(revisions::patch.is_not_null())
                .select(revisions::seq)
                .limit(BATCH_LIMIT)
                .load(conn)?;
            let seen = seqs.len();
            let removed = diesel::update(
                revisions::table
                    .filter(revisions::seq.eq_any(seqs))
                    .filter(revisions::patch.is_not_null()),
            )
            .set(revisions::patch.eq(None::<String>))
            .execute(conn)?;
            Ok((Batch::new(seen, removed), ()))
        })
        .await
    }

    /// Revisions recorded before `before` lose their snapshot unless they are the latest
    /// of their record that has one: restore and `GET …/revisions/{version}` of the
    /// current version keep working, and as a revision is only ever cleared when a later
    /// one keeps its snapshot, two instances at once cannot clear the last one either.
    /// Walks by `seq`, since the latest revisions stay and must not be looked at again.
    async fn snapshots(&self, before: NaiveDateTime) -> Result<(usize, usize), ApiError> {
        self.in_batches(0_i64, move |conn, after: &i64| {
            let batch: Vec<(i64, String, String)> = revisions::table
                .filter(revisions::at.lt(before))
                .filter(revisions::snapshot.is_not_null())
                .filter(revisions::seq.gt(*after))
                .order(revisions::seq)
                .select((revisions::seq, revisions::collection, revisions::record_id))
                .limit(BATCH_LIMIT)
                .load(conn)?;
            let last = batch.last().map_or(*after, |(seq, _, _)| *seq);
            let mut records: Vec<String> = batch.iter().map(|(_, _, id)| id.clone()).collect();
            records.sort();
            records.dedup();
            // The latest revision with a snapshot of each record of the batch.
            let latest: Vec<(String, String, Option<i64>)> = revisions::table
                .filter(revisions::record_id.eq_any(records))
                .filter(revisions::snapshot.is_not_null())
                .group_by((revisions::collection, revisions::record_id))
                .select((
                    revisions::collection,
                    revisions::record_id,
                    diesel::dsl::max(revisions::seq),
                ))
                .load(conn)?;
            let superseded: Vec<i64> = batch
                .iter()
                .filter(|(seq, collection, id)| {
                    latest.iter().any(|(c, r, max)| {
                        c == collection && r == id && matches!(max, Some(newest) if newest > seq)
                    })
                })
                .map(|(seq, _, _)| *seq)
                .collect();
            let mut done = Batch::new(batch.len(), 0);
            if !superseded.is_empty() {
                done.removed = diesel::update(
                    revisions::table
                        .filter(revisions::seq.eq_any(superseded))
                        .filter(revisions::snapshot.is_not_null()),
                )
                .set(revisions::snapshot.eq(None::<String>))
                .execute(conn)?;
            }
            Ok((done, last))
        })
        .await
    }

    /// Idempotency records created before `before`. Their key is two columns: the delete
    /// matches callers and keys separately, which can only add rows just as old.
    async fn idempotency(&self, before: NaiveDateTime) -> Result<(usize, usize), ApiError> {
        self.in_batches((), move |conn, _: &()| {
            let keys: Vec<(String, String)> = idempotency_keys::table
                .filter(idempotency_keys::created_at.lt(before))
                .select((idempotency_keys::caller, idempotency_keys::key))
                .limit(BATCH_LIMIT)
                .load(conn)?;
            let seen = keys.len();
            let (mut callers, mut names): (Vec<String>, Vec<String>) = keys.into_iter().unzip();
            callers.sort();
            callers.dedup();
            names.sort();
            names.dedup();
            let removed = diesel::delete(
                idempotency_keys::table
                    .filter(idempotency_keys::caller.eq_any(callers))
                    .filter(idempotency_keys::key.eq_any(names))
                    .filter(idempotency_keys::created_at.lt(before)),
            )
            .execute(conn)?;
            Ok((Batch::new(seen, removed), ()))
        })
        .await
    }

    /// The stored files of attachments deleted before `before`, unless an attachment with
    /// the same content is live or was deleted later (its file is the same one). Files are
    /// not rows: no write transaction, and a file already gone counts as removed by another.
    async fn files(&self, before: NaiveDateTime) -> Result<usize, ApiError> {
        let (mut after, mut removed) = (String::new(), 0_usize);
        loop {
            let from = after.clone();
            let (seen, last, unused) = self
                .db
                .run(move |conn| {
                    let candidates: Vec<String> = attachments::table
                        .filter(attachments::deleted_at.lt(before))
                        .filter(attachments::sha256.gt(from))
                        .select(attachments::sha256)
                        .distinct()
                        .order(attachments::sha256)
                        .limit(BATCH_LIMIT)
                        .load(conn)?;
                    let kept: Vec<String> = attachments::table
                        .filter(attachments::sha256.eq_any(candidates.clone()))
                        .filter(
                            attachments::deleted_at
                                .is_null()
                                .or(attachments::deleted_at.ge(before)),
                        )
                        .select(attachments::sha256)
                        .distinct()
                        .load(conn)?;
                    let last = candidates.last().cloned();
                    let seen = candidates.len();
                    let unused: Vec<String> = candidates
                        .into_iter()
                        .filter(|sha256| !kept.contains(sha256))
                        .collect();
                    Ok((seen, last, unused))
                })
                .await?;
            let mut gone = 0_usize;
            for sha256 in &unused {
                if self
                    .storage
                    .remove(sha256)
                    .await
                    .map_err(ApiError::internal)?
                {
                    gone += 1;
                }
            }
            removed += gone;
            match last {
                Some(last) if seen == BATCH => after = last,
                _ => return Ok(removed),
            }
        }
    }
}

/// The moment before which data kept for `days` is due; `None` for `0`, which keeps it
/// for ever (and for a number of days beyond the calendar, which amounts to the same).
fn cutoff(days: u32) -> Option<NaiveDateTime> {
    if days == 0 {
        return None;
    }
    chrono::Duration::try_days(i64::from(days)).and_then(|age| now().checked_sub_signed(age))
}

/// The counts of a kind, or nothing when it failed: the first failure of a sweep is kept
/// for its answer, later ones are only logged.
fn counted<T: Default>(failure: &mut Option<ApiError>, result: Result<T, ApiError>) -> T {
    match result {
        Ok(counts) => counts,
        Err(error) => {
            if failure.is_some() {
                tracing::warn!(%error, "retention: another kind failed too");
            } else {
                *failure = Some(error);
            }
            T::default()
        }
    }
}
