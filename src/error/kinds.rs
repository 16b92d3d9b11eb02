//! The two vocabularies of errors, each defined once: the problem types (the `type` of a
//! problem document, each with a page at `/problems/{slug}` generated from this table) and
//! the codes of `errors[]` items, which programs switch on (a frontend translates them).

/// A kind of problem: its `type` URI is `/problems/{slug}`.
#[derive(Debug, PartialEq, Eq)]
pub struct ProblemType {
    pub slug: &'static str,
    pub status: u16,
    pub title: &'static str,
    /// What the problem means and what a client does about it (the page's text).
    pub description: &'static str,
}

macro_rules! problem_types {
    ($($name:ident = $slug:literal, $status:literal, $title:literal, $description:literal;)*) => {
        $(pub const $name: ProblemType = ProblemType {
            slug: $slug,
            status: $status,
            title: $title,
            description: $description,
        };)*
        /// Every problem type the API answers with.
        pub const PROBLEM_TYPES: &[ProblemType] = &[$($name),*];
    };
}

problem_types! {
    BAD_REQUEST = "bad-request", 400, "Bad request",
        "The request could not be read: the body is not valid JSON, or a header or path segment is malformed. Fix the request; sending it again unchanged fails again.";
    INVALID_PARAMETER = "invalid-parameter", 400, "Invalid query parameter",
        "A query parameter is unknown or its value is refused. `errors[]` names each parameter with a code and a message.";
    UNAUTHORIZED = "unauthorized", 401, "Authentication required",
        "The endpoint needs `Authorization: Bearer <token>`, or the token sent is expired, forged, of an ended session or of a deactivated account. Log in (or refresh) and try again.";
    FORBIDDEN = "forbidden", 403, "Forbidden",
        "The caller is signed in but its role does not allow this operation (a reader writes nothing; an editor acts only for its own municipality; API tokens cannot manage API tokens).";
    NOT_FOUND = "not-found", 404, "Not found",
        "There is no such resource, or none the caller may know of.";
    METHOD_NOT_ALLOWED = "method-not-allowed", 405, "Method not allowed",
        "The path exists but does not take this method; `Allow` lists the ones it takes.";
    REQUEST_TIMEOUT = "request-timeout", 408, "Request timeout",
        "The request body stopped arriving before it was complete. Send the request again.";
    CONFLICT = "conflict", 409, "Conflict",
        "The change collides with the data: a unique value (slug, AGS, e-mail) is taken, the record's state does not allow this change, or the same idempotency key is still being processed.";
    RESYNC = "resync", 409, "Start over",
        "The change-feed cursor cannot be continued: it belongs to an earlier history of the feed (the database was restored from a backup, which starts a new one) or lies beyond the newest change. Read the collections again (`updated_since` from before the last change you trust) and follow the feed from the `next` of a page without `after`.";
    GONE = "gone", 410, "Gone",
        "The resource was deleted. An admin can restore it from its revisions.";
    PRECONDITION_FAILED = "precondition-failed", 412, "Precondition failed",
        "`If-Match` names a version that is no longer current: someone else changed the resource. Fetch it again, reapply the change and retry with the new ETag.";
    PAYLOAD_TOO_LARGE = "payload-too-large", 413, "Payload too large",
        "The body exceeds the configured size limit.";
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type", 415, "Unsupported media type",
        "The body's `Content-Type` is not one the endpoint takes (JSON endpoints take `application/json` and `application/merge-patch+json`).";
    RANGE_NOT_SATISFIABLE = "range-not-satisfiable", 416, "Range not satisfiable",
        "The `Range` header asks for bytes beyond the end of the file. `Content-Range: bytes */SIZE` gives the file's size; ask for a range within it, or for the whole file.";
    VALIDATION_FAILED = "validation-failed", 422, "Validation failed",
        "The body is well-formed but does not fit the schema or the rules. `errors[]` names every refused field with a stable `code` and a message; nothing was changed.";
    RATE_LIMITED = "rate-limited", 429, "Too many requests",
        "Too many attempts (failed logins): wait for the seconds in `Retry-After`.";
    INTERNAL = "internal", 500, "Internal server error",
        "An unexpected fault of the service. It has been logged; nothing about it is sent.";
    UNAVAILABLE = "unavailable", 503, "Service unavailable",
        "The database (or, for a download, the attachment store) cannot be reached. Retry after the seconds in `Retry-After`.";
    BUSY = "busy", 503, "Service busy",
        "The database is busy with other writes. Retry after the seconds in `Retry-After`; nothing was changed.";
}

impl ProblemType {
    /// The `type` URI of problems of this kind.
    pub fn uri(&self) -> String {
        format!("/problems/{}", self.slug)
    }

    pub fn find(slug: &str) -> Option<&'static ProblemType> {
        PROBLEM_TYPES.iter().find(|kind| kind.slug == slug)
    }
}

crate::text_enum! {
    /// Why a field was refused: stable, for programs (translate it, switch on it); the
    /// message beside it is for people and may be reworded.
    pub enum Code {
        /// The field is missing, or empty where a value is needed.
        Required = "required",
        /// The field is not part of the schema (or cannot be written).
        UnknownField = "unknown_field",
        /// The value has the wrong JSON type (a string where a number belongs).
        InvalidType = "invalid_type",
        /// The value does not have the required form (a date, an AGS, a URL, an e-mail).
        InvalidFormat = "invalid_format",
        /// The value has the right form but is not allowed here.
        InvalidValue = "invalid_value",
        /// A number or date outside the allowed range.
        OutOfRange = "out_of_range",
        /// A text or list longer than allowed.
        TooLong = "too_long",
        /// A text or list shorter than allowed.
        TooShort = "too_short",
        /// The value names a record that does not exist.
        NotFound = "not_found",
        /// The value is given twice, or is already taken by another record.
        Duplicate = "duplicate",
        /// The field cannot be changed (by this caller, or in the record's state).
        ReadOnly = "read_only",
    }
}
