//! Request and response types of `/api/v1/surveys`, the rules a questionnaire obeys, and the
//! check of a response's answers against its questions.

pub use super::answers::{AnswerValue, ValidAnswer, check_answers, in_question_order};
use crate::http::Many;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Checks;
use crate::types::trimmed;

crate::text_enum! {
    /// `draft` (being prepared; visible to admins only), `open` (accepting responses between
    /// `opens_at` and `closes_at`), `closed`. Changed only by `POST .../open` and `.../close`.
    pub enum SurveyStatus {
        Draft = "draft",
        Open = "open",
        Closed = "closed",
    }
}

crate::text_enum! {
    /// `single_choice` (one option), `multiple_choice` (one or more options), `scale` (a whole
    /// number between `scale.min` and `scale.max`), `yes_no`, `number` (optionally within
    /// `range`), `text` (free text up to 5000 characters).
    pub enum QuestionKind {
        SingleChoice = "single_choice",
        MultipleChoice = "multiple_choice",
        Scale = "scale",
        YesNo = "yes_no",
        Number = "number",
        Text = "text",
    }
}

impl QuestionKind {
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice
        )
    }
}

/// The longest text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 5000;
/// The widest scale: `max - min`.
pub const MAX_SCALE_SPAN: i64 = 100;

/// The bounds of a scale question and the words at its ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    #[schema(example = 1)]
    pub min: i32,
    /// Greater than `min`, at most 100 above it.
    #[schema(example = 5)]
    pub max: i32,
    #[serde(default)]
    #[schema(example = "gar nicht zufrieden", max_length = 100)]
    pub min_label: Option<String>,
    #[serde(default)]
    #[schema(example = "sehr zufrieden", max_length = 100)]
    pub max_label: Option<String>,
}

/// The range a number answer must lie in (either bound optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberRange {
    #[serde(default)]
    #[schema(example = 0)]
    pub min: Option<f64>,
    #[serde(default)]
    #[schema(example = 10000)]
    pub max: Option<f64>,
}

/// An option of a choice question, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionInput {
    /// The id of an existing option to keep; omitted for a new one.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[schema(example = "Ja, eine eigene", max_length = 200)]
    pub label: String,
}

/// A question, as written. Questions are ordered by `position` where given, else by their
/// place in `questions`, and numbered 1..n (rule 23).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// The id of an existing question to keep; omitted for a new one.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Where the question stands (optional: its place in the array otherwise).
    #[serde(default)]
    #[schema(minimum = 1, example = 1)]
    pub position: Option<u32>,
    pub kind: QuestionKind,
    #[schema(
        example = "Gibt es in Ihrer Kommune eine Ehrenamtsagentur?",
        max_length = 1000
    )]
    pub text: String,
    /// A hint shown with the question.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub help: Option<String>,
    /// Whether every response must answer it.
    #[serde(default)]
    pub required: bool,
    /// The options of a choice question (at least two, unique labels); empty otherwise.
    #[serde(default)]
    pub options: Vec<OptionInput>,
    /// Required for scale questions, absent otherwise.
    #[serde(default)]
    pub scale: Option<Scale>,
    /// Only for number questions.
    #[serde(default)]
    pub range: Option<NumberRange>,
}

/// The writable fields of a survey: the body of `POST` and `PUT`, and what `PATCH` merges
/// into. Once the survey has left `draft`, only `title`, `description`, `closes_at` and
/// `results_public` may change (409 otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    #[schema(
        example = "Ehrenamtsförderung in den Mitgliedskommunen 2025",
        max_length = 300
    )]
    pub title: String,
    /// Markdown.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// When responses open.
    #[schema(example = "2025-03-01T08:00:00Z")]
    pub opens_at: DateTime<Utc>,
    /// When responses close (exclusive); after `opens_at`.
    #[schema(example = "2025-03-31T22:00:00Z")]
    pub closes_at: DateTime<Utc>,
    /// Whether answers are kept apart from who gave them. Fixed once the survey is open.
    #[serde(default)]
    pub anonymous: bool,
    /// Whether everyone may read the results; otherwise only admins.
    #[serde(default)]
    pub results_public: bool,
    /// The questionnaire, in order. Changes only while the survey is a draft.
    #[serde(default)]
    pub questions: Vec<QuestionInput>,
}

