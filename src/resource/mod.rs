//! The resource pipeline: the one write path of every versioned resource (create, replace,
//! merge patch, state-changing action, soft delete) and its reads (one, a page), written
//! once. A resource plugs in by implementing [`Resource`]: where its rows are, how it is
//! shown, who may write it and how a checked input is stored. The rules every resource
//! obeys — `If-Match` and body `version` (412), the round trip of API rule 21, unchanged
//! writes keep their version, 404 before 410, the ETag and `Location` of the answer — live
//! here and nowhere else.

mod definition;
pub mod handlers;
pub mod recording;
pub mod revisions;

pub use self::definition::Resource;
use self::recording::Before;

use actix_web::HttpResponse;
use serde_json::Value;

use crate::auth::AuthUser;
use crate::config::Policy;
use crate::db::record::{Record, live};
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::history::revisions::{Action, Actor};
use crate::http::json::from_value;
use crate::http::list::{Listed, Page};
use crate::http::round_trip::{self, Change};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};

/// The live row `key` names with its details, as `who` may see it: 404 when absent or
/// hidden, 410 when deleted.
pub fn current<R: Resource>(
    conn: &mut DbConnection,
    key: &str,
    who: Option<&AuthUser>,
) -> Result<(R::Row, R::Details), ApiError> {
    let (row, details) = found::<R>(conn, key, who)?;
    Ok((live(Some(row), R::NAME)?, details))
}

/// The row `key` names with its details, deleted or not, as `who` may see it: 404 when
/// absent or hidden.
fn found<R: Resource>(
    conn: &mut DbConnection,
    key: &str,
    who: Option<&AuthUser>,
) -> Result<(R::Row, R::Details), ApiError> {
    let not_found = || ApiError::not_found(format!("no such {}", R::NAME));
    let row = R::find(conn, key)?.ok_or_else(not_found)?;
    let details = R::details(conn, std::slice::from_ref(&row))?;
    if !R::visible(&row, &details, who) {
        return Err(not_found());
    }
    Ok((row, details))
}

/// The row and its details read back after a write.
fn reloaded<R: Resource>(
    conn: &mut DbConnection,
    row: R::Row,
) -> Result<(R::Row, R::Details), ApiError> {
    let details = R::details(conn, std::slice::from_ref(&row))?;
    Ok((row, details))
}

/// `GET /{collection}/{key}`.
pub async fn read<R: Resource>(
    db: &Db,
    key: String,
    who: Option<AuthUser>,
) -> Result<Tagged<R::Output>, ApiError> {
    R::may_read(who.as_ref())?;
    let reader = who.clone();
    let (row, details) = db
        .run(move |conn| current::<R>(conn, &key, reader.as_ref()))
        .await?;
    Ok(R::tagged(row, &details, who.as_ref()))
}

