//! The resource pipeline: the one write path of every versioned resource (create, replace,
//! merge patch, state-changing action, soft delete) and its reads (one, a page), written
//! once. A resource plugs in by implementing [`Resource`]: where its rows are, how it is
//! shown, who may write it and how a checked input is stored. The rules every resource
//! obeys — `If-Match` and body `version` (412), the round trip of API rule 21, unchanged
//! writes keep their version, 404 before 410, the ETag and `Location` of the answer — live
//! here and nowhere else.

pub mod handlers;
pub mod revisions;

use actix_web::HttpResponse;
use diesel::QueryResult;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::PartialSchema;

use crate::auth::AuthUser;
use crate::db::query::Paging;
use crate::db::record::{Record, live};
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::history::revisions::{Action, Actor, Readers};
use crate::http::json::from_value;
use crate::http::list::{Listed, Page};
use crate::http::round_trip::{self, Change};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};

/// A versioned resource as the pipeline sees it. Only the first group of items is required
/// for reading; the writes need the rest.
pub trait Resource: Sized + 'static {
    /// The singular noun in messages: "no such meeting".
    const NAME: &'static str;
    /// The collection path, for `Location`: `/api/v1/meetings`.
    const COLLECTION: &'static str;
    /// The state a new one starts in (rule 21: a `POST` may name it), if it has states.
    const INITIAL_STATUS: Option<&'static str> = None;

    type Row: Record + Clone + Send + 'static;
    /// What is loaded next to the rows (topics, agendas, questions), for many rows at once.
    type Details: Send + 'static;
    /// What `POST` takes: the writable representation, or more (a user's password).
    type New: DeserializeOwned + Clone + Send + 'static;
    /// The writable representation: what `PUT` takes and `PATCH` merges into.
    type Input: Serialize + DeserializeOwned + PartialSchema + Clone + Send + 'static;
    /// The representation `GET` returns.
    type Output: Serialize + Send + 'static;
    type Filter: Send + 'static;
    /// Slow work done before the write transaction from the raw body (hashing a password),
    /// so the transaction holds its lock only for the write.
    type Prepared: Default + Clone + Send + 'static;

    /// The row a path segment names, deleted or not; `None` is 404.
    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<Self::Row>, ApiError>;
    /// The details of `rows`, loaded for all of them at once.
    fn details(conn: &mut DbConnection, rows: &[Self::Row]) -> QueryResult<Self::Details>;
    /// Whether `who` may read this kind of resource at all (401/403 before any lookup).
    fn may_read(_who: Option<&AuthUser>) -> Result<(), ApiError> {
        Ok(())
    }
    /// Whether `who` may know the row exists (a draft may be hidden: 404, not 403).
    fn visible(_row: &Self::Row, _details: &Self::Details, _who: Option<&AuthUser>) -> bool {
        true
    }
    fn show(row: Self::Row, details: &Self::Details, who: Option<&AuthUser>) -> Self::Output;
    /// The row shown with its ETag; a resource whose representation depends on the reader
    /// or on more than its own row says so here.
    fn tagged(
        row: Self::Row,
        details: &Self::Details,
        who: Option<&AuthUser>,
    ) -> Tagged<Self::Output> {
        Tagged::of(row, None, |row| Self::show(row, details, who))
    }
    /// A page of rows (and the number of all that match).
    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &Self::Filter,
        who: Option<&AuthUser>,
    ) -> Result<(Vec<Self::Row>, i64), ApiError>;

    /// The writable representation of a stored row: what `PATCH` merges into.
    fn input(row: &Self::Row, details: &Self::Details) -> Result<Self::Input, ApiError>;
    /// An input in its one canonical form, so that equal meanings compare equal.
    fn canonical(input: Self::Input) -> Self::Input {
        input
    }
    /// Body fields that name other records by a key other than their id (rule 24) replaced
    /// by the id.
    fn resolve_references(_conn: &mut DbConnection, _body: &mut Value) -> Result<(), ApiError> {
        Ok(())
    }
    fn prepare(_body: &Value) -> Result<Self::Prepared, ApiError> {
        Ok(Self::Prepared::default())
    }
    /// The action that moves the resource to `status` (rule 3), for the 409 that names it.
    fn status_action(_status: &str) -> Option<&'static str> {
        None
    }
    fn may_create(user: &AuthUser) -> Result<(), ApiError> {
        user.require_admin()
    }
    fn may_write(
        user: &AuthUser,
        _row: &Self::Row,
        _details: &Self::Details,
    ) -> Result<(), ApiError> {
        user.require_admin()
    }
    /// Checks a change against what only some may change or what may change only in some
    /// states (403 or 409), before the input's own rules.
    fn may_change(
        _user: &AuthUser,
        _current: &Self::Row,
        _before: &Self::Input,
        _after: &Self::Input,
    ) -> Result<(), ApiError> {
        Ok(())
    }
    /// Takes the locks a write needs beyond the row's version (a meeting's registrations).
    fn lock(_conn: &mut DbConnection, _key: &str) -> Result<(), ApiError> {
        Ok(())
    }
    /// Checks and stores a new record.
    fn insert(
        conn: &mut DbConnection,
        user: &AuthUser,
        new: &Self::New,
        prepared: &Self::Prepared,
    ) -> Result<Self::Row, ApiError>;
    /// Checks and stores a changed record; 412 when it is no longer at `current`'s version.
    fn update(
        conn: &mut DbConnection,
        user: &AuthUser,
        current: &Self::Row,
        details: &Self::Details,
        input: &Self::Input,
        prepared: &Self::Prepared,
    ) -> Result<Self::Row, ApiError>;
    /// May `user` delete it (403, or 409 for the last admin)?
    fn may_delete(
        _conn: &mut DbConnection,
        user: &AuthUser,
        row: &Self::Row,
        details: &Self::Details,
    ) -> Result<(), ApiError> {
        Self::may_write(user, row, details)
    }
    /// Makes the row a tombstone if it is still at its version; `false` when it is not.
    fn soft_delete(conn: &mut DbConnection, row: &Self::Row) -> Result<bool, ApiError>;
    /// Brings a tombstone back, at `version`, if it is still at its version (restore).
    fn undelete(
        conn: &mut DbConnection,
        row: &Self::Row,
        version: i32,
    ) -> Result<Option<Self::Row>, ApiError>;

    /// The workflow state, kept in a revision next to the writable fields.
    fn status(_row: &Self::Row) -> Option<&'static str> {
        None
    }
    /// Who may learn of a change to this row (the change feed leaves out the others).
    fn readers(_row: &Self::Row, _details: &Self::Details) -> Readers {
        Readers::Everyone
    }
}

