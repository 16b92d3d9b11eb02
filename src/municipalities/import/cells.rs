//! A row as a change to a municipality's writable representation (what `PUT` takes): each
//! column the file has overwrites its field, an empty cell clears it, and columns the file
//! lacks leave their fields as they are. Also the way back: a refusal of the validation
//! named by the column the user sees.

use std::str::FromStr;

use chrono::NaiveDate;
use uuid::Uuid;

use super::sheet::Row;
use super::{Code, Districts, ImportError};
use crate::municipalities::api::{EngagementOffice, Location, MunicipalityInput};
use crate::municipalities::values::{Ags, Slug};
use crate::types::{Email, HttpUrl};

/// Why a cell was refused.
type Refusal = (Code, String);

/// Writes the cells of `row` into `input`; what could not be read is returned, one error per
/// cell. The key columns are written like the others (an AGS row may change the slug).
pub fn apply(row: &Row, input: &mut MunicipalityInput, districts: &Districts) -> Vec<ImportError> {
    let mut cells = Cells {
        row,
        errors: Vec::new(),
    };
    cells.set("slug", &mut input.slug, optional(shaped(Slug::parse)));
    cells.set("name", &mut input.name, required(|s| Ok(s.to_owned())));
    cells.set("official_name", &mut input.official_name, optional(text));
    cells.set("kind", &mut input.kind, required(choice));
    cells.set("ags", &mut input.ags, optional(shaped(Ags::parse)));
    cells.set("region", &mut input.region, optional(choice));
    // `district_ags` survives a move between databases, so it wins over `district_id`.
    let district_column = ["district_ags", "district_id"]
        .into_iter()
        .find(|c| row.has(c));
    if let Some(column) = district_column {
        cells.set(
            column,
            &mut input.district_id,
            optional(|key| district(districts, key)),
        );
    }
    cells.set("population", &mut input.population, optional(population));
    cells.set(
        "website",
        &mut input.website,
        optional(shaped(HttpUrl::parse)),
    );
    location(&mut cells, &mut input.location);
    let membership = &mut input.membership;
    cells.set("status", &mut membership.status, required(choice));
    for (column, date_field) in [
        ("council_decision_on", &mut membership.council_decision_on),
        (
            "declaration_signed_on",
            &mut membership.declaration_signed_on,
        ),
        ("joined_on", &mut membership.joined_on),
        ("left_on", &mut membership.left_on),
    ] {
        cells.set(column, date_field, optional(date));
    }
    cells.set(
        "volunteer_card",
        &mut input.volunteer_card,
        optional(choice),
    );
    cells.set("topics", &mut input.topics, |s| Ok(topics(s)));
    office(&mut cells, &mut input.engagement_office);
    cells.set("description", &mut input.description, optional(text));
    cells.errors
}

struct Cells<'a> {
    row: &'a Row,
    errors: Vec<ImportError>,
}

impl Cells<'_> {
    /// Overwrites `target` with the parsed cell of `column`, if the file has that column.
    fn set<T>(
        &mut self,
        column: &'static str,
        target: &mut T,
        parse: impl FnOnce(&str) -> Result<T, Refusal>,
    ) {
        let Some(cell) = self.row.cell(column) else {
            return;
        };
        match parse(cell) {
            Ok(value) => *target = value,
            Err((code, message)) => self.refuse(column, code, message),
        }
    }

    fn refuse(&mut self, column: &str, code: Code, message: impl Into<String>) {
        self.errors
            .push(ImportError::cell(self.row.line, column, code, message));
    }
}

fn optional<T>(
    parse: impl FnOnce(&str) -> Result<T, Refusal>,
) -> impl FnOnce(&str) -> Result<Option<T>, Refusal> {
    move |cell| {
        if cell.is_empty() {
            Ok(None)
        } else {
            parse(cell).map(Some)
        }
    }
}

/// A field that cannot be cleared (name, kind, membership status).
fn required<T>(
    parse: impl FnOnce(&str) -> Result<T, Refusal>,
) -> impl FnOnce(&str) -> Result<T, Refusal> {
    move |cell| {
        if cell.is_empty() {
            Err((Code::Required, "must not be empty".to_owned()))
        } else {
            parse(cell)
        }
    }
}

/// A value with a shape (an AGS, a slug, a URL, an e-mail address).
fn shaped<T>(
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> impl FnOnce(&str) -> Result<T, Refusal> {
    move |cell| parse(cell).map_err(|message| (Code::InvalidFormat, message))
}

/// One of the values of an enumeration.
fn choice<T: FromStr<Err = String>>(cell: &str) -> Result<T, Refusal> {
    cell.parse()
        .map_err(|message| (Code::InvalidValue, message))
}

fn text(cell: &str) -> Result<String, Refusal> {
    Ok(cell.to_owned())
}

fn date(cell: &str) -> Result<NaiveDate, Refusal> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d").map_err(|_| {
        (
            Code::InvalidFormat,
            "must be a date (YYYY-MM-DD)".to_owned(),
        )
    })
}

fn population(cell: &str) -> Result<u32, Refusal> {
    let number: i64 = cell
        .parse()
        .map_err(|_| (Code::InvalidFormat, "must be a whole number".to_owned()))?;
    u32::try_from(number)
        .ok()
        .filter(|n| i32::try_from(*n).is_ok())
        .ok_or_else(|| {
            (
                Code::OutOfRange,
                format!("must be between 0 and {}", i32::MAX),
            )
        })
}

