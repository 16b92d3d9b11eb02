//! Request and response types of a survey's responses and results: the answers a
//! municipality gives (`ResponseInput`), a stored response as shown (`SurveyResponse`) and
//! the figures of `GET .../results`. Kept apart from the survey and its questionnaire
//! (`api`) because they describe what members send back, not what the network office
//! writes.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::api::{QuestionKind, SurveyStatus};
use super::values::{AnswerValue, ValidAnswer};

/// The response list takes only the paging parameters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseFilter {}

/// One answer as given: `option_ids` for choice questions, `value` for `scale` (a whole
/// number), `number` (a number) and `yes_no` (`true`/`false`), `text` for text questions.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f")]
    pub question_id: String,
    #[serde(default)]
    #[schema(example = json!(["01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d70"]))]
    pub option_ids: Option<Vec<String>>,
    #[serde(default)]
    #[schema(example = 4)]
    pub value: Option<Value>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub text: Option<String>,
}

/// A municipality's response: every answer at once. A second `PUT` replaces the first.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    pub answers: Vec<AnswerInput>,
}

/// A number as JSON shows it: whole numbers without a fraction (`4`, not `4.0`).
pub fn json_number(x: f64) -> serde_json::Number {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        serde_json::Number::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

/// One answer of a stored response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Answer {
    pub question_id: String,
    /// The chosen options (choice questions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option_ids: Option<Vec<String>>,
    /// The value (scale, number, yes_no).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The text (text questions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl From<&ValidAnswer> for Answer {
    fn from(answer: &ValidAnswer) -> Self {
        let mut shown = Answer {
            question_id: answer.question_id.clone(),
            option_ids: None,
            value: None,
            text: None,
        };
        match &answer.value {
            AnswerValue::Options(ids) => shown.option_ids = Some(ids.clone()),
            AnswerValue::Bool(b) => shown.value = Some(Value::Bool(*b)),
            AnswerValue::Number(n) => shown.value = Some(Value::Number(json_number(*n))),
            AnswerValue::Text(t) => shown.text = Some(t.clone()),
        }
        shown
    }
}

/// A municipality's response to a survey. In anonymous surveys nothing links answers to a
/// municipality: lists show answers without municipality, time or version, and a
/// municipality's own response shows when it answered but not what.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyResponse {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub survey_id: String,
    /// The answering municipality; null in anonymous surveys.
    pub municipality_id: Option<String>,
    /// Its name; null in anonymous surveys.
    #[schema(example = "Unna")]
    pub municipality_name: Option<String>,
    /// When the response was last given; null in the response list of an anonymous survey.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Grows by one with each replacement; null in the response list of an anonymous survey.
    #[schema(example = 1)]
    pub version: Option<i32>,
    /// The answers in question order; null where an anonymous survey would show them next
    /// to who gave them.
    pub answers: Option<Vec<Answer>>,
}

/// The results of a survey.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyResults {
    pub survey_id: String,
    pub status: SurveyStatus,
    pub anonymous: bool,
    /// How many municipalities responded.
    #[schema(example = 37)]
    pub responses: usize,
    /// The members on `members_on`.
    #[schema(example = 91)]
    pub members: usize,
    /// The day the members are counted on: the day the survey closed (its `closes_at`, or
    /// the day it was closed if earlier), today while it is open.
    pub members_on: NaiveDate,
    /// `responses / members`; 0 when there are no members.
    #[schema(example = 0.4066)]
    pub response_rate: f64,
    pub questions: Vec<QuestionResult>,
    pub breakdowns: Breakdowns,
}

