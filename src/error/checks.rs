//! `Checks`: the field errors of one validation, answered together in one 422.

use super::{ApiError, Code, FieldError};

/// Collects the field errors of a validation, to answer them all in one 422.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, code: Code, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    pub fn require(&mut self, ok: bool, field: &str, code: Code, message: &str) {
        if !ok {
            self.add(field, code, message);
        }
    }

    /// A required single-line text: not blank, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, Code::Required, "must not be empty");
        } else if value.chars().count() > max {
            self.add(
                field,
                Code::TooLong,
                format!("must be at most {max} characters long"),
            );
        }
    }

    /// An optional text: at most `max` characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            self.text(field, value, max);
        }
    }

    /// Topic tags: at most 30, each a text of at most 60 characters, none twice.
    pub fn topics(&mut self, topics: &[String]) {
        self.require(
            topics.len() <= 30,
            "topics",
            Code::TooLong,
            "must hold at most 30 topics",
        );
        for (i, topic) in topics.iter().enumerate() {
            self.text(&format!("topics[{i}]"), topic, 60);
            if topics[..i].iter().any(|t| t.trim() == topic.trim()) {
                self.add(format!("topics[{i}]"), Code::Duplicate, "is given twice");
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 422 naming every collected field, or Ok.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}
