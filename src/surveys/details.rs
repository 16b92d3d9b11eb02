//! What is loaded alongside survey records — their questions and options — and how a stored
//! survey becomes its wire representation (`Questionnaires::show`, with its questions
//! `Questionnaires::of`) and its writable one (`Questionnaires::input`, which `PATCH` merges
//! into). Kept apart from the table rows and queries of `model`, which write and select
//! records without building either.

use std::collections::HashMap;

use diesel::prelude::*;

use super::api::{NumberRange, Question, QuestionOption, Scale, Survey, SurveyInput};
use super::model::{OptionRow, QuestionRow, SurveyRow};
use crate::db::schema::{survey_options, survey_questions};
use crate::db::{DbConnection, utc};
use crate::ids::{QuestionId, SurveyId};

/// The questions and options of a set of surveys, loaded in two queries.
#[derive(Default)]
pub struct Questionnaires {
    questions: HashMap<SurveyId, Vec<QuestionRow>>,
    options: HashMap<QuestionId, Vec<OptionRow>>,
}

pub fn load_questions(
    conn: &mut DbConnection,
    survey_ids: &[SurveyId],
) -> QueryResult<Questionnaires> {
    let mut loaded = Questionnaires::default();
    if survey_ids.is_empty() {
        return Ok(loaded);
    }
    let questions: Vec<QuestionRow> = survey_questions::table
        .filter(survey_questions::survey_id.eq_any(survey_ids))
        .order((survey_questions::survey_id, survey_questions::position))
        .select(QuestionRow::as_select())
        .load(conn)?;
    for question in questions {
        loaded
            .questions
            .entry(question.survey_id.clone())
            .or_default()
            .push(question);
    }
    let options: Vec<OptionRow> = survey_options::table
        .filter(survey_options::survey_id.eq_any(survey_ids))
        .order((survey_options::question_id, survey_options::position))
        .select(OptionRow::as_select())
        .load(conn)?;
    for option in options {
        loaded
            .options
            .entry(option.question_id.clone())
            .or_default()
            .push(option);
    }
    Ok(loaded)
}

impl Questionnaires {
    fn question(&self, row: &QuestionRow) -> Question {
        Question {
            id: row.id.clone().into(),
            position: row.position,
            kind: row.kind,
            text: row.question_text.clone(),
            help: row.help.clone(),
            required: row.required,
            options: self
                .options
                .get(&row.id)
                .map(|options| {
                    options
                        .iter()
                        .map(|o| QuestionOption {
                            id: o.id.clone().into(),
                            label: o.label.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            scale: match (row.scale_min, row.scale_max) {
                (Some(min), Some(max)) => Some(Scale {
                    min,
                    max,
                    min_label: row.scale_min_label.clone(),
                    max_label: row.scale_max_label.clone(),
                }),
                _ => None,
            },
            range: (row.range_min.is_some() || row.range_max.is_some()).then_some(NumberRange {
                min: row.range_min,
                max: row.range_max,
            }),
        }
    }

    /// The questions of a survey, in order.
    pub fn of(&self, survey_id: &SurveyId) -> Vec<Question> {
        self.questions
            .get(survey_id)
            .map(|rows| rows.iter().map(|row| self.question(row)).collect())
            .unwrap_or_default()
    }

    /// The survey as shown.
    pub fn show(&self, row: SurveyRow) -> Survey {
        Survey {
            questions: self.of(&row.id),
            id: row.id.into(),
            title: row.title,
            description_html: row.description.as_deref().map(crate::markdown::to_html),
            description: row.description,
            status: row.status,
            opens_at: utc(row.opens_at),
            closes_at: utc(row.closes_at),
            anonymous: row.anonymous,
            results_public: row.results_public,
            opened_at: row.opened_at.map(utc),
            closed_at: row.closed_at.map(utc),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }

    /// The writable representation of a stored survey, which `PATCH` merges into.
    pub fn input(&self, row: &SurveyRow) -> SurveyInput {
        SurveyInput {
            title: row.title.clone(),
            description: row.description.clone(),
            opens_at: utc(row.opens_at),
            closes_at: utc(row.closes_at),
            anonymous: row.anonymous,
            results_public: row.results_public,
            questions: self.of(&row.id).iter().map(Question::input).collect(),
        }
    }
}
