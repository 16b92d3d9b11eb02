//! Where survey responses are stored: who took part (`survey_participations`) and what was
//! answered (`survey_responses`, `survey_answers`), with the queries over them. Kept apart
//! from the survey and its questionnaire (`model`) because these tables follow the
//! anonymity rule below, which nothing about the questionnaire does.
//!
//! Answers are stored under a response key. In an open survey that key is the participation's
//! id. In an anonymous survey it is `anonymous_key`: a SHA-256 of a random per-survey salt,
//! the survey and the municipality, so a municipality can replace its own answers while the
//! survey is open, yet neither the answer rows nor the participation rows hold anything that
//! joins them. The salt is wiped when the survey closes, after which not even the database
//! links them.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::model::SurveyRow;
use super::values::{AnswerValue, ValidAnswer};
use crate::db::DbConnection;
use crate::db::schema::{municipalities, survey_answers, survey_participations, survey_responses};
use crate::ids::{MunicipalityId, OptionId, ParticipationId, QuestionId, SurveyId};
use crate::municipalities::values::{Kind, Region};

/// That a municipality answered a survey, and when; never what.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = survey_participations)]
pub struct ParticipationRow {
    pub id: ParticipationId,
    pub survey_id: SurveyId,
    pub municipality_id: MunicipalityId,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl crate::db::record::Record for ParticipationRow {
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
    pub survey_id: SurveyId,
    pub question_id: QuestionId,
    pub seq: i32,
    pub option_id: Option<OptionId>,
    pub number_value: Option<f64>,
    pub bool_value: Option<bool>,
    pub text_value: Option<String>,
}

/// The key the answers of `municipality_id` to an anonymous survey are stored under.
/// Without the salt it cannot be recomputed from the municipality, and it is never shown.
pub fn anonymous_key(salt: &str, survey_id: &SurveyId, municipality_id: &MunicipalityId) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\n");
    hasher.update(survey_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(municipality_id.as_bytes());
    crate::auth::tokens::hex(&hasher.finalize())
}

pub fn participation(
    conn: &mut DbConnection,
    survey_id: &SurveyId,
    municipality_id: &MunicipalityId,
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
    survey_id: &SurveyId,
    municipality_id: &MunicipalityId,
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
            survey_participations::id.eq(ParticipationId::new()),
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

/// The rows of one answer. Its ids come from the survey's stored questions (`answers`
/// checked them), so one that is not an id is a fault of the service, not of the caller.
fn answer_rows(
    survey_id: &SurveyId,
    key: &str,
    answer: &ValidAnswer,
) -> QueryResult<Vec<AnswerRow>> {
    fn id<I: crate::ids::TypedId>(text: &str) -> QueryResult<I> {
        I::parse(text).ok_or_else(|| {
            diesel::result::Error::SerializationError(format!("`{text}` is not an id").into())
        })
    }
    let question_id: QuestionId = id(&answer.question_id)?;
    let row = |seq: usize, option_id, number_value, bool_value, text_value| AnswerRow {
        response_key: key.to_owned(),
        survey_id: survey_id.clone(),
        question_id: question_id.clone(),
        seq: seq as i32,
        option_id,
        number_value,
        bool_value,
        text_value,
    };
    Ok(match &answer.value {
        AnswerValue::Options(ids) => ids
            .iter()
            .enumerate()
            .map(|(seq, option)| Ok(row(seq, Some(id::<OptionId>(option)?), None, None, None)))
            .collect::<QueryResult<_>>()?,
        AnswerValue::Bool(b) => vec![row(0, None, None, Some(*b), None)],
        AnswerValue::Number(n) => vec![row(0, None, Some(*n), None, None)],
        AnswerValue::Text(t) => vec![row(0, None, None, None, Some(t.clone()))],
    })
}

/// Stores `answers` under `key`, replacing whatever was stored there.
pub fn replace_answers(
    conn: &mut DbConnection,
    survey_id: &SurveyId,
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
        for row in answer_rows(survey_id, key, answer)? {
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
                && row.question_id == *question_id
            {
                ids.push(option.into());
            } else {
                answers.push(ValidAnswer {
                    question_id: row.question_id.into(),
                    value: AnswerValue::Options(vec![option.into()]),
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
            question_id: row.question_id.into(),
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
            .map(|p| (p.id.to_string(), p))
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
pub fn count_participations(conn: &mut DbConnection, survey_id: &SurveyId) -> QueryResult<i64> {
    survey_participations::table
        .filter(survey_participations::survey_id.eq(survey_id))
        .count()
        .get_result(conn)
}

/// Kind and region of every municipality that answered a survey (for the breakdowns).
pub fn respondents(
    conn: &mut DbConnection,
    survey_id: &SurveyId,
) -> QueryResult<Vec<(Kind, Region)>> {
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
    survey_id: &SurveyId,
) -> QueryResult<HashMap<MunicipalityId, String>> {
    let answered = survey_participations::table
        .filter(survey_participations::survey_id.eq(survey_id.to_owned()))
        .select(survey_participations::municipality_id);
    let names: Vec<(MunicipalityId, String)> = municipalities::table
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
        let [q1, q2, q3, q4, a, b] = [(); 6].map(|_| QuestionId::new().to_string());
        let answers = vec![
            ValidAnswer {
                question_id: q1.clone(),
                value: AnswerValue::Options(vec![a.clone(), b.clone()]),
            },
            ValidAnswer {
                question_id: q2.clone(),
                value: AnswerValue::Bool(false),
            },
            ValidAnswer {
                question_id: q3.clone(),
                value: AnswerValue::Number(2.5),
            },
            ValidAnswer {
                question_id: q4.clone(),
                value: AnswerValue::Text("Mehr Austausch".into()),
            },
        ];
        let survey = SurveyId::new();
        let rows: Vec<AnswerRow> = answers
            .iter()
            .flat_map(|a| answer_rows(&survey, "k", a).unwrap())
            .collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(group_answers(rows).remove("k"), Some(answers));
    }

    #[test]
    fn anonymous_keys_depend_on_the_salt() {
        let (survey, municipality) = (SurveyId::new(), MunicipalityId::new());
        let key = anonymous_key("salt", &survey, &municipality);
        assert_eq!(key.len(), 64);
        assert_eq!(key, anonymous_key("salt", &survey, &municipality));
        assert_ne!(key, anonymous_key("other salt", &survey, &municipality));
        assert_ne!(key, anonymous_key("salt", &survey, &MunicipalityId::new()));
    }
}
