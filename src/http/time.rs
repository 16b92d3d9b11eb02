//! Times in query parameters: RFC 3339 timestamps, and dates where a day is meant. Shared by
//! the list parameters (`updated_since`) and the resources' own filters.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer};

/// An RFC 3339 timestamp in a query. A `+` of the offset often arrives decoded as a space;
/// it is put back rather than refused.
pub fn parse_timestamp(text: &str) -> Result<NaiveDateTime, String> {
    let repaired = text.trim().replace(' ', "+");
    DateTime::parse_from_rfc3339(&repaired)
        .map(|at| at.naive_utc())
        .map_err(|_| format!("`{text}` is not an RFC 3339 timestamp such as 2024-01-15T09:30:00Z"))
}

/// A date (`2024-01-15`, taken as its start in UTC) or an RFC 3339 timestamp.
pub fn parse_date_or_timestamp(text: &str) -> Result<NaiveDateTime, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default());
    }
    parse_timestamp(text)
        .map_err(|_| format!("`{text}` is neither a date (YYYY-MM-DD) nor an RFC 3339 timestamp"))
}

/// Deserialises a query timestamp through `parse_timestamp`.
pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
    let text = String::deserialize(d)?;
    parse_timestamp(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}
