//! `/api/v1/surveys`: the member surveys (Online-Befragungen) of the network office — the
//! questionnaire and its life cycle (draft → open → closed), one response per member
//! municipality, the admins' response list and CSV export, and the results.
//!
//! Anonymous surveys keep who answered (`survey_participations`, for the response rate and
//! so a municipality can replace its response) apart from what was answered (stored under a
//! key no endpoint shows; see `model`). Nothing here logs a response, and every output of an
//! anonymous survey leaves out municipality, time and version next to answers.

pub mod answers;
pub mod api;
pub mod export;
pub mod model;
pub mod results;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{
    Answer, Question, ResponseFilter, ResponseInput, Survey, SurveyFilter, SurveyInput,
    SurveyResponse, SurveyResults, SurveyStatus, ValidAnswer, check_answers, in_question_order,
};
use self::model::{ParticipationRow, Questionnaires, SurveyRow, SurveyValues};
use crate::auth::{AuthUser, MaybeUser};
use crate::db::{Db, DbConnection, new_id, now, utc};
use crate::error::{ApiError, FieldError};
use crate::http::conditional::computed;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::record::live;
use crate::http::round_trip::{self, Change};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged, path_id};
use crate::municipalities::resolve_live;
use crate::openapi::responses::*;
use crate::text::fold;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_surveys)
        .service(create_survey)
        .service(export::survey_responses_csv)
        .service(list_survey_responses)
        .service(get_survey_results)
        .service(open_survey)
        .service(close_survey)
        .service(get_survey_response)
        .service(submit_survey_response)
        .service(get_survey)
        .service(replace_survey)
        .service(update_survey)
        .service(delete_survey);
}

/// The survey as `user` may see it: 404 when unknown, and for a draft to anyone but an
/// admin (drafts are not announced); 410 when deleted.
fn visible(
    conn: &mut DbConnection,
    id: &str,
    user: Option<&AuthUser>,
) -> Result<SurveyRow, ApiError> {
    match model::find(conn, id)? {
        Some(row) if row.status == SurveyStatus::Draft && !user.is_some_and(AuthUser::is_admin) => {
            Err(ApiError::not_found("no such survey"))
        }
        row => live(row, "survey"),
    }
}

pub(crate) fn questions_of(
    conn: &mut DbConnection,
    survey: &SurveyRow,
) -> Result<Vec<Question>, ApiError> {
    Ok(model::load_questions(conn, std::slice::from_ref(&survey.id))?.of(&survey.id))
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<SurveyFilter>,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let with_drafts = user.0.as_ref().is_some_and(AuthUser::is_admin);
    let (rows, questionnaires, total) = db
        .run(move |conn| {
            let (rows, total) = model::list(conn, &paging, &filter, with_drafts)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, model::load_questions(conn, &ids)?, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, |row| questionnaires.show(row)))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "survey")?;
    let (row, questionnaires) = db
        .run(move |conn| {
            let row = visible(conn, &id, user.0.as_ref())?;
            let questionnaires = model::load_questions(conn, std::slice::from_ref(&row.id))?;
            Ok((row, questionnaires))
        })
        .await?;
    Tagged::of(row, None, |row| questionnaires.show(row)).respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let input: SurveyInput =
        crate::municipalities::references::parse(&db, body, Some("draft")).await?;
    let (row, questionnaires) = db
        .transaction(move |conn| create(conn, input.clone()))
        .await?;
    let location = format!("/api/v1/surveys/{}", row.id);
    Tagged::of(row, None, |row| questionnaires.show(row))
        .created(location)
        .respond(&req)
}

/// Validates and stores a new draft survey (used by the API and the demo data).
pub fn create(
    conn: &mut DbConnection,
    input: SurveyInput,
) -> Result<(SurveyRow, Questionnaires), ApiError> {
    let input = input.normalized();
    input.check().finish()?;
    let salt = crate::auth::tokens::random_token().map_err(ApiError::internal)?;
    let id = new_id();
    let row = model::insert(conn, &id, &SurveyValues::from_input(&input), &salt)?;
    model::replace_questions(conn, &id, &input.questions)?;
    let questionnaires = model::load_questions(conn, std::slice::from_ref(&id))?;
    Ok((row, questionnaires))
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "survey")?;
    let change = Change::Replace(body.parse::<Value>().await?);
    save(&db, id, if_match, change).await?.respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "survey")?;
    let patch = body.parse::<Value>().await?;
    save(&db, id, if_match, Change::Patch(patch))
        .await?
        .respond(&req)
}

