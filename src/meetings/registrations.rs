//! `/api/v1/meetings/{id}/registrations`: the municipalities' registrations for a meeting,
//! one per municipality, keyed by the municipality's UUID, AGS or slug. A registration has
//! its own version; the meeting's capacity is checked under the meeting's lock.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDateTime;
use serde_json::Value;

use super::api::{
    MeetingStatus, NewRegistration, Registration, RegistrationFilter, RegistrationUpdate,
    check_registration,
};
use super::model::{self, MeetingRow};
use super::registration_model::{self, RegistrationRow};
use super::service::live_meeting;
use crate::auth::AuthUser;
use crate::db::{Db, DbConnection, now, utc};
use crate::error::{ApiError, Code, FieldError};
use crate::history::revisions::{self, Action, Actor, Change, Readers};
use crate::http::list::{ListParams, Listed, Page};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged, merge_patch, path_id};
use crate::ids::{MeetingId, MunicipalityId};
use crate::municipalities::resolve_live;
use crate::openapi::responses::*;

/// The registration of `row`'s municipality with its name.
fn shown_registration(
    row: RegistrationRow,
    names: &HashMap<MunicipalityId, String>,
) -> Registration {
    let name = names.get(&row.municipality_id).cloned();
    row.show(name)
}

/// A registration with its ETag.
fn tagged_registration(
    row: RegistrationRow,
    names: &HashMap<MunicipalityId, String>,
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
        return Err(
            ApiError::conflict(format!("attendees {message}")).with_errors(vec![FieldError::new(
                "attendees",
                Code::OutOfRange,
                message,
            )]),
        );
    }
    Ok(())
}

