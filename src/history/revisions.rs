//! The `revisions` table: every committed change, in commit order. Each row is an item of
//! the change feed (`seq` is its cursor); for municipalities, meetings, documents, surveys
//! and users it is also a revision, with the merge patch from the previous version and the
//! writable representation after the change (`snapshot`), which restore brings back.
//!
//! **Why the cursor cannot skip.** A follower asks for `seq > cursor`. On PostgreSQL a
//! sequence alone would not do: a transaction that drew a lower number can commit after one
//! that drew a higher number and was already read, and the follower, past the higher one,
//! would never see it. So the number is drawn by a trigger (migration `000009_revisions`)
//! only after the writer took a transaction-level advisory lock, which it keeps until it
//! commits: numbers are drawn in commit order, and a reader that sees a number sees every
//! smaller one. The revision is the last statement of a write transaction, so writers queue
//! only for the moment between it and their commit; the rule lives in the database, so no
//! writer can forget it. We chose this over serving only changes below the snapshot's `xmin`
//! horizon (`pg_current_xact_id()`): that keeps writers apart but lets one long transaction,
//! anywhere in the database, hold every follower back, and its cursor is not in commit order.
//! SQLite has one writer at a time: its numbers are in commit order by construction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::auth::AuthUser;
use crate::auth::jwt::TokenUse;
use crate::db::schema::{api_tokens, revisions, users};
use crate::db::{DbConnection, now};
use crate::error::ApiError;
use crate::http::merge_patch;
use crate::ids::{ApiTokenId, MunicipalityId, UserId};

/// The collections whose changes are recorded.
pub const COLLECTIONS: &[&str] = &[
    "municipalities",
    "meetings",
    "registrations",
    "documents",
    "attachments",
    "surveys",
    "users",
    "webhooks",
];

/// The collections whose changes are in the feed but that keep no revisions.
pub const FEED_ONLY: &[&str] = &["registrations", "attachments"];

crate::text_enum! {
    /// What a change did.
    pub enum Action {
        Created = "created",
        Updated = "updated",
        Deleted = "deleted",
        Restored = "restored",
    }
}

crate::text_enum! {
    /// Who made a change: a signed-in user, an integration script's API token, or the
    /// service itself (imports from the command line, demo data).
    pub enum ActorKind {
        User = "user",
        Token = "token",
        System = "system",
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
        }
    }

    pub fn of(user: &AuthUser) -> Self {
        let kind = match user.token_use {
            TokenUse::Api => ActorKind::Token,
            _ => ActorKind::User,
        };
        Actor {
            kind,
            id: Some(user.id.clone()),
        }
    }
}

/// Who may learn that a change happened: the change feed leaves out the rest. Decided when
/// the change is written, from the record as it is then (a draft's changes stay with those
/// who could see the draft).
#[derive(Debug, Clone)]
pub enum Readers {
    /// Every signed-in caller.
    Everyone,
    Admins,
    /// Admins and the editors of these municipalities.
    Municipalities(Vec<MunicipalityId>),
}

