//! The answer of an import, the same on HTTP and the command line: what it created and
//! changed (or would, in a dry run), how many rows were unchanged, and every error.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// What an import did, or would do in a dry run. With any error, nothing was written.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({
    "dry_run": false,
    "created": [{"line": 3, "id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e", "slug": "selm"}],
    "changed": [{"line": 2, "id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f", "slug": "unna",
                 "fields": {"population": {"from": "58633", "to": "59000"}}}],
    "unchanged": 41,
    "errors": []
}))]
pub struct ImportReport {
    /// Whether this was a dry run, which changes nothing.
    pub dry_run: bool,
    /// The rows that create a municipality.
    pub created: Vec<ImportCreated>,
    /// The rows that change a municipality, with what they change.
    pub changed: Vec<ImportChanged>,
    /// How many rows match their municipality already.
    pub unchanged: usize,
    /// Every refused row and cell; when there is one, nothing was written.
    pub errors: Vec<ImportError>,
}

/// A row that creates a municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportCreated {
    /// The row's number in the file; the header is 1.
    #[schema(example = 3)]
    pub line: usize,
    /// The new municipality's id; null in a dry run, which creates nothing.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: Option<String>,
    /// The new municipality's slug.
    #[schema(example = "selm")]
    pub slug: String,
}

/// A row that changes a municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportChanged {
    /// The row's number in the file; the header is 1.
    #[schema(example = 2)]
    pub line: usize,
    /// The municipality's id.
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6f")]
    pub id: String,
    /// The slug after the change.
    #[schema(example = "unna")]
    pub slug: String,
    /// Every column whose value changes (derived ones such as `region` included), with its
    /// value before and after as the CSV export writes it; null for an empty cell.
    pub fields: BTreeMap<String, FieldChange>,
}

/// A column's value before and after, as the CSV export writes it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    /// The value before; null when the cell was empty.
    #[schema(example = "58633")]
    pub from: Option<String>,
    /// The value after; null when the cell is empty.
    #[schema(example = "59000")]
    pub to: Option<String>,
}

/// Why a row, a cell or the header was refused.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportError {
    /// The row's number in the file; the header is 1.
    #[schema(example = 4)]
    pub line: usize,
    /// The column; null when the error concerns the whole line.
    #[schema(example = "joined_on")]
    pub field: Option<String>,
    /// What kind of error, stable for programs.
    #[schema(example = "invalid_format")]
    pub code: ImportErrorCode,
    /// What is wrong, for people.
    #[schema(example = "must be a date (YYYY-MM-DD)")]
    pub message: String,
}

crate::text_enum! {
    /// What kind of error: `required`, `unknown_field`, `invalid_format`, `invalid_value`,
    /// `out_of_range`, `too_long`, `duplicate`, `not_found`.
    pub enum ImportErrorCode {
        Required = "required",
        UnknownField = "unknown_field",
        InvalidFormat = "invalid_format",
        InvalidValue = "invalid_value",
        OutOfRange = "out_of_range",
        TooLong = "too_long",
        Duplicate = "duplicate",
        NotFound = "not_found",
    }
}

impl ImportError {
    /// An error of a whole line.
    pub fn line(line: usize, code: ImportErrorCode, message: impl Into<String>) -> Self {
        Self {
            line,
            field: None,
            code,
            message: message.into(),
        }
    }

    /// An error of one cell (or, on line 1, of one column of the header).
    pub fn cell(
        line: usize,
        field: &str,
        code: ImportErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::line(line, code, message)
        }
    }
}

impl ImportReport {
    /// One line of text for people: the counts.
    pub fn summary(&self) -> String {
        let counts = format!(
            "{} created, {} changed, {} unchanged, {} error(s)",
            self.created.len(),
            self.changed.len(),
            self.unchanged,
            self.errors.len()
        );
        match (self.dry_run, self.errors.is_empty()) {
            (_, false) => format!("{counts}: nothing was written"),
            (true, true) => format!("{counts} (dry run: nothing was written)"),
            (false, true) => counts,
        }
    }
}
