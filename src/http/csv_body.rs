//! The CSV request body of imports: `text/csv` in UTF-8 (415 otherwise), size limited like
//! JSON bodies (413), read only when the handler asks, after it has checked who is asking.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::body::DeferredBody;
use crate::error::ApiError;

pub struct CsvBody(DeferredBody);

impl FromRequest for CsvBody {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = DeferredBody::new(req, payload, check_content_type(req));
        std::future::ready(Ok(Self(body)))
    }
}

impl CsvBody {
    /// The bytes of the body: 415 for another media type or charset, 413 when too large.
    pub async fn read(self) -> Result<web::BytesMut, ApiError> {
        self.0.bytes().await
    }
}

/// `text/csv`, with no charset or UTF-8: the import reads nothing else, and a file saved in
/// Latin-1 would otherwise fail cell by cell instead of once, clearly.
fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let value = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("").to_ascii_lowercase();
    if essence != "text/csv" {
        let sent = if essence.is_empty() {
            "no Content-Type"
        } else {
            &essence
        };
        return Err(ApiError::unsupported_media_type(format!(
            "send the file as text/csv, not {sent}"
        )));
    }
    let charset = parts
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase());
    match charset.as_deref() {
        None | Some("utf-8" | "utf8") => Ok(()),
        Some(other) => Err(ApiError::unsupported_media_type(format!(
            "send the file in UTF-8 (charset=utf-8), not {other}"
        ))),
    }
}
