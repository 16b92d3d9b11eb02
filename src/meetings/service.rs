//! What a meeting is as a resource of the pipeline (`crate::resource`), and its workflow:
//! planned → cancelled, planned → held once it has started.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Value;

use super::api::{Meeting, MeetingFilter, MeetingInput, MeetingStatus};
use super::details::{self, Details};
use super::model::{self, MeetingRow, MeetingValues};
use crate::auth::AuthUser;
use crate::db::query::Paging;
use crate::db::record::{Record, live};
use crate::db::{DbConnection, now};
use crate::error::{ApiError, Code, FieldError};
use crate::http::{Tagged, path_id};
use crate::ids::{MeetingId, MunicipalityId};
use crate::resource::Resource;

pub struct Meetings;

impl Resource for Meetings {
    const NAME: &'static str = "meeting";
    const COLLECTION: &'static str = "/api/v1/meetings";
    const INITIAL_STATUS: Option<&'static str> = Some("planned");

    type Row = MeetingRow;
    type Details = Details;
    type New = MeetingInput;
    type Input = MeetingInput;
    type Output = Meeting;
    type Filter = MeetingFilter;
    type Prepared = ();

    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<MeetingRow>, ApiError> {
        Ok(model::find(conn, &path_id(key, Self::NAME)?)?)
    }

    fn details(conn: &mut DbConnection, rows: &[Self::Row]) -> QueryResult<Details> {
        let ids: Vec<_> = rows.iter().map(|row| row.id.clone()).collect();
        details::load_details(conn, &ids)
    }

    /// The online link is for authenticated readers only.
    fn show(row: MeetingRow, details: &Details, who: Option<&AuthUser>) -> Meeting {
        details.show(row, who.is_some())
    }

    /// Its ETag and `Last-Modified` follow the registrations too: their figures are part of
    /// what a reader sees.
    fn tagged(row: MeetingRow, details: &Details, who: Option<&AuthUser>) -> Tagged<Meeting> {
        let members = who.is_some();
        let view = details.view(&row.id, members);
        let last_change = details.last_change(&row);
        Tagged::of(Shown { row, last_change }, Some(view.as_str()), |shown| {
            details.show(shown.row, members)
        })
    }

    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &MeetingFilter,
        _who: Option<&AuthUser>,
    ) -> Result<(Vec<MeetingRow>, i64), ApiError> {
        check_window(filter)?;
        Ok(model::list(conn, paging, filter)?)
    }

    fn input(row: &MeetingRow, details: &Details) -> Result<MeetingInput, ApiError> {
        Ok(details.input(row))
    }

    fn resolve_references(conn: &mut DbConnection, body: &mut Value) -> Result<(), ApiError> {
        crate::municipalities::references::resolve(conn, body)
    }

    fn status_action(status: &str) -> Option<&'static str> {
        match status {
            "cancelled" => Some("POST /api/v1/meetings/{id}/cancel"),
            "held" => Some("POST /api/v1/meetings/{id}/hold"),
            _ => None,
        }
    }

    /// Registrations take this lock too: the capacity check sees them all.
    fn lock(conn: &mut DbConnection, key: &str) -> Result<(), ApiError> {
        Ok(model::lock(conn, &path_id(key, Self::NAME)?)?)
    }

    fn insert(
        conn: &mut DbConnection,
        _user: &AuthUser,
        input: &MeetingInput,
        _: &(),
    ) -> Result<MeetingRow, ApiError> {
        create(conn, input)
    }

    /// `capacity` cannot fall below the attendees already registered (409).
    fn update(
        conn: &mut DbConnection,
        _user: &AuthUser,
        current: &MeetingRow,
        details: &Details,
        input: &MeetingInput,
        _: &(),
    ) -> Result<MeetingRow, ApiError> {
        let values = checked_values(conn, input)?;
        let registered = details.tally(&current.id).attendees;
        if let Some(capacity) = input.capacity
            && i64::from(capacity) < registered
        {
            let message =
                format!("must be at least {registered}, the attendees already registered");
            return Err(ApiError::conflict(format!("capacity {message}"))
                .with_errors(vec![FieldError::new("capacity", Code::OutOfRange, message)]));
        }
        let row = model::update(conn, &current.id, current.version, &values)?
            .ok_or_else(ApiError::precondition_failed)?;
        model::replace_parts(conn, &row.id, input)?;
        Ok(row)
    }

    fn status(row: &MeetingRow) -> Option<&'static str> {
        Some(row.status.as_str())
    }

    fn undelete(
        conn: &mut DbConnection,
        row: &MeetingRow,
        version: i32,
    ) -> Result<Option<MeetingRow>, ApiError> {
        Ok(model::undelete(conn, &row.id, row.version, version)?)
    }

    fn soft_delete(conn: &mut DbConnection, row: &MeetingRow) -> Result<bool, ApiError> {
        Ok(model::soft_delete(conn, &row.id, row.version)?)
    }
}

