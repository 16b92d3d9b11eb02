//! Request and response types of `/api/v1/meetings` and its registrations, and the rules a
//! meeting's fields obey.

use crate::http::Many;
use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{Checks, Code};
use crate::http::time::parse_date_or_timestamp;
use crate::types::HttpUrl;

crate::text_enum! {
    /// `network_meeting` (Netzwerktreffen), `summit` (Spitzentreffen of mayors and district
    /// administrators, where new members sign the joint declaration), `workshop`,
    /// `digital_short_format` (a short online format).
    pub enum MeetingKind {
        NetworkMeeting = "network_meeting",
        Summit = "summit",
        Workshop = "workshop",
        DigitalShortFormat = "digital_short_format",
    }
}

crate::text_enum! {
    /// `in_person` (needs a `venue`), `online` (needs an `online_url`), `hybrid` (needs both).
    pub enum MeetingFormat {
        InPerson = "in_person",
        Online = "online",
        Hybrid = "hybrid",
    }
}

crate::text_enum! {
    /// `planned`; `held` (set by `POST /meetings/{id}/hold` once it has started);
    /// `cancelled` (set by `POST /meetings/{id}/cancel`). Read-only in bodies.
    pub enum MeetingStatus {
        Planned = "planned",
        Held = "held",
        Cancelled = "cancelled",
    }
}

impl MeetingKind {
    /// The German name, as calendars show it.
    pub fn label(self) -> &'static str {
        match self {
            MeetingKind::NetworkMeeting => "Netzwerktreffen",
            MeetingKind::Summit => "Spitzentreffen",
            MeetingKind::Workshop => "Workshop",
            MeetingKind::DigitalShortFormat => "Digitales Kurzformat",
        }
    }
}

impl MeetingFormat {
    pub fn has_venue(self) -> bool {
        matches!(self, MeetingFormat::InPerson | MeetingFormat::Hybrid)
    }

    pub fn is_online(self) -> bool {
        matches!(self, MeetingFormat::Online | MeetingFormat::Hybrid)
    }
}

/// The years a meeting's times may lie in: wide enough for the network's history and
/// plans, narrow enough that no typo becomes a date the databases disagree about.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// A timestamp as stored: UTC in whole seconds (calendars know no finer times).
pub fn stored(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc().trunc_subsecs(0)
}

/// Where an in-person or hybrid meeting takes place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    #[schema(example = "Rathaus Unna, Ratssaal", min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(example = "Rathausplatz 1", min_length = 1, max_length = 300)]
    pub address: Option<String>,
    /// Five digits.
    #[serde(default)]
    #[schema(example = "59423", pattern = "^[0-9]{5}$")]
    pub postal_code: Option<String>,
    #[schema(example = "Unna", min_length = 1, max_length = 100)]
    pub city: String,
}

/// An item of the agenda, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemInput {
    /// Where the item stands (1 to 1000, unique); its place in the list when omitted. The
    /// agenda is shown ordered by position.
    #[serde(default)]
    #[schema(example = 1, minimum = 1, maximum = 1000)]
    pub position: Option<u32>,
    #[schema(
        example = "Begrüßung und Vorstellungsrunde",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(example = "Netzwerkbüro", min_length = 1, max_length = 200)]
    pub speaker: Option<String>,
}

/// An item of the agenda.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    #[schema(example = 1)]
    pub position: i32,
    #[schema(example = "Begrüßung und Vorstellungsrunde")]
    pub title: String,
    pub description: Option<String>,
    #[schema(example = "Netzwerkbüro")]
    pub speaker: Option<String>,
}

