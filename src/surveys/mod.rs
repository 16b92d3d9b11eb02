//! `/api/v1/surveys`: the member surveys (Online-Befragungen) of the network office — the
//! questionnaire and its life cycle (draft → open → closed), one response per member
//! municipality, the admins' response list and CSV export, and the results.
//!
//! Anonymous surveys keep who answered (`survey_participations`, for the response rate and
//! so a municipality can replace its response) apart from what was answered (stored under a
//! key no endpoint shows; see `response_model`). Nothing here logs a response, and every
//! output of an anonymous survey leaves out municipality, time and version next to answers.

pub mod answers;
pub mod api;
pub mod export;
pub mod model;
pub mod response_api;
pub mod response_model;
pub mod responses;
pub mod results;
pub mod service;

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Survey, SurveyFilter, SurveyInput, SurveyStatus};
use self::service::{Surveys, transition};
use crate::auth::{AuthUser, MaybeUser};
use crate::db::Db;
use crate::error::ApiError;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};
use crate::openapi::responses::*;
use crate::resource;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_surveys)
        .service(create_survey)
        .service(export::survey_responses_csv)
        .service(responses::list_survey_responses)
        .service(responses::get_survey_results)
        .service(open_survey)
        .service(close_survey)
        .service(responses::get_survey_response)
        .service(responses::submit_survey_response)
        .service(get_survey)
        .service(replace_survey)
        .service(update_survey)
        .service(delete_survey);
}

/// List surveys.
///
/// Open and closed surveys for everyone, drafts for admins too. Sortable by `opens_at`
/// (default), `closes_at` and `updated_at`.
#[utoipa::path(
    tag = "surveys",
    params(ListParams, SurveyFilter),
    responses(
        (status = 200, description = "A page of surveys.", body = Page<Listed<Survey>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/surveys")]
async fn list_surveys(
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<SurveyFilter>,
) -> Result<Page<Listed<Survey>>, ApiError> {
    resource::list::<Surveys>(&db, user.0, query).await
}

/// Read a survey with its questionnaire.
///
/// Drafts answer 404 to everyone but admins.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id.")),
    responses(
        (status = 200, description = "The survey.", body = Survey, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, NotFound, Gone, Unavailable
    )
)]
#[get("/surveys/{id}")]
async fn get_survey(
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<Tagged<Survey>, ApiError> {
    resource::read::<Surveys>(&db, id.into_inner(), user.0).await
}

/// Create a survey (admin). It starts as a draft.
#[utoipa::path(
    tag = "surveys",
    request_body = SurveyInput,
    responses(
        (status = 201, description = "The created draft.", body = Survey, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/surveys")]
async fn create_survey(
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<Tagged<Survey>, ApiError> {
    resource::create::<Surveys>(&db, user, body).await
}

/// Replace a survey's writable fields (admin).
///
/// Questions, `opens_at` and `anonymous` change only while the survey is a draft (409
/// afterwards); `title`, `description`, `closes_at` and `results_public` always. Questions
/// and options that carry an existing id keep it.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body = SurveyInput,
    responses(
        (status = 200, description = "The updated survey.", body = Survey, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/surveys/{id}")]
async fn replace_survey(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<Survey>, ApiError> {
    resource::replace::<Surveys>(&db, user, id.into_inner(), if_match, body).await
}

/// Change some of a survey's fields (admin; JSON merge patch).
///
/// The same rules as `PUT`: once the survey has left draft, only `title`, `description`,
/// `closes_at` and `results_public` may change.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body(content = SurveyInput, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of the writable fields."),
    responses(
        (status = 200, description = "The updated survey.", body = Survey, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[patch("/surveys/{id}")]
async fn update_survey(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<Survey>, ApiError> {
    resource::patch::<Surveys>(&db, user, id.into_inner(), if_match, body).await
}

/// Delete a survey (admin; soft: it becomes a tombstone).
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id."), ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on.")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/surveys/{id}")]
async fn delete_survey(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    resource::delete::<Surveys>(&db, user, id.into_inner(), if_match).await
}

/// Open a draft for responses (admin).
///
/// 409 unless the survey is a draft with at least one question whose `closes_at` has not
/// passed. Responses are taken from `opens_at` until `closes_at`.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    responses(
        (status = 200, description = "The opened survey.", body = Survey, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/surveys/{id}/open")]
async fn open_survey(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<Tagged<Survey>, ApiError> {
    user.require_admin()?;
    resource::act::<Surveys, _>(&db, user, id.into_inner(), if_match, |conn, current| {
        transition(conn, current, SurveyStatus::Open)
    })
    .await
}

/// Close an open survey (admin).
///
/// 409 unless the survey is open. A closed survey takes no responses; the response rate is
/// then counted against the members on the day it closed.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    responses(
        (status = 200, description = "The closed survey.", body = Survey, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/surveys/{id}/close")]
async fn close_survey(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<Tagged<Survey>, ApiError> {
    user.require_admin()?;
    resource::act::<Surveys, _>(&db, user, id.into_inner(), if_match, |conn, current| {
        transition(conn, current, SurveyStatus::Closed)
    })
    .await
}