/// The one way a survey's fields change: in one transaction, checked against `If-Match`, the
/// survey's state and every rule, written only if nobody changed it in between.
async fn save(
    db: &Db,
    id: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<Survey>, ApiError> {
    let (row, questionnaires) = db
        .transaction(move |conn| {
            let current = live(model::find(conn, &id)?, "survey")?;
            if_match.check(&current)?;
            let questionnaires = model::load_questions(conn, std::slice::from_ref(&current.id))?;
            let before = questionnaires.input(&current).normalized();
            let shown = serde_json::to_value(questionnaires.show(current.clone()))
                .map_err(ApiError::internal)?;
            let input = change.input(&before, &shown, status_action)?.normalized();
            if round_trip::unchanged(&before, &input) {
                return Ok((current, questionnaires));
            }
            if current.status != SurveyStatus::Draft {
                refuse_locked_changes(&before, &input)?;
            }
            input.check().finish()?;
            let row = model::update(
                conn,
                &current.id,
                current.version,
                &SurveyValues::from_input(&input),
            )?
            .ok_or_else(ApiError::precondition_failed)?;
            if row.status == SurveyStatus::Draft {
                model::replace_questions(conn, &row.id, &input.questions)?;
            }
            let questionnaires = model::load_questions(conn, std::slice::from_ref(&row.id))?;
            Ok((row, questionnaires))
        })
        .await?;
    Ok(Tagged::of(row, None, |row| questionnaires.show(row)))
}

/// The action that moves a survey to `status` (rule 3).
fn status_action(status: &str) -> Option<&'static str> {
    match status {
        "open" => Some("POST /api/v1/surveys/{id}/open"),
        "closed" => Some("POST /api/v1/surveys/{id}/close"),
        _ => None,
    }
}

