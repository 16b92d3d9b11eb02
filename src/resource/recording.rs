//! Every write of the pipeline records its revision here, in its own transaction: the
//! writable representation after it and the merge patch from the one before.

use serde_json::Value;

use super::definition::Resource;
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::db::record::Record;
use crate::error::ApiError;
use crate::history::revisions::{self as history, Action, Actor, Change};

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

/// Records the revision `row` (as just written) is, in the running write transaction.
pub fn record<R: Resource>(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    row: &R::Row,
    details: &R::Details,
) -> Result<(), ApiError> {
    let snapshot = snapshot::<R>(row, details)?;
    let change = Change {
        collection: collection::<R>(),
        id: row.id(),
        path: format!("{}/{}", R::COLLECTION, row.id()),
        version: row.version(),
        action,
        readers: R::readers(row, details),
    };
    history::record(conn, actor, change, Some(&snapshot))
}

/// Records the deletion of the record `key` names (now a tombstone).
pub fn record_deletion<R: Resource>(
    conn: &mut DbConnection,
    key: &str,
    who: &AuthUser,
) -> Result<(), ApiError> {
    let not_found = || ApiError::not_found(format!("no such {}", R::NAME));
    let row = R::find(conn, key)?.ok_or_else(not_found)?;
    let details = R::details(conn, std::slice::from_ref(&row))?;
    record::<R>(conn, &Actor::of(who), Action::Deleted, &row, &details)
}

/// Records a record written outside the pipeline (demo data) as created by the service.
pub fn record_created<R: Resource>(conn: &mut DbConnection, id: &str) -> Result<(), ApiError> {
    let row = R::find(conn, id)?
        .ok_or_else(|| ApiError::internal(format!("no {} {id} to record", R::NAME)))?;
    let details = R::details(conn, std::slice::from_ref(&row))?;
    record::<R>(conn, &Actor::system(), Action::Created, &row, &details)
}
