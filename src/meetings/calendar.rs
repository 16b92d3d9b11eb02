//! The meetings as iCalendar: the feed calendars subscribe to and one meeting's file for
//! "add to calendar" links. The rendering is in `ics.rs`.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::api::{Meeting, MeetingFilter};
use super::details;
use super::ics;
use super::model;
use super::service::{check_window, live_meeting};
use crate::auth::MaybeUser;
use crate::db::{Db, now};
use crate::error::ApiError;
use crate::http::conditional::computed;
use crate::http::{LenientQuery, path_id};
use crate::ids::MeetingId;
use crate::openapi::responses::*;

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
pub async fn meetings_feed(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    public_url: web::Data<crate::config::PublicUrl>,
    filter: LenientQuery<MeetingFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    check_window(&filter)?;
    let members = user.0.is_some();
    let meetings = db
        .run(move |conn| {
            let rows = model::feed(conn, &filter, now())?;
            let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
            let details = details::load_details(conn, &ids)?;
            Ok(rows
                .into_iter()
                .map(|row| details.show(row, members))
                .collect::<Vec<Meeting>>())
        })
        .await?;
    let body = ics::calendar(
        "Kommunen-Netzwerk engagiert in NRW: Treffen",
        &meetings,
        public_url.as_str(),
    );
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
pub async fn meeting_calendar(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    public_url: web::Data<crate::config::PublicUrl>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<MeetingId>(&id, "meeting")?;
    let members = user.0.is_some();
    let meeting = db
        .run(move |conn| {
            let row = live_meeting(conn, &id)?;
            let details = details::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok(details.show(row, members))
        })
        .await?;
    let filename = format!("meeting-{}.ics", meeting.id);
    let body = ics::calendar(
        &meeting.title,
        std::slice::from_ref(&meeting),
        public_url.as_str(),
    );
    Ok(calendar_response(&req, &filename, body))
}
