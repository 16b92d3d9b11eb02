//! The survey tables and their queries: the survey, its questions and options, who took
//! part (`survey_participations`), and what was answered (`survey_responses`,
//! `survey_answers`).
//!
//! Answers are stored under a response key. In an open survey that key is the participation's
//! id. In an anonymous survey it is `anonymous_key`: a SHA-256 of a random per-survey salt,
//! the survey and the municipality, so a municipality can replace its own answers while the
//! survey is open, yet neither the answer rows nor the participation rows hold anything that
//! joins them. The salt is wiped when the survey closes, after which not even the database
//! links them.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::api::{
    AnswerValue, NumberRange, Question, QuestionInput, QuestionKind, QuestionOption, Scale, Survey,
    SurveyFilter, SurveyInput, SurveySort, SurveyStatus, ValidAnswer,
};
use crate::db::schema::{
    municipalities, survey_answers, survey_options, survey_participations, survey_questions,
    survey_responses, surveys,
};
use crate::db::{DbConnection, MultiBackend, new_id, now, utc};
use crate::http::list::{Paging, Sort};
use crate::municipalities::values::{Kind, Region};

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = surveys)]
pub struct SurveyRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub status: SurveyStatus,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub anonymous: bool,
    pub results_public: bool,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// Never shown, logged or exported: with it, anonymous answers could be linked.
    pub response_salt: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}
crate::impl_record!(SurveyRow);

// Written by hand so that the salt cannot end up in a log line.
impl fmt::Debug for SurveyRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SurveyRow")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("anonymous", &self.anonymous)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// The stored form of the writable scalar fields, for insert and update alike.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = surveys, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SurveyValues {
    pub title: String,
    pub description: Option<String>,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub anonymous: bool,
    pub results_public: bool,
}

impl SurveyValues {
    /// The stored form of a normalised input.
    pub fn from_input(input: &SurveyInput) -> Self {
        Self {
            title: input.title.clone(),
            description: input.description.clone(),
            opens_at: input.opens_at.naive_utc(),
            closes_at: input.closes_at.naive_utc(),
            anonymous: input.anonymous,
            results_public: input.results_public,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_questions, treat_none_as_default_value = false)]
pub struct QuestionRow {
    pub id: String,
    pub survey_id: String,
    pub position: i32,
    pub kind: QuestionKind,
    pub question_text: String,
    pub help: Option<String>,
    pub required: bool,
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    pub scale_min_label: Option<String>,
    pub scale_max_label: Option<String>,
    pub range_min: Option<f64>,
    pub range_max: Option<f64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_options)]
pub struct OptionRow {
    pub id: String,
    pub question_id: String,
    pub survey_id: String,
    pub position: i32,
    pub label: String,
}

