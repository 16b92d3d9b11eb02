//! The request id (rule 34): the client's `X-Request-Id` when it is well-formed (1 to 128
//! characters of `A-Z a-z 0-9 . _ -`), else a new one. It is on every answer, on every log
//! line of the request (a tracing span around it) and in every problem document, so a
//! client's report and the operator's logs meet.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

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
            .unwrap_or_else(RequestId::new)
    }

    /// A new id: 32 hex digits, a random prefix drawn once per process and a counter. Unique
    /// across instances and restarts (the prefix), ordered within one, and cheaper than a
    /// UUID per request, which asked the kernel for randomness on every read of the hot path.
    fn new() -> Self {
        static PREFIX: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let prefix = *PREFIX.get_or_init(|| {
            let mut bytes = [0u8; 8];
            // Without randomness (never seen on Linux), the clock still tells processes apart.
            if getrandom::fill(&mut bytes).is_err() {
                bytes = (std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64))
                .to_be_bytes();
            }
            u64::from_be_bytes(bytes)
        });
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        RequestId(format!("{prefix:016x}{n:016x}"))
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
    fn new_ids_are_well_formed_and_differ() {
        let (a, b) = (RequestId::new(), RequestId::new());
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 32);
        assert!(well_formed(&a.0) && a.0[..16] == b.0[..16], "{a:?} {b:?}");
    }

    #[test]
    fn only_well_formed_ids_are_taken() {
        assert!(well_formed("abc-123_x.y"));
        for bad in ["", "a b", "ä", "a\nb", &"x".repeat(129)] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }
}