/// The writable fields of a meeting: the body of `POST` and `PUT`, and what `PATCH` merges
/// into. `status` and the registration figures are read-only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    pub kind: MeetingKind,
    #[schema(example = "47. Netzwerktreffen", min_length = 1, max_length = 200)]
    pub title: String,
    /// Markdown.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// RFC 3339 with any offset (`2026-11-21T10:00:00+01:00`); stored and shown in UTC,
    /// to the second.
    #[schema(example = "2026-11-21T09:00:00Z")]
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    #[schema(example = "2026-11-21T15:00:00Z")]
    pub ends_at: DateTime<Utc>,
    pub format: MeetingFormat,
    /// Required for `in_person` and `hybrid`, null for `online`.
    #[serde(default)]
    pub venue: Option<Venue>,
    /// Required for `online` and `hybrid`, null for `in_person`. Shown to members only.
    #[serde(default)]
    pub online_url: Option<HttpUrl>,
    /// The hosting municipality: its UUID, AGS or slug (answers carry the UUID).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "unna")]
    pub host_municipality_id: Option<Uuid>,
    /// Registrations are refused after this moment; not after `starts_at`.
    #[serde(default)]
    #[schema(example = "2026-11-07T23:00:00Z")]
    pub registration_deadline: Option<DateTime<Utc>>,
    /// How many attendees (the sum over all registrations) may come; unlimited when null.
    #[serde(default)]
    #[schema(example = 80, minimum = 1, maximum = 100000)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub agenda: Vec<AgendaItemInput>,
    /// Topic tags.
    #[serde(default)]
    #[schema(example = json!(["ehrenamtskarte", "engagementstrategie"]))]
    pub topics: Vec<String>,
    /// Related documents (UUIDs of `/api/v1/documents`).
    #[serde(default)]
    pub document_ids: Vec<Uuid>,
}

/// A network meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meeting {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f")]
    pub id: String,
    pub kind: MeetingKind,
    #[schema(example = "47. Netzwerktreffen")]
    pub title: String,
    /// Markdown.
    pub description: Option<String>,
    /// `description` rendered as safe HTML, ready to include in a web page (read-only;
    /// CommonMark with tables; raw HTML is shown as text, an image as its description, links
    /// only to http(s) and mailto targets, with `rel="noopener nofollow"`).
    pub description_html: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub format: MeetingFormat,
    pub venue: Option<Venue>,
    /// The link to join online. Left out entirely for anonymous readers; null for members
    /// when the meeting has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "https://meet.example.org/netzwerktreffen")]
    pub online_url: Option<Option<String>>,
    pub host_municipality_id: Option<String>,
    pub status: MeetingStatus,
    pub registration_deadline: Option<DateTime<Utc>>,
    /// Attendees who may come in all; unlimited when null.
    #[schema(example = 80)]
    pub capacity: Option<i32>,
    /// Ordered by position.
    pub agenda: Vec<AgendaItem>,
    #[schema(example = json!(["ehrenamtskarte"]))]
    pub topics: Vec<String>,
    pub document_ids: Vec<String>,
    /// How many municipalities are registered (read-only).
    #[schema(example = 12)]
    pub registration_count: i64,
    /// How many attendees they announced in all (read-only).
    #[schema(example = 19)]
    pub attendee_count: i64,
    /// Places left under `capacity`; null when unlimited (read-only).
    #[schema(example = 61)]
    pub places_left: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Grows by one with every change of the meeting (not of its registrations).
    #[schema(example = 1)]
    pub version: i32,
}

/// A single-line text: not blank, at most `max` characters, no control characters.
fn single_line(checks: &mut Checks, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        checks.add(field, Code::Required, "must not be empty");
    } else if value.chars().count() > max {
        checks.add(
            field,
            Code::TooLong,
            format!("must be at most {max} characters long"),
        );
    } else if value.chars().any(char::is_control) {
        checks.add(
            field,
            Code::InvalidFormat,
            "must be a single line without control characters",
        );
    }
}

fn optional_line(checks: &mut Checks, field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        single_line(checks, field, value, max);
    }
}

/// A multi-line text: at most `max` characters; line breaks and tabs are the only control
/// characters (PostgreSQL refuses NUL, and calendars choke on the rest).
fn multi_line(checks: &mut Checks, field: &str, value: Option<&str>, max: usize) {
    let Some(value) = value else { return };
    if value.chars().count() > max {
        checks.add(
            field,
            Code::TooLong,
            format!("must be at most {max} characters long"),
        );
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        checks.add(
            field,
            Code::InvalidFormat,
            "must not contain control characters",
        );
    }
}

fn in_years(checks: &mut Checks, field: &str, at: DateTime<Utc>) {
    checks.require(
        YEARS.contains(&at.year()),
        field,
        Code::OutOfRange,
        "must lie between the years 2000 and 2099",
    );
}

impl MeetingInput {
    /// The position of each agenda item: the one given, else its place in the list.
    pub fn agenda_positions(&self) -> Vec<i64> {
        self.agenda
            .iter()
            .enumerate()
            .map(|(i, item)| item.position.map_or(i as i64 + 1, i64::from))
            .collect()
    }

