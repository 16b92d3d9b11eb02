//! Who may do what: login, rotating refresh tokens, logout, `/auth/me`, the `AuthUser`
//! extractor and the role rules. It stands on `accounts` (users, roles, passwords, API token
//! rows) and knows no resource.

pub mod extractor;
pub mod jwt;
pub mod known;
pub mod rate_limit;
pub mod rules;
pub mod tokens;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub use self::extractor::{AuthUser, MaybeUser};
use self::jwt::{Grant, JwtKeys, TokenUse};
use self::rate_limit::LoginLimiter;
use crate::accounts::User;
use crate::accounts::model as users;
use crate::accounts::sessions;
pub use crate::accounts::{Role, password};
use crate::db::{Db, new_id};
use crate::error::ApiError;
use crate::http::{ApiJson, Tagged};
use crate::ids::SessionId;
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin@example.org")]
    pub email: String,
    #[schema(example = "engagiert-demo", write_only)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    pub refresh_token: String,
}

/// A token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token (JWT) for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Exchanges once for a new pair at `/auth/refresh`.
    pub refresh_token: String,
}

/// Signs an access token of `session` and stores the session's next refresh token.
fn issue_pair(
    conn: &mut crate::db::DbConnection,
    keys: &JwtKeys,
    user: &users::UserRow,
    session: &SessionId,
) -> Result<TokenResponse, ApiError> {
    let expires = chrono::Utc::now().timestamp() + keys.access_ttl.as_secs() as i64;
    let access_token = keys.issue(Grant {
        sub: user.id.to_string(),
        role: user.role,
        municipality_id: user.municipality_id.clone().map(Into::into),
        token_use: TokenUse::Access,
        jti: new_id(),
        sid: Some(session.to_string()),
        expires,
    })?;
    let refresh_token = tokens::random_token().map_err(ApiError::internal)?;
    let lifetime = chrono::Duration::from_std(keys.refresh_ttl).map_err(ApiError::internal)?;
    tokens::store(conn, &user.id, session, &refresh_token, lifetime)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: keys.access_ttl.as_secs(),
        refresh_token,
    })
}

