//! Request and response types of `/api/v1/surveys` — the survey and its questionnaire — and
//! the rules a questionnaire obeys. The types of responses and results are in
//! `response_api`; the check of a response's answers against its questions in `answers`.

use crate::http::Many;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Checks, Code};
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
    #[schema(example = "gar nicht zufrieden", min_length = 1, max_length = 100)]
    pub min_label: Option<String>,
    #[serde(default)]
    #[schema(example = "sehr zufrieden", min_length = 1, max_length = 100)]
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
    #[schema(example = "Ja, eine eigene", min_length = 1, max_length = 200)]
    pub label: String,
}

/// A question, as written. Questions are ordered by `position` where given, else by their
/// place in `questions`, and numbered 1..n (rule 23).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "single_choice",
    "text": "Gibt es in Ihrer Kommune eine Ehrenamtsagentur?",
    "required": true,
    "options": [{"label": "Ja, eine eigene"}, {"label": "Nein"}]
}))]
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
        min_length = 1,
        max_length = 1000
    )]
    pub text: String,
    /// A hint shown with the question.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
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
        min_length = 1,
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
                Code::TooLong,
                "must be at most 20000 characters long",
            );
        }
        checks.require(
            self.closes_at > self.opens_at,
            "closes_at",
            Code::OutOfRange,
            "must be after opens_at",
        );
        checks.require(
            self.questions.len() <= 200,
            "questions",
            Code::TooLong,
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
            Code::TooShort,
            "a choice question needs at least two options",
        );
        checks.require(
            question.options.len() <= 50,
            &format!("{field}.options"),
            Code::TooLong,
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
                checks.add(label_field, Code::Duplicate, "is given twice");
            }
        }
    } else if !question.options.is_empty() {
        checks.add(
            format!("{field}.options"),
            Code::InvalidValue,
            format!("only choice questions have options, not a {kind} question"),
        );
    }
    match (&question.scale, kind) {
        (None, QuestionKind::Scale) => {
            checks.add(
                format!("{field}.scale"),
                Code::Required,
                "is required for a scale question",
            );
        }
        (Some(scale), QuestionKind::Scale) => {
            let span = i64::from(scale.max) - i64::from(scale.min);
            if span <= 0 {
                checks.add(
                    format!("{field}.scale.max"),
                    Code::OutOfRange,
                    "must be greater than scale.min",
                );
            } else if span > MAX_SCALE_SPAN {
                checks.add(
                    format!("{field}.scale.max"),
                    Code::OutOfRange,
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
            Code::InvalidValue,
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
                    Code::OutOfRange,
                    "must not be less than range.min",
                );
            }
        }
        (Some(_), _) => checks.add(
            format!("{field}.range"),
            Code::InvalidValue,
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
    /// Markdown.
    pub description: Option<String>,
    /// `description` rendered as safe HTML, ready to include in a web page (read-only;
    /// CommonMark with tables; raw HTML is shown as text, an image as its description, links
    /// only to http(s) and mailto targets, with `rel="noopener nofollow"`).
    pub description_html: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
