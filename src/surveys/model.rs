//! The survey tables and their queries: the survey, its questions and options. Who took part
//! and what was answered are stored apart, in `response_model`.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use super::api::{
    QuestionInput, QuestionKind, SurveyFilter, SurveyInput, SurveySort, SurveyStatus,
};
use crate::db::query::{Paging, Sort};
use crate::db::schema::{survey_options, survey_questions, surveys};
use crate::db::{DbConnection, MultiBackend, now};
use crate::ids::{OptionId, QuestionId, SurveyId};

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = surveys)]
pub struct SurveyRow {
    pub id: SurveyId,
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
    pub id: QuestionId,
    pub survey_id: SurveyId,
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
    pub id: OptionId,
    pub question_id: QuestionId,
    pub survey_id: SurveyId,
    pub position: i32,
    pub label: String,
}

pub fn find(conn: &mut DbConnection, id: &SurveyId) -> QueryResult<Option<SurveyRow>> {
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
pub fn lock(conn: &mut DbConnection, id: &SurveyId) -> QueryResult<usize> {
    diesel::update(surveys::table.find(id))
        .set(surveys::version.eq(surveys::version))
        .execute(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    id: &SurveyId,
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
    id: &SurveyId,
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
    id: &SurveyId,
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

pub fn soft_delete(conn: &mut DbConnection, id: &SurveyId, version: i32) -> QueryResult<bool> {
    crate::soft_delete!(conn, surveys, id, version)
}

/// Brings a deleted survey back at `next` if it is still at `version`.
pub fn undelete(
    conn: &mut DbConnection,
    id: &SurveyId,
    version: i32,
    next: i32,
) -> QueryResult<Option<SurveyRow>> {
    crate::undelete!(conn, surveys, id, version, next)
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

pub fn count_live(conn: &mut DbConnection) -> QueryResult<i64> {
    surveys::table
        .filter(surveys::deleted_at.is_null())
        .count()
        .get_result(conn)
}

pub fn count_questions(conn: &mut DbConnection, survey_id: &SurveyId) -> QueryResult<i64> {
    survey_questions::table
        .filter(survey_questions::survey_id.eq(survey_id))
        .count()
        .get_result(conn)
}

/// An id the input asks to keep, if it is one of `existing` and not yet taken; else a new one.
fn kept_id<I: From<Uuid> + Default + PartialEq + std::ops::Deref<Target = str>>(
    wanted: Option<Uuid>,
    existing: &[I],
    taken: &mut HashSet<String>,
) -> I {
    let id = wanted
        .map(I::from)
        .filter(|id| existing.contains(id) && !taken.contains(&**id))
        .unwrap_or_default();
    taken.insert(id.to_string());
    id
}

/// Replaces the questionnaire of a draft. Questions and options that name one of the
/// survey's existing ids keep it; the others get new ones. (A draft has no responses, so no
/// answer refers to what is removed.)
pub fn replace_questions(
    conn: &mut DbConnection,
    survey_id: &SurveyId,
    questions: &[QuestionInput],
) -> QueryResult<()> {
    let existing_questions: Vec<QuestionId> = survey_questions::table
        .filter(survey_questions::survey_id.eq(survey_id))
        .select(survey_questions::id)
        .load(conn)?;
    let existing_options: Vec<OptionId> = survey_options::table
        .filter(survey_options::survey_id.eq(survey_id))
        .select(survey_options::id)
        .load(conn)?;
    diesel::delete(survey_options::table.filter(survey_options::survey_id.eq(survey_id)))
        .execute(conn)?;
    diesel::delete(survey_questions::table.filter(survey_questions::survey_id.eq(survey_id)))
        .execute(conn)?;
    let mut taken = HashSet::new();
    for (index, question) in questions.iter().enumerate() {
        let question_id: QuestionId = kept_id(question.id, &existing_questions, &mut taken);
        let scale = question.scale.as_ref();
        let range = question.range.as_ref();
        diesel::insert_into(survey_questions::table)
            .values(&QuestionRow {
                id: question_id.clone(),
                survey_id: survey_id.clone(),
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
                    survey_id: survey_id.clone(),
                    position: option_index as i32 + 1,
                    label: option.label.clone(),
                })
                .execute(conn)?;
        }
    }
    Ok(())
}
