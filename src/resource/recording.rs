//! Every write of the pipeline records its revision here, in its own transaction: the
//! writable representation after it and the merge patch from the one before.

use serde_json::Value;

use super::definition::Resource;
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::db::record::Record;
use crate::error::ApiError;
use crate::history::revisions::{self as history, Action, Actor, Change, Snapshot};

/// The collection's name in the history: the last segment of its path.
pub fn collection<R: Resource>() -> &'static str {
    R::COLLECTION.rsplit('/').next().unwrap_or(R::COLLECTION)
}

/// What a revision keeps of a record: its writable representation (what restore brings
/// back) and its `status`. Never a password (no input carries a stored one) or a secret.
fn snapshot<R: Resource>(row: &R::Row, details: &R::Details) -> Result<Value, ApiError> {
    let mut value =
        serde_json::to_value(R::canonical(R::input(row, details)?)).map_err(ApiError::internal)?;
    if let (Some(status), Value::Object(fields)) = (R::status(row), &mut value) {
        fields.insert("status".into(), status.into());
    }
    Ok(value)
}

/// What a revision's merge patch is computed from.
pub enum Before<'a, R: Resource> {
    /// A new record: the patch is all of it.
    Nothing,
    /// The record as it was before the write.
    Row(&'a R::Row, &'a R::Details),
}

/// The change `row` (with its `version` after it) is, for the feed.
fn change<'a, R: Resource>(
    row: &'a R::Row,
    details: &R::Details,
    version: i32,
    action: Action,
) -> Change<'a> {
    Change {
        collection: collection::<R>(),
        id: row.id(),
        path: format!("{}/{}", R::COLLECTION, row.id()),
        version,
        action,
        readers: R::readers(row, details),
    }
}

/// Records the revision `row` (as just written) is, in the running write transaction.
pub fn record<R: Resource>(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    before: Before<'_, R>,
    row: &R::Row,
    details: &R::Details,
) -> Result<(), ApiError> {
    let before = match before {
        Before::Nothing => Value::Null,
        Before::Row(row, details) => snapshot::<R>(row, details)?,
    };
    let after = snapshot::<R>(row, details)?;
    let change = change::<R>(row, details, row.version(), action);
    history::record(conn, actor, change, Some(Snapshot { before, after }))
}

/// Records the deletion of `row` (as it was before it became a tombstone, one version
/// earlier): its fields are unchanged, so is its snapshot.
pub fn record_deletion<R: Resource>(
    conn: &mut DbConnection,
    who: &AuthUser,
    row: &R::Row,
    details: &R::Details,
) -> Result<(), ApiError> {
    let after = snapshot::<R>(row, details)?;
    let change = change::<R>(row, details, row.version() + 1, Action::Deleted);
    let snapshot = Snapshot {
        before: after.clone(),
        after,
    };
    history::record(conn, &Actor::of(who), change, Some(snapshot))
}

/// Records a record written outside the pipeline (demo data) as created by the service.
pub fn record_created<R: Resource>(conn: &mut DbConnection, id: &str) -> Result<(), ApiError> {
    let row = R::find(conn, id)?
        .ok_or_else(|| ApiError::internal(format!("no {} {id} to record", R::NAME)))?;
    let details = R::details(conn, std::slice::from_ref(&row))?;
    record::<R>(
        conn,
        &Actor::system(),
        Action::Created,
        Before::Nothing,
        &row,
        &details,
    )
}
