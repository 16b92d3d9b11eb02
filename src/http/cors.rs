//! CORS as the contract asks: public reads from any origin (municipal websites embed them),
//! writes only from the origins configured for the admin frontend. A read without a token
//! answers `Access-Control-Allow-Origin: *` (rule 33), the same for every website, so one
//! cached copy serves them all; signed-in callers (the admin frontend) get their origin back.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, header};
use actix_web::middleware::Next;

/// The headers a website's script may read from an answer.
const EXPOSED: &str = "ETag, Link, Location, Last-Modified, Retry-After, Content-Disposition, \
                       Idempotent-Replayed, X-Request-Id";

/// A read without a token: answered to any origin alike, with `*`.
pub fn is_anonymous_read(req: &ServiceRequest) -> bool {
    (req.method() == Method::GET || req.method() == Method::HEAD)
        && !req.headers().contains_key(header::AUTHORIZATION)
}

/// For a read without a token, the `Origin` plays no part: the answer is the same for every
/// origin and carries `*` (the `Cors` middleware further in never sees the origin).
pub async fn public_reads(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let public = is_anonymous_read(&req);
    if public {
        req.headers_mut().remove(header::ORIGIN);
    }
    let mut response = next.call(req).await?;
    if public {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
    }
    Ok(response)
}

pub fn cors(write_origins: &[String]) -> Cors {
    let write_origins: Vec<String> = write_origins
        .iter()
        .map(|o| o.trim_end_matches('/').to_owned())
        .collect();
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let trusted = origin
                .to_str()
                .is_ok_and(|origin| write_origins.iter().any(|allowed| allowed == origin));
            trusted
                || is_read(
                    &head.method,
                    head.headers.get(header::ACCESS_CONTROL_REQUEST_METHOD),
                )
        })
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::ACCEPT,
            header::RANGE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::LAST_MODIFIED,
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            header::HeaderName::from_static("idempotent-replayed"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
}

/// A read, or the preflight of one.
fn is_read(method: &Method, requested: Option<&header::HeaderValue>) -> bool {
    let read = |m: &Method| m == Method::GET || m == Method::HEAD;
    if method == Method::OPTIONS {
        return requested
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Method>().ok())
            .is_some_and(|m| read(&m));
    }
    read(method)
}
