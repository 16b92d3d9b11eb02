//! iCalendar (RFC 5545) for the meetings feed and for single meetings: CRLF lines folded at
//! 75 octets, TEXT values escaped, times in Europe/Berlin with its VTIMEZONE, a stable UID
//! per meeting and a SEQUENCE that grows with its version, so calendar programs update the
//! events they imported (and remove cancelled ones).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

use super::api::{Meeting, MeetingFormat, MeetingStatus};

pub const PRODID: &str = "-//Kommunen-Netzwerk engagiert in NRW//engagiert API//DE";
pub const TZID: &str = "Europe/Berlin";
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// Europe/Berlin as calendar programs expect it: CET, and CEST from the last Sunday in
/// March to the last Sunday in October.
const VTIMEZONE: [&str; 18] = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// A calendar named `name` holding one event per meeting. The meetings are shown as their
/// reader may see them: an anonymous reader's carry no online link, and none is written.
pub fn calendar(name: &str, meetings: &[Meeting]) -> String {
    let mut out = Writer::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line(&format!("PRODID:{PRODID}"));
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.line(&format!("NAME:{}", text(name)));
    out.line(&format!("X-WR-CALNAME:{}", text(name)));
    out.line(&format!("X-WR-TIMEZONE:{TZID}"));
    out.line("REFRESH-INTERVAL;VALUE=DURATION:PT6H");
    out.line("X-PUBLISHED-TTL:PT6H");
    for line in VTIMEZONE {
        out.line(line);
    }
    for meeting in meetings {
        event(&mut out, meeting);
    }
    out.line("END:VCALENDAR");
    out.0
}

