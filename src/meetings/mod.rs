//! `/api/v1/meetings`: the network's meetings (Netzwerktreffen, Spitzentreffen, workshops,
//! digital short formats) with their agendas, the municipalities' registrations for them,
//! and the iCalendar feeds that municipal websites and calendar programs subscribe to.
//!
//! The network office (admin) plans, changes, cancels and deletes meetings; `held` is set
//! by `POST /meetings/{id}/hold` once a meeting has started. An editor registers their own
//! municipality; an admin any. The online link is for authenticated callers only.

pub mod api;
pub mod ics;
pub mod model;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::NaiveDateTime;
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{
    Meeting, MeetingFilter, MeetingInput, MeetingStatus, NewRegistration, Registration,
    RegistrationFilter, RegistrationUpdate, check_registration,
};
use self::model::{Details, MeetingRow, MeetingValues, RegistrationRow};
use crate::auth::{AuthUser, MaybeUser};
use crate::db::{Db, DbConnection, new_id, now, utc};
use crate::error::{ApiError, FieldError};
use crate::http::conditional::computed;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::record::{Record, live};
use crate::http::round_trip::{self, Change};
use crate::http::{ApiJson, IfMatch, LenientQuery, ListQuery, Tagged, merge_patch, path_id};
use crate::municipalities::resolve_live;
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_meetings)
        .service(create_meeting)
        .service(meetings_feed)
        .service(meeting_calendar)
        .service(cancel_meeting)
        .service(hold_meeting)
        .service(list_registrations)
        .service(create_registration)
        .service(get_registration)
        .service(update_registration)
        .service(delete_registration)
        .service(get_meeting)
        .service(replace_meeting)
        .service(update_meeting)
        .service(delete_meeting);
}

/// A meeting with the moment it or one of its registrations last changed, which is its
/// `Last-Modified`: the registration figures are part of what a reader sees.
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

/// A meeting with its ETag; `members` is false for anonymous readers.
fn tagged(row: MeetingRow, details: &Details, members: bool) -> Tagged<Meeting> {
    let view = details.view(&row.id, members);
    let last_change = details.last_change(&row);
    Tagged::of(Shown { row, last_change }, Some(view.as_str()), |shown| {
        details.show(shown.row, members)
    })
}

/// The live meeting a path names (404 or 410 otherwise).
fn live_meeting(conn: &mut DbConnection, id: &str) -> Result<MeetingRow, ApiError> {
    live(model::find(conn, id)?, "meeting")
}

/// 400 when the window of a list or feed is empty by construction.
fn check_window(filter: &MeetingFilter) -> Result<(), ApiError> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if to < from => {
            Err(ApiError::bad_parameter("to", "must not be before from"))
        }
        _ => Ok(()),
    }
}

/// List meetings.
///
/// Ordered by `starts_at` (the earliest first) unless `sort` says otherwise; sortable by
/// `starts_at` and `updated_at`. `from` and `to` take a date or an RFC 3339 timestamp and
/// select the meetings whose `starts_at` lies in `[from, to]` (a date as `to` includes its
/// whole day). Anonymous readers do not see `online_url`.
#[utoipa::path(
    tag = "meetings",
    params(ListParams, MeetingFilter),
    responses(
        (status = 200, description = "A page of meetings.", body = Page<Listed<Meeting>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/meetings")]
async fn list_meetings(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<MeetingFilter>,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { paging, filter } = query;
    check_window(&filter)?;
    let page_paging = paging.clone();
    let members = user.0.is_some();
    let (rows, details, total) = db
        .run(move |conn| {
            let (rows, total) = model::list(conn, &paging, &filter)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, model::load_details(conn, &ids)?, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, |row| details.show(row, members)))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
}

/// Read a meeting.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id.")),
    responses(
        (status = 200, description = "The meeting; `online_url` only for authenticated callers.", body = Meeting, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, NotFound, Gone, Unavailable
    )
)]
#[get("/meetings/{id}")]
async fn get_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "meeting")?;
    let members = user.0.is_some();
    let (row, details) = db
        .run(move |conn| {
            let row = live_meeting(conn, &id)?;
            let details = model::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok((row, details))
        })
        .await?;
    tagged(row, &details, members).respond(&req)
}

