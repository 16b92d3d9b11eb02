//! The handlers of `/api/v1/privacy`.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::{self, ThrottleKeys};
use super::api::{RecordOfProcessing, SubjectData, SubjectQuery};
use super::matching::Person;
use crate::auth::AuthUser;
use crate::auth::rate_limit::LoginLimiter;
use crate::config::{ClientAddressLog, Retention};
use crate::db::Db;
use crate::error::{ApiError, Code};
use crate::http::ApiQuery;
use crate::ids::UserId;
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(record_of_processing)
        .service(subject_access)
        .service(own_data);
}

/// Everything held about the person `person` names.
async fn held(db: &Db, limiter: &LoginLimiter, person: Person) -> Result<HttpResponse, ApiError> {
    let throttle = person.email.as_deref().map(|email| ThrottleKeys {
        account: limiter.account_key(email),
        pair_prefix: limiter.pair_key_prefix(email),
    });
    let data = db
        .run(move |conn| access::subject_data(conn, &person, throttle.as_ref()))
        .await?;
    // Personal data: no shared cache may keep it.
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(data))
}

/// Subject access (Art. 15 DSGVO): every place a person appears.
///
/// Finds the person by `email` or `name` (whole words after NFC and case folding; given
/// both, a contact or user must match both) and lists their contact entries, user
/// account, sessions, revisions and audit entries, speaker entries, registration notes and
/// failed logins, and per place of the catalogue the number of rows that hold them.
#[utoipa::path(
    tag = "privacy",
    params(SubjectQuery),
    responses(
        (status = 200, description = "Everything held about the person.", body = SubjectData),
        BadRequest, Unauthorized, Forbidden, Unprocessable, Unavailable,
    ),
    security(("bearer" = []))
)]
#[get("/privacy/subjects")]
async fn subject_access(
    db: web::Data<Db>,
    limiter: web::Data<LoginLimiter>,
    _admin: AuthUser,
    query: ApiQuery<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let person = Person::new(query.email.as_deref(), query.name.as_deref()).ok_or_else(|| {
        ApiError::invalid("email", Code::Required, "give the person's e-mail or name")
    })?;
    held(&db, &limiter, person).await
}

/// What the service holds about the caller (Art. 15 DSGVO), as subject access shows it.
#[utoipa::path(
    tag = "privacy",
    responses(
        (status = 200, description = "Everything held about the caller.", body = SubjectData),
        Unauthorized, Forbidden, Unavailable,
    ),
    security(("bearer" = []))
)]
#[get("/auth/me/data")]
async fn own_data(
    db: web::Data<Db>,
    limiter: web::Data<LoginLimiter>,
    caller: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::parse(&caller.id)
        .ok_or_else(|| ApiError::unauthorized("the token names no user"))?;
    let user = db
        .run(move |conn| crate::db::record::live(crate::users::model::find(conn, &id)?, "user"))
        .await?;
    let person = Person::new(Some(&user.email), Some(&user.name))
        .ok_or_else(|| ApiError::internal("a user without e-mail"))?;
    held(&db, &limiter, person).await
}

/// The record of processing (Art. 30 DSGVO).
///
/// Every category of personal data the service holds, with its fields, purpose, legal
/// basis, who can see it, where it is published and how long it is kept under the
/// configuration in force. Generated from the code's catalogue and the settings.
#[utoipa::path(
    tag = "privacy",
    responses(
        (status = 200, description = "The record of processing.", body = RecordOfProcessing),
        Unavailable,
    )
)]
#[get("/privacy")]
async fn record_of_processing(
    retention: web::Data<Retention>,
    log: web::Data<ClientAddressLog>,
) -> HttpResponse {
    HttpResponse::Ok().json(RecordOfProcessing::of(&retention, *log.get_ref()))
}