/// A meeting with the moment it or one of its registrations last changed, which is its
/// `Last-Modified`.
struct Shown {
    row: MeetingRow,
    last_change: NaiveDateTime,
}

impl Record for Shown {
    fn id(&self) -> &str {
        &self.row.id
    }
    fn version(&self) -> i32 {
        self.row.version
    }
    fn updated_at(&self) -> NaiveDateTime {
        self.last_change
    }
    fn deleted_at(&self) -> Option<NaiveDateTime> {
        self.row.deleted_at
    }
}

/// The live meeting a path names (404 or 410 otherwise).
pub fn live_meeting(conn: &mut DbConnection, id: &MeetingId) -> Result<MeetingRow, ApiError> {
    live(model::find(conn, id)?, "meeting")
}

/// 400 when the window of a list or feed is empty by construction.
pub fn check_window(filter: &MeetingFilter) -> Result<(), ApiError> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if to < from => Err(ApiError::bad_parameter(
            "to",
            Code::OutOfRange,
            "must not be before from",
        )),
        _ => Ok(()),
    }
}

/// Validates and stores a new meeting (the API and the demo data).
pub fn create(conn: &mut DbConnection, input: &MeetingInput) -> Result<MeetingRow, ApiError> {
    let values = checked_values(conn, input)?;
    let id = MeetingId::new();
    let row = model::insert(conn, &id, &values)?;
    model::replace_parts(conn, &id, input)?;
    Ok(row)
}

/// Checks an input against every rule, its host included, and returns what to store.
fn checked_values(
    conn: &mut DbConnection,
    input: &MeetingInput,
) -> Result<MeetingValues, ApiError> {
    let host_known = match input.host_municipality_id {
        Some(id) => Some(crate::municipalities::model::exists(
            conn,
            &MunicipalityId::from(id),
        )?),
        None => None,
    };
    input.check(host_known).finish()?;
    Ok(MeetingValues::from_input(input))
}

/// The state change to `target` if the workflow allows it (409 naming why not); `None` when
/// someone changed the meeting first (412).
pub fn change_status(
    conn: &mut DbConnection,
    current: &MeetingRow,
    target: MeetingStatus,
) -> Result<Option<MeetingRow>, ApiError> {
    if let Some(reason) = refused_transition(current, target) {
        return Err(ApiError::conflict(reason));
    }
    Ok(model::set_status(
        conn,
        &current.id,
        current.version,
        target,
    )?)
}

/// Why a meeting in `current` state cannot become `target`, if it cannot.
fn refused_transition(current: &MeetingRow, target: MeetingStatus) -> Option<&'static str> {
    match (current.status, target) {
        (MeetingStatus::Cancelled, MeetingStatus::Cancelled) => {
            Some("the meeting is already cancelled")
        }
        (MeetingStatus::Held, MeetingStatus::Cancelled) => {
            Some("a meeting that has been held cannot be cancelled")
        }
        (MeetingStatus::Held, MeetingStatus::Held) => Some("the meeting is already marked as held"),
        (MeetingStatus::Cancelled, MeetingStatus::Held) => {
            Some("a cancelled meeting cannot be marked as held")
        }
        (MeetingStatus::Planned, MeetingStatus::Held) if current.starts_at > now() => {
            Some("a meeting can be marked as held only once it has started")
        }
        (_, MeetingStatus::Planned) => Some("a meeting cannot return to planned"),
        _ => None,
    }
}
