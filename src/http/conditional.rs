//! Conditional requests: strong `ETag`s derived from id and version, `Last-Modified`,
//! `If-None-Match`/`If-Modified-Since` answered with 304, and `If-Match` checked before a
//! change so two editors cannot overwrite each other (412).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::record::Record;
use crate::error::ApiError;

/// The ETag of one version of a record. `view` tells apart representations that differ by
/// who asks (an anonymous reader sees fewer fields than an editor).
pub fn etag(id: &str, version: i32, view: Option<&str>) -> String {
    match view {
        Some(view) => format!("\"{id}.v{version}.{view}\""),
        None => format!("\"{id}.v{version}\""),
    }
}

/// The ETag of a computed body (lists, exports).
pub fn content_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn tags(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Whether `If-None-Match` names `current` (weak comparison, as RFC 9110 asks for it).
pub fn if_none_match(req: &HttpRequest, current: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    tags(value).any(|tag| tag == "*" || tag.trim_start_matches("W/") == current)
}

pub fn not_modified(etag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::VARY, "Authorization"))
        .finish()
}

/// A body computed per request (a page, feed, export or statistic): its ETag hashes the
/// content, and a client that already has it gets 304. `disposition` names a file.
pub fn computed(
    req: &HttpRequest,
    content_type: &str,
    disposition: Option<String>,
    body: Vec<u8>,
) -> HttpResponse {
    let etag = content_etag(&body);
    if if_none_match(req, &etag) {
        return not_modified(&etag);
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Authorization"));
    if let Some(disposition) = disposition {
        response.insert_header((header::CONTENT_DISPOSITION, disposition));
    }
    response.body(body)
}

/// Like `computed`, for a body whose data last changed at `last_change`: it also sends
/// `Last-Modified` and answers `If-Modified-Since` (when no `If-None-Match` is given), as
/// feed readers that keep only the date expect.
pub fn computed_since(
    req: &HttpRequest,
    content_type: &str,
    last_change: Option<chrono::NaiveDateTime>,
    body: Vec<u8>,
) -> HttpResponse {
    // HTTP dates have whole seconds: a date within the last second could stand for a later
    // change in the same second too, so it is not given out (the ETag still works).
    let settled =
        |at: &chrono::NaiveDateTime| *at < crate::db::now() - chrono::Duration::seconds(1);
    let Some(last_change) = last_change.filter(settled) else {
        return computed(req, content_type, None, body);
    };
    let last_modified = http_date(last_change);
    let fresh = !req.headers().contains_key(header::IF_NONE_MATCH)
        && not_modified_since(req, last_modified);
    let mut response = if fresh {
        not_modified(&content_etag(&body))
    } else {
        computed(req, content_type, None, body)
    };
    if let Ok(value) = header::HeaderValue::from_str(&last_modified.to_string()) {
        response.headers_mut().insert(header::LAST_MODIFIED, value);
    }
    response
}

fn http_date(at: chrono::NaiveDateTime) -> header::HttpDate {
    header::HttpDate::from(std::time::SystemTime::from(at.and_utc()))
}

/// Whether the client has the answer already: `If-None-Match` names `etag`, or, lacking
/// that, `If-Modified-Since` is at or after `last_modified`.
pub fn fresh_at_client(
    req: &HttpRequest,
    etag: &str,
    last_modified: Option<header::HttpDate>,
) -> bool {
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        return if_none_match(req, etag);
    }
    last_modified.is_some_and(|last_modified| not_modified_since(req, last_modified))
}

/// Whether `If-Modified-Since` names `last_change` or later (HTTP dates have whole seconds).
fn not_modified_since(req: &HttpRequest, last_change: header::HttpDate) -> bool {
    let since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<header::HttpDate>().ok());
    let seconds = |at: std::time::SystemTime| {
        at.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    };
    since.is_some_and(|since| {
        seconds(std::time::SystemTime::from(last_change))
            <= seconds(std::time::SystemTime::from(since))
    })
}

/// A single resource with the headers of its version. `respond` answers 304 to a `GET` whose
/// `If-None-Match` (or, lacking that, `If-Modified-Since`) says the client has it.
pub struct Tagged<T> {
    body: T,
    etag: String,
    last_modified: chrono::NaiveDateTime,
    status: StatusCode,
    location: Option<String>,
    /// `Cache-Control: no-store`: the answer shows a secret once.
    no_store: bool,
}

