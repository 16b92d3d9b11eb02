//! iCalendar (RFC 5545) for the meetings feed and for single meetings, written with the
//! `icalendar` crate (escaping, line folding), times in Europe/Berlin from the tz database
//! (`chrono-tz`) with a VTIMEZONE generated from its transitions, a stable UID per meeting
//! and a SEQUENCE that grows with its version, so calendar programs update the events they
//! imported (and remove cancelled ones).

use std::fmt::Write as _;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};

use super::api::{Meeting, MeetingFormat, MeetingStatus};

pub const PRODID: &str = "-//Kommunen-Netzwerk engagiert in NRW//engagiert API//DE";
pub const TZID: &str = "Europe/Berlin";
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";
const ZONE: Tz = chrono_tz::Europe::Berlin;

/// A calendar named `name` holding one event per meeting. The meetings are shown as their
/// reader may see them: an anonymous reader's carry no online link, and none is written.
pub fn calendar(name: &str, meetings: &[Meeting], base: &str) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", &lines(name)),
        ("X-WR-TIMEZONE", TZID),
        ("X-PUBLISHED-TTL", "PT6H"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    // NAME (RFC 7986) is TEXT, which the crate does not know: say so, so it is escaped.
    calendar.append_property(
        Property::new("NAME", lines(name))
            .add_parameter("VALUE", "TEXT")
            .done(),
    );
    calendar.append_property(
        Property::new("REFRESH-INTERVAL", "PT6H")
            .add_parameter("VALUE", "DURATION")
            .done(),
    );
    for meeting in meetings {
        calendar.push(event(meeting, base));
    }
    let text = calendar.to_string();
    // The crate writes no VTIMEZONE (and would stamp any component of its own with a DTSTAMP
    // and a UID): it goes in before the first event.
    let zone = vtimezone(meetings);
    let at = text
        .find("BEGIN:VEVENT\r\n")
        .or_else(|| text.find("END:VCALENDAR\r\n"))
        .unwrap_or(text.len());
    format!("{}{zone}{}", &text[..at], &text[at..])
}

