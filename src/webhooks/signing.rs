//! Standard Webhooks v1 signatures (standardwebhooks.com): the secret is `whsec_` + base64 of
//! random bytes; a delivery carries `webhook-id` (stable across retries), `webhook-timestamp`
//! (Unix seconds) and `webhook-signature`: `v1,<base64 HMAC-SHA256 over "id.timestamp.body">`,
//! one per secret, separated by spaces, so a receiver keeps verifying while a rotated secret's
//! grace period lasts. The tests check against the `standardwebhooks` crate, an independent
//! implementation.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::digest::InvalidLength;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A signing secret. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// 32 random bytes.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// `whsec_<base64>` as shown to the admin once (and as stored).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.strip_prefix(PREFIX)?).ok()?;
        (bytes.len() >= 24).then_some(Self(bytes))
    }

    pub fn to_whsec(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<base64 signature>` of one delivery. (HMAC takes keys of any length; the error
    /// case exists only in the crate's general signature.)
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<String, InvalidLength> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        Ok(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ))
    }
}

/// The three headers of a delivery signed with every secret in `secrets` (the current one,
/// and the previous one during a rotation's grace period).
pub fn headers(
    id: &str,
    timestamp: i64,
    body: &[u8],
    secrets: &[&Secret],
) -> Result<[(&'static str, String); 3], InvalidLength> {
    let signatures = secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Result<Vec<String>, _>>()?;
    Ok([
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures.join(" ")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified_by_the_reference(
        secret: &Secret,
        headers: &[(&'static str, String); 3],
        body: &[u8],
    ) -> bool {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        standardwebhooks::Webhook::new(&secret.to_whsec())
            .unwrap()
            .verify(body, &map)
            .is_ok()
    }

    #[test]
    fn the_reference_implementation_verifies_our_signatures() {
        let secret = Secret::generate().unwrap();
        let body = br#"{"type":"municipalities.updated","timestamp":"2026-11-29T12:00:00Z"}"#;
        let now = chrono::Utc::now().timestamp();
        let headers = headers("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, body, &[&secret]).unwrap();
        assert!(verified_by_the_reference(&secret, &headers, body));
        // A changed body, or another secret, fails.
        assert!(!verified_by_the_reference(&secret, &headers, b"{}"));
        let other = Secret::generate().unwrap();
        assert!(!verified_by_the_reference(&other, &headers, body));
    }

    #[test]
    fn during_a_rotation_both_secrets_verify() {
        let old = Secret::generate().unwrap();
        let new = Secret::generate().unwrap();
        let body = b"{}";
        let now = chrono::Utc::now().timestamp();
        let headers = headers("msg_1", now, body, &[&new, &old]).unwrap();
        assert!(verified_by_the_reference(&new, &headers, body));
        assert!(verified_by_the_reference(&old, &headers, body));
    }

    #[test]
    fn matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret
                .sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
                .unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(secret.to_whsec(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
    }
}