/// The figures of one question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResult {
    pub question_id: String,
    #[schema(example = 1)]
    pub position: i32,
    pub kind: QuestionKind,
    pub text: String,
    /// How many responses answer this question.
    #[schema(example = 35)]
    pub answered: usize,
    /// Choice questions: each option with its count and its share of `answered` (for
    /// multiple choice the shares may add up to more than 1). Empty for other kinds.
    pub options: Vec<OptionCount>,
    /// Yes/no questions: the `true` answers; null for other kinds.
    pub yes: Option<usize>,
    /// Yes/no questions: the `false` answers; null for other kinds.
    pub no: Option<usize>,
    /// Scale and number questions; null for other kinds or without answers.
    pub mean: Option<f64>,
    /// Scale and number questions; null for other kinds or without answers.
    pub median: Option<f64>,
    /// Scale questions: every value from `min` to `max`; number questions: every value
    /// given; ascending. Empty for other kinds.
    pub distribution: Vec<ValueCount>,
    /// Text questions: the answers, alphabetically and never attributed. Null for other
    /// kinds, and in anonymous surveys for everyone but admins.
    pub text_answers: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptionCount {
    pub option_id: String,
    pub label: String,
    #[schema(example = 12)]
    pub count: usize,
    /// `count / answered`; 0 without answers.
    #[schema(example = 0.3429)]
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ValueCount {
    #[schema(value_type = f64, example = 4)]
    pub value: serde_json::Number,
    #[schema(example = 9)]
    pub count: usize,
}

/// The responses by region and by kind of the responding municipality. Groups of fewer
/// than five responses are suppressed (`count` null), and so is the next-smallest group
/// when only one would be, so that no suppressed count follows from the total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdowns {
    #[schema(example = json!({"arnsberg": {"count": 12, "suppressed": false}, "detmold": {"count": null, "suppressed": true}}))]
    pub by_region: BTreeMap<String, GroupCount>,
    #[schema(example = json!({"town": {"count": 20, "suppressed": false}, "district": {"count": null, "suppressed": true}}))]
    pub by_kind: BTreeMap<String, GroupCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupCount {
    /// The responses of the group; null when suppressed.
    pub count: Option<usize>,
    pub suppressed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::answers::check_answers;
    use crate::surveys::api::{Question, QuestionOption, Scale};
    use serde_json::json;

    fn question(id: &str, position: i32, kind: QuestionKind, required: bool) -> Question {
        Question {
            id: id.into(),
            position,
            kind,
            text: format!("Frage {position}"),
            help: None,
            required,
            options: Vec::new(),
            scale: None,
            range: None,
        }
    }

    const Q1: &str = "00000000-0000-7000-8000-000000000001";
    const Q2: &str = "00000000-0000-7000-8000-000000000002";
    const A: &str = "00000000-0000-7000-8000-0000000000a1";
    const B: &str = "00000000-0000-7000-8000-0000000000b1";

    fn questions() -> Vec<Question> {
        let mut choice = question(Q1, 1, QuestionKind::MultipleChoice, true);
        choice.options = vec![
            QuestionOption {
                id: A.into(),
                label: "A".into(),
            },
            QuestionOption {
                id: B.into(),
                label: "B".into(),
            },
        ];
        let mut scale = question(Q2, 2, QuestionKind::Scale, false);
        scale.scale = Some(Scale {
            min: 1,
            max: 5,
            min_label: None,
            max_label: None,
        });
        vec![choice, scale]
    }

    fn fields(body: serde_json::Value) -> Vec<String> {
        let input: ResponseInput = serde_json::from_value(body).unwrap();
        match check_answers(&questions(), &input) {
            Ok(_) => Vec::new(),
            Err(error) => error.errors().iter().map(|e| e.field.clone()).collect(),
        }
    }

    #[test]
    fn answers_are_checked_and_ordered() {
        let input: ResponseInput = serde_json::from_value(json!({"answers": [
            {"question_id": Q2, "value": 3},
            {"question_id": Q1.to_uppercase(), "option_ids": [B, A]}
        ]}))
        .unwrap();
        let answers = check_answers(&questions(), &input).unwrap();
        assert_eq!(
            answers[0].value,
            AnswerValue::Options(vec![A.into(), B.into()])
        );
        assert_eq!(answers[1].value, AnswerValue::Number(3.0));
        assert_eq!(fields(json!({"answers": []})), ["answers"]);
        assert_eq!(
            fields(
                json!({"answers": [{"question_id": Q1, "option_ids": [A, A]}, {"question_id": Q2, "value": 6}]})
            ),
            ["answers[0].option_ids[1]", "answers[1].value"]
        );
        assert_eq!(
            fields(
                json!({"answers": [{"question_id": Q1, "option_ids": [A]}, {"question_id": Q1, "option_ids": [B]}]})
            ),
            ["answers[1].question_id"]
        );
    }

    #[test]
    fn whole_numbers_show_without_fraction() {
        assert_eq!(json_number(4.0).to_string(), "4");
        assert_eq!(json_number(80.5).to_string(), "80.5");
        assert_eq!(json_number(-3.0).to_string(), "-3");
    }
}
