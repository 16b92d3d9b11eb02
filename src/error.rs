//! Every failure the API reports, as one type rendered as `application/problem+json`
//! (RFC 9457). Database errors are mapped here once: unique violations become 409, a lost
//! database 503, anything unexpected 500 with the cause logged but never sent.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
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
    "errors": [{"field": "email", "message": "must be an e-mail address"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem.
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
}

/// One refused field of a body or query.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the body (`membership.joined_on`, `answers[2].value`) or the
    /// query parameter's name.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
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
    fn new(status: StatusCode, slug: &'static str, title: &'static str) -> Self {
        Self {
            status,
            slug,
            title,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
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
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").with_detail(detail)
    }

    /// 400 naming the refused query parameter.
    pub fn bad_parameter(name: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(name, message);
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-parameter",
            "Invalid query parameter",
        )
        .with_detail(format!("{}: {}", error.field, error.message))
        .with_errors(vec![error])
    }

    /// 401: no token, or one that is expired, forged or revoked.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
        )
        .with_detail(detail)
    }

    /// 403: authenticated, but the role or municipality does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").with_detail(detail)
    }

    /// 404: no such resource (or one the caller may not know of).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found").with_detail(detail)
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
        )
    }

    /// 408: the request body stopped arriving.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "Request timeout",
        )
        .with_detail("the request body stopped arriving; send it again")
    }

    /// 409: a duplicate unique value, or a state change the resource's state forbids.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(detail)
    }

    /// 410: the resource was deleted.
    pub fn gone(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, "gone", "Gone").with_detail(detail)
    }

    /// 412: `If-Match` names a version that is no longer current.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition failed",
        )
        .with_detail("the resource has changed since the given ETag; fetch it again")
    }

    /// 413: the body exceeds the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
        )
        .with_detail(format!("the body exceeds the limit of {limit} bytes"))
    }

    /// 415: a body of a media type this endpoint does not take.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .with_detail(detail)
    }

    /// 422: well-formed JSON that does not fit the schema or the rules.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Validation failed",
        )
        .with_detail(detail)
        .with_errors(errors)
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 429: too many attempts; `Retry-After` says when to try again.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        )
        .with_detail(format!(
            "too many attempts; try again in {retry_after_secs} seconds"
        ));
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// 503: the database cannot be reached.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
        )
        .with_detail(detail);
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
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "Service busy")
            .with_detail("the database is busy with other writes; try again in a moment")
            .because(Cause::Retryable);
        e.retry_after = Some(1);
        e
    }

    /// 500: a fault of ours. The cause is logged; the client learns nothing of it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
        )
        .with_detail("an unexpected error occurred; it has been logged")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("/problems/{}", self.slug),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"engagiert\""),
            ));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::not_found("no such resource"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let field = unique_field(info.table_name(), info.constraint_name(), info.message());
                let message = "is already taken by another record";
                Self::conflict(format!("{field} {message}"))
                    .with_errors(vec![FieldError::new(field, message)])
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::conflict(
                    "the change refers to a record that does not exist or is still referenced",
                )
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::unavailable_from(&error),
            DieselError::DatabaseError(_, info) if is_connection_lost(info.message()) => {
                Self::unavailable_from(&error)
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict("a concurrent change interfered; try again")
                    .because(Cause::Retryable)
            }
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::conflict("a concurrent change interfered; try again")
                    .because(Cause::Retryable)
            }
            DieselError::DatabaseError(_, info) if is_sqlite_busy(info.message()) => {
                Self::busy(&error)
            }
            _ => Self::internal(&error),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::unavailable_from(error)
    }
}

/// PostgreSQL's words when the server ended the session (a restart, `pg_terminate_backend`)
/// or the socket broke, for the cases libpq does not classify as a closed connection.
fn is_connection_lost(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "could not receive data from server",
        "could not send data to server",
        "no connection to the server",
        "connection to server",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|words| message.contains(words))
}

fn is_sqlite_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// The column behind a unique violation: indexes are named `<table>_<column>_unique`
/// (PostgreSQL reports the name), SQLite says `UNIQUE constraint failed: table.column`.
fn unique_field(table: Option<&str>, constraint: Option<&str>, message: &str) -> String {
    if let (Some(table), Some(name)) = (table, constraint.and_then(|c| c.strip_suffix("_unique")))
        && let Some(column) = name.strip_prefix(table).and_then(|n| n.strip_prefix('_'))
    {
        return column.to_owned();
    }
    message
        .rsplit_once('.')
        .map(|(_, column)| column.trim().to_owned())
        .unwrap_or_else(|| "value".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_field_from_either_backend() {
        assert_eq!(
            unique_field(Some("users"), Some("users_email_unique"), ""),
            "email"
        );
        let sqlite = "UNIQUE constraint failed: users.email";
        assert_eq!(unique_field(None, None, sqlite), "email");
        assert_eq!(unique_field(None, None, "no dot here"), "value");
    }
}

/// Collects the field errors of a validation, to answer them all in one 422.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn require(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }

    /// A required single-line text: not blank, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters long"));
        }
    }

    /// An optional text: at most `max` characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            self.text(field, value, max);
        }
    }

    /// Topic tags: at most 30, each a text of at most 60 characters, none twice.
    pub fn topics(&mut self, topics: &[String]) {
        self.require(topics.len() <= 30, "topics", "must hold at most 30 topics");
        for (i, topic) in topics.iter().enumerate() {
            self.text(&format!("topics[{i}]"), topic, 60);
            if topics[..i].iter().any(|t| t.trim() == topic.trim()) {
                self.add(format!("topics[{i}]"), "is given twice");
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 422 naming every collected field, or Ok.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}
