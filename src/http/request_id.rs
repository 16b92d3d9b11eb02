//! The request id (rule 34): the client's `X-Request-Id` when it is well-formed (1 to 128
//! characters of `A-Z a-z 0-9 . _ -`), else a new one. It is on every answer, on every log
//! line of the request (a tracing span around it) and in every problem document, so a
//! client's report and the operator's logs meet.

use actix_web::HttpRequest;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The client's id when well-formed, else a new one.
    pub fn of(req: &HttpRequest) -> Self {
        req.headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|id| well_formed(id))
            .map(|id| RequestId(id.to_owned()))
            .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().simple().to_string()))
    }
}

fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_ids_are_taken() {
        assert!(well_formed("abc-123_x.y"));
        for bad in ["", "a b", "ä", "a\nb", &"x".repeat(129)] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }
}
