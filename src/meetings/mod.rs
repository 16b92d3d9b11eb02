//! `/api/v1/meetings`: the network's meetings (Netzwerktreffen, Spitzentreffen, workshops,
//! digital short formats) with their agendas, the municipalities' registrations for them,
//! and the iCalendar feeds that municipal websites and calendar programs subscribe to.
//!
//! The network office (admin) plans, changes, cancels and deletes meetings; `held` is set
//! by `POST /meetings/{id}/hold` once a meeting has started. An editor registers their own
//! municipality; an admin any. The online link is for authenticated callers only.

pub mod api;
pub mod calendar;
pub mod details;
pub mod ics;
pub mod model;
pub mod registration_model;
pub mod registrations;
pub mod service;

use actix_web::{delete, get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Meeting, MeetingFilter, MeetingInput, MeetingStatus};
use self::service::{Meetings, change_status};
use crate::http::list::{Listed, Page};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_meetings)
        .service(create_meeting)
        .service(calendar::meetings_feed)
        .service(calendar::meeting_calendar)
        .service(cancel_meeting)
        .service(hold_meeting)
        .service(registrations::list_registrations)
        .service(registrations::create_registration)
        .service(registrations::get_registration)
        .service(registrations::update_registration)
        .service(registrations::delete_registration)
        .service(get_meeting)
        .service(replace_meeting)
        .service(update_meeting)
        .service(delete_meeting)
        .service(list_meeting_revisions)
        .service(get_meeting_revision)
        .service(restore_meeting_revision);
}

crate::versioned_handlers! {
    resource: Meetings,
    output: Meeting,
    new: MeetingInput,
    input: MeetingInput,
    tag: "meetings",
    collection: "/meetings",
    item: "/meetings/{id}",
    read_id: ("id" = String, Path, description = "The meeting's id."),
    id: ("id" = String, Path, description = "The meeting's id."),
    list: {
        /// List meetings.
        ///
        /// Ordered by `starts_at` (the earliest first) unless `sort` says otherwise; sortable by
        /// `starts_at` and `updated_at`. `from` and `to` take a date or an RFC 3339 timestamp and
        /// select the meetings whose `starts_at` lies in `[from, to]` (a date as `to` includes its
        /// whole day). Anonymous readers do not see `online_url`.
        fn list_meetings(MeetingFilter) "A page of meetings."
            [NotModified, BadRequest, Unauthorized, Unavailable]
    },
    read: {
        /// Read a meeting.
        fn get_meeting "The meeting; `online_url` only for authenticated callers."
            [NotModified, BadRequest, Unauthorized, NotFound, Gone, Unavailable]
    },
    create: {
        /// Plan a meeting (admin).
        ///
        /// A new meeting is `planned`. `in_person` and `hybrid` meetings need a `venue`, `online`
        /// and `hybrid` ones an `online_url`; `ends_at` lies after `starts_at`, the registration
        /// deadline not after it.
        fn create_meeting "The planned meeting."
            [BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    replace: {
        /// Replace a meeting's writable fields (admin).
        ///
        /// `status` is read-only (use `cancel` and `hold`). `capacity` cannot fall below the
        /// attendees already registered (409).
        fn replace_meeting "The updated meeting."
            [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    patch: {
        /// Change some of a meeting's fields (admin; JSON merge patch).
        fn update_meeting
    },
    delete: {
        /// Delete a meeting (admin; soft: it becomes a tombstone).
        ///
        /// To call a meeting off, cancel it instead: a cancelled meeting stays visible, and
        /// subscribed calendars remove it.
        fn delete_meeting [BadRequest, Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable]
    },
}

crate::resource_actions! {
    resource: Meetings,
    output: Meeting,
    tag: "meetings",
    id: ("id" = String, Path, description = "The meeting's id."),
    responses: [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable],
    actions: {
        /// Cancel a meeting (admin).
        ///
        /// A state change: the meeting stays readable with status `cancelled`, its calendar events
        /// say `STATUS:CANCELLED`, and registrations are refused. 409 when it is already cancelled
        /// or has been held.
        fn cancel_meeting "/meetings/{id}/cancel" "The cancelled meeting."
            => |conn, current| change_status(conn, current, MeetingStatus::Cancelled);
        /// Mark a meeting as held (admin).
        ///
        /// A state change, allowed once the meeting has started; 409 before that, and for a
        /// cancelled meeting or one already marked as held.
        fn hold_meeting "/meetings/{id}/hold" "The meeting, now held."
            => |conn, current| change_status(conn, current, MeetingStatus::Held);
    }
}

crate::revision_handlers! {
    resource: Meetings,
    output: Meeting,
    tag: "history",
    id: ("id" = String, Path, description = "The meeting's id."),
    list: {
        /// List a meeting's revisions (admins; editors for what they may edit).
        fn list_meeting_revisions "/meetings/{id}/revisions"
    },
    read: {
        /// Read one revision of a meeting, with the meeting as it was.
        fn get_meeting_revision "/meetings/{id}/revisions/{version}"
    },
    restore: {
        /// Restore a meeting to one of its versions (admin; also brings a deleted one back).
        fn restore_meeting_revision "/meetings/{id}/revisions/{version}/restore"
    },
}