/// 409 naming what may change only while a survey is a draft: responses refer to the
/// questions, the opening time has passed, and anonymity was promised to those who answered.
fn refuse_locked_changes(before: &SurveyInput, after: &SurveyInput) -> Result<(), ApiError> {
    let locked = [
        ("opens_at", before.opens_at != after.opens_at),
        ("anonymous", before.anonymous != after.anonymous),
        ("questions", before.questions != after.questions),
    ];
    let errors: Vec<FieldError> = locked
        .iter()
        .filter(|(_, changed)| *changed)
        .map(|(field, _)| FieldError::new(*field, "cannot change once the survey has left draft"))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    Err(ApiError::conflict(format!(
        "{} cannot change once the survey has left draft; title, description, closes_at and results_public can",
        names.join(", ")
    ))
    .with_errors(errors))
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
    user.require_admin()?;
    let id = path_id(&id, "survey")?;
    db.transaction(move |conn| {
        let current = live(model::find(conn, &id)?, "survey")?;
        if_match.check(&current)?;
        if !model::soft_delete(conn, &current.id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "survey")?;
    transition(&db, id, if_match, SurveyStatus::Open)
        .await?
        .respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "survey")?;
    transition(&db, id, if_match, SurveyStatus::Closed)
        .await?
        .respond(&req)
}

async fn transition(
    db: &Db,
    id: String,
    if_match: IfMatch,
    to: SurveyStatus,
) -> Result<Tagged<Survey>, ApiError> {
    let (row, questionnaires) = db
        .transaction(move |conn| {
            let current = live(model::find(conn, &id)?, "survey")?;
            if_match.check(&current)?;
            check_transition(conn, &current, to)?;
            let row = model::set_status(conn, &current.id, current.version, to)?
                .ok_or_else(ApiError::precondition_failed)?;
            let questionnaires = model::load_questions(conn, std::slice::from_ref(&row.id))?;
            Ok((row, questionnaires))
        })
        .await?;
    Ok(Tagged::of(row, None, |row| questionnaires.show(row)))
}

/// draft → open (with questions, before `closes_at`) and open → closed; nothing else.
fn check_transition(
    conn: &mut DbConnection,
    current: &SurveyRow,
    to: SurveyStatus,
) -> Result<(), ApiError> {
    match (current.status, to) {
        (SurveyStatus::Draft, SurveyStatus::Open) => {
            if model::count_questions(conn, &current.id)? == 0 {
                return Err(ApiError::conflict(
                    "a survey needs at least one question before it opens",
                ));
            }
            if current.closes_at <= now() {
                return Err(ApiError::conflict(
                    "its closes_at has passed; move it into the future before opening",
                ));
            }
            Ok(())
        }
        (SurveyStatus::Open, SurveyStatus::Closed) => Ok(()),
        (from, to) => {
            let verb = match to {
                SurveyStatus::Open => "opened",
                SurveyStatus::Closed => "closed",
                SurveyStatus::Draft => "made a draft again",
            };
            Err(ApiError::conflict(format!(
                "this survey is {from} and cannot be {verb}"
            )))
        }
    }
}

/// 409 unless the survey takes responses at `at`: open, and `at` within
/// `[opens_at, closes_at)`.
fn accepting(survey: &SurveyRow, at: NaiveDateTime) -> Result<(), ApiError> {
    match survey.status {
        SurveyStatus::Draft => Err(ApiError::conflict(
            "this survey is a draft and takes no responses yet",
        )),
        SurveyStatus::Closed => Err(ApiError::conflict(
            "this survey is closed and takes no more responses",
        )),
        SurveyStatus::Open if at < survey.opens_at => Err(ApiError::conflict(format!(
            "this survey takes responses from {}",
            utc(survey.opens_at).to_rfc3339_opts(SecondsFormat::Secs, true)
        ))),
        SurveyStatus::Open if at >= survey.closes_at => Err(ApiError::conflict(
            "the closing time of this survey has passed",
        )),
        SurveyStatus::Open => Ok(()),
    }
}

/// Stores a checked response of `municipality_id`, replacing its earlier one: the
/// participation with its next version, and the answers under the survey's response key.
/// Whether the survey takes responses is the caller's to check (the demo data records the
/// responses of a survey that closed in the past).
pub fn record(
    conn: &mut DbConnection,
    survey: &SurveyRow,
    municipality_id: &str,
    answers: &[ValidAnswer],
    at: NaiveDateTime,
) -> Result<(ParticipationRow, bool), ApiError> {
    let anonymous_key = if survey.anonymous {
        let salt = survey.response_salt.as_deref().ok_or_else(|| {
            ApiError::conflict("this survey has closed; its responses can no longer change")
        })?;
        Some(model::anonymous_key(salt, &survey.id, municipality_id))
    } else {
        None
    };
    let (participation, created) =
        model::save_participation(conn, &survey.id, municipality_id, at)?;
    let key = anonymous_key.unwrap_or_else(|| participation.id.clone());
    model::replace_answers(conn, &survey.id, &key, answers)?;
    Ok((participation, created))
}

/// A response as shown. `municipality` (id and name) is `None` in anonymous surveys.
fn shown(
    survey_id: &str,
    municipality: Option<(String, String)>,
    participation: Option<&ParticipationRow>,
    answers: Option<&[ValidAnswer]>,
) -> SurveyResponse {
    let (municipality_id, municipality_name) = municipality.unzip();
    SurveyResponse {
        survey_id: survey_id.to_owned(),
        municipality_id,
        municipality_name,
        submitted_at: participation.map(|p| utc(p.submitted_at)),
        version: participation.map(|p| p.version),
        answers: answers.map(|answers| answers.iter().map(Answer::from).collect()),
    }
}

/// What a response submission leaves to show.
struct Submitted {
    participation: ParticipationRow,
    created: bool,
    survey_id: String,
    municipality: Option<(String, String)>,
    location: String,
    answers: Vec<ValidAnswer>,
}

/// Answer a survey for a municipality (its editors or an admin).
///
/// One response per municipality: the first `PUT` answers 201, each further one replaces it
/// (200) and raises its `version`. Taken only while the survey is open and the time lies
/// within `[opens_at, closes_at)` (409 otherwise). Every answer is checked against its
/// question; a 422 names each bad answer (`answers[2].value`) and stores nothing. In
/// anonymous surveys the answer does not name the municipality.
#[utoipa::path(
    tag = "surveys",
    params(
        ("id" = String, Path, description = "The survey's id."),
        ("municipality_id" = String, Path, description = "The municipality's UUID, AGS or slug.", example = "unna")
    ),
    request_body = ResponseInput,
    responses(
        (status = 200, description = "The response, replaced.", body = SurveyResponse, headers(("ETag" = String))),
        (status = 201, description = "The response, given for the first time.", body = SurveyResponse, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/surveys/{id}/responses/{municipality_id}")]
async fn submit_survey_response(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, key) = path.into_inner();
    let id = path_id(&raw_id, "survey")?;
    let (precheck_user, precheck_id, precheck_key) = (user.clone(), id.clone(), key.clone());
    // Who may answer, and whether the survey takes answers, is known before the body is read.
    db.run(move |conn| {
        let survey = visible(conn, &precheck_id, Some(&precheck_user))?;
        let municipality = resolve_live(conn, &precheck_key)?;
        precheck_user.require_municipality(&municipality.id)?;
        accepting(&survey, now())
    })
    .await?;
    let input = body.parse::<ResponseInput>().await?;
    let submitted = db
        .transaction(move |conn| {
            // First, so that concurrent responses to this survey queue up here.
            model::lock(conn, &id)?;
            let survey = visible(conn, &id, Some(&user))?;
            let municipality = resolve_live(conn, &key)?;
            user.require_municipality(&municipality.id)?;
            let at = now();
            accepting(&survey, at)?;
            let questions = questions_of(conn, &survey)?;
            let answers = check_answers(&questions, &input)?;
            let (participation, created) = record(conn, &survey, &municipality.id, &answers, at)?;
            Ok(Submitted {
                participation,
                created,
                location: format!(
                    "/api/v1/surveys/{}/responses/{}",
                    survey.id, municipality.id
                ),
                municipality: (!survey.anonymous).then_some((municipality.id, municipality.name)),
                survey_id: survey.id,
                answers,
            })
        })
        .await?;
    let Submitted {
        participation,
        created,
        survey_id,
        municipality,
        location,
        answers,
    } = submitted;
    let tagged = Tagged::of(participation, None, |p| {
        shown(&survey_id, municipality, Some(&p), Some(answers.as_slice()))
    });
    let tagged = if created {
        tagged.created(location)
    } else {
        tagged
    };
    tagged.respond(&req)
}

/// Read a municipality's response (its editors or an admin).
///
/// In anonymous surveys only that and when it answered: `answers` is null, because
/// showing them here would link them to the municipality.
#[utoipa::path(
    tag = "surveys",
    params(
        ("id" = String, Path, description = "The survey's id."),
        ("municipality_id" = String, Path, description = "The municipality's UUID, AGS or slug.", example = "unna")
    ),
    responses(
        (status = 200, description = "The municipality's response.", body = SurveyResponse, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/surveys/{id}/responses/{municipality_id}")]
async fn get_survey_response(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, key) = path.into_inner();
    let id = path_id(&raw_id, "survey")?;
    let (survey_id, municipality, participation, answers) = db
        .run(move |conn| {
            let survey = visible(conn, &id, Some(&user))?;
            let municipality = resolve_live(conn, &key)?;
            user.require_municipality(&municipality.id)?;
            let participation = model::participation(conn, &survey.id, &municipality.id)?
                .ok_or_else(|| {
                    ApiError::not_found("this municipality has not answered this survey")
                })?;
            if survey.anonymous {
                return Ok((survey.id, None, participation, None));
            }
            let mut answers = model::answers_of(conn, &participation.id)?;
            in_question_order(&mut answers, &questions_of(conn, &survey)?);
            Ok((
                survey.id,
                Some((municipality.id, municipality.name)),
                participation,
                Some(answers),
            ))
        })
        .await?;
    Tagged::of(participation, None, |p| {
        shown(&survey_id, municipality, Some(&p), answers.as_deref())
    })
    .respond(&req)
}

/// A stored response ready to show or export; `municipality` and `participation` are
/// `None` in anonymous surveys.
struct Listing {
    municipality: Option<(String, String)>,
    participation: Option<ParticipationRow>,
    answers: Vec<ValidAnswer>,
}

/// Every response of a survey: by municipality name, or, in anonymous surveys, in the order
/// of their opaque keys, which says nothing about who answered or when.
fn listings(
    conn: &mut DbConnection,
    survey: &SurveyRow,
    questions: &[Question],
) -> Result<Vec<Listing>, ApiError> {
    let stored = model::load_responses(conn, survey)?;
    let names: HashMap<String, String> = if survey.anonymous {
        HashMap::new()
    } else {
        model::respondent_names(conn, &survey.id)?
    };
    let mut listings: Vec<Listing> = stored
        .into_iter()
        .map(|response| {
            let mut answers = response.answers;
            in_question_order(&mut answers, questions);
            let municipality = response.participation.as_ref().map(|p| {
                let name = names.get(&p.municipality_id).cloned().unwrap_or_default();
                (p.municipality_id.clone(), name)
            });
            Listing {
                municipality,
                participation: response.participation,
                answers,
            }
        })
        .collect();
    if !survey.anonymous {
        listings.sort_by_cached_key(|listing| {
            listing
                .municipality
                .as_ref()
                .map(|(id, name)| (fold(name), id.clone()))
        });
    }
    Ok(listings)
}

/// List a survey's responses (admin).
///
/// By municipality name. In anonymous surveys without municipality, time or version, in an
/// order that says nothing about who answered when; `updated_since` is refused there (400),
/// because it would tell when a response was given.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id."), ListParams),
    responses(
        (status = 200, description = "A page of responses.", body = Page<SurveyResponse>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/surveys/{id}/responses")]
async fn list_survey_responses(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    query: ListQuery<ResponseFilter>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "survey")?;
    let ListQuery { paging, .. } = query;
    let (survey_id, anonymous, listings) = db
        .run(move |conn| {
            let survey = live(model::find(conn, &id)?, "survey")?;
            let questions = questions_of(conn, &survey)?;
            let listings = listings(conn, &survey, &questions)?;
            Ok((survey.id, survey.anonymous, listings))
        })
        .await?;
    let since = paging.updated_since;
    if anonymous && since.is_some() {
        return Err(ApiError::bad_parameter(
            "updated_since",
            "is not available for anonymous surveys: it would tell when a response was given",
        ));
    }
    let selected: Vec<SurveyResponse> = listings
        .into_iter()
        .filter(|listing| {
            since.is_none_or(|since| {
                listing
                    .participation
                    .as_ref()
                    .is_some_and(|p| p.submitted_at >= since)
            })
        })
        .map(|listing| {
            shown(
                &survey_id,
                listing.municipality,
                listing.participation.as_ref(),
                Some(listing.answers.as_slice()),
            )
        })
        .collect();
    let total = selected.len() as i64;
    let items: Vec<SurveyResponse> = selected
        .into_iter()
        .skip(usize::try_from(paging.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit).unwrap_or(0))
        .collect();
    Page::new(items, total, &paging).respond(&req)
}

/// A survey's results.
///
/// Public when `results_public`, else for admins only (401 without a token, 403 for
/// others); drafts answer 404 to everyone but admins. The response rate counts the members
/// on the day the survey closed (today while it is open). Breakdowns by region and kind hide
/// groups of fewer than five responses. Text answers of anonymous surveys are shown to
/// admins only, and never with who gave them.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id.")),
    responses(
        (status = 200, description = "The results.", body = SurveyResults, headers(("ETag" = String))),
        NotModified, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    )
)]
#[get("/surveys/{id}/results")]
async fn get_survey_results(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "survey")?;
    let results: SurveyResults = db
        .run(move |conn| {
            let viewer = user.0.as_ref();
            let is_admin = viewer.is_some_and(AuthUser::is_admin);
            let survey = visible(conn, &id, viewer)?;
            if !survey.results_public && !is_admin {
                return Err(match viewer {
                    None => ApiError::unauthorized(
                        "the results of this survey are for the network office only",
                    ),
                    Some(_) => ApiError::forbidden("the results of this survey are not public"),
                });
            }
            let questions = questions_of(conn, &survey)?;
            let responses: Vec<Vec<ValidAnswer>> = model::load_responses(conn, &survey)?
                .into_iter()
                .map(|response| response.answers)
                .collect();
            let respondents = model::respondents(conn, &survey.id)?;
            let members = crate::municipalities::model::membership_facts(conn)?;
            let day = results::member_day(
                survey.status,
                survey.closes_at,
                survey.closed_at,
                now().date(),
            );
            Ok(results::compute(&results::Inputs {
                survey_id: &survey.id,
                status: survey.status,
                anonymous: survey.anonymous,
                questions: &questions,
                responses: &responses,
                respondents: &respondents,
                members: &members,
                day,
                show_texts: is_admin || !survey.anonymous,
            }))
        })
        .await?;
    let body = serde_json::to_vec(&results).map_err(ApiError::internal)?;
    Ok(computed(&req, "application/json", None, body))
}