impl SurveyInput {
    /// The input as it is stored: texts trimmed, empty optional texts absent, timestamps at
    /// the microsecond precision both databases keep. Comparisons with the stored survey
    /// are made on this form, so a resent survey does not count as changed.
    pub fn normalized(mut self) -> Self {
        crate::types::renumber(&mut self.questions, |q| &mut q.position);
        self.title = self.title.trim().to_owned();
        self.description = trimmed(self.description.as_deref());
        self.opens_at = self.opens_at.trunc_subsecs(6);
        self.closes_at = self.closes_at.trunc_subsecs(6);
        for question in &mut self.questions {
            question.text = question.text.trim().to_owned();
            question.help = trimmed(question.help.as_deref());
            for option in &mut question.options {
                option.label = option.label.trim().to_owned();
            }
            if let Some(scale) = &mut question.scale {
                scale.min_label = trimmed(scale.min_label.as_deref());
                scale.max_label = trimmed(scale.max_label.as_deref());
            }
            if question
                .range
                .as_ref()
                .is_some_and(|r| r.min.is_none() && r.max.is_none())
            {
                question.range = None;
            }
        }
        self
    }

    /// Every rule of a survey and its questionnaire.
    pub fn check(&self) -> Checks {
        let mut checks = Checks::new();
        checks.text("title", &self.title, 300);
        if let Some(description) = &self.description {
            checks.require(
                description.chars().count() <= 20_000,
                "description",
                "must be at most 20000 characters long",
            );
        }
        checks.require(
            self.closes_at > self.opens_at,
            "closes_at",
            "must be after opens_at",
        );
        checks.require(
            self.questions.len() <= 200,
            "questions",
            "must hold at most 200 questions",
        );
        for (i, question) in self.questions.iter().enumerate() {
            check_question(&format!("questions[{i}]"), question, &mut checks);
        }
        checks
    }
}

fn check_question(field: &str, question: &QuestionInput, checks: &mut Checks) {
    checks.text(&format!("{field}.text"), &question.text, 1000);
    checks.optional_text(&format!("{field}.help"), question.help.as_deref(), 2000);
    let kind = question.kind;
    if kind.is_choice() {
        checks.require(
            question.options.len() >= 2,
            &format!("{field}.options"),
            "a choice question needs at least two options",
        );
        checks.require(
            question.options.len() <= 50,
            &format!("{field}.options"),
            "must hold at most 50 options",
        );
        for (j, option) in question.options.iter().enumerate() {
            let label_field = format!("{field}.options[{j}].label");
            checks.text(&label_field, &option.label, 200);
            let label = option.label.trim().to_lowercase();
            if !label.is_empty()
                && question.options[..j]
                    .iter()
                    .any(|o| o.label.trim().to_lowercase() == label)
            {
                checks.add(label_field, "is given twice");
            }
        }
    } else if !question.options.is_empty() {
        checks.add(
            format!("{field}.options"),
            format!("only choice questions have options, not a {kind} question"),
        );
    }
    match (&question.scale, kind) {
        (None, QuestionKind::Scale) => {
            checks.add(format!("{field}.scale"), "is required for a scale question");
        }
        (Some(scale), QuestionKind::Scale) => {
            let span = i64::from(scale.max) - i64::from(scale.min);
            if span <= 0 {
                checks.add(
                    format!("{field}.scale.max"),
                    "must be greater than scale.min",
                );
            } else if span > MAX_SCALE_SPAN {
                checks.add(
                    format!("{field}.scale.max"),
                    format!("may lie at most {MAX_SCALE_SPAN} above scale.min"),
                );
            }
            checks.optional_text(
                &format!("{field}.scale.min_label"),
                scale.min_label.as_deref(),
                100,
            );
            checks.optional_text(
                &format!("{field}.scale.max_label"),
                scale.max_label.as_deref(),
                100,
            );
        }
        (Some(_), _) => checks.add(
            format!("{field}.scale"),
            format!("is only for scale questions, not a {kind} question"),
        ),
        (None, _) => {}
    }
    match (&question.range, kind) {
        (Some(range), QuestionKind::Number) => {
            if let (Some(min), Some(max)) = (range.min, range.max)
                && min > max
            {
                checks.add(
                    format!("{field}.range.max"),
                    "must not be less than range.min",
                );
            }
        }
        (Some(_), _) => checks.add(
            format!("{field}.range"),
            format!("is only for number questions, not a {kind} question"),
        ),
        (None, _) => {}
    }
}

