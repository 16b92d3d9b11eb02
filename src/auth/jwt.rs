//! Access tokens: HS256 JWTs whose issuer, audience, lifetime and id are all checked, and
//! whose algorithm is fixed (a token signed otherwise, or not at all, is refused).

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    /// A short-lived token from `/auth/login` or `/auth/refresh`; `sub` is a user id.
    Access,
    /// A long-lived token for an integration script; `sub` and `jti` are the API token's id.
    Api,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality_id: Option<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    #[serde(rename = "use")]
    pub token_use: TokenUse,
    /// The session an access token belongs to; ending the session ends the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// What a token grants: the claims that differ from token to token.
pub struct Grant {
    /// The user's id (access tokens) or the API token's id.
    pub sub: String,
    pub role: Role,
    pub municipality_id: Option<String>,
    pub token_use: TokenUse,
    pub jti: String,
    /// The session of an access token.
    pub sid: Option<String>,
    /// A Unix time.
    pub expires: i64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl JwtKeys {
    pub fn new(
        secret: &[u8],
        issuer: &str,
        audience: &str,
        access_ttl: Duration,
        refresh_ttl: Duration,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub", "jti"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl,
            refresh_ttl,
        }
    }

    /// Signs `grant`, valid from now until its `expires`.
    pub fn issue(&self, grant: Grant) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: grant.sub,
            role: grant.role,
            municipality_id: grant.municipality_id,
            iat: now,
            nbf: now,
            exp: grant.expires,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: grant.jti,
            token_use: grant.token_use,
            sid: grant.sid,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| ApiError::unauthorized(format!("the bearer token {}", refusal(e.kind()))))
    }
}

/// Why a token was refused, in words for people (the library's own name types and variants).
fn refusal(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "has expired".into(),
        ErrorKind::ImmatureSignature => "is not valid yet".into(),
        ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
            "was issued for another service".into()
        }
        ErrorKind::InvalidSignature => "has a signature that does not match".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("lacks the `{claim}` claim"),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm => "must be signed with HS256".into(),
        _ => "is malformed".into(),
    }
}
