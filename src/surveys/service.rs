//! What a survey is as a resource of the pipeline (`crate::resource`), and its workflow:
//! draft → open (with questions, before `closes_at`) → closed. Drafts are the network
//! office's alone; once a survey has left draft its questions, opening and anonymity stay.

use diesel::QueryResult;

use super::api::{Question, Survey, SurveyFilter, SurveyInput, SurveyStatus};
use super::details::{self, Questionnaires};
use super::model::{self, SurveyRow, SurveyValues};
use crate::auth::AuthUser;
use crate::db::query::Paging;
use crate::db::{DbConnection, now};
use crate::error::{ApiError, Code, FieldError};
use crate::history::revisions::Readers;
use crate::http::path_id;
use crate::ids::SurveyId;
use crate::resource::{self, Resource};

pub struct Surveys;

impl Resource for Surveys {
    const NAME: &'static str = "survey";
    const COLLECTION: &'static str = "/api/v1/surveys";
    const INITIAL_STATUS: Option<&'static str> = Some("draft");

    type Row = SurveyRow;
    type Details = Questionnaires;
    type New = SurveyInput;
    type Input = SurveyInput;
    type Output = Survey;
    type Filter = SurveyFilter;
    type Prepared = ();

    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<SurveyRow>, ApiError> {
        Ok(model::find(conn, &path_id(key, Self::NAME)?)?)
    }

    fn details(conn: &mut DbConnection, rows: &[Self::Row]) -> QueryResult<Questionnaires> {
        let ids: Vec<_> = rows.iter().map(|row| row.id.clone()).collect();
        details::load_questions(conn, &ids)
    }

    /// Drafts are not announced: 404 to everyone but admins.
    fn visible(row: &SurveyRow, _: &Questionnaires, who: Option<&AuthUser>) -> bool {
        row.status != SurveyStatus::Draft || who.is_some_and(AuthUser::is_admin)
    }

    fn show(row: SurveyRow, questionnaires: &Questionnaires, _: Option<&AuthUser>) -> Survey {
        questionnaires.show(row)
    }

    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &SurveyFilter,
        who: Option<&AuthUser>,
    ) -> Result<(Vec<SurveyRow>, i64), ApiError> {
        let with_drafts = who.is_some_and(AuthUser::is_admin);
        Ok(model::list(conn, paging, filter, with_drafts)?)
    }

    fn input(row: &SurveyRow, questionnaires: &Questionnaires) -> Result<SurveyInput, ApiError> {
        Ok(questionnaires.input(row))
    }

    fn canonical(input: SurveyInput) -> SurveyInput {
        input.normalized()
    }

    fn status_action(status: &str) -> Option<&'static str> {
        match status {
            "open" => Some("POST /api/v1/surveys/{id}/open"),
            "closed" => Some("POST /api/v1/surveys/{id}/close"),
            _ => None,
        }
    }

    /// 409 naming what may change only while a survey is a draft: responses refer to the
    /// questions, the opening time has passed, and anonymity was promised to those who
    /// answered.
    fn may_change(
        _: &AuthUser,
        current: &SurveyRow,
        before: &SurveyInput,
        after: &SurveyInput,
    ) -> Result<(), ApiError> {
        if current.status == SurveyStatus::Draft {
            return Ok(());
        }
        let locked = [
            ("opens_at", before.opens_at != after.opens_at),
            ("anonymous", before.anonymous != after.anonymous),
            ("questions", before.questions != after.questions),
        ];
        let errors: Vec<FieldError> = locked
            .iter()
            .filter(|(_, changed)| *changed)
            .map(|(field, _)| {
                FieldError::new(
                    *field,
                    Code::ReadOnly,
                    "cannot change once the survey has left draft",
                )
            })
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

    fn insert(
        conn: &mut DbConnection,
        _user: &AuthUser,
        input: &SurveyInput,
        _: &(),
    ) -> Result<SurveyRow, ApiError> {
        create(conn, input)
    }

    fn update(
        conn: &mut DbConnection,
        _user: &AuthUser,
        current: &SurveyRow,
        _: &Questionnaires,
        input: &SurveyInput,
        _: &(),
    ) -> Result<SurveyRow, ApiError> {
        input.check().finish()?;
        let values = SurveyValues::from_input(input);
        let row = model::update(conn, &current.id, current.version, &values)?
            .ok_or_else(ApiError::precondition_failed)?;
        if row.status == SurveyStatus::Draft {
            model::replace_questions(conn, &row.id, &input.questions)?;
        }
        Ok(row)
    }

    fn status(row: &SurveyRow) -> Option<&'static str> {
        Some(row.status.as_str())
    }

    /// A draft survey is the office's alone.
    fn readers(row: &SurveyRow, _: &Questionnaires) -> Readers {
        if row.status == SurveyStatus::Draft {
            Readers::Admins
        } else {
            Readers::Everyone
        }
    }

    fn undelete(
        conn: &mut DbConnection,
        row: &SurveyRow,
        version: i32,
    ) -> Result<Option<SurveyRow>, ApiError> {
        Ok(model::undelete(conn, &row.id, row.version, version)?)
    }

    fn soft_delete(conn: &mut DbConnection, row: &SurveyRow) -> Result<bool, ApiError> {
        Ok(model::soft_delete(conn, &row.id, row.version)?)
    }
}

/// The live survey a path names as `who` may see it (404 for a draft to non-admins, 410
/// when deleted).
pub fn visible(
    conn: &mut DbConnection,
    key: &str,
    who: Option<&AuthUser>,
) -> Result<SurveyRow, ApiError> {
    Ok(resource::current::<Surveys>(conn, key, who)?.0)
}

pub(crate) fn questions_of(
    conn: &mut DbConnection,
    survey: &SurveyRow,
) -> Result<Vec<Question>, ApiError> {
    Ok(details::load_questions(conn, std::slice::from_ref(&survey.id))?.of(&survey.id))
}

/// Validates and stores a new draft survey (the API and the demo data).
pub fn create(conn: &mut DbConnection, input: &SurveyInput) -> Result<SurveyRow, ApiError> {
    let input = input.clone().normalized();
    input.check().finish()?;
    let salt = crate::auth::tokens::random_token().map_err(ApiError::internal)?;
    let id = SurveyId::new();
    let row = model::insert(conn, &id, &SurveyValues::from_input(&input), &salt)?;
    model::replace_questions(conn, &id, &input.questions)?;
    Ok(row)
}

/// draft → open (with questions, before `closes_at`) and open → closed; nothing else (409).
/// `None` when someone changed the survey first (412).
pub fn transition(
    conn: &mut DbConnection,
    current: &SurveyRow,
    to: SurveyStatus,
) -> Result<Option<SurveyRow>, ApiError> {
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
        }
        (SurveyStatus::Open, SurveyStatus::Closed) => {}
        (from, to) => {
            let verb = match to {
                SurveyStatus::Open => "opened",
                SurveyStatus::Closed => "closed",
                SurveyStatus::Draft => "made a draft again",
            };
            return Err(ApiError::conflict(format!(
                "this survey is {from} and cannot be {verb}"
            )));
        }
    }
    Ok(model::set_status(conn, &current.id, current.version, to)?)
}