/// Plan a meeting (admin).
///
/// A new meeting is `planned`. `in_person` and `hybrid` meetings need a `venue`, `online`
/// and `hybrid` ones an `online_url`; `ends_at` lies after `starts_at`, the registration
/// deadline not after it.
#[utoipa::path(
    tag = "meetings",
    request_body = MeetingInput,
    responses(
        (status = 201, description = "The planned meeting.", body = Meeting, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/meetings")]
async fn create_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let input: MeetingInput =
        crate::municipalities::references::parse(&db, body, Some("planned")).await?;
    let (row, details) = db.transaction(move |conn| create(conn, &input)).await?;
    let location = format!("/api/v1/meetings/{}", row.id);
    tagged(row, &details, true).created(location).respond(&req)
}

/// Validates and stores a new meeting (used by the API and the demo data).
pub fn create(
    conn: &mut DbConnection,
    input: &MeetingInput,
) -> Result<(MeetingRow, Details), ApiError> {
    let values = checked_values(conn, input)?;
    let id = new_id();
    let row = model::insert(conn, &id, &values)?;
    model::replace_parts(conn, &id, input)?;
    let details = model::load_details(conn, std::slice::from_ref(&id))?;
    Ok((row, details))
}

/// Checks an input against every rule, its host included, and returns what to store.
fn checked_values(
    conn: &mut DbConnection,
    input: &MeetingInput,
) -> Result<MeetingValues, ApiError> {
    let host_known = match input.host_municipality_id {
        Some(id) => Some(crate::municipalities::model::exists(conn, &id.to_string())?),
        None => None,
    };
    input.check(host_known).finish()?;
    Ok(MeetingValues::from_input(input))
}

/// Replace a meeting's writable fields (admin).
///
/// `status` is read-only (use `cancel` and `hold`). `capacity` cannot fall below the
/// attendees already registered (409).
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body = MeetingInput,
    responses(
        (status = 200, description = "The updated meeting.", body = Meeting, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/meetings/{id}")]
async fn replace_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "meeting")?;
    let change = Change::Replace(
        crate::municipalities::references::resolved(&db, body.parse::<Value>().await?).await?,
    );
    save(&db, id, if_match, change).await?.respond(&req)
}

/// Change some of a meeting's fields (admin; JSON merge patch).
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body(content = MeetingInput, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of the writable fields."),
    responses(
        (status = 200, description = "The updated meeting.", body = Meeting, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[patch("/meetings/{id}")]
async fn update_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "meeting")?;
    let patch =
        crate::municipalities::references::resolved(&db, body.parse::<Value>().await?).await?;
    save(&db, id, if_match, Change::Patch(patch))
        .await?
        .respond(&req)
}

/// The action that moves a meeting to `status` (rule 3).
fn status_action(status: &str) -> Option<&'static str> {
    match status {
        "cancelled" => Some("POST /api/v1/meetings/{id}/cancel"),
        "held" => Some("POST /api/v1/meetings/{id}/hold"),
        _ => None,
    }
}

/// The one way a meeting's fields change: in one transaction, checked against `If-Match`
/// and every rule, written only if nobody changed it in between.
async fn save(
    db: &Db,
    id: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<Meeting>, ApiError> {
    let (row, details) = db
        .transaction(move |conn| {
            // Registrations take this lock too: the capacity check below sees them all.
            model::lock(conn, &id)?;
            let current = live_meeting(conn, &id)?;
            if_match.check(&current)?;
            let current_details = model::load_details(conn, std::slice::from_ref(&current.id))?;
            let current_input = current_details.input(&current);
            let shown = serde_json::to_value(current_details.show(current.clone(), true))
                .map_err(ApiError::internal)?;
            let input = change.input(&current_input, &shown, status_action)?;
            if round_trip::unchanged(&current_input, &input) {
                return Ok((current, current_details));
            }
            let values = checked_values(conn, &input)?;
            let registered = current_details.tally(&current.id).attendees;
            if let Some(capacity) = input.capacity
                && i64::from(capacity) < registered
            {
                let message =
                    format!("must be at least {registered}, the attendees already registered");
                return Err(ApiError::conflict(format!("capacity {message}"))
                    .with_errors(vec![FieldError::new("capacity", message)]));
            }
            let row = model::update(conn, &current.id, current.version, &values)?
                .ok_or_else(ApiError::precondition_failed)?;
            model::replace_parts(conn, &row.id, &input)?;
            let details = model::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok((row, details))
        })
        .await?;
    Ok(tagged(row, &details, true))
}

/// Delete a meeting (admin; soft: it becomes a tombstone).
///
/// To call a meeting off, cancel it instead: a cancelled meeting stays visible, and
/// subscribed calendars remove it.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on.")),
    responses(
        (status = 204, description = "Deleted."),
        BadRequest, Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/meetings/{id}")]
async fn delete_meeting(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "meeting")?;
    db.transaction(move |conn| {
        let current = live_meeting(conn, &id)?;
        if_match.check(&current)?;
        if !model::soft_delete(conn, &current.id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel a meeting (admin).
///
/// A state change: the meeting stays readable with status `cancelled`, its calendar events
/// say `STATUS:CANCELLED`, and registrations are refused. 409 when it is already cancelled
/// or has been held.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    responses(
        (status = 200, description = "The cancelled meeting.", body = Meeting, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/meetings/{id}/cancel")]
async fn cancel_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "meeting")?;
    change_status(&db, id, if_match, MeetingStatus::Cancelled)
        .await?
        .respond(&req)
}

/// Mark a meeting as held (admin).
///
/// A state change, allowed once the meeting has started; 409 before that, and for a
/// cancelled meeting or one already marked as held.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    responses(
        (status = 200, description = "The meeting, now held.", body = Meeting, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/meetings/{id}/hold")]
async fn hold_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "meeting")?;
    change_status(&db, id, if_match, MeetingStatus::Held)
        .await?
        .respond(&req)
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

async fn change_status(
    db: &Db,
    id: String,
    if_match: IfMatch,
    target: MeetingStatus,
) -> Result<Tagged<Meeting>, ApiError> {
    let (row, details) = db
        .transaction(move |conn| {
            let current = live_meeting(conn, &id)?;
            if_match.check(&current)?;
            if let Some(reason) = refused_transition(&current, target) {
                return Err(ApiError::conflict(reason));
            }
            let row = model::set_status(conn, &current.id, current.version, target)?
                .ok_or_else(ApiError::precondition_failed)?;
            let details = model::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok((row, details))
        })
        .await?;
    Ok(tagged(row, &details, true))
}

/// An iCalendar body with a content ETag, 304 when the client has it.
fn calendar_response(req: &HttpRequest, filename: &str, body: String) -> HttpResponse {
    let disposition = format!("inline; filename=\"{filename}\"");
    computed(req, ics::CONTENT_TYPE, Some(disposition), body.into_bytes())
}

/// The network's meetings as an iCalendar feed.
///
/// RFC 5545, for calendar subscriptions. Takes the list's filters and is never paginated;
/// without `from` it holds the meetings that start from 30 days ago onward. Cancelled
/// meetings stay in it for 30 days after their cancellation, marked `STATUS:CANCELLED`, so
/// subscribed calendars remove them. Times are given in Europe/Berlin; each event's UID is
/// `<meeting id>@engagiert` and its `SEQUENCE` grows with the meeting's version. The online
/// link is included for authenticated callers only.
#[utoipa::path(
    tag = "feeds",
    params(MeetingFilter),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) calendar with one event per meeting.", content_type = "text/calendar", body = String, headers(("ETag" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/feeds/meetings.ics")]
async fn meetings_feed(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    filter: LenientQuery<MeetingFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    check_window(&filter)?;
    let members = user.0.is_some();
    let meetings = db
        .run(move |conn| {
            let rows = model::feed(conn, &filter, now())?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let details = model::load_details(conn, &ids)?;
            Ok(rows
                .into_iter()
                .map(|row| details.show(row, members))
                .collect::<Vec<Meeting>>())
        })
        .await?;
    let body = ics::calendar("Kommunen-Netzwerk engagiert in NRW: Treffen", &meetings);
    Ok(calendar_response(&req, "meetings.ics", body))
}

/// One meeting as an iCalendar file.
///
/// For "add to calendar" links. Answers for every meeting that is not deleted, cancelled
/// ones included (with `STATUS:CANCELLED`). The online link is included for authenticated
/// callers only.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id.")),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) calendar with the meeting's event.", content_type = "text/calendar", body = String, headers(("ETag" = String))),
        NotModified, Unauthorized, NotFound, Gone, Unavailable
    )
)]
#[get("/meetings/{id}/calendar.ics")]
async fn meeting_calendar(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "meeting")?;
    let members = user.0.is_some();
    let meeting = db
        .run(move |conn| {
            let row = live_meeting(conn, &id)?;
            let details = model::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok(details.show(row, members))
        })
        .await?;
    let filename = format!("meeting-{}.ics", meeting.id);
    let body = ics::calendar(&meeting.title, std::slice::from_ref(&meeting));
    Ok(calendar_response(&req, &filename, body))
}

