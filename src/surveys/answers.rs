//! The rules a survey response obeys: every answer checked against its question (kind,
//! options, scale, range, required), all failures collected into one 422, and the answers
//! put into question order as they are stored.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::api::{MAX_TEXT_ANSWER, NumberRange, Question, QuestionKind};
use super::response_api::{AnswerInput, ResponseInput, json_number};
use super::values::{AnswerValue, ValidAnswer};
use crate::error::{ApiError, Checks, Code};

/// Puts answers into the order of their questions.
pub fn in_question_order(answers: &mut [ValidAnswer], questions: &[Question]) {
    let positions: HashMap<&str, i32> = questions
        .iter()
        .map(|q| (q.id.as_str(), q.position))
        .collect();
    answers.sort_by_key(|a| {
        positions
            .get(a.question_id.as_str())
            .copied()
            .unwrap_or(i32::MAX)
    });
}

/// A UUID as stored (lower-case, hyphenated); `None` for anything else.
fn normal_id(raw: &str) -> Option<String> {
    Uuid::parse_str(raw.trim())
        .ok()
        .map(|id| id.hyphenated().to_string())
}

/// Checks every answer against its question and the questionnaire as a whole, collecting
/// every failure into one 422 that names `answers[i]...`; on success the answers in
/// question order, as stored.
pub fn check_answers(
    questions: &[Question],
    input: &ResponseInput,
) -> Result<Vec<ValidAnswer>, ApiError> {
    let mut checks = Checks::new();
    let mut answered: HashMap<&str, usize> = HashMap::new();
    let mut valid = Vec::new();
    for (i, answer) in input.answers.iter().enumerate() {
        let field = format!("answers[{i}]");
        let question =
            normal_id(&answer.question_id).and_then(|id| questions.iter().find(|q| q.id == id));
        let Some(question) = question else {
            checks.add(
                format!("{field}.question_id"),
                Code::NotFound,
                "names no question of this survey",
            );
            continue;
        };
        if let Some(first) = answered.get(question.id.as_str()) {
            checks.add(
                format!("{field}.question_id"),
                Code::Duplicate,
                format!(
                    "answers the question of answers[{first}] again; give one answer per question"
                ),
            );
            continue;
        }
        answered.insert(question.id.as_str(), i);
        if let Some(value) = check_answer(question, answer, &field, &mut checks) {
            valid.push(ValidAnswer {
                question_id: question.id.clone(),
                value,
            });
        }
    }
    for question in questions.iter().filter(|q| q.required) {
        if !answered.contains_key(question.id.as_str()) {
            checks.add(
                "answers",
                Code::Required,
                format!(
                    "question {} ({}) is required and has no answer",
                    question.position, question.id
                ),
            );
        }
    }
    checks.finish()?;
    in_question_order(&mut valid, questions);
    Ok(valid)
}

/// The form of answer a question kind takes.
fn expected_field(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => "option_ids",
        QuestionKind::Scale | QuestionKind::YesNo | QuestionKind::Number => "value",
        QuestionKind::Text => "text",
    }
}