fn event(meeting: &Meeting, base: &str) -> Event {
    let mut event = Event::new();
    event
        .uid(&format!("{}@engagiert", meeting.id))
        // The time of the meeting's last revision rather than of this response: the body,
        // and with it the feed's ETag, then stays the same until a meeting changes.
        .timestamp(meeting.updated_at)
        .created(meeting.created_at)
        .last_modified(meeting.updated_at)
        .sequence(u32::try_from(meeting.version - 1).unwrap_or(0))
        .starts(local(meeting.starts_at))
        .ends(local(meeting.ends_at))
        .summary(&lines(&meeting.title))
        .status(if meeting.status == MeetingStatus::Cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .add_property("TRANSP", "OPAQUE");
    if let Some(description) = description(meeting) {
        event.description(&lines(&description));
    }
    if let Some(location) = location(meeting) {
        event.location(&lines(&location));
    }
    // Members get the link to join; everyone else the meeting's page (the embeds').
    match &meeting.online_url {
        Some(Some(url)) => event.url(url),
        _ => event.url(&format!(
            "{base}/embed/v1/meetings/{}.html?standalone=true",
            meeting.id
        )),
    };
    let categories: Vec<String> = std::iter::once(meeting.kind.label())
        .chain(meeting.topics.iter().map(String::as_str))
        .map(list_item)
        .collect();
    event.add_property("CATEGORIES", categories.join(","));
    event.done()
}

/// The description, the agenda and (for members) the link to join, as plain text.
fn description(meeting: &Meeting) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if meeting.status == MeetingStatus::Cancelled {
        parts.push("Abgesagt.".into());
    }
    if let Some(description) = meeting.description.as_deref().map(str::trim)
        && !description.is_empty()
    {
        parts.push(description.to_owned());
    }
    if !meeting.agenda.is_empty() {
        let mut agenda = String::from("Programm:");
        for item in &meeting.agenda {
            let _ = write!(agenda, "\n{}. {}", item.position, item.title);
            if let Some(speaker) = &item.speaker {
                let _ = write!(agenda, " ({speaker})");
            }
        }
        parts.push(agenda);
    }
    if let Some(Some(url)) = &meeting.online_url {
        parts.push(format!("Online-Teilnahme: {url}"));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

fn location(meeting: &Meeting) -> Option<String> {
    let venue = meeting.venue.as_ref().map(|venue| {
        let mut parts = vec![venue.name.clone()];
        if let Some(address) = &venue.address {
            parts.push(address.clone());
        }
        parts.push(match &venue.postal_code {
            Some(code) => format!("{code} {}", venue.city),
            None => venue.city.clone(),
        });
        parts.join(", ")
    });
    match (meeting.format, venue) {
        (MeetingFormat::Online, _) => Some("Online".into()),
        (MeetingFormat::Hybrid, Some(venue)) => Some(format!("{venue} (auch online)")),
        (_, venue) => venue,
    }
}

/// Line breaks as iCalendar TEXT knows them: LF only (the crate escapes LF as `\n`; a CR
/// the text rules let in would end the content line).
fn lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// One value of a TEXT list (CATEGORIES): the crate leaves lists as given, since their
/// commas separate values, so the value's own `\`, `;`, `,` and line breaks are escaped here.
fn list_item(value: &str) -> String {
    lines(value)
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// A meeting time as calendar programs show it: Europe/Berlin wall-clock time with its TZID.
/// A wall-clock time that occurs twice (the hour repeated in October) names its first
/// occurrence (RFC 5545, 3.3.5), so an instant in the second one is written in UTC.
fn local(at: DateTime<Utc>) -> CalendarDateTime {
    let wall = at.with_timezone(&ZONE).naive_local();
    match ZONE.from_local_datetime(&wall) {
        LocalResult::Single(first) | LocalResult::Ambiguous(first, _)
            if first.naive_utc() == at.naive_utc() =>
        {
            CalendarDateTime::WithTimezone {
                date_time: wall,
                tzid: TZID.to_owned(),
            }
        }
        _ => CalendarDateTime::Utc(at),
    }
}

/// The Europe/Berlin wall-clock time of a UTC instant.
pub fn berlin(utc: NaiveDateTime) -> NaiveDateTime {
    ZONE.from_utc_datetime(&utc).naive_local()
}

/// The UTC instant of a Europe/Berlin wall-clock time (for the hour that occurs twice in
/// October, the first; for the hour skipped in March, an hour later).
pub fn from_berlin(local: NaiveDateTime) -> NaiveDateTime {
    match ZONE.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.naive_utc(),
        LocalResult::None => from_berlin(local + Duration::hours(1)),
    }
}

/// One change of Europe/Berlin's offset: the instant and the offsets before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Transition {
    at: NaiveDateTime,
    from_seconds: i32,
    to_seconds: i32,
    to_name: String,
    daylight: bool,
}

fn offset_at(utc: NaiveDateTime) -> (i32, String, bool) {
    let offset = ZONE.offset_from_utc_datetime(&utc);
    (
        offset.fix().local_minus_utc(),
        offset.abbreviation().unwrap_or("LMT").to_owned(),
        !offset.dst_offset().is_zero(),
    )
}

/// The transitions of the tz database between `from` and `to`, found day by day and then to
/// the second, so the VTIMEZONE follows whatever rule the database holds for those years.
fn transitions(from: NaiveDateTime, to: NaiveDateTime) -> Vec<Transition> {
    let mut found = Vec::new();
    let mut day = from;
    while day < to {
        let next = day + Duration::days(1);
        let (before, _, _) = offset_at(day);
        let (after, name, daylight) = offset_at(next);
        if before != after {
            // Offsets change on whole seconds: search the seconds of that day.
            let (mut low, mut high) = (day.and_utc().timestamp(), next.and_utc().timestamp());
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                match DateTime::from_timestamp(middle, 0) {
                    Some(at) if offset_at(at.naive_utc()).0 == before => low = middle,
                    _ => high = middle,
                }
            }
            found.push(Transition {
                at: DateTime::from_timestamp(high, 0).map_or(next, |at| at.naive_utc()),
                from_seconds: before,
                to_seconds: after,
                to_name: name,
                daylight,
            });
        }
        day = next;
    }
    found
}

fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// The VTIMEZONE for the meetings' time span: every transition from a year before the first
/// meeting to the end of the last (one observance per transition, no recurrence rule to get
/// wrong when the rule changes).
fn vtimezone(meetings: &[Meeting]) -> String {
    let now = Utc::now().naive_utc();
    let first = meetings
        .iter()
        .map(|m| m.starts_at.naive_utc())
        .min()
        .unwrap_or(now);
    let last = meetings
        .iter()
        .map(|m| m.ends_at.naive_utc())
        .max()
        .unwrap_or(now);
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{TZID}\r\nX-LIC-LOCATION:{TZID}\r\n");
    let found = transitions(first - Duration::days(366), last + Duration::days(1));
    if found.is_empty() {
        let (seconds, name, daylight) = offset_at(first);
        let offset = utc_offset(seconds);
        let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
        let _ = write!(
            out,
            "BEGIN:{kind}\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:{offset}\r\n\
             TZOFFSETTO:{offset}\r\nTZNAME:{name}\r\nEND:{kind}\r\n"
        );
    }
    for transition in found {
        let kind = if transition.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        // DTSTART is the wall-clock time of the change in the offset in force before it.
        let start = transition.at + Duration::seconds(i64::from(transition.from_seconds));
        let _ = write!(
            out,
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nTZNAME:{}\r\nEND:{kind}\r\n",
            start.format("%Y%m%dT%H%M%S"),
            utc_offset(transition.from_seconds),
            utc_offset(transition.to_seconds),
            transition.to_name,
        );
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn list_items_are_escaped() {
        assert_eq!(list_item("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn berlin_follows_the_tz_database() {
        assert_eq!(berlin(at("2026-03-29 00:59")), at("2026-03-29 01:59"));
        assert_eq!(berlin(at("2026-03-29 01:00")), at("2026-03-29 03:00"));
        assert_eq!(berlin(at("2026-10-25 00:59")), at("2026-10-25 02:59"));
        assert_eq!(berlin(at("2026-10-25 01:00")), at("2026-10-25 02:00"));
        assert_eq!(from_berlin(at("2030-06-15 10:00")), at("2030-06-15 08:00"));
        assert_eq!(from_berlin(at("2030-12-02 10:00")), at("2030-12-02 09:00"));
        // The hour skipped in March, and the one repeated in October (its first occurrence).
        assert_eq!(from_berlin(at("2026-03-29 02:30")), at("2026-03-29 01:30"));
        assert_eq!(from_berlin(at("2026-10-25 02:30")), at("2026-10-25 00:30"));
    }

    #[test]
    fn transitions_are_the_last_sundays_of_march_and_october_at_one_utc() {
        let found = transitions(at("2024-01-01 00:00"), at("2031-01-01 00:00"));
        assert_eq!(found.len(), 14);
        for (year, pair) in (2024..=2030).zip(found.chunks(2)) {
            let (spring, autumn) = (&pair[0], &pair[1]);
            assert!(spring.daylight && !autumn.daylight);
            assert_eq!((spring.from_seconds, spring.to_seconds), (3600, 7200));
            assert_eq!((autumn.from_seconds, autumn.to_seconds), (7200, 3600));
            assert_eq!(spring.to_name, "CEST");
            assert_eq!(autumn.to_name, "CET");
            for (transition, month) in [(spring, 3), (autumn, 10)] {
                use chrono::Datelike;
                let day = transition.at.date();
                assert_eq!((day.year(), day.month()), (year, month));
                assert_eq!(day.weekday(), chrono::Weekday::Sun);
                assert!(
                    (day + Duration::days(7)).month() != month,
                    "the last Sunday"
                );
                assert_eq!(transition.at.time(), at("2000-01-01 01:00").time());
            }
        }
    }
}