/// The registration of `row`'s municipality with its name.
fn shown_registration(row: RegistrationRow, names: &HashMap<String, String>) -> Registration {
    let name = names.get(&row.municipality_id).cloned();
    row.show(name)
}

/// A registration with its ETag.
fn tagged_registration(
    row: RegistrationRow,
    names: &HashMap<String, String>,
) -> Tagged<Registration> {
    Tagged::of(row, None, |row| shown_registration(row, names))
}

/// 409 unless the meeting takes registrations (and changes to them) at `at`.
fn ensure_open(meeting: &MeetingRow, at: NaiveDateTime) -> Result<(), ApiError> {
    if meeting.status == MeetingStatus::Cancelled {
        return Err(ApiError::conflict("the meeting has been cancelled"));
    }
    if meeting.status == MeetingStatus::Held || meeting.starts_at <= at {
        return Err(ApiError::conflict(
            "the meeting has already begun; registrations are closed",
        ));
    }
    if let Some(deadline) = meeting.registration_deadline
        && at > deadline
    {
        return Err(ApiError::conflict(format!(
            "the registration deadline ({}) has passed",
            utc(deadline).format("%Y-%m-%dT%H:%M:%SZ")
        )));
    }
    Ok(())
}

/// 409 when `attendees` more would exceed the capacity, `taken` being registered already.
fn ensure_places(meeting: &MeetingRow, taken: i64, attendees: i64) -> Result<(), ApiError> {
    let Some(capacity) = meeting.capacity else {
        return Ok(());
    };
    let left = (i64::from(capacity) - taken).max(0);
    if attendees > left {
        let message = format!("exceeds the places left ({left} of {capacity})");
        return Err(ApiError::conflict(format!("attendees {message}"))
            .with_errors(vec![FieldError::new("attendees", message)]));
    }
    Ok(())
}

