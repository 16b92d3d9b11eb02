//! A response's answers as the domain knows them once checked: what is stored, counted and
//! exported. Made only by `answers::check_answers` (from a request) and by the store (from
//! rows).

/// A checked answer as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerValue {
    /// Option ids, in the order of the question's options.
    Options(Vec<String>),
    Bool(bool),
    Number(f64),
    Text(String),
}

/// A checked answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnswer {
    pub question_id: String,
    pub value: AnswerValue,
}
