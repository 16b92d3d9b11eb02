//! The HTTP conventions of the API, written once for every resource: strict JSON bodies,
//! strict queries, the list envelope, conditional requests, merge patch, CORS, and the
//! fallbacks that turn actix's own errors into problem documents.

pub mod body;
pub mod cache;
pub mod compression;
pub mod conditional;
pub mod cors;
pub mod csv_body;
pub mod fallback;
pub mod json;
pub mod list;
pub mod merge_patch;
pub mod query;
pub mod refusal;
pub mod request_id;
pub mod round_trip;
pub mod security;
pub mod strict;
pub mod time;

pub use conditional::{IfMatch, Tagged};
pub use csv_body::CsvBody;
pub use json::ApiJson;
pub use list::{ListParams, Listed, Page};
pub use query::{ApiQuery, LenientQuery, ListQuery, Many};

use crate::error::ApiError;

/// A resource id from a path: a UUID (in any of its spellings), as the typed id it names.
/// Anything else names no resource (404).
pub fn path_id<I: crate::ids::TypedId>(raw: &str, what: &str) -> Result<I, ApiError> {
    I::parse(raw)
        .ok_or_else(|| ApiError::not_found(format!("no such {what}: `{raw}` is not an id")))
}
