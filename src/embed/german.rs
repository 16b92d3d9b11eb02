//! Dates, times and names as German readers write them, in Europe/Berlin time:
//! "Di., 12. März 2025, 10:00 Uhr", "12. März 2025", "kreisfreie Stadt".

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::{Europe::Berlin, Tz};

use crate::municipalities::values::{Kind, Region};

const WEEKDAYS: [&str; 7] = ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."];
const MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

fn berlin(at: NaiveDateTime) -> DateTime<Tz> {
    at.and_utc().with_timezone(&Berlin)
}

/// "12. März 2025".
pub fn date(day: NaiveDate) -> String {
    let month = MONTHS[day.month0() as usize];
    format!("{}. {month} {}", day.day(), day.year())
}

/// "Di., 12. März 2025, 10:00 Uhr" of a stored (UTC) time.
pub fn date_time(at: NaiveDateTime) -> String {
    let local = berlin(at);
    let weekday = WEEKDAYS[local.weekday().num_days_from_monday() as usize];
    format!(
        "{weekday}, {}, {:02}:{:02} Uhr",
        date(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// "10:00 Uhr" of a stored (UTC) time.
pub fn time(at: NaiveDateTime) -> String {
    let local = berlin(at);
    format!("{:02}:{:02} Uhr", local.hour(), local.minute())
}

/// The local day of a stored (UTC) time.
pub fn day(at: NaiveDateTime) -> NaiveDate {
    berlin(at).date_naive()
}

/// A `<time datetime>` value: the local time with its offset.
pub fn machine(at: NaiveDateTime) -> String {
    berlin(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

pub fn kind(kind: Kind) -> &'static str {
    match kind {
        Kind::IndependentCity => "kreisfreie Stadt",
        Kind::Town => "kreisangehörige Stadt",
        Kind::Municipality => "Gemeinde",
        Kind::District => "Kreis",
        Kind::RegionalAuthority => "Bezirksregierung",
    }
}

pub fn region(region: Region) -> &'static str {
    match region {
        Region::Duesseldorf => "Regierungsbezirk Düsseldorf",
        Region::Koeln => "Regierungsbezirk Köln",
        Region::Muenster => "Regierungsbezirk Münster",
        Region::Detmold => "Regierungsbezirk Detmold",
        Region::Arnsberg => "Regierungsbezirk Arnsberg",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_in_germany() {
        // 09:00 UTC in March is 10:00 in Berlin (CET); in July 11:00 (CEST).
        let winter = NaiveDate::from_ymd_opt(2025, 3, 11)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        assert_eq!(date_time(winter), "Di., 11. März 2025, 10:00 Uhr");
        let summer = NaiveDate::from_ymd_opt(2025, 7, 1)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .unwrap_or_default();
        assert_eq!(date_time(summer), "Di., 1. Juli 2025, 11:30 Uhr");
        assert_eq!(machine(summer), "2025-07-01T11:30:00+02:00");
    }
}
