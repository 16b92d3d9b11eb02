//! Strict query strings: an unknown parameter or a value of the wrong shape is a 400 naming
//! the parameter, never a silent default.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use url::form_urlencoded;

use crate::error::ApiError;
use crate::http::list::{ListParams, Paging};

/// Query parameters deserialised strictly into `T` (which denies unknown fields).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(ApiQuery))
    }
}

/// The query of a list: the paging and sync parameters every list shares, and the
/// resource's own filters (`F`, which denies unknown fields and carries `sort`).
pub struct ListQuery<F> {
    pub paging: Paging,
    pub filter: F,
}

impl<F: DeserializeOwned> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(split_list_query(req.query_string()))
    }
}

fn split_list_query<F: DeserializeOwned>(query: &str) -> Result<ListQuery<F>, ApiError> {
    let mut common = form_urlencoded::Serializer::new(String::new());
    let mut own = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if ListParams::NAMES.contains(&key.as_ref()) {
            common.append_pair(&key, &value);
        } else {
            own.append_pair(&key, &value);
        }
    }
    let params: ListParams = parse(&common.finish())?;
    let filter: F = parse(&own.finish())?;
    Ok(ListQuery {
        paging: params.resolve()?,
        filter,
    })
}

pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // As in bodies: PostgreSQL cannot compare with text holding NUL.
    if let Some((name, _)) =
        form_urlencoded::parse(query.as_bytes()).find(|(_, value)| value.contains('\0'))
    {
        return Err(ApiError::bad_parameter(
            name.into_owned(),
            "must not contain NUL characters",
        ));
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let message = error.inner().to_string();
        let name = message
            .strip_prefix("unknown field `")
            .or_else(|| message.strip_prefix("duplicate field `"))
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
            .unwrap_or_else(|| error.path().to_string());
        let message = if message.starts_with("unknown field") {
            "is not a parameter of this endpoint".to_owned()
        } else {
            message
        };
        ApiError::bad_parameter(name, message)
    })
}

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
