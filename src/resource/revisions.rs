//! The history of a versioned resource: its revisions (recorded by `recording`), read and
//! restored through the same [`Resource`] hooks as the record itself.

use serde_json::Value;

use super::recording::{Before, collection, record};
use super::{Resource, found, reloaded};
use crate::auth::AuthUser;
use crate::db::record::Record;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::history::api::Revision;
use crate::history::revisions::{self as history, Action, Actor};
use crate::http::json::from_value;
use crate::http::list::{Page, PageParams};
use crate::http::round_trip;
use crate::http::{IfMatch, Tagged};

/// The record `key` names, deleted or not, if `who` may see its history: admins see every
/// record's, editors those of records they may edit (403), nobody a record hidden from them
/// (404).
fn with_history<R: Resource>(
    conn: &mut DbConnection,
    key: &str,
    who: &AuthUser,
) -> Result<(R::Row, R::Details), ApiError> {
    R::may_read(Some(who))?;
    let (row, details) = found::<R>(conn, key, Some(who))?;
    R::may_write(who, &row, &details)?;
    Ok((row, details))
}

/// `GET /{collection}/{key}/revisions`: newest first.
pub async fn list<R: Resource>(
    db: &Db,
    who: AuthUser,
    key: String,
    params: PageParams,
) -> Result<Page<Revision>, ApiError> {
    let paging = params.resolve()?;
    let page = paging.clone();
    let (rows, names, total) = db
        .run(move |conn| {
            let (row, _) = with_history::<R>(conn, &key, &who)?;
            let of_record = history::Filter {
                collection: Some(collection::<R>().to_owned()),
                record_id: Some(row.id().to_owned()),
                revisions_only: true,
                ..Default::default()
            };
            let (rows, total) = history::page(conn, &of_record, paging.limit, paging.offset)?;
            let names = history::actor_names(conn, &rows)?;
            Ok((rows, names, total))
        })
        .await?;
    let items = rows
        .iter()
        .map(|row| Revision::of(row, &names, false))
        .collect();
    Ok(Page::new(items, total, &page))
}

/// `GET /{collection}/{key}/revisions/{version}`: the revision with the record as it was.
pub async fn one<R: Resource>(
    db: &Db,
    who: AuthUser,
    key: String,
    version: i32,
) -> Result<Revision, ApiError> {
    db.run(move |conn| {
        let (row, _) = with_history::<R>(conn, &key, &who)?;
        let revision = history::at_version(conn, collection::<R>(), row.id(), version)?
            .ok_or_else(no_such_revision)?;
        if revision.snapshot.is_none() {
            // Who, when and what stay listed; the record itself went with the retention.
            return Err(ApiError::gone(
                "this revision's data is no longer kept (ENGAGIERT_RETAIN_REVISION_DATA)",
            ));
        }
        let names = history::actor_names(conn, std::slice::from_ref(&revision))?;
        Ok(Revision::of(&revision, &names, true))
    })
    .await
}

fn no_such_revision() -> ApiError {
    ApiError::not_found("no such revision of this record")
}

/// `POST /{collection}/{key}/revisions/{version}/restore` (admin): that version's writable
/// fields become the current ones, as a new version recorded as `restored`; a deleted record
/// comes back. The workflow state (`status`) is not rewound: it changes only through its
/// actions. A restore that changes nothing keeps the version, like any write.
pub async fn restore<R: Resource>(
    db: &Db,
    user: AuthUser,
    key: String,
    version: i32,
    if_match: IfMatch,
) -> Result<Tagged<R::Output>, ApiError> {
    let writer = user.clone();
    let (row, details) = db
        .transaction(move |conn| {
            R::lock(conn, &key)?;
            let (row, details) = with_history::<R>(conn, &key, &writer)?;
            if_match.check(&row)?;
            let revision = history::at_version(conn, collection::<R>(), row.id(), version)?
                .ok_or_else(no_such_revision)?;
            let before = R::canonical(R::input(&row, &details)?);
            let wanted = R::restorable(&before, R::canonical(restorable::<R>(revision.record())?));
            let changed = !round_trip::unchanged(&before, &wanted);
            let deleted = row.deleted_at().is_some();
            if !changed && !deleted {
                return Ok((row, details));
            }
            let (was, mut row) = (row.clone(), row);
            if deleted {
                // One new version for the whole restore: the update below counts it.
                let next = if changed {
                    row.version()
                } else {
                    row.version() + 1
                };
                row = R::undelete(conn, &row, next)?.ok_or_else(ApiError::precondition_failed)?;
            }
            if changed {
                R::may_change(&writer, &row, &before, &wanted)?;
                row = R::update(conn, &writer, &row, &details, &wanted, &Default::default())?;
            }
            let before = Before::Row(&was, &details);
            let (row, after) = reloaded::<R>(conn, row)?;
            let actor = Actor::of(&writer);
            record::<R>(conn, &actor, Action::Restored, before, &row, &after)?;
            Ok((row, after))
        })
        .await?;
    Ok(R::tagged(row, &details, Some(&user)))
}

/// A revision's record as the input it was; one the resource no longer accepts (its rules
/// changed since) is 409.
fn restorable<R: Resource>(mut record: Value) -> Result<R::Input, ApiError> {
    if let Value::Object(fields) = &mut record {
        fields.remove("status");
    }
    from_value(record).map_err(|errors| {
        ApiError::conflict("this version cannot be restored: it no longer passes the rules")
            .with_errors(errors)
    })
}