/// `GET /{collection}`: a page of what `who` may see.
pub async fn list<R: Resource>(
    db: &Db,
    who: Option<AuthUser>,
    query: ListQuery<R::Filter>,
) -> Result<Page<Listed<R::Output>>, ApiError> {
    R::may_read(who.as_ref())?;
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let reader = who.clone();
    let (rows, details, total) = db
        .run(move |conn| {
            let (rows, total) = R::list(conn, &paging, &filter, reader.as_ref())?;
            let details = R::details(conn, &rows)?;
            Ok((rows, details, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, |row| R::show(row, &details, who.as_ref())))
        .collect();
    Ok(Page::new(items, total, &page_paging))
}

/// `POST /{collection}`: 201 with `Location` and `ETag`.
pub async fn create<R: Resource>(
    db: &Db,
    policy: &Policy,
    user: AuthUser,
    body: ApiJson,
) -> Result<Tagged<R::Output>, ApiError> {
    R::may_create(&user)?;
    let mut body = body.parse::<Value>().await?;
    if let Some(initial) = R::INITIAL_STATUS {
        body = round_trip::creation(body, initial)?;
    }
    let prepared = prepared::<R>(&body, policy).await?;
    let writer = user.clone();
    let (row, details) = db
        .transaction(move |conn| {
            let mut body = body.clone();
            R::resolve_references(conn, &mut body)?;
            let new: R::New = from_value(body).map_err(ApiError::validation)?;
            let row = R::insert(conn, &writer, &new, &prepared)?;
            let (row, details) = reloaded::<R>(conn, row)?;
            let actor = Actor::of(&writer);
            recording::record::<R>(
                conn,
                &actor,
                Action::Created,
                Before::Nothing,
                &row,
                &details,
            )?;
            Ok((row, details))
        })
        .await?;
    let location = format!("{}/{}", R::COLLECTION, row.id());
    Ok(R::created(row, &details, Some(&user)).created(location))
}

/// `PUT /{collection}/{key}`: the whole writable representation, as `GET` returned it.
pub async fn replace<R: Resource>(
    db: &Db,
    policy: &Policy,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<R::Output>, ApiError> {
    may_write::<R>(db, &user, &key).await?;
    let change = Change::Replace(body.parse::<Value>().await?);
    save::<R>(db, policy, user, key, if_match, change).await
}

/// `PATCH /{collection}/{key}`: a JSON merge patch of the writable representation.
pub async fn patch<R: Resource>(
    db: &Db,
    policy: &Policy,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<R::Output>, ApiError> {
    may_write::<R>(db, &user, &key).await?;
    let change = Change::Patch(body.parse::<Value>().await?);
    save::<R>(db, policy, user, key, if_match, change).await
}

/// Who may change a record is known before its body is read (403 without reading it).
pub async fn may_write<R: Resource>(db: &Db, user: &AuthUser, key: &str) -> Result<(), ApiError> {
    let (user, key) = (user.clone(), key.to_owned());
    db.run(move |conn| {
        let (row, details) = current::<R>(conn, &key, Some(&user))?;
        R::may_write(&user, &row, &details)
    })
    .await
}

async fn prepared<R: Resource>(body: &Value, policy: &Policy) -> Result<R::Prepared, ApiError> {
    let (body, policy) = (body.clone(), *policy);
    actix_web::web::block(move || R::prepare(&body, &policy))
        .await
        .map_err(ApiError::internal)?
}

/// The one way a record changes: in one transaction, checked against `If-Match`, the
/// caller's rights and every rule, written only if nobody changed it in between; a change
/// that changes nothing answers 200 with the version kept.
async fn save<R: Resource>(
    db: &Db,
    policy: &Policy,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<R::Output>, ApiError> {
    let body = match &change {
        Change::Replace(body) | Change::Patch(body) => body,
    };
    let prepared = prepared::<R>(body, policy).await?;
    let writer = user.clone();
    let (row, details) = db
        .transaction(move |conn| {
            R::lock(conn, &key)?;
            let (current, details) = current::<R>(conn, &key, Some(&writer))?;
            if_match.check(&current)?;
            R::may_write(&writer, &current, &details)?;
            let change = resolved::<R>(conn, &change)?;
            let before = R::canonical(R::input(&current, &details)?);
            let shown = serde_json::to_value(R::show(current.clone(), &details, Some(&writer)))
                .map_err(ApiError::internal)?;
            let after = R::canonical(change.input(&before, &shown, R::status_action)?);
            let after = R::settled(&before, after);
            if round_trip::unchanged(&before, &after) {
                return Ok((current, details));
            }
            R::may_change(&writer, &current, &before, &after)?;
            let row = R::update(conn, &writer, &current, &details, &after, &prepared)?;
            let before = Before::Row(&current, &details);
            let (row, after) = reloaded::<R>(conn, row)?;
            let actor = Actor::of(&writer);
            recording::record::<R>(conn, &actor, Action::Updated, before, &row, &after)?;
            Ok((row, after))
        })
        .await?;
    Ok(R::tagged(row, &details, Some(&user)))
}

fn resolved<R: Resource>(conn: &mut DbConnection, change: &Change) -> Result<Change, ApiError> {
    let mut resolve = |body: &Value| -> Result<Value, ApiError> {
        let mut body = body.clone();
        R::resolve_references(conn, &mut body)?;
        Ok(body)
    };
    Ok(match change {
        Change::Replace(body) => Change::Replace(resolve(body)?),
        Change::Patch(body) => Change::Patch(resolve(body)?),
    })
}

/// `POST /{collection}/{key}/{action}`: a state change (cancel, publish, open). `action`
/// checks that the move is allowed (409) and stores it if the row is still at its version.
pub async fn act<R, F>(
    db: &Db,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    action: F,
) -> Result<Tagged<R::Output>, ApiError>
where
    R: Resource,
    F: Fn(&mut DbConnection, &R::Row) -> Result<Option<R::Row>, ApiError> + Send + 'static,
{
    let writer = user.clone();
    let (row, details) = db
        .transaction(move |conn| {
            let (current, details) = current::<R>(conn, &key, Some(&writer))?;
            if_match.check(&current)?;
            let row = action(conn, &current)?.ok_or_else(ApiError::precondition_failed)?;
            let before = Before::Row(&current, &details);
            let (row, after) = reloaded::<R>(conn, row)?;
            let actor = Actor::of(&writer);
            recording::record::<R>(conn, &actor, Action::Updated, before, &row, &after)?;
            Ok((row, after))
        })
        .await?;
    Ok(R::tagged(row, &details, Some(&user)))
}

/// `DELETE /{collection}/{key}`: soft; the record becomes a tombstone (204).
pub async fn delete<R: Resource>(
    db: &Db,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    db.transaction(move |conn| {
        let (current, details) = current::<R>(conn, &key, Some(&user))?;
        if_match.check(&current)?;
        R::may_delete(conn, &user, &current, &details)?;
        if !R::soft_delete(conn, &current)? {
            return Err(ApiError::precondition_failed());
        }
        recording::record_deletion::<R>(conn, &user, &current, &details)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rewrites a record's writable representation on behalf of `user` (erasure): `transform`
/// edits it as JSON and says whether it changed anything; a field the edit left invalid
/// (an e-mail field that now reads `[gelöscht]`) is emptied. Stored as an ordinary update,
/// with a new version and its revision, but without the checks of who may change what:
/// the caller has decided that already. Whether the record changed.
pub fn rewrite<R: Resource>(
    conn: &mut DbConnection,
    user: &AuthUser,
    row: R::Row,
    transform: impl Fn(&mut Value) -> bool,
) -> Result<bool, ApiError> {
    let details = R::details(conn, std::slice::from_ref(&row))?;
    let before = R::canonical(R::input(&row, &details)?);
    let mut value = serde_json::to_value(&before).map_err(ApiError::internal)?;
    if !transform(&mut value) {
        return Ok(false);
    }
    let after = R::canonical(parsed_emptying_invalid::<R::Input>(value)?);
    if round_trip::unchanged(&before, &after) {
        return Ok(false);
    }
    let written = R::update(conn, user, &row, &details, &after, &Default::default())?;
    let (written, written_details) = reloaded::<R>(conn, written)?;
    let before = Before::Row(&row, &details);
    recording::record::<R>(
        conn,
        &Actor::of(user),
        Action::Updated,
        before,
        &written,
        &written_details,
    )?;
    Ok(true)
}

/// `value` parsed as `T`, with each field the parser refuses set to `null` (a few rounds).
fn parsed_emptying_invalid<T: serde::de::DeserializeOwned>(
    mut value: Value,
) -> Result<T, ApiError> {
    for _ in 0..8 {
        match from_value::<T>(value.clone()) {
            Ok(parsed) => return Ok(parsed),
            Err(errors) => {
                for error in errors {
                    set_null(&mut value, &error.field);
                }
            }
        }
    }
    from_value(value).map_err(ApiError::validation)
}

/// Sets the field a path such as `engagement_office.email` or `contacts[0].email` names to
/// `null`.
fn set_null(value: &mut Value, path: &str) {
    let mut at = value;
    let mut parts = path
        .split('.')
        .flat_map(|part| part.split(['[', ']']).filter(|p| !p.is_empty()))
        .peekable();
    while let Some(part) = parts.next() {
        let next = match (at, part.parse::<usize>()) {
            (Value::Array(items), Ok(i)) => items.get_mut(i),
            (Value::Object(fields), _) => fields.get_mut(part),
            _ => None,
        };
        let Some(next) = next else { return };
        if parts.peek().is_none() {
            *next = Value::Null;
            return;
        }
        at = next;
    }
}
