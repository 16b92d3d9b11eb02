//! `AuthUser`: taking it as a handler argument is what makes a route authenticated; it
//! answers 401 by itself, and 403 when the authorization table (`rules`) does not give the
//! caller's role the operation. Municipality rights are checked with its methods (403).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::Role;
use super::jwt::{JwtKeys, TokenUse};
use super::known::KnownCallers;
use super::rules::Permissions;
use crate::db::Db;
use crate::error::ApiError;
use crate::ids::{ApiTokenId, SessionId, UserId};

/// The authenticated caller: a user, or an integration script's API token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id, or the API token's id.
    pub id: String,
    pub role: Role,
    pub municipality_id: Option<crate::ids::MunicipalityId>,
    pub token_use: TokenUse,
    /// The session of an access token (none for API tokens).
    pub session: Option<SessionId>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the caller reads what is shown to signed-in callers of every municipality
    /// (registrations, results that are not public): admins and readers.
    pub fn reads_everything(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Reader)
    }

    /// 403 unless the caller may read what belongs to `municipality_id`.
    pub fn require_reading(&self, municipality_id: &str) -> Result<(), ApiError> {
        if self.reads_everything() {
            Ok(())
        } else {
            self.require_municipality(municipality_id)
        }
    }

    /// 403 unless an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only the network office (admin) may do this",
            ))
        }
    }

    /// Whether the caller may act for `municipality_id`: admins for all, editors for their own.
    pub fn acts_for(&self, municipality_id: &str) -> bool {
        self.is_admin() || self.municipality_id.as_deref() == Some(municipality_id)
    }

    /// 403 unless the caller may act for `municipality_id`.
    pub fn require_municipality(&self, municipality_id: &str) -> Result<(), ApiError> {
        if self.acts_for(municipality_id) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "editors may act only for their own municipality",
            ))
        }
    }
}

/// The caller if a token was sent; a bad token is still a 401, not an anonymous read.
pub struct MaybeUser(pub Option<AuthUser>);

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::unauthorized("use Authorization: Bearer <token>")),
    }
}

async fn authenticate(
    token: String,
    keys: Option<web::Data<JwtKeys>>,
    db: Option<web::Data<Db>>,
    known: Option<web::Data<KnownCallers>>,
) -> Result<AuthUser, ApiError> {
    let (Some(keys), Some(db)) = (keys, db) else {
        return Err(ApiError::internal("authentication is not configured"));
    };
    let claims = keys.verify(&token)?;
    // Read before the query: a commit while it runs retires the verdict.
    let generation = db.generation();
    let key = KnownCallers::key(&claims);
    if let Some(caller) = known.as_ref().and_then(|k| k.get(&key, generation)) {
        return Ok(caller);
    }
    let token_use = claims.token_use;
    let session = claims.sid.as_deref().and_then(SessionId::parse);
    let shown_session = session.clone();
    // The role and municipality come from the database, so a demoted, deactivated or deleted
    // user (or a revoked API token) loses its rights at once, not when the token expires.
    let (subject, use_noted) = db
        .run(move |conn| {
            // A subject that is not an id names nobody (the token is signed, so this is a
            // token from another system with the same secret, if anything).
            Ok(match token_use {
                TokenUse::Access => match (UserId::parse(&claims.sub), session) {
                    (Some(id), Some(session)) => {
                        let found = crate::accounts::sessions::active_subject(conn, &id, &session)?;
                        (
                            found.map(|(id, role, m)| (id.into_string(), role, m)),
                            false,
                        )
                    }
                    _ => (None, false),
                },
                TokenUse::Api => match ApiTokenId::parse(&claims.jti) {
                    Some(id) => match crate::accounts::api_tokens::active_subject(conn, &id)? {
                        Some(t) => (
                            Some((t.id.into_string(), t.role, t.municipality_id)),
                            t.use_noted,
                        ),
                        None => (None, false),
                    },
                    None => (None, false),
                },
            })
        })
        .await?;
    // The token list shows the use: answers computed before it are retired.
    if use_noted {
        db.announce();
    }
    let Some((id, role, municipality_id)) = subject else {
        return Err(ApiError::unauthorized(
            "the token's session has ended, or its user or API token is no longer active",
        ));
    };
    let caller = AuthUser {
        id,
        role,
        municipality_id,
        token_use,
        session: shown_session,
    };
    if let Some(known) = known {
        known.remember(key, &caller, generation);
    }
    Ok(caller)
}

/// The caller of a request, authenticated once: a middleware that asks before the handler
/// (idempotency keys) and the handler's extractor share one look-up.
pub(crate) fn caller(
    req: &HttpRequest,
) -> LocalBoxFuture<'static, Result<Option<AuthUser>, ApiError>> {
    if let Some(user) = req.extensions().get::<AuthUser>() {
        let user = user.clone();
        return Box::pin(async move { Ok(Some(user)) });
    }
    let token = bearer(req);
    let keys = req.app_data::<web::Data<JwtKeys>>().cloned();
    let db = req.app_data::<web::Data<Db>>().cloned();
    let known = req.app_data::<web::Data<KnownCallers>>().cloned();
    let req = req.clone();
    Box::pin(async move {
        let Some(token) = token? else {
            return Ok(None);
        };
        let user = authenticate(token, keys, db, known).await?;
        req.extensions_mut().insert(user.clone());
        Ok(Some(user))
    })
}

/// The authorization table's verdict on `user` calling the operation `req` is routed to.
fn permitted(req: &HttpRequest, user: &AuthUser) -> Result<(), ApiError> {
    match req.app_data::<web::Data<Permissions>>() {
        Some(permissions) => permissions.check(req, user),
        None => Err(ApiError::internal(
            "the authorization table is not configured",
        )),
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = caller(req);
        let req = req.clone();
        Box::pin(async move {
            let user = caller
                .await?
                .ok_or_else(|| ApiError::unauthorized("this endpoint needs a bearer token"))?;
            permitted(&req, &user)?;
            Ok(user)
        })
    }
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = caller(req);
        let req = req.clone();
        Box::pin(async move {
            let user = caller.await?;
            if let Some(user) = &user {
                permitted(&req, user)?;
            }
            Ok(MaybeUser(user))
        })
    }
}
