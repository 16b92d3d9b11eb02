//! The handlers of `/api/v1/privacy`.

use actix_web::{HttpResponse, get, post, web};
use diesel::prelude::*;
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::{self, ThrottleKeys};
use super::api::{
    ErasureAnswer, ErasureParams, ErasureRecord, ErasureRequest, RecordOfProcessing, SubjectData,
    SubjectQuery,
};
use super::consent::RecordedBy;
use super::erasure;
use super::matching::Person;
use crate::auth::AuthUser;
use crate::auth::rate_limit::LoginLimiter;
use crate::config::{ClientAddressLog, Retention};
use crate::db::Db;
use crate::db::schema::privacy_erasures;
use crate::db::utc;
use crate::error::{ApiError, Code};
use crate::history::revisions::ActorKind;
use crate::http::{ApiJson, ApiQuery};
use crate::ids::UserId;
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(record_of_processing)
        .service(subject_access)
        .service(own_data)
        .service(erase_person)
        .service(list_erasures);
}

/// The login throttle's keys of an e-mail, so subject access and erasure find its rows.
fn throttle_keys(limiter: &LoginLimiter, person: &Person) -> Option<ThrottleKeys> {
    person.email.as_deref().map(|email| ThrottleKeys {
        account: limiter.account_key(email),
        pair_prefix: limiter.pair_key_prefix(email),
    })
}

/// Everything held about the person `person` names.
async fn held(db: &Db, limiter: &LoginLimiter, person: Person) -> Result<HttpResponse, ApiError> {
    let throttle = throttle_keys(limiter, &person);
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

/// Erase a person (Art. 17 DSGVO).
///
/// Contacts with that e-mail (or name) leave their municipalities (a new version each); a
/// user account with it is anonymised (name `Gelöschte Person`, e-mail
/// `erased-<id>@erased.invalid`, inactive, sessions ended, no password); every revision,
/// audit entry, webhook delivery, stored answer, speaker field, registration note and other
/// text that holds the e-mail, the contacts' phone numbers or the name has it replaced by
/// `[gelöscht]`; failed logins under the e-mail go. Matching: whole words after NFC and case
/// folding, phone numbers by their digits; given both `email` and `name`, a contact or user
/// must match both. `?dry_run=true` reports every place and changes nothing. Safe to run
/// twice. The erasure stays on record without the erased data (`GET /privacy/erasures`).
#[utoipa::path(
    tag = "privacy",
    params(ErasureParams),
    request_body = ErasureRequest,
    responses(
        (status = 200, description = "What was found, and erased unless a dry run.", body = ErasureAnswer),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable,
    ),
    security(("bearer" = []))
)]
#[post("/privacy/erasures")]
async fn erase_person(
    db: web::Data<Db>,
    limiter: web::Data<LoginLimiter>,
    admin: AuthUser,
    params: ApiQuery<ErasureParams>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let request = body.parse::<ErasureRequest>().await?;
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ApiError::invalid(
            "reason",
            Code::InvalidValue,
            "must say why, in 1 to 1000 characters",
        ));
    }
    let person =
        Person::new(request.email.as_deref(), request.name.as_deref()).ok_or_else(|| {
            ApiError::invalid("email", Code::Required, "give the person's e-mail or name")
        })?;
    // A name is redacted as a whole word wherever it stands: one too short to name a person
    // ("A", "Re") would take words of everyone's texts with it.
    let letters = |name: &str| name.chars().filter(|c| c.is_alphabetic()).count();
    if person.name.as_deref().is_some_and(|name| letters(name) < 3) {
        return Err(ApiError::invalid(
            "name",
            Code::TooShort,
            "must hold at least three letters to name a person",
        ));
    }
    let throttle = throttle_keys(&limiter, &person);
    let outcome = erasure::erase(&db, &admin, person, throttle, reason, params.0.dry_run).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ErasureAnswer {
            id: outcome.id.to_string(),
            at: utc(outcome.at),
            dry_run: outcome.dry_run,
            found: outcome.found,
        }))
}

/// The record of erasures, newest first: who, when, why and the counts.
#[utoipa::path(
    tag = "privacy",
    responses(
        (status = 200, description = "Every erasure, newest first.", body = Vec<ErasureRecord>),
        Unauthorized, Forbidden, Unavailable,
    ),
    security(("bearer" = []))
)]
#[get("/privacy/erasures")]
async fn list_erasures(db: web::Data<Db>, _admin: AuthUser) -> Result<HttpResponse, ApiError> {
    type Row = (
        crate::ids::ErasureId,
        chrono::NaiveDateTime,
        String,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = db
        .run(|conn| {
            Ok(privacy_erasures::table
                .order(privacy_erasures::at.desc())
                .select((
                    privacy_erasures::id,
                    privacy_erasures::at,
                    privacy_erasures::actor_kind,
                    privacy_erasures::actor_id,
                    privacy_erasures::reason,
                    privacy_erasures::found,
                ))
                .load(conn)?)
        })
        .await?;
    let records: Vec<ErasureRecord> = rows
        .into_iter()
        .map(|(id, at, kind, by, reason, found)| ErasureRecord {
            id: id.to_string(),
            at: utc(at),
            by: RecordedBy {
                kind: ActorKind::parse(&kind).unwrap_or(ActorKind::System),
                id: by,
            },
            reason,
            found: serde_json::from_str(&found).unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(records))
}