/// That a municipality answered a survey, and when; never what.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_participations)]
pub struct ParticipationRow {
    pub id: String,
    pub survey_id: String,
    pub municipality_id: String,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl crate::http::record::Record for ParticipationRow {
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> i32 {
        self.version
    }
    fn updated_at(&self) -> NaiveDateTime {
        self.submitted_at
    }
    fn deleted_at(&self) -> Option<NaiveDateTime> {
        None
    }
}

/// One stored piece of an answer: a chosen option (one row each), or the one value.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = survey_answers, treat_none_as_default_value = false)]
pub struct AnswerRow {
    pub response_key: String,
    pub survey_id: String,
    pub question_id: String,
    pub seq: i32,
    pub option_id: Option<String>,
    pub number_value: Option<f64>,
    pub bool_value: Option<bool>,
    pub text_value: Option<String>,
}

/// The key the answers of `municipality_id` to an anonymous survey are stored under.
/// Without the salt it cannot be recomputed from the municipality, and it is never shown.
pub fn anonymous_key(salt: &str, survey_id: &str, municipality_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\n");
    hasher.update(survey_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(municipality_id.as_bytes());
    crate::auth::tokens::hex(&hasher.finalize())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SurveyRow>> {
    surveys::table
        .find(id)
        .select(SurveyRow::as_select())
        .first(conn)
        .optional()
}

/// Takes the survey's write lock for the rest of the transaction without changing it, so
/// that concurrent responses to one survey are written one after the other (PostgreSQL
/// locks the row; SQLite takes its write lock now, waiting its busy timeout, rather than
/// failing on a later write).
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::update(surveys::table.find(id))
        .set(surveys::version.eq(surveys::version))
        .execute(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    values: &SurveyValues,
    salt: &str,
) -> QueryResult<SurveyRow> {
    let at = now();
    diesel::insert_into(surveys::table)
        .values((
            values,
            surveys::id.eq(id),
            surveys::status.eq(SurveyStatus::Draft),
            surveys::response_salt.eq(Some(salt)),
            surveys::version.eq(1),
            surveys::created_at.eq(at),
            surveys::updated_at.eq(at),
        ))
        .returning(surveys::all_columns)
        .get_result(conn)
}

/// Writes `values` if the survey is still at `version`; `None` when someone else was first.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    values: &SurveyValues,
) -> QueryResult<Option<SurveyRow>> {
    diesel::update(surveys::table.find(id).filter(surveys::version.eq(version)))
        .set((
            values,
            surveys::version.eq(version + 1),
            surveys::updated_at.eq(now()),
        ))
        .returning(surveys::all_columns)
        .get_result(conn)
        .optional()
}

/// Moves the survey to `status` if it is still at `version`. Closing wipes the salt of the
/// anonymous response keys: no response can be replaced any more, so nothing needs it.
pub fn set_status(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    status: SurveyStatus,
) -> QueryResult<Option<SurveyRow>> {
    let at = now();
    let target = diesel::update(surveys::table.find(id).filter(surveys::version.eq(version)));
    match status {
        SurveyStatus::Open => target
            .set((
                surveys::status.eq(status),
                surveys::opened_at.eq(Some(at)),
                surveys::version.eq(version + 1),
                surveys::updated_at.eq(at),
            ))
            .returning(surveys::all_columns)
            .get_result(conn)
            .optional(),
        SurveyStatus::Closed => target
            .set((
                surveys::status.eq(status),
                surveys::closed_at.eq(Some(at)),
                surveys::response_salt.eq(None::<String>),
                surveys::version.eq(version + 1),
                surveys::updated_at.eq(at),
            ))
            .returning(surveys::all_columns)
            .get_result(conn)
            .optional(),
        SurveyStatus::Draft => target
            .set((
                surveys::status.eq(status),
                surveys::version.eq(version + 1),
                surveys::updated_at.eq(at),
            ))
            .returning(surveys::all_columns)
            .get_result(conn)
            .optional(),
    }
}

pub fn soft_delete(conn: &mut DbConnection, id: &str, version: i32) -> QueryResult<bool> {
    crate::soft_delete!(conn, surveys, id, version)
}

fn filtered(
    paging: &Paging,
    filter: &SurveyFilter,
    with_drafts: bool,
) -> surveys::BoxedQuery<'static, MultiBackend> {
    let mut query = surveys::table.into_boxed();
    crate::sync_filters!(query, paging, surveys);
    if !with_drafts {
        query = query.filter(surveys::status.ne(SurveyStatus::Draft));
    }
    if let Some(values) = &filter.status {
        query = query.filter(surveys::status.eq_any(values.0.clone()));
    }
    query
}

/// A page of surveys; drafts only `with_drafts` (admins).
pub fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &SurveyFilter,
    with_drafts: bool,
) -> QueryResult<(Vec<SurveyRow>, i64)> {
    let total = filtered(paging, filter, with_drafts)
        .count()
        .get_result(conn)?;
    let query = filtered(paging, filter, with_drafts);
    let sort = filter.sort.map_or(
        Sort {
            field: SurveySort::OpensAt,
            descending: false,
        },
        |order| order.0,
    );
    let query = crate::apply_sort!(query, sort, surveys::id, {
        SurveySort::OpensAt => surveys::opens_at,
        SurveySort::ClosesAt => surveys::closes_at,
        SurveySort::UpdatedAt => surveys::updated_at,
    });
    let rows = query
        .select(SurveyRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}

/// The questions and options of a set of surveys, loaded in two queries.
#[derive(Default)]
pub struct Questionnaires {
    questions: HashMap<String, Vec<QuestionRow>>,
    options: HashMap<String, Vec<OptionRow>>,
}

pub fn load_questions(
    conn: &mut DbConnection,
    survey_ids: &[String],
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
            id: row.id.clone(),
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
                            id: o.id.clone(),
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
    pub fn of(&self, survey_id: &str) -> Vec<Question> {
        self.questions
            .get(survey_id)
            .map(|rows| rows.iter().map(|row| self.question(row)).collect())
            .unwrap_or_default()
    }

    /// The survey as shown.
    pub fn show(&self, row: SurveyRow) -> Survey {
        Survey {
            questions: self.of(&row.id),
            id: row.id,
            title: row.title,
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

pub fn count_live(conn: &mut DbConnection) -> QueryResult<i64> {
    surveys::table
        .filter(surveys::deleted_at.is_null())
        .count()
        .get_result(conn)
}

pub fn count_questions(conn: &mut DbConnection, survey_id: &str) -> QueryResult<i64> {
    survey_questions::table
        .filter(survey_questions::survey_id.eq(survey_id))
        .count()
        .get_result(conn)
}

/// An id the input asks to keep, if it is one of `existing` and not yet taken; else a new one.
fn kept_id(wanted: Option<Uuid>, existing: &[String], taken: &mut HashSet<String>) -> String {
    let id = wanted
        .map(|id| id.hyphenated().to_string())
        .filter(|id| existing.contains(id) && !taken.contains(id))
        .unwrap_or_else(new_id);
    taken.insert(id.clone());
    id
}

/// Replaces the questionnaire of a draft. Questions and options that name one of the
/// survey's existing ids keep it; the others get new ones. (A draft has no responses, so no
/// answer refers to what is removed.)
pub fn replace_questions(
    conn: &mut DbConnection,
    survey_id: &str,
    questions: &[QuestionInput],
) -> QueryResult<()> {
    let existing_questions: Vec<String> = survey_questions::table
        .filter(survey_questions::survey_id.eq(survey_id))
        .select(survey_questions::id)
        .load(conn)?;
    let existing_options: Vec<String> = survey_options::table
        .filter(survey_options::survey_id.eq(survey_id))
        .select(survey_options::id)
        .load(conn)?;
    diesel::delete(survey_options::table.filter(survey_options::survey_id.eq(survey_id)))
        .execute(conn)?;
    diesel::delete(survey_questions::table.filter(survey_questions::survey_id.eq(survey_id)))
        .execute(conn)?;
    let mut taken = HashSet::new();
    for (index, question) in questions.iter().enumerate() {
        let question_id = kept_id(question.id, &existing_questions, &mut taken);
        let scale = question.scale.as_ref();
        let range = question.range.as_ref();
        diesel::insert_into(survey_questions::table)
            .values(&QuestionRow {
                id: question_id.clone(),
                survey_id: survey_id.to_owned(),
                position: index as i32 + 1,
                kind: question.kind,
                question_text: question.text.clone(),
                help: question.help.clone(),
                required: question.required,
                scale_min: scale.map(|s| s.min),
                scale_max: scale.map(|s| s.max),
                scale_min_label: scale.and_then(|s| s.min_label.clone()),
                scale_max_label: scale.and_then(|s| s.max_label.clone()),
                range_min: range.and_then(|r| r.min),
                range_max: range.and_then(|r| r.max),
            })
            .execute(conn)?;
        for (option_index, option) in question.options.iter().enumerate() {
            diesel::insert_into(survey_options::table)
                .values(&OptionRow {
                    id: kept_id(option.id, &existing_options, &mut taken),
                    question_id: question_id.clone(),
                    survey_id: survey_id.to_owned(),
                    position: option_index as i32 + 1,
                    label: option.label.clone(),
                })
                .execute(conn)?;
        }
    }
    Ok(())
}

pub fn participation(
    conn: &mut DbConnection,
    survey_id: &str,
    municipality_id: &str,
) -> QueryResult<Option<ParticipationRow>> {
    survey_participations::table
        .filter(survey_participations::survey_id.eq(survey_id))
        .filter(survey_participations::municipality_id.eq(municipality_id))
        .select(ParticipationRow::as_select())
        .first(conn)
        .optional()
}

/// Records that `municipality_id` answered at `at`: a new participation (true) or the next
/// version of its existing one (false).
pub fn save_participation(
    conn: &mut DbConnection,
    survey_id: &str,
    municipality_id: &str,
    at: NaiveDateTime,
) -> QueryResult<(ParticipationRow, bool)> {
    if let Some(existing) = participation(conn, survey_id, municipality_id)? {
        let row = diesel::update(survey_participations::table.find(&existing.id))
            .set((
                survey_participations::version.eq(existing.version + 1),
                survey_participations::submitted_at.eq(at),
            ))
            .returning(survey_participations::all_columns)
            .get_result(conn)?;
        return Ok((row, false));
    }
    let row = diesel::insert_into(survey_participations::table)
        .values((
            survey_participations::id.eq(new_id()),
            survey_participations::survey_id.eq(survey_id),
            survey_participations::municipality_id.eq(municipality_id),
            survey_participations::version.eq(1),
            survey_participations::submitted_at.eq(at),
            survey_participations::created_at.eq(at),
        ))
        .returning(survey_participations::all_columns)
        .get_result(conn)?;
    Ok((row, true))
}

fn answer_rows(survey_id: &str, key: &str, answer: &ValidAnswer) -> Vec<AnswerRow> {
    let row = |seq: usize, option_id, number_value, bool_value, text_value| AnswerRow {
        response_key: key.to_owned(),
        survey_id: survey_id.to_owned(),
        question_id: answer.question_id.clone(),
        seq: seq as i32,
        option_id,
        number_value,
        bool_value,
        text_value,
    };
    match &answer.value {
        AnswerValue::Options(ids) => ids
            .iter()
            .enumerate()
            .map(|(seq, id)| row(seq, Some(id.clone()), None, None, None))
            .collect(),
        AnswerValue::Bool(b) => vec![row(0, None, None, Some(*b), None)],
        AnswerValue::Number(n) => vec![row(0, None, Some(*n), None, None)],
        AnswerValue::Text(t) => vec![row(0, None, None, None, Some(t.clone()))],
    }
}

/// Stores `answers` under `key`, replacing whatever was stored there.
pub fn replace_answers(
    conn: &mut DbConnection,
    survey_id: &str,
    key: &str,
    answers: &[ValidAnswer],
) -> QueryResult<()> {
    let known: bool =
        diesel::select(diesel::dsl::exists(survey_responses::table.find(key))).get_result(conn)?;
    if known {
        diesel::delete(survey_answers::table.filter(survey_answers::response_key.eq(key)))
            .execute(conn)?;
    } else {
        diesel::insert_into(survey_responses::table)
            .values((
                survey_responses::response_key.eq(key),
                survey_responses::survey_id.eq(survey_id),
            ))
            .execute(conn)?;
    }
    for answer in answers {
        for row in answer_rows(survey_id, key, answer) {
            diesel::insert_into(survey_answers::table)
                .values(&row)
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Rows (ordered by key, question and seq) as the answers of each response key.
fn group_answers(rows: Vec<AnswerRow>) -> HashMap<String, Vec<ValidAnswer>> {
    let mut grouped: HashMap<String, Vec<ValidAnswer>> = HashMap::new();
    for row in rows {
        let answers = grouped.entry(row.response_key).or_default();
        if let Some(option) = row.option_id {
            if let Some(ValidAnswer {
                question_id,
                value: AnswerValue::Options(ids),
            }) = answers.last_mut()
                && *question_id == row.question_id
            {
                ids.push(option);
            } else {
                answers.push(ValidAnswer {
                    question_id: row.question_id,
                    value: AnswerValue::Options(vec![option]),
                });
            }
            continue;
        }
        let value = match (row.bool_value, row.number_value, row.text_value) {
            (Some(b), _, _) => AnswerValue::Bool(b),
            (None, Some(n), _) => AnswerValue::Number(n),
            (None, None, text) => AnswerValue::Text(text.unwrap_or_default()),
        };
        answers.push(ValidAnswer {
            question_id: row.question_id,
            value,
        });
    }
    grouped
}

/// The answers stored under one key (a non-anonymous survey's participation id).
pub fn answers_of(conn: &mut DbConnection, key: &str) -> QueryResult<Vec<ValidAnswer>> {
    let rows: Vec<AnswerRow> = survey_answers::table
        .filter(survey_answers::response_key.eq(key))
        .order((survey_answers::question_id, survey_answers::seq))
        .select(AnswerRow::as_select())
        .load(conn)?;
    Ok(group_answers(rows).remove(key).unwrap_or_default())
}

/// A stored response. `participation` is loaded only for surveys that are not anonymous.
pub struct StoredResponse {
    pub participation: Option<ParticipationRow>,
    pub answers: Vec<ValidAnswer>,
}

/// Every response of a survey, in the order of their keys: for an anonymous survey an
/// order that says nothing about who answered or when.
pub fn load_responses(
    conn: &mut DbConnection,
    survey: &SurveyRow,
) -> QueryResult<Vec<StoredResponse>> {
    let keys: Vec<String> = survey_responses::table
        .filter(survey_responses::survey_id.eq(&survey.id))
        .order(survey_responses::response_key)
        .select(survey_responses::response_key)
        .load(conn)?;
    let rows: Vec<AnswerRow> = survey_answers::table
        .filter(survey_answers::survey_id.eq(&survey.id))
        .order((
            survey_answers::response_key,
            survey_answers::question_id,
            survey_answers::seq,
        ))
        .select(AnswerRow::as_select())
        .load(conn)?;
    let mut answers = group_answers(rows);
    let mut participations: HashMap<String, ParticipationRow> = if survey.anonymous {
        HashMap::new()
    } else {
        survey_participations::table
            .filter(survey_participations::survey_id.eq(&survey.id))
            .select(ParticipationRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect()
    };
    Ok(keys
        .into_iter()
        .map(|key| StoredResponse {
            participation: participations.remove(&key),
            answers: answers.remove(&key).unwrap_or_default(),
        })
        .collect())
}

/// How many municipalities answered a survey.
pub fn count_participations(conn: &mut DbConnection, survey_id: &str) -> QueryResult<i64> {
    survey_participations::table
        .filter(survey_participations::survey_id.eq(survey_id))
        .count()
        .get_result(conn)
}

/// Kind and region of every municipality that answered a survey (for the breakdowns).
pub fn respondents(conn: &mut DbConnection, survey_id: &str) -> QueryResult<Vec<(Kind, Region)>> {
    let answered = survey_participations::table
        .filter(survey_participations::survey_id.eq(survey_id.to_owned()))
        .select(survey_participations::municipality_id);
    municipalities::table
        .filter(municipalities::id.eq_any(answered))
        .select((municipalities::kind, municipalities::region))
        .load(conn)
}

/// Id and name of every municipality that answered a survey.
pub fn respondent_names(
    conn: &mut DbConnection,
    survey_id: &str,
) -> QueryResult<HashMap<String, String>> {
    let answered = survey_participations::table
        .filter(survey_participations::survey_id.eq(survey_id.to_owned()))
        .select(survey_participations::municipality_id);
    let names: Vec<(String, String)> = municipalities::table
        .filter(municipalities::id.eq_any(answered))
        .select((municipalities::id, municipalities::name))
        .load(conn)?;
    Ok(names.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_rows_group_back_into_answers() {
        let answers = vec![
            ValidAnswer {
                question_id: "q1".into(),
                value: AnswerValue::Options(vec!["a".into(), "b".into()]),
            },
            ValidAnswer {
                question_id: "q2".into(),
                value: AnswerValue::Bool(false),
            },
            ValidAnswer {
                question_id: "q3".into(),
                value: AnswerValue::Number(2.5),
            },
            ValidAnswer {
                question_id: "q4".into(),
                value: AnswerValue::Text("Mehr Austausch".into()),
            },
        ];
        let rows: Vec<AnswerRow> = answers
            .iter()
            .flat_map(|a| answer_rows("s", "k", a))
            .collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(group_answers(rows).remove("k"), Some(answers));
    }

    #[test]
    fn anonymous_keys_depend_on_the_salt() {
        let key = anonymous_key("salt", "survey", "municipality");
        assert_eq!(key.len(), 64);
        assert_eq!(key, anonymous_key("salt", "survey", "municipality"));
        assert_ne!(key, anonymous_key("other salt", "survey", "municipality"));
        assert_ne!(key, anonymous_key("salt", "survey", "another municipality"));
    }
}
