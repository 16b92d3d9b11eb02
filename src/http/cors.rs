//! CORS as the contract asks: public reads from any origin (municipal websites embed them),
//! writes only from the origins configured for the admin frontend.

use actix_cors::Cors;
use actix_web::http::{Method, header};

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
