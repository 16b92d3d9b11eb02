//! What the history looks like on the wire: a record's revisions, the audit log's entries
//! and the change feed's items.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::revisions::{Action, ActorKind, RevisionRow};
use crate::db::utc;

/// Who made a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Actor {
    /// The user's or API token's id; `null` for the service itself.
    pub id: Option<String>,
    /// The user's or API token's name as it is now (`engagiert` for the service itself).
    pub name: Option<String>,
    pub kind: ActorKind,
}

/// One version of a record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revision {
    #[schema(example = 3)]
    pub version: i32,
    pub action: Action,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The JSON merge patch (RFC 7396) from the previous version's writable fields to this
    /// one's (all of them for the first recorded version; `{}` when only the workflow or the
    /// deletion mark changed). `status` is shown next to the writable fields. `null` once
    /// `ENGAGIERT_RETAIN_REVISION_DATA` took the revision's data (who, when and what stay).
    #[schema(value_type = Option<Object>)]
    pub changes: Value,
    /// The record as `GET` showed it at this version: its writable fields and `status` as
    /// they were, with its `id`, this `version` and the time of the change as `updated_at`
    /// — what a `PUT` would send back and what restore brings back. Only in
    /// `GET .../revisions/{version}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub record: Option<Value>,
}

/// One entry of the audit log: a revision of a record of any collection, or a change of a
/// registration or attachment (whose `changes` are `null`: they are not revisioned).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    #[schema(example = "municipalities")]
    pub collection: String,
    pub id: String,
    /// Where the record is read.
    #[schema(example = "/api/v1/municipalities/0192f0c4-7c1a-7b4e-9f3a-1b2c3d4e5f60")]
    pub path: String,
    #[schema(example = 3)]
    pub version: i32,
    pub action: Action,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[schema(value_type = Option<Object>)]
    pub changes: Value,
}

/// One item of the change feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeItem {
    /// Pass as `after` to continue behind this item: `<epoch>.<number>`, where the epoch
    /// names the feed's history (a restored backup starts a new one).
    #[schema(example = "3f9a0c5e7d21b4a8.1042")]
    pub cursor: String,
    #[schema(example = "meetings")]
    pub collection: String,
    pub id: String,
    #[schema(example = 2)]
    pub version: i32,
    pub action: Action,
    pub at: DateTime<Utc>,
    /// Where the record is read (a registration's or attachment's path names its parent).
    #[schema(example = "/api/v1/meetings/0192f0c4-7c1a-7b4e-9f3a-1b2c3d4e5f60")]
    pub path: String,
}

/// A page of the change feed, in commit order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<ChangeItem>,
    /// The cursor to ask with next (`after`): behind the last item, or the one asked with
    /// when there was nothing new.
    #[schema(example = "3f9a0c5e7d21b4a8.1042")]
    pub next: String,
}

/// The names of the actors of some revisions, by id.
pub type ActorNames = HashMap<String, String>;

fn actor(row: &RevisionRow, names: &ActorNames) -> Actor {
    let name = match row.actor_kind {
        ActorKind::System => Some("engagiert".to_owned()),
        _ => row.actor_id.as_ref().and_then(|id| names.get(id)).cloned(),
    };
    Actor {
        id: row.actor_id.clone(),
        name,
        kind: row.actor_kind,
    }
}

impl Revision {
    pub fn of(row: &RevisionRow, names: &ActorNames, with_record: bool) -> Self {
        Revision {
            version: row.version,
            action: row.action,
            at: utc(row.at),
            actor: actor(row, names),
            changes: row.changes(),
            record: with_record.then(|| shown_then(row)),
        }
    }
}

/// The record as `GET` showed it at this version: its fields then, with its `id`, that
/// `version` and the time of the change as `updated_at`.
fn shown_then(row: &RevisionRow) -> Value {
    let mut shown = serde_json::Map::new();
    shown.insert("id".into(), Value::from(row.record_id.clone()));
    if let Value::Object(fields) = row.record() {
        shown.extend(fields);
    }
    shown.insert("version".into(), Value::from(row.version));
    shown.insert(
        "updated_at".into(),
        serde_json::to_value(utc(row.at)).unwrap_or(Value::Null),
    );
    Value::Object(shown)
}

impl AuditEntry {
    pub fn of(row: &RevisionRow, names: &ActorNames) -> Self {
        AuditEntry {
            collection: row.collection.clone(),
            id: row.record_id.clone(),
            path: row.path.clone(),
            version: row.version,
            action: row.action,
            at: utc(row.at),
            actor: actor(row, names),
            changes: row.changes(),
        }
    }
}

impl ChangeItem {
    /// The item of `row` in the history `epoch`.
    pub fn of(row: &RevisionRow, epoch: &str) -> Self {
        ChangeItem {
            cursor: super::cursor::format(epoch, row.seq),
            collection: row.collection.clone(),
            id: row.record_id.clone(),
            version: row.version,
            action: row.action,
            at: utc(row.at),
            path: row.path.clone(),
        }
    }
}