/// The live row `key` names with its details, as `who` may see it: 404 when absent or
/// hidden, 410 when deleted.
pub fn current<R: Resource>(
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
    Ok((live(Some(row), R::NAME)?, details))
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
    user: AuthUser,
    body: ApiJson,
) -> Result<Tagged<R::Output>, ApiError> {
    R::may_create(&user)?;
    let mut body = body.parse::<Value>().await?;
    if let Some(initial) = R::INITIAL_STATUS {
        body = round_trip::creation(body, initial)?;
    }
    let prepared = prepared::<R>(&body).await?;
    let writer = user.clone();
    let (row, details) = db
        .transaction(move |conn| {
            let mut body = body.clone();
            R::resolve_references(conn, &mut body)?;
            let new: R::New = from_value(body).map_err(ApiError::validation)?;
            let row = R::insert(conn, &writer, &new, &prepared)?;
            let (row, details) = reloaded::<R>(conn, row)?;
            revisions::record::<R>(conn, &Actor::of(&writer), Action::Created, &row, &details)?;
            Ok((row, details))
        })
        .await?;
    let location = format!("{}/{}", R::COLLECTION, row.id());
    Ok(R::tagged(row, &details, Some(&user)).created(location))
}

/// `PUT /{collection}/{key}`: the whole writable representation, as `GET` returned it.
pub async fn replace<R: Resource>(
    db: &Db,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<R::Output>, ApiError> {
    may_write::<R>(db, &user, &key).await?;
    let change = Change::Replace(body.parse::<Value>().await?);
    save::<R>(db, user, key, if_match, change).await
}

/// `PATCH /{collection}/{key}`: a JSON merge patch of the writable representation.
pub async fn patch<R: Resource>(
    db: &Db,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<R::Output>, ApiError> {
    may_write::<R>(db, &user, &key).await?;
    let change = Change::Patch(body.parse::<Value>().await?);
    save::<R>(db, user, key, if_match, change).await
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

async fn prepared<R: Resource>(body: &Value) -> Result<R::Prepared, ApiError> {
    let body = body.clone();
    actix_web::web::block(move || R::prepare(&body))
        .await
        .map_err(ApiError::internal)?
}

/// The one way a record changes: in one transaction, checked against `If-Match`, the
/// caller's rights and every rule, written only if nobody changed it in between; a change
/// that changes nothing answers 200 with the version kept.
async fn save<R: Resource>(
    db: &Db,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<R::Output>, ApiError> {
    let body = match &change {
        Change::Replace(body) | Change::Patch(body) => body,
    };
    let prepared = prepared::<R>(body).await?;
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
            if round_trip::unchanged(&before, &after) {
                return Ok((current, details));
            }
            R::may_change(&writer, &current, &before, &after)?;
            let row = R::update(conn, &writer, &current, &details, &after, &prepared)?;
            let (row, details) = reloaded::<R>(conn, row)?;
            revisions::record::<R>(conn, &Actor::of(&writer), Action::Updated, &row, &details)?;
            Ok((row, details))
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
            let (current, _) = current::<R>(conn, &key, Some(&writer))?;
            if_match.check(&current)?;
            let row = action(conn, &current)?.ok_or_else(ApiError::precondition_failed)?;
            let (row, details) = reloaded::<R>(conn, row)?;
            revisions::record::<R>(conn, &Actor::of(&writer), Action::Updated, &row, &details)?;
            Ok((row, details))
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
        revisions::record_deletion::<R>(conn, &key, &user)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