    /// Every rule of a meeting. `host_known` says whether the host municipality names a
    /// live municipality (`None` when there is no host).
    pub fn check(&self, host_known: Option<bool>) -> Checks {
        let mut checks = Checks::new();
        single_line(&mut checks, "title", &self.title, 200);
        multi_line(
            &mut checks,
            "description",
            self.description.as_deref(),
            20_000,
        );
        in_years(&mut checks, "starts_at", self.starts_at);
        in_years(&mut checks, "ends_at", self.ends_at);
        let starts_at = stored(self.starts_at);
        checks.require(
            stored(self.ends_at) > starts_at,
            "ends_at",
            Code::OutOfRange,
            "must be after starts_at",
        );
        self.check_place(&mut checks);
        if host_known == Some(false) {
            checks.add(
                "host_municipality_id",
                Code::NotFound,
                "names no municipality",
            );
        }
        if let Some(deadline) = self.registration_deadline {
            if !YEARS.contains(&deadline.year()) {
                in_years(&mut checks, "registration_deadline", deadline);
            } else if stored(deadline) > starts_at {
                checks.add(
                    "registration_deadline",
                    Code::OutOfRange,
                    "must not be after starts_at",
                );
            }
        }
        if let Some(capacity) = self.capacity {
            checks.require(
                (1..=100_000).contains(&capacity),
                "capacity",
                Code::OutOfRange,
                "must be between 1 and 100000 attendees",
            );
        }
        self.check_agenda(&mut checks);
        check_topics(&self.topics, &mut checks);
        checks.require(
            self.document_ids.len() <= 100,
            "document_ids",
            Code::TooLong,
            "must hold at most 100 documents",
        );
        let mut documents = HashSet::new();
        for (i, id) in self.document_ids.iter().enumerate() {
            if !documents.insert(id) {
                checks.add(
                    format!("document_ids[{i}]"),
                    Code::Duplicate,
                    "is given twice",
                );
            }
        }
        checks
    }

    /// Venue and online link as the format asks for them.
    fn check_place(&self, checks: &mut Checks) {
        let format = self.format;
        match (&self.venue, format.has_venue()) {
            (None, true) => checks.add(
                "venue",
                Code::Required,
                format!("is required for a meeting in the format {format}"),
            ),
            (Some(_), false) => checks.add(
                "venue",
                Code::InvalidValue,
                "must be null for an online meeting",
            ),
            (Some(venue), true) => {
                single_line(checks, "venue.name", &venue.name, 200);
                optional_line(checks, "venue.address", venue.address.as_deref(), 300);
                single_line(checks, "venue.city", &venue.city, 100);
                if let Some(code) = &venue.postal_code {
                    checks.require(
                        code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()),
                        "venue.postal_code",
                        Code::InvalidFormat,
                        "must be five digits",
                    );
                }
            }
            (None, false) => {}
        }
        match (&self.online_url, format.is_online()) {
            (None, true) => checks.add(
                "online_url",
                Code::Required,
                format!("is required for a meeting in the format {format}"),
            ),
            (Some(_), false) => checks.add(
                "online_url",
                Code::InvalidValue,
                "must be null for an in-person meeting",
            ),
            (Some(url), true) => checks.require(
                !url.as_str()
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()),
                "online_url",
                Code::InvalidFormat,
                "must not contain spaces or control characters",
            ),
            (None, false) => {}
        }
    }

    fn check_agenda(&self, checks: &mut Checks) {
        checks.require(
            self.agenda.len() <= 100,
            "agenda",
            Code::TooLong,
            "must hold at most 100 items",
        );
        let mut seen = HashSet::new();
        for ((i, item), position) in self.agenda.iter().enumerate().zip(self.agenda_positions()) {
            let field = format!("agenda[{i}].position");
            if item.position.is_some_and(|p| !(1..=1000).contains(&p)) {
                checks.add(field, Code::OutOfRange, "must be between 1 and 1000");
            } else if !seen.insert(position) {
                checks.add(field, Code::Duplicate, "is given twice");
            }
            single_line(checks, &format!("agenda[{i}].title"), &item.title, 200);
            multi_line(
                checks,
                &format!("agenda[{i}].description"),
                item.description.as_deref(),
                5000,
            );
            optional_line(
                checks,
                &format!("agenda[{i}].speaker"),
                item.speaker.as_deref(),
                200,
            );
        }
    }
}

fn check_topics(topics: &[String], checks: &mut Checks) {
    checks.require(
        topics.len() <= 30,
        "topics",
        Code::TooLong,
        "must hold at most 30 topics",
    );
    for (i, topic) in topics.iter().enumerate() {
        single_line(checks, &format!("topics[{i}]"), topic, 60);
        if topics[..i].iter().any(|t| t.trim() == topic.trim()) {
            checks.add(format!("topics[{i}]"), Code::Duplicate, "is given twice");
        }
    }
}