/// The municipality a registration is for: the one named, else an editor's own.
fn registering(user: &AuthUser, named: Option<uuid::Uuid>) -> Result<MunicipalityId, ApiError> {
    match (named, &user.municipality_id) {
        (Some(id), _) => Ok(MunicipalityId::from(id)),
        (None, Some(own)) if !user.is_admin() => Ok(own.clone()),
        _ => Err(ApiError::invalid(
            "municipality_id",
            Code::Required,
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
pub async fn list_registrations(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    query: ListQuery<RegistrationFilter>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<MeetingId>(&id, "meeting")?;
    let only = if user.reads_everything() {
        None
    } else {
        Some(user.municipality_id.clone().ok_or_else(|| {
            ApiError::forbidden(
                "only admins, readers and editors of a municipality see registrations",
            )
        })?)
    };
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let (rows, names, total) = db
        .run(move |conn| {
            let meeting = live_meeting(conn, &id)?;
            let (rows, total) = registration_model::list_registrations(
                conn,
                &meeting.id,
                &paging,
                &filter,
                only.as_ref(),
            )?;
            let names = registration_model::municipality_names(conn, &rows)?;
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
pub async fn create_registration(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<MeetingId>(&id, "meeting")?;
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
    let actor = Actor::of(&user);
    let (row, names) = db
        .transaction(move |conn| {
            model::lock(conn, &id)?;
            let meeting = live_meeting(conn, &id)?;
            if !crate::municipalities::model::exists(conn, &municipality_id)? {
                return Err(ApiError::invalid(
                    "municipality_id",
                    Code::NotFound,
                    "names no municipality",
                ));
            }
            ensure_open(&meeting, now())?;
            if registration_model::find_registration(conn, &meeting.id, &municipality_id)?.is_some()
            {
                let message = "is already registered for this meeting";
                return Err(
                    ApiError::conflict(format!("the municipality {message}")).with_errors(vec![
                        FieldError::new("municipality_id", Code::Duplicate, message),
                    ]),
                );
            }
            let taken = registration_model::registered_attendees(conn, &meeting.id, None)?;
            ensure_places(&meeting, taken, i64::from(attendees))?;
            // A concurrent double registration that slipped past the check above fails on
            // the unique index, which the error mapping answers with 409 too.
            let row = registration_model::insert_registration(
                conn,
                &meeting.id,
                &municipality_id,
                attendees,
                note.clone(),
            )?;
            record(conn, &actor, Action::Created, &row)?;
            let names = registration_model::municipality_names(conn, std::slice::from_ref(&row))?;
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

/// Records a change of a registration in the change feed (registrations are not
/// revisioned); admins and the registered municipality's editors may learn of it.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    row: &RegistrationRow,
) -> Result<(), ApiError> {
    let change = Change {
        collection: "registrations",
        id: row.id.as_str(),
        path: format!(
            "/api/v1/meetings/{}/registrations/{}",
            row.meeting_id, row.municipality_id
        ),
        version: row.version,
        action,
        readers: Readers::Municipalities(vec![row.municipality_id.clone()]),
    };
    revisions::record(conn, actor, change, None)
}

/// The live meeting, the municipality a path segment names (which the caller must act
/// for) and its live registration (404 when there is none).
fn registration_of(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &MeetingId,
    key: &str,
    reading: bool,
) -> Result<(MeetingRow, RegistrationRow), ApiError> {
    let meeting = live_meeting(conn, id)?;
    let municipality = resolve_live(conn, key)?;
    if reading {
        user.require_reading(&municipality.id)?;
    } else {
        user.require_municipality(&municipality.id)?;
    }
    let registration = registration_model::find_registration(conn, &meeting.id, &municipality.id)?
        .ok_or_else(|| {
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
pub async fn get_registration(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let id = path_id::<MeetingId>(&id, "meeting")?;
    let (row, names) = db
        .run(move |conn| {
            let (_, row) = registration_of(conn, &user, &id, &key, true)?;
            let names = registration_model::municipality_names(conn, std::slice::from_ref(&row))?;
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
pub async fn update_registration(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let id = path_id::<MeetingId>(&id, "meeting")?;
    let precheck = (user.clone(), id.clone(), key.clone());
    // Who may change it is known before the body is read.
    db.run(move |conn| {
        let (user, id, key) = precheck;
        registration_of(conn, &user, &id, &key, false).map(|_| ())
    })
    .await?;
    let patch = body.parse::<Value>().await?;
    let (row, names) = db
        .transaction(move |conn| {
            model::lock(conn, &id)?;
            let (meeting, current) = registration_of(conn, &user, &id, &key, false)?;
            if_match.check(&current)?;
            let current_input = RegistrationUpdate {
                attendees: u32::try_from(current.attendees).unwrap_or(1),
                note: current.note.clone(),
            };
            let update: RegistrationUpdate = merge_patch::apply(&current_input, &patch)?;
            check_registration(update.attendees, update.note.as_deref()).finish()?;
            ensure_open(&meeting, now())?;
            let attendees = i32::try_from(update.attendees).unwrap_or(i32::MAX);
            let taken =
                registration_model::registered_attendees(conn, &meeting.id, Some(&current.id))?;
            ensure_places(&meeting, taken, i64::from(attendees))?;
            let note = update
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            let row = registration_model::update_registration(
                conn,
                &current.id,
                current.version,
                attendees,
                note,
            )?
            .ok_or_else(ApiError::precondition_failed)?;
            record(conn, &Actor::of(&user), Action::Updated, &row)?;
            let names = registration_model::municipality_names(conn, std::slice::from_ref(&row))?;
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
pub async fn delete_registration(
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (id, key) = path.into_inner();
    let id = path_id::<MeetingId>(&id, "meeting")?;
    db.transaction(move |conn| {
        let (meeting, current) = registration_of(conn, &user, &id, &key, false)?;
        if_match.check(&current)?;
        // Who came to a meeting is part of its record once it has begun.
        if meeting.status == MeetingStatus::Held || meeting.starts_at <= now() {
            return Err(ApiError::conflict(
                "the meeting has already begun; its registrations can no longer be withdrawn",
            ));
        }
        if !registration_model::withdraw_registration(conn, &current.id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        let withdrawn = RegistrationRow {
            version: current.version + 1,
            ..current
        };
        record(conn, &Actor::of(&user), Action::Deleted, &withdrawn)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