fn check_answer(
    question: &Question,
    answer: &AnswerInput,
    field: &str,
    checks: &mut Checks,
) -> Option<AnswerValue> {
    let kind = question.kind;
    let expected = expected_field(kind);
    let given = [
        ("option_ids", answer.option_ids.is_some()),
        ("value", answer.value.is_some()),
        ("text", answer.text.is_some()),
    ];
    let mut fits = true;
    for (name, present) in given {
        if present && name != expected {
            checks.add(
                format!("{field}.{name}"),
                Code::InvalidValue,
                format!("is not used by a {kind} question; give {expected}"),
            );
            fits = false;
        }
    }
    let at = format!("{field}.{expected}");
    let value = match kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let Some(ids) = &answer.option_ids else {
                checks.add(
                    at,
                    Code::Required,
                    format!("is required for a {kind} question"),
                );
                return None;
            };
            check_options(question, ids, &at, checks)
        }
        QuestionKind::YesNo => match &answer.value {
            Some(Value::Bool(b)) => Some(AnswerValue::Bool(*b)),
            Some(_) => {
                checks.add(at, Code::InvalidType, "must be true or false");
                None
            }
            None => {
                checks.add(
                    at,
                    Code::Required,
                    "is required for a yes_no question (true or false)",
                );
                None
            }
        },
        QuestionKind::Scale => {
            let (min, max) = question.scale.as_ref().map_or((0, 0), |s| (s.min, s.max));
            let number = answer.value.as_ref().and_then(Value::as_f64);
            match number {
                Some(n) if n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(max) => {
                    Some(AnswerValue::Number(n))
                }
                _ => {
                    checks.add(
                        at,
                        Code::OutOfRange,
                        format!("must be a whole number from {min} to {max}"),
                    );
                    None
                }
            }
        }
        QuestionKind::Number => {
            let range = question.range.clone().unwrap_or(NumberRange {
                min: None,
                max: None,
            });
            match answer.value.as_ref().and_then(Value::as_f64) {
                Some(n) if !n.is_finite() => {
                    checks.add(at, Code::InvalidValue, "must be a finite number");
                    None
                }
                Some(n) if range.min.is_some_and(|min| n < min) => {
                    checks.add(
                        at,
                        Code::OutOfRange,
                        format!(
                            "must not be less than {}",
                            json_number(range.min.unwrap_or(n))
                        ),
                    );
                    None
                }
                Some(n) if range.max.is_some_and(|max| n > max) => {
                    checks.add(
                        at,
                        Code::OutOfRange,
                        format!(
                            "must not be greater than {}",
                            json_number(range.max.unwrap_or(n))
                        ),
                    );
                    None
                }
                Some(n) => Some(AnswerValue::Number(n)),
                None => {
                    checks.add(at, Code::InvalidType, "must be a number");
                    None
                }
            }
        }
        QuestionKind::Text => match &answer.text {
            Some(text) if text.trim().is_empty() => {
                checks.add(at, Code::Required, "must not be empty");
                None
            }
            Some(text) if text.trim().chars().count() > MAX_TEXT_ANSWER => {
                checks.add(
                    at,
                    Code::TooLong,
                    format!("must be at most {MAX_TEXT_ANSWER} characters long"),
                );
                None
            }
            Some(text) => Some(AnswerValue::Text(text.trim().to_owned())),
            None => {
                checks.add(at, Code::Required, "is required for a text question");
                None
            }
        },
    };
    value.filter(|_| fits)
}

fn check_options(
    question: &Question,
    ids: &[String],
    field: &str,
    checks: &mut Checks,
) -> Option<AnswerValue> {
    let mut fits = true;
    let mut chosen: Vec<&str> = Vec::new();
    for (k, raw) in ids.iter().enumerate() {
        let option = normal_id(raw).and_then(|id| question.options.iter().find(|o| o.id == id));
        match option {
            None => {
                checks.add(
                    format!("{field}[{k}]"),
                    Code::InvalidValue,
                    "is not an option of this question",
                );
                fits = false;
            }
            Some(option) if chosen.contains(&option.id.as_str()) => {
                checks.add(format!("{field}[{k}]"), Code::Duplicate, "is given twice");
                fits = false;
            }
            Some(option) => chosen.push(option.id.as_str()),
        }
    }
    match question.kind {
        QuestionKind::SingleChoice if ids.len() != 1 => {
            checks.add(field, Code::InvalidValue, "must name exactly one option");
            fits = false;
        }
        QuestionKind::MultipleChoice if ids.is_empty() => {
            checks.add(field, Code::TooShort, "must name at least one option");
            fits = false;
        }
        _ => {}
    }
    if !fits {
        return None;
    }
    // Stored in the order of the question's options, whatever order they were sent in.
    let ordered = question
        .options
        .iter()
        .filter(|o| chosen.contains(&o.id.as_str()))
        .map(|o| o.id.clone())
        .collect();
    Some(AnswerValue::Options(ordered))
}
