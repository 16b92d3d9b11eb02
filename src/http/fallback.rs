//! Problem documents for everything actix answers by itself: unknown paths, and any error
//! response a middleware or extractor produced in another format.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};

use crate::error::{ApiError, PROBLEM_JSON};

/// The paths of the API and their methods, taken from the OpenAPI document, so an unknown
/// method on a known path is a 405 with `Allow` rather than a 404.
pub struct RouteTable(Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let value = serde_json::to_value(item).unwrap_or_default();
                let mut methods: Vec<String> = ["get", "put", "post", "delete", "patch", "head"]
                    .iter()
                    .filter(|m| value.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .collect();
                if methods.iter().any(|m| m == "GET") && !methods.iter().any(|m| m == "HEAD") {
                    methods.push("HEAD".into());
                }
                (segments, methods)
            })
            .collect();
        Self(routes)
    }

    fn allowed(&self, path: &str) -> Option<String> {
        let wanted: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(template, methods)| {
            let matches = template.len() == wanted.len()
                && template
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t == w || (t.starts_with('{') && !w.is_empty()));
            matches.then(|| methods.join(", "))
        })
    }
}

/// What answers when no route matched: 405 for a known path, else 404.
pub async fn unmatched(
    req: actix_web::HttpRequest,
    routes: actix_web::web::Data<RouteTable>,
) -> HttpResponse {
    match routes.allowed(req.path()) {
        Some(allow) => {
            let mut response = ApiError::method_not_allowed()
                .with_detail(format!("{} is not allowed here; use {allow}", req.method()))
                .error_response();
            if let Ok(value) = header::HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
        None => ApiError::not_found("there is no resource at this path").error_response(),
    }
}

/// Answers `HEAD` wherever `GET` answers (rule 27): the request is routed as a `GET`, and
/// actix's HTTP/1 codec, which noted the method when it read the request, sends the status
/// and headers (with the `GET`'s `Content-Length`) and leaves the body out.
///
/// A path whose segments decode to control characters names nothing, and is answered 404
/// here, before any handler could hand such a key to the database (PostgreSQL cannot even
/// compare text holding NUL).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, Error> {
    if encodes_control(req.path()) {
        let refusal = ApiError::not_found("there is no resource at this path").error_response();
        return Ok(req.into_response(refusal).map_into_right_body());
    }
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// `%00`–`%1F` or `%7F` in a raw path.
fn encodes_control(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                (w[1], w[2].to_ascii_uppercase()),
                (b'0' | b'1', _) | (b'7', b'F')
            )
    })
}

/// Marks an error response whose body is the answer itself, as the import's 422 report is:
/// `problem_responses` leaves it as it is.
pub struct OwnErrorBody;

/// Rewrites any error response that is not yet `application/problem+json` (nor marked
/// `OwnErrorBody`).
pub async fn problem_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, Error> {
    // An error (rather than an error response) is rendered by actix further out; handing it
    // on as an `ApiError` makes that rendering a problem document too.
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(error) => {
            let status = error.as_response_error().status_code();
            return Err(problem_for(status, &error.to_string()).into());
        }
    };
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let own_body = response.response().extensions().contains::<OwnErrorBody>();
    if status.as_u16() < 400 || is_problem || own_body {
        return Ok(response.map_into_left_body());
    }
    let (request, old) = response.into_parts();
    let mut replacement: HttpResponse = problem_for(status, "").error_response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, replacement).map_into_right_body())
}

fn problem_for(status: StatusCode, cause: &str) -> ApiError {
    match status.as_u16() {
        400 => ApiError::bad_request(if cause.is_empty() {
            "the request is malformed"
        } else {
            cause
        }),
        401 => ApiError::unauthorized("a valid bearer token is required"),
        403 => ApiError::forbidden("this request is not allowed (for this origin)"),
        404 => ApiError::not_found("there is no resource at this path"),
        405 => ApiError::method_not_allowed(),
        413 => ApiError::payload_too_large(0).with_detail("the body is too large"),
        415 => ApiError::unsupported_media_type("this media type is not accepted here"),
        503 => ApiError::unavailable("the service is unavailable"),
        _ if status.is_server_error() => ApiError::internal(cause),
        _ => ApiError::bad_request(if cause.is_empty() {
            "the request was refused"
        } else {
            cause
        }),
    }
}