impl<T: Serialize> Tagged<T> {
    /// `record` shown as `show` makes of it, tagged with its version.
    pub fn of<R: Record>(record: R, view: Option<&str>, show: impl FnOnce(R) -> T) -> Self {
        let etag = etag(record.id(), record.version(), view);
        let last_modified = record.updated_at();
        Self {
            body: show(record),
            etag,
            last_modified,
            status: StatusCode::OK,
            location: None,
            no_store: false,
        }
    }

    /// The same answer showing a secret once: its body changed by `change`, and marked
    /// `no-store` so that neither a cache nor the idempotency record keeps it.
    pub fn with_secret(mut self, change: impl FnOnce(T) -> T) -> Self {
        self.body = change(self.body);
        self.no_store = true;
        self
    }

    /// 201 Created with a `Location`.
    pub fn created(mut self, location: String) -> Self {
        self.status = StatusCode::CREATED;
        self.location = Some(location);
        self
    }

    pub fn respond(self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let last_modified = http_date(self.last_modified);
        let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
        if is_read && self.status == StatusCode::OK && self.is_fresh_at_client(req) {
            let mut response = not_modified(&self.etag);
            response.headers_mut().insert(
                header::LAST_MODIFIED,
                header::HeaderValue::from_str(&last_modified.to_string())
                    .map_err(ApiError::internal)?,
            );
            return Ok(response);
        }
        let body = serde_json::to_vec(&self.body).map_err(ApiError::internal)?;
        let mut response = HttpResponse::build(self.status);
        response
            .content_type("application/json")
            .insert_header((header::ETAG, self.etag))
            .insert_header((header::LAST_MODIFIED, last_modified))
            .insert_header((
                header::CACHE_CONTROL,
                if self.no_store {
                    "no-store"
                } else {
                    "no-cache"
                },
            ))
            .insert_header((header::VARY, "Authorization"));
        if let Some(location) = self.location {
            response.insert_header((header::LOCATION, absolute(req, &location)));
        }
        Ok(response.body(body))
    }

    fn is_fresh_at_client(&self, req: &HttpRequest) -> bool {
        fresh_at_client(req, &self.etag, Some(http_date(self.last_modified)))
    }
}

/// A handler returns `Result<Tagged<Municipality>, ApiError>`: the documented body type is
/// the one returned.
impl<T: Serialize> actix_web::Responder for Tagged<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        self.respond(req)
            .unwrap_or_else(|error| actix_web::ResponseError::error_response(&error))
    }
}

/// The `If-Match` precondition of a change.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// 412 unless the header is absent, `*`, or names the record's current version.
    pub fn check(&self, record: &impl Record) -> Result<(), ApiError> {
        let Some(value) = &self.0 else {
            return Ok(());
        };
        let current = etag(record.id(), record.version(), None);
        let stem = current.trim_end_matches('"');
        let matches = tags(value).any(|tag| {
            tag == "*"
                || tag == current
                || tag
                    .strip_prefix(stem)
                    .is_some_and(|rest| rest.starts_with('.') && rest.ends_with('"'))
        });
        if matches {
            Ok(())
        } else {
            Err(ApiError::precondition_failed())
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| {
            v.to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::bad_request("If-Match is not a valid header value"))
        });
        ready(value.transpose().map(IfMatch))
    }
}

/// The absolute form of a path for `Location`, from `ENGAGIERT_PUBLIC_URL` (rule 29).
pub fn absolute(req: &HttpRequest, path: &str) -> String {
    match req.app_data::<actix_web::web::Data<crate::config::PublicUrl>>() {
        Some(public) if path.starts_with('/') => public.link(path),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    struct Row(i32);
    impl Record for Row {
        fn id(&self) -> &str {
            "abc"
        }
        fn version(&self) -> i32 {
            self.0
        }
        fn updated_at(&self) -> NaiveDateTime {
            NaiveDateTime::default()
        }
        fn deleted_at(&self) -> Option<NaiveDateTime> {
            None
        }
    }

    #[test]
    fn if_match_compares_id_and_version() {
        let check =
            |header: &str, version| IfMatch(Some(header.into())).check(&Row(version)).is_ok();
        assert!(check("\"abc.v3\"", 3));
        assert!(check("\"abc.v3.member\"", 3));
        assert!(check("\"x\", \"abc.v3\"", 3));
        assert!(check("*", 3));
        assert!(!check("\"abc.v3\"", 4));
        assert!(!check("\"abc.v31\"", 3));
        assert!(!check("W/\"abc.v3\"", 3));
        assert!(IfMatch(None).check(&Row(9)).is_ok());
    }
}
