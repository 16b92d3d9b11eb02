//! A survey's responses: one per member municipality, given and replaced with `PUT`, read
//! by the municipality's editors, listed and exported for admins; and the results. In
//! anonymous surveys nothing next to an answer names who gave it.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{NaiveDateTime, SecondsFormat};

use super::answers::{check_answers, in_question_order};
use super::api::Question;
use super::api::SurveyStatus;
use super::model::{self, SurveyRow};
use super::response_api::{Answer, ResponseFilter, ResponseInput, SurveyResponse, SurveyResults};
use super::response_model::{self, ParticipationRow};
use super::results;
use super::service::{questions_of, visible};
use super::values::ValidAnswer;
use crate::auth::{AuthUser, MaybeUser};
use crate::db::record::live;
use crate::db::{Db, DbConnection, now, utc};
use crate::error::{ApiError, Code};
use crate::http::conditional::computed;
use crate::http::list::{ListParams, Page};
use crate::http::{ApiJson, ListQuery, Tagged, path_id};
use crate::ids::{MunicipalityId, SurveyId};
use crate::municipalities::resolve_live;
use crate::openapi::responses::*;
use crate::text::fold;

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
    municipality_id: &MunicipalityId,
    answers: &[ValidAnswer],
    at: NaiveDateTime,
) -> Result<(ParticipationRow, bool), ApiError> {
    let anonymous_key = if survey.anonymous {
        let salt = survey.response_salt.as_deref().ok_or_else(|| {
            ApiError::conflict("this survey has closed; its responses can no longer change")
        })?;
        Some(response_model::anonymous_key(
            salt,
            &survey.id,
            municipality_id,
        ))
    } else {
        None
    };
    let (participation, created) =
        response_model::save_participation(conn, &survey.id, municipality_id, at)?;
    let key = anonymous_key.unwrap_or_else(|| participation.id.clone().into());
    response_model::replace_answers(conn, &survey.id, &key, answers)?;
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
pub async fn submit_survey_response(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, key) = path.into_inner();
    let id = path_id::<SurveyId>(&raw_id, "survey")?;
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
                municipality: (!survey.anonymous)
                    .then_some((municipality.id.into(), municipality.name)),
                survey_id: survey.id.into(),
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
pub async fn get_survey_response(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (raw_id, key) = path.into_inner();
    let id = path_id::<SurveyId>(&raw_id, "survey")?;
    let (survey_id, municipality, participation, answers) = db
        .run(move |conn| {
            let survey = visible(conn, &id, Some(&user))?;
            let municipality = resolve_live(conn, &key)?;
            user.require_municipality(&municipality.id)?;
            let participation = response_model::participation(conn, &survey.id, &municipality.id)?
                .ok_or_else(|| {
                    ApiError::not_found("this municipality has not answered this survey")
                })?;
            if survey.anonymous {
                return Ok((survey.id, None, participation, None));
            }
            let mut answers = response_model::answers_of(conn, &participation.id)?;
            in_question_order(&mut answers, &questions_of(conn, &survey)?);
            Ok((
                survey.id,
                Some((municipality.id.into_string(), municipality.name)),
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
pub(crate) struct Listing {
    pub(crate) municipality: Option<(String, String)>,
    pub(crate) participation: Option<ParticipationRow>,
    pub(crate) answers: Vec<ValidAnswer>,
}

/// Every response of a survey: by municipality name, or, in anonymous surveys, in the order
/// of their opaque keys, which says nothing about who answered or when.
pub(crate) fn listings(
    conn: &mut DbConnection,
    survey: &SurveyRow,
    questions: &[Question],
) -> Result<Vec<Listing>, ApiError> {
    let stored = response_model::load_responses(conn, survey)?;
    let names: HashMap<MunicipalityId, String> = if survey.anonymous {
        HashMap::new()
    } else {
        response_model::respondent_names(conn, &survey.id)?
    };
    let mut listings: Vec<Listing> = stored
        .into_iter()
        .map(|response| {
            let mut answers = response.answers;
            in_question_order(&mut answers, questions);
            let municipality = response.participation.as_ref().map(|p| {
                let name = names.get(&p.municipality_id).cloned().unwrap_or_default();
                (p.municipality_id.to_string(), name)
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
pub async fn list_survey_responses(
    req: HttpRequest,
    db: web::Data<Db>,
    // Taking the caller applies the authorization table (`auth::rules`).
    _caller: AuthUser,
    id: web::Path<String>,
    query: ListQuery<ResponseFilter>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<SurveyId>(&id, "survey")?;
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
            Code::InvalidValue,
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
pub async fn get_survey_results(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<SurveyId>(&id, "survey")?;
    let results: SurveyResults = db
        .run(move |conn| {
            let viewer = user.0.as_ref();
            let is_admin = viewer.is_some_and(AuthUser::is_admin);
            let survey = visible(conn, &id, viewer)?;
            if !survey.results_public && !viewer.is_some_and(AuthUser::reads_everything) {
                return Err(match viewer {
                    None => ApiError::unauthorized(
                        "the results of this survey are for the network office only",
                    ),
                    Some(_) => ApiError::forbidden("the results of this survey are not public"),
                });
            }
            let questions = questions_of(conn, &survey)?;
            let responses: Vec<Vec<ValidAnswer>> = response_model::load_responses(conn, &survey)?
                .into_iter()
                .map(|response| response.answers)
                .collect();
            let respondents = response_model::respondents(conn, &survey.id)?;
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
