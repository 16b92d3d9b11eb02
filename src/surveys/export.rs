//! `GET /api/v1/surveys/{id}/responses.csv`: a survey's responses as a spreadsheet reads
//! them, formula-leading text defused.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::SecondsFormat;

use super::api::*;
use super::model;
use super::response_api::json_number;
use super::responses::{Listing, listings};
use super::service::questions_of;
use super::values::AnswerValue;
use crate::auth::AuthUser;
use crate::db::record::live;
use crate::db::{Db, utc};
use crate::error::ApiError;
use crate::http::conditional::computed;
use crate::http::path_id;
use crate::ids::SurveyId;
use crate::openapi::responses::*;

/// An answer as a spreadsheet cell: option labels joined by `; `, `yes`/`no`, the number,
/// or the text.
fn rendered(question: &Question, value: &AnswerValue) -> String {
    match value {
        AnswerValue::Options(ids) => ids
            .iter()
            .map(|id| {
                question
                    .options
                    .iter()
                    .find(|o| o.id == *id)
                    .map_or(id.as_str(), |o| o.label.as_str())
            })
            .collect::<Vec<_>>()
            .join("; "),
        AnswerValue::Bool(true) => "yes".to_owned(),
        AnswerValue::Bool(false) => "no".to_owned(),
        AnswerValue::Number(n) => json_number(*n).to_string(),
        AnswerValue::Text(text) => defused(text),
    }
}

/// Free text that a spreadsheet would run as a formula gets a leading apostrophe.
fn defused(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The responses as CSV: a header row, then one row per response and one column per
/// question (headed by its text); municipality columns only when the survey is not anonymous.
fn responses_csv(
    questions: &[Question],
    anonymous: bool,
    listings: &[Listing],
) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::new();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let mut header: Vec<String> = Vec::new();
        if !anonymous {
            header.extend(["municipality_id", "municipality", "submitted_at"].map(str::to_owned));
        }
        header.extend(questions.iter().map(|q| q.text.clone()));
        writer.write_record(&header)?;
        for listing in listings {
            let mut record: Vec<String> = Vec::new();
            if !anonymous {
                let (id, name) = listing.municipality.clone().unwrap_or_default();
                record.push(id);
                record.push(defused(&name));
                record.push(
                    listing
                        .participation
                        .as_ref()
                        .map(|p| utc(p.submitted_at).to_rfc3339_opts(SecondsFormat::Secs, true))
                        .unwrap_or_default(),
                );
            }
            for question in questions {
                let cell = listing
                    .answers
                    .iter()
                    .find(|a| a.question_id == question.id)
                    .map(|a| rendered(question, &a.value))
                    .unwrap_or_default();
                record.push(cell);
            }
            writer.write_record(&record)?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// Export a survey's responses as CSV (admin).
///
/// UTF-8, a header row, one row per response and one column per question (headed by the
/// question's text); options as their labels joined by `; `, yes/no as `yes`/`no`. The
/// columns `municipality_id`, `municipality` and `submitted_at` only when the survey is not
/// anonymous; an anonymous survey's rows come in an order that says nothing about who
/// answered when.
#[utoipa::path(
    tag = "surveys",
    params(("id" = String, Path, description = "The survey's id.")),
    responses(
        (status = 200, description = "Every response, one per line.", content_type = "text/csv", body = String, headers(("ETag" = String))),
        NotModified, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/surveys/{id}/responses.csv")]
pub async fn survey_responses_csv(
    req: HttpRequest,
    db: web::Data<Db>,
    // Taking the caller applies the authorization table (`auth::rules`).
    _caller: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<SurveyId>(&id, "survey")?;
    let (survey_id, body) = db
        .run(move |conn| {
            let survey = live(model::find(conn, &id)?, "survey")?;
            let questions = questions_of(conn, &survey)?;
            let listings = listings(conn, &survey, &questions)?;
            let body = responses_csv(&questions, survey.anonymous, &listings)
                .map_err(ApiError::internal)?;
            Ok((survey.id, body))
        })
        .await?;
    let disposition = format!("attachment; filename=\"survey-{survey_id}-responses.csv\"");
    Ok(computed(
        &req,
        "text/csv; charset=utf-8; header=present",
        Some(disposition),
        body,
    ))
}