/// The municipality a registration is for: the one named, else an editor's own.
fn registering(user: &AuthUser, named: Option<uuid::Uuid>) -> Result<String, ApiError> {
    match (named, &user.municipality_id) {
        (Some(id), _) => Ok(id.to_string()),
        (None, Some(own)) if !user.is_admin() => Ok(own.clone()),
        _ => Err(ApiError::invalid(
            "municipality_id",
            "is required (only an editor's own municipality is implied)",
        )),
    }
}

/// List a meeting's registrations.
///
/// Admins see every registration; an editor sees only their own municipality's.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ListParams, RegistrationFilter),
    responses(
        (status = 200, description = "A page of registrations.", body = Page<Listed<Registration>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/meetings/{id}/registrations")]
async fn list_registrations(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    query: ListQuery<RegistrationFilter>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "meeting")?;
    let only = if user.is_admin() {
        None
    } else {
        Some(user.municipality_id.clone().ok_or_else(|| {
            ApiError::forbidden("only admins and editors of a municipality see registrations")
        })?)
    };
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let (rows, names, total) = db
        .run(move |conn| {
            let meeting = live_meeting(conn, &id)?;
            let (rows, total) =
                model::list_registrations(conn, &meeting.id, &paging, &filter, only.as_deref())?;
            let names = model::municipality_names(conn, &rows)?;
            Ok((rows, names, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, |row| shown_registration(row, &names)))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
}

/// Register a municipality for a meeting.
///
/// By an editor of that municipality (who may leave `municipality_id` out) or an admin.
/// One registration per municipality. Refused with 409 for a cancelled meeting, one that
/// has begun, after the registration deadline, for a municipality already registered, and
/// when the attendees would exceed the capacity.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id.")),
    request_body = NewRegistration,
    responses(
        (status = 201, description = "The registration.", body = Registration, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/meetings/{id}/registrations")]
async fn create_registration(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "meeting")?;
    if !user.is_admin() && user.municipality_id.is_none() {
        return Err(ApiError::forbidden(
            "only admins and editors of a municipality register for meetings",
        ));
    }
    let input: NewRegistration = crate::municipalities::references::parse(&db, body, None).await?;
    let municipality_id = registering(&user, input.municipality_id)?;
    user.require_municipality(&municipality_id)?;
    check_registration(input.attendees, input.note.as_deref()).finish()?;
    let attendees = i32::try_from(input.attendees).unwrap_or(i32::MAX);
    let note = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let (row, names) = db
        .transaction(move |conn| {
            model::lock(conn, &id)?;
            let meeting = live_meeting(conn, &id)?;
            if !crate::municipalities::model::exists(conn, &municipality_id)? {
                return Err(ApiError::invalid(
                    "municipality_id",
                    "names no municipality",
                ));
            }
            ensure_open(&meeting, now())?;
            if model::find_registration(conn, &meeting.id, &municipality_id)?.is_some() {
                let message = "is already registered for this meeting";
                return Err(ApiError::conflict(format!("the municipality {message}"))
                    .with_errors(vec![FieldError::new("municipality_id", message)]));
            }
            let taken = model::registered_attendees(conn, &meeting.id, None)?;
            ensure_places(&meeting, taken, i64::from(attendees))?;
            // A concurrent double registration that slipped past the check above fails on
            // the unique index, which the error mapping answers with 409 too.
            let row = model::insert_registration(
                conn,
                &meeting.id,
                &municipality_id,
                attendees,
                note.clone(),
            )?;
            let names = model::municipality_names(conn, std::slice::from_ref(&row))?;
            Ok((row, names))
        })
        .await?;
    let location = format!(
        "/api/v1/meetings/{}/registrations/{}",
        row.meeting_id, row.municipality_id
    );
    tagged_registration(row, &names)
        .created(location)
        .respond(&req)
}

/// The live meeting, the municipality a path segment names (which the caller must act
/// for) and its live registration (404 when there is none).
fn registration_of(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    key: &str,
) -> Result<(MeetingRow, RegistrationRow), ApiError> {
    let meeting = live_meeting(conn, id)?;
    let municipality = resolve_live(conn, key)?;
    user.require_municipality(&municipality.id)?;
    let registration =
        model::find_registration(conn, &meeting.id, &municipality.id)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "{} is not registered for this meeting",
                municipality.name
            ))
        })?;
    Ok((meeting, registration))
}

