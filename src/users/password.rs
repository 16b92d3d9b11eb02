//! `PUT /api/v1/auth/me/password`: a user changes their own password. The new password is
//! a change of the account like any other (a new version and revision, without the
//! password), and it ends every other session of the account, so a password that leaked
//! stops working the moment its owner replaces it.

use actix_web::{HttpResponse, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{self, UserChanges};
use super::service::Users;
use crate::accounts::{password, sessions};
use crate::auth::AuthUser;
use crate::auth::rate_limit::LoginLimiter;
use crate::db::Db;
use crate::db::record::live;
use crate::error::{ApiError, Code};
use crate::history::revisions::{Action, Actor};
use crate::http::ApiJson;
use crate::ids::UserId;
use crate::openapi::responses::*;
use crate::resource::recording::{Before, record};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password the caller signed in with.
    #[schema(write_only)]
    pub current_password: String,
    /// The new password: 10 to 256 characters, not the current one.
    #[schema(write_only, min_length = 10, max_length = 256)]
    pub new_password: String,
}

/// Change one's own password.
///
/// Ends every other session of the account (their access tokens answer 401, their refresh
/// tokens no longer refresh); this one stays signed in. A wrong current password is 422 on
/// `current_password` and counts as a failed login of the account.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed."),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/auth/me/password")]
pub async fn change_own_password(
    db: web::Data<Db>,
    limiter: web::Data<LoginLimiter>,
    caller: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::parse(&caller.id)
        .ok_or_else(|| ApiError::unauthorized("the token names no user"))?;
    let change: PasswordChange = body.parse().await?;
    let lookup = id.clone();
    let current = db
        .run(move |conn| live(model::find(conn, &lookup)?, "user"))
        .await?;
    let account = limiter.account_attempt(&current.email);
    limiter.check(&db, &account).await?;
    let mut refused = Vec::new();
    if let Err(error) = password::check_policy("new_password", &change.new_password) {
        refused.push(error);
    }
    if change.new_password == change.current_password {
        refused.push(crate::error::FieldError::new(
            "new_password",
            Code::InvalidValue,
            "must differ from the current password",
        ));
    }
    let stored = current.password_hash.clone();
    // Hashing takes its moment by design: only for a new password that will be stored.
    let acceptable = refused.is_empty();
    let (matches, hash) = web::block(move || {
        let matches = password::verify(&change.current_password, &stored);
        let hash = (matches && acceptable).then(|| password::hash(&change.new_password));
        (matches, hash)
    })
    .await
    .map_err(ApiError::internal)?;
    if !matches {
        limiter.record_failure(&db, &account).await?;
        refused.insert(
            0,
            crate::error::FieldError::new(
                "current_password",
                Code::InvalidValue,
                "is not the password of this account",
            ),
        );
    }
    if !refused.is_empty() {
        return Err(ApiError::validation(refused));
    }
    let hash = hash.transpose()?;
    let session = caller.session.clone();
    let actor = Actor::of(&caller);
    db.transaction(move |conn| {
        let before = live(model::find(conn, &id)?, "user")?;
        let changes = UserChanges {
            email: before.email.clone(),
            name: before.name.clone(),
            role: before.role,
            municipality_id: before.municipality_id.clone(),
            active: before.active,
        };
        let after = model::update(conn, &id, before.version, &changes, hash.clone())?
            .ok_or_else(ApiError::precondition_failed)?;
        sessions::end_all_of_user(conn, &id, session.as_ref())?;
        record::<Users>(
            conn,
            &actor,
            Action::Updated,
            Before::Row(&before, &()),
            &after,
            &(),
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
