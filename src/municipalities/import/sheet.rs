//! Reading an import file: UTF-8 with or without byte order mark, commas or semicolons (told
//! apart by the header line), the columns of the CSV export. Every cell is trimmed and goes
//! through the text rules (`crate::text::clean`) here, so nothing later sees raw input.

use std::collections::HashMap;

use super::{Code, ImportError};
use crate::municipalities::export::COLUMNS;

/// The key columns: a row names its municipality by AGS, or by slug when it has no AGS.
pub const KEYS: [&str; 2] = ["ags", "slug"];

/// One data row: its line (the header is line 1) and the cells of the columns the file has.
#[derive(Debug)]
pub struct Row {
    pub line: usize,
    cells: HashMap<&'static str, String>,
}

impl Row {
    /// The cell of `column`: `None` when the file has no such column (the field stays as it
    /// is), `Some("")` when the cell is empty (the field is cleared).
    pub fn cell(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str)
    }

    /// The cell of `column` when it holds something.
    pub fn value(&self, column: &str) -> Option<&str> {
        self.cell(column).filter(|v| !v.is_empty())
    }

    pub fn has(&self, column: &str) -> bool {
        self.cells.contains_key(column)
    }
}

/// A file read: its columns and rows, and what was wrong with it. When the header is
/// unusable there are no rows.
#[derive(Debug, Default)]
pub struct Sheet {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
    pub problems: Vec<ImportError>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn read(data: &[u8]) -> Sheet {
    let data = data.strip_prefix(BOM).unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(data))
        .from_reader(data);
    let mut records = reader.byte_records();
    let mut sheet = Sheet::default();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            sheet
                .problems
                .push(ImportError::line(1, Code::InvalidFormat, error.to_string()));
            return sheet;
        }
        None => {
            sheet.problems.push(ImportError::line(
                1,
                Code::Required,
                "the file is empty: it needs a header line naming its columns",
            ));
            return sheet;
        }
    };
    sheet.columns = columns(&header, &mut sheet.problems);
    if !sheet.problems.is_empty() {
        return sheet;
    }
    for (index, record) in records.enumerate() {
        // Rows are numbered as spreadsheets number them: a cell spanning several lines of
        // text does not shift the rows after it.
        let line = index + 2;
        match record {
            // Spreadsheets leave rows of empty cells below the data.
            Ok(record) if record.iter().all(|cell| cell.trim_ascii().is_empty()) => {}
            Ok(record) if record.len() == sheet.columns.len() => {
                let row = row(line, &sheet.columns, &record, &mut sheet.problems);
                sheet.rows.push(row);
            }
            Ok(record) => sheet.problems.push(ImportError::line(
                line,
                Code::InvalidFormat,
                format!(
                    "has {} cells, the header {}",
                    record.len(),
                    sheet.columns.len()
                ),
            )),
            Err(error) => sheet.problems.push(ImportError::line(
                line,
                Code::InvalidFormat,
                error.to_string(),
            )),
        }
    }
    sheet
}

/// `;` when the header line holds more semicolons than commas (as German spreadsheet
/// software writes), else `,`.
fn separator(data: &[u8]) -> u8 {
    let header = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |separator: u8| header.iter().filter(|b| **b == separator).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

fn columns(header: &csv::ByteRecord, problems: &mut Vec<ImportError>) -> Vec<&'static str> {
    let mut columns = Vec::new();
    for raw in header {
        let name = String::from_utf8_lossy(raw);
        let name = name.trim();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(column) if columns.contains(column) => problems.push(ImportError::cell(
                1,
                column,
                Code::Duplicate,
                "is named twice in the header",
            )),
            Some(column) => columns.push(*column),
            None => problems.push(ImportError::cell(
                1,
                name,
                Code::UnknownField,
                format!(
                    "is not a column of the export; known are {}",
                    COLUMNS.join(", ")
                ),
            )),
        }
    }
    if !KEYS.iter().any(|key| columns.contains(key)) {
        problems.push(ImportError::line(
            1,
            Code::Required,
            "the header must name a key column: ags, or slug for municipalities without one",
        ));
    }
    columns
}

fn row(
    line: usize,
    columns: &[&'static str],
    record: &csv::ByteRecord,
    problems: &mut Vec<ImportError>,
) -> Row {
    let mut cells = HashMap::new();
    for (column, raw) in columns.iter().zip(record) {
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.push(ImportError::cell(
                line,
                column,
                Code::InvalidFormat,
                "is not UTF-8 text: save the file as UTF-8",
            ));
            continue;
        };
        match crate::text::clean(text.trim()) {
            Ok(clean) => {
                cells.insert(*column, clean.into_owned());
            }
            Err(refused) => problems.push(ImportError::cell(
                line,
                column,
                Code::InvalidValue,
                refused.message(),
            )),
        }
    }
    Row { line, cells }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_separator_and_drops_the_bom() {
        let sheet = read(b"\xEF\xBB\xBFags;name\r\n05978036;Unna\r\n");
        assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
        assert_eq!(sheet.columns, ["ags", "name"]);
        assert_eq!(sheet.rows[0].cell("name"), Some("Unna"));
        assert_eq!(sheet.rows[0].cell("kind"), None);
        let sheet = read(b"slug,description\nunna,\"a; b\"\n");
        assert_eq!(sheet.rows[0].cell("description"), Some("a; b"));
    }

    #[test]
    fn refuses_unknown_and_twice_named_columns_and_a_header_without_key() {
        let sheet = read(b"ags,nmae,ags\n");
        let found: Vec<(Option<&str>, Code)> = sheet
            .problems
            .iter()
            .map(|p| (p.field.as_deref(), p.code))
            .collect();
        assert_eq!(
            found,
            [
                (Some("nmae"), Code::UnknownField),
                (Some("ags"), Code::Duplicate)
            ]
        );
        let sheet = read(b"name,kind\nUnna,town\n");
        assert_eq!(sheet.problems[0].code, Code::Required);
        assert!(sheet.rows.is_empty());
    }

    #[test]
    fn cells_follow_the_text_rules() {
        let sheet = read(b"slug,name,description\nunna,Mu\xCC\x88nster,a\x07b\nx,\xFF,\n");
        assert_eq!(sheet.rows[0].cell("name"), Some("Münster"));
        let found: Vec<(usize, Option<&str>, Code)> = sheet
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_deref(), p.code))
            .collect();
        assert_eq!(
            found,
            [
                (2, Some("description"), Code::InvalidValue),
                (3, Some("name"), Code::InvalidFormat)
            ]
        );
    }
}