crate::sort_fields!(MeetingOrder over MeetingSort {
    StartsAt = "starts_at",
    UpdatedAt = "updated_at",
});

/// A `from` bound: a date (its start, UTC) or an RFC 3339 timestamp.
pub(crate) fn lower_bound<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    let text = String::deserialize(d)?;
    parse_date_or_timestamp(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// A `to` bound: a date stands for the whole day (up to its last microsecond, UTC), so
/// `to=2026-11-21` includes the meetings of that day.
pub(crate) fn upper_bound<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    let text = String::deserialize(d)?;
    if let Ok(day) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Ok(day.and_hms_micro_opt(23, 59, 59, 999_999));
    }
    parse_date_or_timestamp(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Filters of the meeting list and the iCalendar feed.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeetingFilter {
    /// Only meetings starting at or after this date (from its start, UTC) or RFC 3339
    /// timestamp.
    #[serde(default, deserialize_with = "lower_bound")]
    #[param(value_type = Option<String>, example = "2026-01-01")]
    pub from: Option<NaiveDateTime>,
    /// Only meetings starting at or before this date (to its end, UTC) or RFC 3339
    /// timestamp.
    #[serde(default, deserialize_with = "upper_bound")]
    #[param(value_type = Option<String>, example = "2026-12-31")]
    pub to: Option<NaiveDateTime>,
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<MeetingStatus>>, style = Form, explode = true)]
    pub status: Option<Many<MeetingStatus>>,
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<MeetingKind>>, style = Form, explode = true)]
    pub kind: Option<Many<MeetingKind>>,
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<MeetingFormat>>, style = Form, explode = true)]
    pub format: Option<Many<MeetingFormat>>,
    /// Only meetings hosted by this municipality: its UUID, AGS or slug.
    #[param(value_type = Option<String>, example = "unna")]
    pub host_municipality_id: Option<crate::municipalities::references::MunicipalityRef>,
    /// Only meetings with this topic tag.
    #[param(example = "ehrenamtskarte")]
    pub topic: Option<String>,
    /// Sort order (default `starts_at`, the earliest first); prefix `-` for descending.
    #[param(inline)]
    pub sort: Option<MeetingOrder>,
}

fn one() -> u32 {
    1
}

/// A municipality's registration for a meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    /// The municipality to register: its UUID, AGS or slug. Editors may leave it out for
    /// their own; admins must name one.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "unna")]
    pub municipality_id: Option<Uuid>,
    /// How many people will come, 1 to 50.
    #[serde(default = "one")]
    #[schema(default = 1, minimum = 1, maximum = 50, example = 2)]
    pub attendees: u32,
    #[serde(default)]
    #[schema(
        example = "Wir kommen mit der Ehrenamtskoordinatorin.",
        max_length = 1000
    )]
    pub note: Option<String>,
}

/// The writable fields of a registration, which `PATCH` merges into.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationUpdate {
    /// How many people will come, 1 to 50.
    #[schema(minimum = 1, maximum = 50, example = 3)]
    pub attendees: u32,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// The rules of a registration's fields.
pub fn check_registration(attendees: u32, note: Option<&str>) -> Checks {
    let mut checks = Checks::new();
    checks.require(
        (1..=50).contains(&attendees),
        "attendees",
        Code::OutOfRange,
        "must be between 1 and 50",
    );
    multi_line(&mut checks, "note", note, 1000);
    checks
}

/// A municipality's registration for a meeting. It has its own version: changing it does
/// not change the meeting's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registration {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d70")]
    pub id: String,
    pub meeting_id: String,
    pub municipality_id: String,
    /// The municipality's name, for reading.
    #[schema(example = "Unna")]
    pub municipality_name: Option<String>,
    #[schema(example = 2)]
    pub attendees: i32,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(example = 1)]
    pub version: i32,
}

crate::sort_fields!(RegistrationOrder over RegistrationSort {
    CreatedAt = "created_at",
    UpdatedAt = "updated_at",
});

/// Filters of a meeting's registrations.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistrationFilter {
    /// Only the registration of this municipality (a UUID).
    pub municipality_id: Option<Uuid>,
    /// Sort order (default `created_at`, the first registered first); prefix `-` for
    /// descending.
    #[param(inline)]
    pub sort: Option<RegistrationOrder>,
}
