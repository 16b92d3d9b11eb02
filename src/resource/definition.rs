//! What a resource plugs into the pipeline: the [`Resource`] trait.

use diesel::QueryResult;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::PartialSchema;

use crate::auth::AuthUser;
use crate::config::Policy;
use crate::db::DbConnection;
use crate::db::query::Paging;
use crate::db::record::Record;
use crate::error::ApiError;
use crate::history::revisions::Readers;
use crate::http::Tagged;

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
    /// The answer to a creation: the row as `tagged` shows it, unless the creator is shown
    /// something once that no later read shows (a webhook's secret).
    fn created(
        row: Self::Row,
        details: &Self::Details,
        who: Option<&AuthUser>,
    ) -> Tagged<Self::Output> {
        Self::tagged(row, details, who)
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
    /// The input a write stores, from the one it replaces (`before`) and the one the client
    /// sent (`after`, canonical): where what a field means depends on what is stored (a
    /// contact's consent, matched by id), it is spelled out here, before "unchanged" is
    /// decided.
    fn settled(_before: &Self::Input, after: Self::Input) -> Self::Input {
        after
    }
    /// The input a restore stores, from the current one and the revision's (`wanted`).
    fn restorable(before: &Self::Input, wanted: Self::Input) -> Self::Input {
        Self::settled(before, wanted)
    }
    /// Body fields that name other records by a key other than their id (rule 24) replaced
    /// by the id.
    fn resolve_references(_conn: &mut DbConnection, _body: &mut Value) -> Result<(), ApiError> {
        Ok(())
    }
    /// Also where a write is checked against the deployment's `policy` (which addresses a
    /// webhook may reach).
    fn prepare(_body: &Value, _policy: &Policy) -> Result<Self::Prepared, ApiError> {
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