/// An option of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionOption {
    /// Stable: kept when the questionnaire is rewritten with this id.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d70")]
    pub id: String,
    #[schema(example = "Ja, eine eigene")]
    pub label: String,
}

/// A question of a survey.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Question {
    /// Stable: kept when the questionnaire is rewritten with this id.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f")]
    pub id: String,
    /// 1 for the first question.
    #[schema(example = 1)]
    pub position: i32,
    pub kind: QuestionKind,
    #[schema(example = "Gibt es in Ihrer Kommune eine Ehrenamtsagentur?")]
    pub text: String,
    pub help: Option<String>,
    pub required: bool,
    /// The options of a choice question, in order; empty for other kinds.
    pub options: Vec<QuestionOption>,
    /// The bounds of a scale question; null for other kinds.
    pub scale: Option<Scale>,
    /// The range of a number question, if it has one.
    pub range: Option<NumberRange>,
}

impl Question {
    /// The question as `PUT` and `PATCH` take it back.
    pub fn input(&self) -> QuestionInput {
        QuestionInput {
            id: Uuid::parse_str(&self.id).ok(),
            position: u32::try_from(self.position).ok(),
            kind: self.kind,
            text: self.text.clone(),
            help: self.help.clone(),
            required: self.required,
            options: self
                .options
                .iter()
                .map(|o| OptionInput {
                    id: Uuid::parse_str(&o.id).ok(),
                    label: o.label.clone(),
                })
                .collect(),
            scale: self.scale.clone(),
            range: self.range.clone(),
        }
    }
}

/// A member survey (Online-Befragung).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Survey {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    #[schema(example = "Ehrenamtsförderung in den Mitgliedskommunen 2025")]
    pub title: String,
    pub description: Option<String>,
    /// Read-only; changed by `POST /surveys/{id}/open` and `.../close`.
    pub status: SurveyStatus,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub anonymous: bool,
    pub results_public: bool,
    /// When the survey was opened (read-only).
    pub opened_at: Option<DateTime<Utc>>,
    /// When the survey was closed (read-only).
    pub closed_at: Option<DateTime<Utc>>,
    pub questions: Vec<Question>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(example = 1)]
    pub version: i32,
}

crate::sort_fields!(SurveyOrder over SurveySort {
    OpensAt = "opens_at",
    ClosesAt = "closes_at",
    UpdatedAt = "updated_at",
});

/// Filters of the survey list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SurveyFilter {
    /// Only surveys in this state (drafts are listed for admins only).
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<SurveyStatus>>, style = Form, explode = true)]
    pub status: Option<Many<SurveyStatus>>,
    /// Sort order (default `opens_at`): `opens_at`, `closes_at`, `updated_at`, each
    /// optionally prefixed with `-` for descending.
    #[param(inline)]
    pub sort: Option<SurveyOrder>,
}

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
    fn questionnaire_rules() {
        let input: SurveyInput = serde_json::from_value(json!({
            "title": "  ", "opens_at": "2025-03-01T00:00:00Z", "closes_at": "2025-03-01T00:00:00Z",
            "questions": [
                {"kind": "single_choice", "text": "x", "options": [{"label": "Ja"}, {"label": " ja "}]},
                {"kind": "scale", "text": "x", "scale": {"min": 0, "max": 101}},
                {"kind": "yes_no", "text": "x", "options": [{"label": "Ja"}], "range": {"min": 1}}
            ]
        }))
        .unwrap();
        let checks = input.normalized().check();
        let error = checks.finish().unwrap_err();
        let fields: Vec<&str> = error.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "closes_at",
                "questions[0].options[1].label",
                "questions[1].scale.max",
                "questions[2].options",
                "questions[2].range"
            ]
        );
    }

    #[test]
    fn whole_numbers_show_without_fraction() {
        assert_eq!(json_number(4.0).to_string(), "4");
        assert_eq!(json_number(80.5).to_string(), "80.5");
        assert_eq!(json_number(-3.0).to_string(), "-3");
    }
}
