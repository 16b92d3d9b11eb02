//! Every failure the API reports, as one type rendered as `application/problem+json`
//! (RFC 9457). The kinds of problems and the field error codes are tables (`kinds`);
//! database errors are mapped once (`database`).

mod checks;
mod database;
pub mod kinds;
pub mod pages;

pub use self::checks::Checks;
use self::kinds as types;
pub use self::kinds::{Code, PROBLEM_TYPES, ProblemType};

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "The body does not fit the schema.",
    "errors": [{"field": "email", "code": "invalid_format", "message": "must be an e-mail address"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; it resolves to a page describing it.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields that failed validation (422) or the query parameters that were refused (400).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request's id, as in its `X-Request-Id` header and the service's log lines: quote
    /// it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "01932c4e7a4b7cc29d1e1f2a3b4c5d6f")]
    pub request_id: Option<String>,
}

/// One refused field of a body or query.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the body (`membership.joined_on`, `answers[2].value`) or the
    /// query parameter's name.
    pub field: String,
    /// Why, for programs: stable across releases.
    pub code: Code,
    /// Why, for people: plain English, may be reworded.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    kind: &'static ProblemType,
    detail: Option<String>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    /// The file size a 416 names in `Content-Range: bytes */SIZE`.
    range_of: Option<u64>,
    cause: Cause,
}

/// What the database layer needs to know of a failure beyond its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Other,
    /// The connection to the database is gone: retire it (and its generation).
    DatabaseLost,
    /// A transaction lost a race (serialization failure, deadlock, SQLite's lock wait):
    /// running it again may well succeed.
    Retryable,
}

impl ApiError {
    fn new(kind: &'static ProblemType) -> Self {
        Self {
            kind,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            range_of: None,
            cause: Cause::Other,
        }
    }

    fn because(mut self, cause: Cause) -> Self {
        self.cause = cause;
        self
    }

    /// The database connection this came from is gone.
    pub fn is_database_lost(&self) -> bool {
        self.cause == Cause::DatabaseLost
    }

    /// A transaction that failed this way may succeed when run again.
    pub fn is_retryable(&self) -> bool {
        self.cause == Cause::Retryable
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// 400: malformed JSON or a refused query parameter.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(&types::BAD_REQUEST).with_detail(detail)
    }

    /// 400 naming the refused query parameter.
    pub fn bad_parameter(name: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        let error = FieldError::new(name, code, message);
        Self::new(&types::INVALID_PARAMETER)
            .with_detail(format!("{}: {}", error.field, error.message))
            .with_errors(vec![error])
    }

    /// 401: no token, or one that is expired, forged or revoked.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(&types::UNAUTHORIZED).with_detail(detail)
    }

    /// 403: authenticated, but the role or municipality does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(&types::FORBIDDEN).with_detail(detail)
    }

    /// 404: no such resource (or one the caller may not know of).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(&types::NOT_FOUND).with_detail(detail)
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> Self {
        Self::new(&types::METHOD_NOT_ALLOWED)
    }

    /// 408: the request body stopped arriving.
    pub fn request_timeout() -> Self {
        Self::new(&types::REQUEST_TIMEOUT)
            .with_detail("the request body stopped arriving; send it again")
    }

    /// 409: a duplicate unique value, or a state change the resource's state forbids.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(&types::CONFLICT).with_detail(detail)
    }

    /// 409 `/problems/resync`: a change-feed cursor of another history or beyond its head.
    pub fn resync(detail: impl Into<String>) -> Self {
        Self::new(&types::RESYNC).with_detail(detail)
    }

    /// 410: the resource was deleted.
    pub fn gone(detail: impl Into<String>) -> Self {
        Self::new(&types::GONE).with_detail(detail)
    }

    /// 412: `If-Match` names a version that is no longer current.
    pub fn precondition_failed() -> Self {
        Self::new(&types::PRECONDITION_FAILED)
            .with_detail("the resource has changed since the given ETag; fetch it again")
    }

    /// 413: the body exceeds the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(&types::PAYLOAD_TOO_LARGE)
            .with_detail(format!("the body exceeds the limit of {limit} bytes"))
    }

    /// 416: a `Range` beyond the end of a file of `size` bytes.
    pub fn range_not_satisfiable(size: u64) -> Self {
        let mut e = Self::new(&types::RANGE_NOT_SATISFIABLE)
            .with_detail(format!("the file has {size} bytes"));
        e.range_of = Some(size);
        e
    }

    /// 415: a body of a media type this endpoint does not take.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(&types::UNSUPPORTED_MEDIA_TYPE).with_detail(detail)
    }

    /// 422: well-formed JSON that does not fit the schema or the rules.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(&types::VALIDATION_FAILED)
            .with_detail(detail)
            .with_errors(errors)
    }

    pub fn invalid(field: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    /// 429: too many attempts; `Retry-After` says when to try again.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(&types::RATE_LIMITED).with_detail(format!(
            "too many attempts; try again in {retry_after_secs} seconds"
        ));
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// 503: the database cannot be reached.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut e = Self::new(&types::UNAVAILABLE).with_detail(detail);
        e.retry_after = Some(5);
        e
    }

    pub fn unavailable_from(cause: impl fmt::Display) -> Self {
        tracing::warn!(error = %cause, "database unavailable");
        Self::unavailable("the database is unreachable").because(Cause::DatabaseLost)
    }

    /// 503: the database is there but too busy to take this write in time (SQLite's write
    /// lock was held by others for longer than the busy timeout, even after retries).
    pub fn busy(cause: impl fmt::Display) -> Self {
        tracing::warn!(error = %cause, "database busy");
        let mut e = Self::new(&types::BUSY)
            .with_detail("the database is busy with other writes; try again in a moment")
            .because(Cause::Retryable);
        e.retry_after = Some(1);
        e
    }

    /// 500: a fault of ours. The cause is logged; the client learns nothing of it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(&types::INTERNAL).with_detail("an unexpected error occurred; it has been logged")
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.kind.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: self.kind.uri(),
            title: self.kind.title.to_owned(),
            status: self.kind.status,
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            // Added by the request's middleware (`telemetry::observe`), which knows it.
            request_id: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.status, self.kind.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if self.kind.status == 401 {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"engagiert\""),
            ));
        }
        if let Some(size) = self.range_of {
            response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}