/// Read a municipality's registration.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("municipality_id" = String, Path, description = "The municipality's UUID, AGS or slug.", example = "unna")),
    responses(
        (status = 200, description = "The registration.", body = Registration, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/meetings/{id}/registrations/{municipality_id}")]
async fn get_registration(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let id = path_id(&id, "meeting")?;
    let (row, names) = db
        .run(move |conn| {
            let (_, row) = registration_of(conn, &user, &id, &key)?;
            let names = model::municipality_names(conn, std::slice::from_ref(&row))?;
            Ok((row, names))
        })
        .await?;
    tagged_registration(row, &names).respond(&req)
}

/// Change a municipality's registration (JSON merge patch).
///
/// By an editor of that municipality or an admin, under the same conditions as registering
/// (409 once the meeting is cancelled or has begun, after the deadline, or beyond the
/// capacity). Changes the registration's version, not the meeting's.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("municipality_id" = String, Path, description = "The municipality's UUID, AGS or slug."), ("If-Match" = Option<String>, Header, description = "The registration's ETag the change is based on.")),
    request_body(content = RegistrationUpdate, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of `attendees` and `note`."),
    responses(
        (status = 200, description = "The changed registration.", body = Registration, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[patch("/meetings/{id}/registrations/{municipality_id}")]
async fn update_registration(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let id = path_id(&id, "meeting")?;
    let precheck = (user.clone(), id.clone(), key.clone());
    // Who may change it is known before the body is read.
    db.run(move |conn| {
        let (user, id, key) = precheck;
        registration_of(conn, &user, &id, &key).map(|_| ())
    })
    .await?;
    let patch = body.parse::<Value>().await?;
    let (row, names) = db
        .transaction(move |conn| {
            model::lock(conn, &id)?;
            let (meeting, current) = registration_of(conn, &user, &id, &key)?;
            if_match.check(&current)?;
            let current_input = RegistrationUpdate {
                attendees: u32::try_from(current.attendees).unwrap_or(1),
                note: current.note.clone(),
            };
            let update: RegistrationUpdate = merge_patch::apply(&current_input, &patch)?;
            check_registration(update.attendees, update.note.as_deref()).finish()?;
            ensure_open(&meeting, now())?;
            let attendees = i32::try_from(update.attendees).unwrap_or(i32::MAX);
            let taken = model::registered_attendees(conn, &meeting.id, Some(&current.id))?;
            ensure_places(&meeting, taken, i64::from(attendees))?;
            let note = update
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            let row =
                model::update_registration(conn, &current.id, current.version, attendees, note)?
                    .ok_or_else(ApiError::precondition_failed)?;
            let names = model::municipality_names(conn, std::slice::from_ref(&row))?;
            Ok((row, names))
        })
        .await?;
    tagged_registration(row, &names).respond(&req)
}

/// Withdraw a municipality's registration.
///
/// By an editor of that municipality or an admin, until the meeting begins (409 after). 404
/// when the municipality is not registered.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "The meeting's id."), ("municipality_id" = String, Path, description = "The municipality's UUID, AGS or slug."), ("If-Match" = Option<String>, Header, description = "The registration's ETag the withdrawal is based on.")),
    responses(
        (status = 204, description = "Withdrawn."),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/meetings/{id}/registrations/{municipality_id}")]
async fn delete_registration(
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let id = path_id(&id, "meeting")?;
    db.transaction(move |conn| {
        let (meeting, current) = registration_of(conn, &user, &id, &key)?;
        if_match.check(&current)?;
        // Who came to a meeting is part of its record once it has begun.
        if meeting.status == MeetingStatus::Held || meeting.starts_at <= now() {
            return Err(ApiError::conflict(
                "the meeting has already begun; its registrations can no longer be withdrawn",
            ));
        }
        if !model::withdraw_registration(conn, &current.id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