fn coordinate(cell: &str) -> Result<f64, Refusal> {
    cell.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| {
            (
                Code::InvalidFormat,
                "must be a decimal number with a point (51.5348)".to_owned(),
            )
        })
}

fn district(districts: &Districts, key: &str) -> Result<Uuid, Refusal> {
    districts.find(key).ok_or_else(|| {
        (
            Code::NotFound,
            format!("`{key}` names no district, neither stored nor earlier in this file"),
        )
    })
}

/// Topic tags separated by `;`, as the export writes them.
fn topics(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `lat` and `lon` are one location: a file may carry either column, but a location has
/// both or neither.
fn location(cells: &mut Cells, location: &mut Option<Location>) {
    if !cells.row.has("lat") && !cells.row.has("lon") {
        return;
    }
    let mut lat = location.map(|l| l.lat);
    let mut lon = location.map(|l| l.lon);
    cells.set("lat", &mut lat, optional(coordinate));
    cells.set("lon", &mut lon, optional(coordinate));
    match (lat, lon) {
        (Some(lat), Some(lon)) => *location = Some(Location { lat, lon }),
        (None, None) => *location = None,
        (Some(_), None) => cells.refuse("lon", Code::Required, "is required with lat"),
        (None, Some(_)) => cells.refuse("lat", Code::Required, "is required with lon"),
    }
}

/// The `office_*` columns are one engagement office, which exists when it has a name.
fn office(cells: &mut Cells, office: &mut Option<EngagementOffice>) {
    const COLUMNS: [&str; 5] = [
        "office_name",
        "office_url",
        "office_email",
        "office_phone",
        "office_address",
    ];
    if !COLUMNS.iter().any(|c| cells.row.has(c)) {
        return;
    }
    let current = office.take();
    let mut name = current.as_ref().map(|o| o.name.clone());
    let mut url = current.as_ref().and_then(|o| o.url.clone());
    let mut email = current.as_ref().and_then(|o| o.email.clone());
    let mut phone = current.as_ref().and_then(|o| o.phone.clone());
    let mut address = current.as_ref().and_then(|o| o.address.clone());
    cells.set("office_name", &mut name, optional(text));
    cells.set("office_url", &mut url, optional(shaped(HttpUrl::parse)));
    cells.set("office_email", &mut email, optional(shaped(Email::parse)));
    cells.set("office_phone", &mut phone, optional(text));
    cells.set("office_address", &mut address, optional(text));
    *office = match name {
        Some(name) => Some(EngagementOffice {
            name,
            url,
            email,
            phone,
            address,
        }),
        None if url.is_none() && email.is_none() && phone.is_none() && address.is_none() => None,
        None => {
            cells.refuse(
                "office_name",
                Code::Required,
                "is required when the office has a web page, e-mail, phone or address",
            );
            None
        }
    };
}

/// The column a validation error of the writable representation belongs to
/// (`membership.joined_on` is `joined_on`, `engagement_office.phone` is `office_phone`).
pub fn column_of(field: &str, row: &Row) -> String {
    let field = field.split('[').next().unwrap_or(field);
    if let Some(rest) = field.strip_prefix("membership.") {
        return rest.to_owned();
    }
    if let Some(rest) = field.strip_prefix("engagement_office.") {
        return format!("office_{rest}");
    }
    if let Some(rest) = field.strip_prefix("location.") {
        return rest.to_owned();
    }
    if field == "district_id" && !row.has("district_id") {
        return "district_ags".to_owned();
    }
    field.to_owned()
}

/// The code of a validation message. The validation reports field and message only; its
/// messages follow a few fixed phrasings, read here in one place.
pub fn code_of(message: &str) -> Code {
    const PHRASES: [(&str, Code); 9] = [
        ("is required", Code::Required),
        ("must not be empty", Code::Required),
        ("characters long", Code::TooLong),
        ("must hold at most", Code::TooLong),
        ("must lie within", Code::OutOfRange),
        ("is already taken", Code::Duplicate),
        ("is given twice", Code::Duplicate),
        ("names no", Code::NotFound),
        ("must be a ", Code::InvalidFormat),
    ];
    PHRASES
        .iter()
        .find(|(phrase, _)| message.contains(phrase))
        .map_or(Code::InvalidValue, |(_, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_validation_messages() {
        assert_eq!(code_of("must not be empty"), Code::Required);
        assert_eq!(
            code_of("must be at most 200 characters long"),
            Code::TooLong
        );
        assert_eq!(
            code_of("must lie within North Rhine-Westphalia (50.3 to 52.6)"),
            Code::OutOfRange
        );
        assert_eq!(
            code_of("is already taken by another record"),
            Code::Duplicate
        );
        assert_eq!(code_of("is required for a member"), Code::Required);
        assert_eq!(code_of("must be null for a member"), Code::InvalidValue);
    }

    #[test]
    fn numbers() {
        assert_eq!(population("58633"), Ok(58633));
        assert_eq!(population("-1").map_err(|e| e.0), Err(Code::OutOfRange));
        assert_eq!(
            population("58.633").map_err(|e| e.0),
            Err(Code::InvalidFormat)
        );
        assert_eq!(coordinate("51.5348"), Ok(51.5348));
        assert_eq!(coordinate("NaN").map_err(|e| e.0), Err(Code::InvalidFormat));
    }
}