fn event(out: &mut Writer, meeting: &Meeting) {
    out.line("BEGIN:VEVENT");
    out.line(&format!("UID:{}@engagiert", meeting.id));
    // The time of the meeting's last revision rather than of this response: the body, and
    // with it the feed's ETag, then stays the same until a meeting changes.
    out.line(&format!("DTSTAMP:{}", utc_stamp(meeting.updated_at)));
    out.line(&format!("CREATED:{}", utc_stamp(meeting.created_at)));
    out.line(&format!("LAST-MODIFIED:{}", utc_stamp(meeting.updated_at)));
    out.line(&format!("SEQUENCE:{}", (meeting.version - 1).max(0)));
    out.line(&format!(
        "DTSTART;TZID={TZID}:{}",
        local_stamp(meeting.starts_at)
    ));
    out.line(&format!(
        "DTEND;TZID={TZID}:{}",
        local_stamp(meeting.ends_at)
    ));
    out.line(&format!("SUMMARY:{}", text(&meeting.title)));
    if let Some(description) = description(meeting) {
        out.line(&format!("DESCRIPTION:{}", text(&description)));
    }
    if let Some(location) = location(meeting) {
        out.line(&format!("LOCATION:{}", text(&location)));
    }
    if let Some(Some(url)) = &meeting.online_url {
        out.line(&format!("URL:{}", uri(url)));
    }
    let categories: Vec<String> = std::iter::once(meeting.kind.label())
        .chain(meeting.topics.iter().map(String::as_str))
        .map(text)
        .collect();
    out.line(&format!("CATEGORIES:{}", categories.join(",")));
    let status = if meeting.status == MeetingStatus::Cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    out.line(&format!("STATUS:{status}"));
    out.line("TRANSP:OPAQUE");
    out.line("END:VEVENT");
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

/// A TEXT value (RFC 5545, 3.3.11): backslash, semicolon and comma escaped, line breaks
/// written as `\n`, other control characters (except tab) dropped.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A URI value: not escaped (a comma belongs to the URI), but nothing that could end the line.
fn uri(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect()
}

fn utc_stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_stamp(at: DateTime<Utc>) -> String {
    berlin(at.naive_utc()).format("%Y%m%dT%H%M%S").to_string()
}

/// The Europe/Berlin wall-clock time of a UTC instant.
pub fn berlin(utc: NaiveDateTime) -> NaiveDateTime {
    utc + berlin_offset(utc)
}

/// The offset of Europe/Berlin at a UTC instant: CEST (+2 h) from 01:00 UTC on the last
/// Sunday in March until 01:00 UTC on the last Sunday in October, CET (+1 h) otherwise (the
/// EU rule since 1996; the meetings lie after 2000).
pub fn berlin_offset(utc: NaiveDateTime) -> Duration {
    let year = utc.year();
    let summer_begins = last_sunday(year, 3).and_then(|day| day.and_hms_opt(1, 0, 0));
    let summer_ends = last_sunday(year, 10).and_then(|day| day.and_hms_opt(1, 0, 0));
    match (summer_begins, summer_ends) {
        (Some(begins), Some(ends)) if utc >= begins && utc < ends => Duration::hours(2),
        _ => Duration::hours(1),
    }
}

/// The UTC instant of a Europe/Berlin wall-clock time (for the hour that occurs twice in
/// October, the first; for the hour skipped in March, an hour later).
pub fn from_berlin(local: NaiveDateTime) -> NaiveDateTime {
    let summer = local - Duration::hours(2);
    if berlin_offset(summer) == Duration::hours(2) {
        summer
    } else {
        local - Duration::hours(1)
    }
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = next_month.pred_opt()?;
    last.checked_sub_signed(Duration::days(i64::from(
        last.weekday().num_days_from_sunday(),
    )))
}

/// Collects content lines, each folded and ended with CRLF.
#[derive(Default)]
struct Writer(String);

impl Writer {
    fn line(&mut self, content: &str) {
        self.0.push_str(&fold(content));
    }
}

/// A content line as written (RFC 5545, 3.1): physical lines of at most 75 octets, ended
/// by CRLF, each continuation starting with a space; multi-byte characters stay whole.
pub fn fold(content: &str) -> String {
    let mut out = String::with_capacity(content.len() + content.len() / 70 * 3 + 2);
    let mut rest = content;
    let mut limit = 75;
    while rest.len() > limit {
        let cut = fold_point(rest, limit);
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space of a continuation line counts towards its 75 octets.
        limit = 74;
    }
    out.push_str(rest);
    out.push_str("\r\n");
    out
}

/// Where to break `rest` (longer than `limit`): at a character boundary, and before rather
/// than after blanks, since some readers trim each physical line before unfolding.
fn fold_point(rest: &str, limit: usize) -> usize {
    let mut cut = limit;
    while cut > 1 && !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut kept = cut;
    while kept > 0 && rest[..kept].ends_with([' ', '\t']) {
        kept -= 1;
    }
    if kept > 0 { kept } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            text("Treffen; Köln, \"neu\" \\ a\r\nb\nc\u{0}"),
            "Treffen\\; Köln\\, \"neu\" \\\\ a\\nb\\nc"
        );
    }

    #[test]
    fn lines_fold_at_75_octets_and_unfold_to_the_original() {
        let long = format!(
            "DESCRIPTION:{}",
            "Bürgerschaftliches Engagement ".repeat(20).trim_end()
        );
        let folded = fold(&long);
        assert!(folded.ends_with("\r\n"));
        for line in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            assert!(!line.ends_with(' '), "ends with a blank: {line:?}");
        }
        assert_eq!(folded.trim_end_matches("\r\n").replace("\r\n ", ""), long);
        let umlauts = "ä".repeat(100);
        let folded = fold(&umlauts);
        assert_eq!(
            folded.trim_end_matches("\r\n").replace("\r\n ", ""),
            umlauts
        );
        assert_eq!(fold("SHORT:x"), "SHORT:x\r\n");
    }

    #[test]
    fn berlin_switches_on_the_last_sundays_of_march_and_october() {
        assert_eq!(berlin_offset(at("2026-03-29 00:59")), Duration::hours(1));
        assert_eq!(berlin_offset(at("2026-03-29 01:00")), Duration::hours(2));
        assert_eq!(berlin_offset(at("2026-10-25 00:59")), Duration::hours(2));
        assert_eq!(berlin_offset(at("2026-10-25 01:00")), Duration::hours(1));
        assert_eq!(berlin(at("2030-06-15 08:00")), at("2030-06-15 10:00"));
        assert_eq!(berlin(at("2030-12-02 09:00")), at("2030-12-02 10:00"));
        assert_eq!(from_berlin(at("2030-06-15 10:00")), at("2030-06-15 08:00"));
        assert_eq!(from_berlin(at("2030-12-02 10:00")), at("2030-12-02 09:00"));
    }
}
