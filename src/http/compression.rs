//! Compressed answers (rule 38): brotli or gzip, as `Accept-Encoding` asks. The response
//! cache keeps each public answer compressed beside the plain bytes (made once, when it is
//! stored), so a hit costs no compression; each representation has an `ETag` of its own
//! (`"…-br"`, `"…-gz"`), as a strong validator must, and `Vary: Accept-Encoding` tells
//! caches on the way that the answer depends on the header.

use std::io::Write;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;

/// Smaller bodies gain less than the header costs.
const MIN_BYTES: usize = 512;

/// A content coding the service answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
}

/// The codings a request accepts (a set; no allocation on the path of every read).
#[derive(Clone, Copy, Debug, Default)]
pub struct Accepted(u8);

impl Accepted {
    pub fn contains(&self, coding: &Coding) -> bool {
        self.0 & coding.bit() != 0
    }
}

impl Coding {
    /// In the order of preference: brotli compresses JSON about a fifth better.
    pub const ALL: [Coding; 2] = [Coding::Brotli, Coding::Gzip];

    fn bit(self) -> u8 {
        match self {
            Coding::Brotli => 1,
            Coding::Gzip => 2,
        }
    }

    fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gz",
        }
    }

    /// The answer with `headers` and `body` in this coding, with its own `ETag`; `None` when
    /// it is not worth it (small, already compressed, a media type that does not shrink).
    pub fn encode(self, headers: &HeaderMap, body: &[u8]) -> Option<(HeaderMap, Bytes)> {
        if body.len() < MIN_BYTES
            || headers.contains_key(header::CONTENT_ENCODING)
            || !compressible(headers)
        {
            return None;
        }
        let compressed = match self {
            Coding::Brotli => {
                // Quality 5: most of the gain of 11 at a small part of its time.
                let mut writer = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
                writer.write_all(body).ok()?;
                writer.into_inner()
            }
            Coding::Gzip => {
                let mut writer =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                writer.write_all(body).ok()?;
                writer.finish().ok()?
            }
        };
        if compressed.len() >= body.len() {
            return None;
        }
        let mut headers = headers.clone();
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(self.token()),
        );
        headers.remove(header::CONTENT_LENGTH);
        if let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
            let tagged = with_suffix(etag, self.suffix());
            headers.insert(header::ETAG, HeaderValue::from_str(&tagged).ok()?);
        }
        Some((headers, Bytes::from(compressed)))
    }
}

/// The codings `Accept-Encoding` accepts (`q=0` refuses; `*` accepts every one).
pub fn accepted(headers: &HeaderMap) -> Accepted {
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Accepted::default();
    };
    let mut set = 0;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        for coding in Coding::ALL {
            if token == "*" || token.eq_ignore_ascii_case(coding.token()) {
                set |= coding.bit();
            }
        }
    }
    Accepted(set)
}

/// Adds `Accept-Encoding` to `Vary` (once).
pub fn vary(headers: &mut HeaderMap) {
    let current = headers
        .get(header::VARY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if current
        .split(',')
        .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
    {
        return;
    }
    let value = if current.trim().is_empty() {
        "Accept-Encoding".to_owned()
    } else {
        format!("{current}, Accept-Encoding")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}

/// Text formats: JSON, CSV, GeoJSON, Atom, iCalendar, HTML, SVG. Not the attachments (PDF,
/// images and office files are compressed already).
pub fn compressible(headers: &HeaderMap) -> bool {
    let Some(media) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media = media.split(';').next().unwrap_or_default().trim();
    media.starts_with("text/")
        || media.ends_with("json")
        || media.ends_with("+xml")
        || media == "application/xml"
}

/// `"abc"` → `"abc-br"`, `W/"abc"` → `W/"abc-br"`.
fn with_suffix(etag: &str, suffix: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) => format!("{open}-{suffix}\""),
        None => format!("{etag}-{suffix}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let asks = |value: &str| accepted(&headers(&[("accept-encoding", value)]));
        let both = asks("gzip, deflate, br, zstd");
        assert!(both.contains(&Coding::Brotli) && both.contains(&Coding::Gzip));
        let gzip = asks("br;q=0, gzip;q=0.5");
        assert!(!gzip.contains(&Coding::Brotli) && gzip.contains(&Coding::Gzip));
        assert!(asks("*").contains(&Coding::Brotli));
        assert!(!asks("identity").contains(&Coding::Gzip));
        assert!(!accepted(&HeaderMap::new()).contains(&Coding::Brotli));
    }

    #[test]
    fn a_compressed_representation_has_its_own_etag() {
        let body = br#"{"items": ["Unna", "Kamen", "Bergkamen"]}"#.repeat(40);
        let plain = headers(&[("content-type", "application/json"), ("etag", "\"abc\"")]);
        let (encoded, bytes) = Coding::Brotli.encode(&plain, &body).unwrap();
        assert_eq!(encoded.get(header::ETAG).unwrap(), "\"abc-br\"");
        assert_eq!(encoded.get(header::CONTENT_ENCODING).unwrap(), "br");
        let mut plain_again = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut plain_again).unwrap();
        assert_eq!(plain_again, body);
        assert!(Coding::Gzip.encode(&plain, b"short").is_none());
        let pdf = headers(&[("content-type", "application/pdf")]);
        assert!(Coding::Gzip.encode(&pdf, &body).is_none());
        let mut vary = headers(&[("vary", "Origin")]);
        super::vary(&mut vary);
        super::vary(&mut vary);
        assert_eq!(vary.get(header::VARY).unwrap(), "Origin, Accept-Encoding");
    }
}