/// Log in with e-mail and password.
///
/// Failed attempts are counted per account and client address together (10 within 15
/// minutes lock that pair), per client address (100) and per account (50); a locked
/// attempt is 429 with `Retry-After`. The client address is the peer, or the
/// `X-Forwarded-For` entry of a proxy listed in `ENGAGIERT_TRUSTED_PROXIES`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A token pair.", body = TokenResponse),
        BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests, Unavailable
    )
)]
#[post("/auth/login")]
async fn login(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<JwtKeys>,
    limiter: web::Data<LoginLimiter>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        email,
        password: plain,
    } = body.parse::<LoginRequest>().await?;
    let email = email.trim().to_lowercase();
    let attempt = limiter.login_attempt(&email, &limiter.client_address(&req));
    limiter.check(&db, &attempt).await?;
    let lookup = email.clone();
    let user = db
        .run(move |conn| Ok(users::find_active_by_email(conn, &lookup)?))
        .await?;
    let user = web::block(move || {
        let ok = match &user {
            // A user restored after deletion has no password until an admin sets one; the
            // time of a verification is spent all the same, so the answer's timing does not
            // tell such an account from one with a password.
            Some(user) if user.password_hash.is_empty() => {
                password::verify_nothing(&plain);
                false
            }
            Some(user) => password::verify(&plain, &user.password_hash),
            None => {
                password::verify_nothing(&plain);
                false
            }
        };
        user.filter(|_| ok)
    })
    .await
    .map_err(ApiError::internal)?;
    let Some(user) = user else {
        limiter.record_failure(&db, &attempt).await?;
        return Err(ApiError::unauthorized("invalid e-mail or password"));
    };
    limiter.forget_pair(&db, &attempt).await?;
    let keys = keys.into_inner();
    let pair = db
        .transaction(move |conn| {
            let session = sessions::start(conn, &user.id)?;
            issue_pair(conn, &keys, &user, &session)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

/// Exchange a refresh token for a new pair.
///
/// Each refresh token works once. Presenting one that was already used revokes every token
/// descended from the same login.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair.", body = TokenResponse),
        BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    db: web::Data<Db>,
    keys: web::Data<JwtKeys>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let presented = body.parse::<RefreshRequest>().await?.refresh_token;
    let keys = keys.into_inner();
    // Reuse detection must survive the error: the revocation commits on its own, outside the
    // transaction that would otherwise be rolled back by the 401.
    let outcome = db
        .transaction(move |conn| {
            let Some(token) = tokens::find(conn, &presented)? else {
                return Ok(Err("unknown refresh token"));
            };
            if token.revoked_at.is_some() {
                return Ok(Err("this refresh token has been revoked"));
            }
            if !tokens::mark_used(conn, &token.id)? {
                sessions::end(conn, &token.family_id)?;
                return Ok(Err(
                    "this refresh token was already used; its whole family is now revoked",
                ));
            }
            if token.expires_at < crate::db::now() {
                return Ok(Err("this refresh token has expired"));
            }
            let Some(user) =
                users::find(conn, &token.user_id)?.filter(|u| u.active && u.deleted_at.is_none())
            else {
                return Ok(Err("the token's user is no longer active"));
            };
            issue_pair(conn, &keys, &user, &token.family_id).map(Ok)
        })
        .await?;
    let pair = outcome.map_err(ApiError::unauthorized)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

/// Log out: end the session of the refresh token. Its access tokens answer 401 from now
/// on, and its refresh tokens no longer refresh.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Revoked."),
        BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    )
)]
#[post("/auth/logout")]
async fn logout(db: web::Data<Db>, body: ApiJson) -> Result<HttpResponse, ApiError> {
    let presented = body.parse::<RefreshRequest>().await?.refresh_token;
    db.transaction(move |conn| match tokens::find(conn, &presented)? {
        Some(token) => Ok(sessions::end(conn, &token.family_id)?),
        None => Err(ApiError::unauthorized("unknown refresh token")),
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An API token as `/auth/me` shows it to the script that uses it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenIdentity {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d70")]
    pub id: String,
    /// Always `token`.
    #[schema(example = "token")]
    pub kind: &'static str,
    #[schema(example = "Nachtlauf Mitgliederabgleich")]
    pub name: String,
    #[schema(example = "reader")]
    pub role: Role,
    /// The municipality an editor token acts for.
    #[schema(example = json!(null))]
    pub municipality_id: Option<String>,
    #[schema(example = json!("2027-06-30T00:00:00Z"))]
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The caller: the signed-in user, or the API token a script uses (`kind: "token"`), so a
/// script can check its own token.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller: a user, or an API token.", body = inline(MeAnswer), headers(("ETag" = String))),
        NotModified, Unauthorized, Forbidden, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/auth/me")]
async fn me(
    req: HttpRequest,
    db: web::Data<Db>,
    caller: AuthUser,
) -> Result<HttpResponse, ApiError> {
    if caller.token_use == TokenUse::Api {
        let id = crate::ids::ApiTokenId::parse(&caller.id)
            .ok_or_else(|| ApiError::unauthorized("the token names no API token"))?;
        let row = db
            .run(move |conn| {
                crate::db::record::live(crate::accounts::api_tokens::find(conn, &id)?, "API token")
            })
            .await?;
        return Tagged::of(row, Some("token"), |row| TokenIdentity {
            id: row.id.to_string(),
            kind: "token",
            name: row.name,
            role: row.role,
            municipality_id: row.municipality_id.map(|m| m.to_string()),
            expires_at: crate::db::utc(row.expires_at),
        })
        .respond(&req);
    }
    let id = crate::ids::UserId::parse(&caller.id)
        .ok_or_else(|| ApiError::unauthorized("the token names no user"))?;
    let row = db
        .run(move |conn| crate::db::record::live(users::find(conn, &id)?, "user"))
        .await?;
    Tagged::of(row, None, User::from).respond(&req)
}

/// What `/auth/me` answers: a user, or an API token.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum MeAnswer {
    User(User),
    Token(TokenIdentity),
}