impl Readers {
    /// Stored as `NULL` (everyone), `''` (admins) or the municipalities' ids, space-separated.
    fn stored(&self) -> Option<String> {
        match self {
            Readers::Everyone => None,
            Readers::Admins => Some(String::new()),
            Readers::Municipalities(ids) => Some(
                ids.iter()
                    .map(|id| id.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

/// A change about to be recorded.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The collection's name: `municipalities`, `registrations`.
    pub collection: &'a str,
    pub id: &'a str,
    /// Where the record is read: `/api/v1/meetings/{id}/registrations/{municipality_id}`.
    pub path: String,
    /// The record's version after the change.
    pub version: i32,
    pub action: Action,
    pub readers: Readers,
}

#[derive(Insertable)]
#[diesel(table_name = revisions)]
struct NewRevision {
    collection: String,
    record_id: String,
    path: String,
    version: i32,
    action: Action,
    at: NaiveDateTime,
    actor_kind: ActorKind,
    actor_id: Option<String>,
    readers: Option<String>,
    patch: Option<String>,
    snapshot: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct RevisionRow {
    pub seq: i64,
    pub collection: String,
    pub record_id: String,
    pub path: String,
    pub version: i32,
    pub action: Action,
    pub at: NaiveDateTime,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub readers: Option<String>,
    pub patch: Option<String>,
    pub snapshot: Option<String>,
}

impl RevisionRow {
    pub fn changes(&self) -> Value {
        parsed(self.patch.as_deref())
    }

    pub fn record(&self) -> Value {
        parsed(self.snapshot.as_deref())
    }
}

fn parsed(text: Option<&str>) -> Value {
    text.and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null)
}

/// A revision's record: the writable representation before the change (`Null` for a new
/// record) and after it.
pub struct Snapshot {
    pub before: Value,
    pub after: Value,
}

/// Records `change` by `actor` in the running write transaction; with a snapshot also as a
/// revision, whose merge patch leads from the record before to the record after. Must be
/// the transaction's last write: on PostgreSQL it takes the feed's turn, held until the
/// commit (see the module's documentation).
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    change: Change<'_>,
    snapshot: Option<Snapshot>,
) -> Result<(), ApiError> {
    let (patch, snapshot) = match snapshot {
        Some(Snapshot { before, after }) => (
            Some(merge_patch::diff(&before, &after).to_string()),
            Some(after.to_string()),
        ),
        None => (None, None),
    };
    diesel::insert_into(revisions::table)
        .values(NewRevision {
            collection: change.collection.to_owned(),
            record_id: change.id.to_owned(),
            path: change.path,
            version: change.version,
            action: change.action,
            at: now(),
            actor_kind: actor.kind,
            actor_id: actor.id.clone(),
            readers: change.readers.stored(),
            patch,
            snapshot,
        })
        .execute(conn)?;
    Ok(())
}

/// The revision of a record at `version` (the last one, should a version be recorded twice).
pub fn at_version(
    conn: &mut DbConnection,
    collection: &str,
    id: &str,
    version: i32,
) -> QueryResult<Option<RevisionRow>> {
    revisions::table
        .filter(revisions::collection.eq(collection))
        .filter(revisions::record_id.eq(id))
        .filter(revisions::version.eq(version))
        .filter(revisions::collection.ne_all(FEED_ONLY))
        .order(revisions::seq.desc())
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()
}

/// What a page of the history holds: the audit log's filters, or one record's revisions.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub collection: Option<String>,
    pub record_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<Action>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    /// Only revisions: not the changes of registrations and attachments, which have none.
    pub revisions_only: bool,
}

/// A page of the history, newest first, and how many entries match.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<RevisionRow>, i64)> {
    let filtered = || {
        let mut q = revisions::table.into_boxed();
        if let Some(collection) = &filter.collection {
            q = q.filter(revisions::collection.eq(collection.clone()));
        }
        if let Some(id) = &filter.record_id {
            q = q.filter(revisions::record_id.eq(id.clone()));
        }
        if let Some(actor) = &filter.actor_id {
            q = q.filter(revisions::actor_id.eq(actor.clone()));
        }
        if let Some(action) = filter.action {
            q = q.filter(revisions::action.eq(action));
        }
        if let Some(since) = filter.since {
            q = q.filter(revisions::at.ge(since));
        }
        if let Some(until) = filter.until {
            q = q.filter(revisions::at.lt(until));
        }
        if filter.revisions_only {
            // Not "has a snapshot": a revision whose data the retention took is still one.
            q = q.filter(revisions::collection.ne_all(FEED_ONLY));
        }
        q
    };
    let rows = filtered()
        .order(revisions::seq.desc())
        .limit(limit)
        .offset(offset)
        .select(RevisionRow::as_select())
        .load(conn)?;
    let total = filtered().count().get_result(conn)?;
    Ok((rows, total))
}

/// Whose changes a follower of the feed may see.
#[derive(Debug, Clone)]
pub enum Follower {
    Admin,
    Editor(MunicipalityId),
    Reader,
}

impl Follower {
    pub fn of(user: &AuthUser) -> Self {
        match &user.municipality_id {
            _ if user.is_admin() => Follower::Admin,
            Some(municipality) => Follower::Editor(municipality.clone()),
            None => Follower::Reader,
        }
    }
}

/// The next changes after `after` in commit order that `follower` may see.
pub fn feed(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
    collection: Option<&str>,
    follower: &Follower,
) -> QueryResult<Vec<RevisionRow>> {
    let mut q = revisions::table
        .filter(revisions::seq.gt(after))
        .into_boxed();
    if let Some(collection) = collection {
        q = q.filter(revisions::collection.eq(collection.to_owned()));
    }
    match follower {
        Follower::Admin => {}
        // Municipality ids are UUIDs: one cannot be found inside another.
        Follower::Editor(municipality) => {
            q = q.filter(
                revisions::readers
                    .is_null()
                    .or(revisions::readers.like(format!("%{}%", municipality.as_str()))),
            );
        }
        Follower::Reader => q = q.filter(revisions::readers.is_null()),
    }
    q.order(revisions::seq.asc())
        .limit(limit)
        .select(RevisionRow::as_select())
        .load(conn)
}

/// The current names of the users and API tokens that made `rows`, by id.
pub fn actor_names(
    conn: &mut DbConnection,
    rows: &[RevisionRow],
) -> QueryResult<HashMap<String, String>> {
    let ids = |kind: ActorKind| {
        rows.iter()
            .filter(move |row| row.actor_kind == kind)
            .filter_map(|row| row.actor_id.as_deref())
    };
    let user_ids: Vec<UserId> = ids(ActorKind::User).filter_map(UserId::parse).collect();
    let token_ids: Vec<ApiTokenId> = ids(ActorKind::Token)
        .filter_map(ApiTokenId::parse)
        .collect();
    let mut names = HashMap::new();
    if !user_ids.is_empty() {
        let found: Vec<(UserId, String)> = users::table
            .filter(users::id.eq_any(user_ids))
            .select((users::id, users::name))
            .load(conn)?;
        names.extend(found.into_iter().map(|(id, name)| (id.into_string(), name)));
    }
    if !token_ids.is_empty() {
        let found: Vec<(ApiTokenId, String)> = api_tokens::table
            .filter(api_tokens::id.eq_any(token_ids))
            .select((api_tokens::id, api_tokens::name))
            .load(conn)?;
        names.extend(found.into_iter().map(|(id, name)| (id.into_string(), name)));
    }
    Ok(names)
}
