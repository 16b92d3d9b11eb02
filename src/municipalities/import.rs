//! The municipality import, one implementation behind `POST /api/v1/imports/municipalities`
//! and `engagiert import municipalities` (and the demo data). It reads the columns of the CSV
//! export, any subset that includes a key (`ags`, or `slug` for municipalities without one),
//! and applies each row as a change to the stored record: columns the file lacks leave their
//! fields alone, an empty cell clears its field. The whole file is one transaction: every
//! row is checked and reported, and a single error writes nothing.

mod cells;
mod report;
mod sheet;

use super::service::Municipalities;
use crate::history::revisions::{Action, Actor};
use crate::privacy::consent::Audience;
use crate::resource::recording::{self, Before};
use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

pub use self::report::{
    FieldChange, ImportChanged, ImportCreated, ImportError, ImportErrorCode, ImportReport,
};
use self::sheet::{KEYS, Row, Sheet};
use super::api::{Membership, Municipality, MunicipalityInput};
use super::details;
use super::export::CsvRecord;
use super::model::{self, MunicipalityRow};
use super::values::{Ags, Kind, Slug};
use crate::auth::AuthUser;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::http::fallback::OwnErrorBody;
use crate::http::{ApiQuery, CsvBody};
use crate::openapi::responses::*;

type Code = ImportErrorCode;

/// The live districts, found by id, AGS or slug, so that a town can name its district by
/// key; districts created by the file join as they are written.
pub struct Districts {
    by_key: HashMap<String, Uuid>,
    /// id → AGS, as the export writes `district_ags`.
    keys: HashMap<String, String>,
}

impl Districts {
    fn load(conn: &mut DbConnection) -> Result<Self, ApiError> {
        let filter = super::api::MunicipalityFilter {
            kind: Some(crate::http::Many::one(Kind::District)),
            ..Default::default()
        };
        let mut districts = Self {
            by_key: HashMap::new(),
            keys: HashMap::new(),
        };
        for row in model::all(conn, &filter)? {
            districts.learn(&row);
        }
        Ok(districts)
    }

    fn learn(&mut self, row: &MunicipalityRow) {
        let Ok(id) = row.id.parse::<Uuid>() else {
            return;
        };
        self.by_key.retain(|_, known| *known != id);
        self.keys.remove(row.id.as_str());
        if row.kind != Kind::District {
            return;
        }
        self.by_key.insert(row.id.clone().into(), id);
        self.by_key.insert(row.slug.clone(), id);
        if let Some(ags) = &row.ags {
            self.by_key.insert(ags.clone(), id);
            self.keys.insert(row.id.clone().into(), ags.clone());
        }
    }

    fn find(&self, key: &str) -> Option<Uuid> {
        let key = Uuid::parse_str(key).map_or_else(|_| key.to_owned(), |id| id.to_string());
        self.by_key.get(&key).copied()
    }
}

/// Imports a CSV file. Every row is checked and tried, so that every error is reported; the
/// file is one transaction, kept only when no row failed and this is no dry run.
/// `progress(done, total)` is called after each row.
pub fn import(
    conn: &mut DbConnection,
    data: &[u8],
    dry_run: bool,
    actor: &Actor,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, ApiError> {
    let sheet = sheet::read(data);
    let mut outcome = None;
    // A write transaction: on SQLite it takes the lock up front, so a concurrent editor's
    // save waits for the import rather than failing (and the other way round).
    let result = crate::db::write_transaction(conn, &mut |conn| {
        outcome = None;
        let report = apply_rows(conn, &sheet, dry_run, actor, &mut progress)?;
        let keep = report.errors.is_empty() && !dry_run;
        outcome = Some(report);
        if keep {
            Ok(())
        } else {
            // Only rolls the transaction back; the report below is the answer.
            Err(ApiError::conflict("the import was rolled back"))
        }
    });
    match (result, outcome) {
        (Ok(()), Some(report)) => Ok(report),
        (Err(_), Some(report)) if dry_run || !report.errors.is_empty() => Ok(report),
        (Err(error), _) => Err(error),
        (Ok(()), None) => Err(ApiError::internal("the import ended without a report")),
    }
}

fn apply_rows(
    conn: &mut DbConnection,
    sheet: &Sheet,
    dry_run: bool,
    actor: &Actor,
    progress: &mut impl FnMut(usize, usize),
) -> Result<ImportReport, ApiError> {
    let mut report = ImportReport {
        dry_run,
        errors: sheet.problems.clone(),
        ..Default::default()
    };
    let mut rows = unique_rows(sheet, &mut report.errors);
    // Districts first, so that towns anywhere in the file can name them.
    rows.sort_by_key(|row| (!is_district(row), row.line));
    let mut districts = Districts::load(conn)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let total = rows.len();
    for (done, row) in rows.into_iter().enumerate() {
        match apply_row(conn, row, &mut districts, &mut seen, actor)? {
            Applied::Created(row) => report.created.push(ImportCreated {
                line: row.line,
                id: (!dry_run).then_some(row.id),
                slug: row.slug,
            }),
            Applied::Changed(changed) => report.changed.push(changed),
            Applied::Unchanged => report.unchanged += 1,
            Applied::Refused(errors) => report.errors.extend(errors),
        }
        progress(done + 1, total);
    }
    report.created.sort_by_key(|c| c.line);
    report.changed.sort_by_key(|c| c.line);
    report.errors.sort_by_key(|e| e.line);
    Ok(report)
}

/// The rows whose key no earlier row has; a repeated key is an error of the later row,
/// which is then left out (it would silently undo the first).
fn unique_rows<'a>(sheet: &'a Sheet, errors: &mut Vec<ImportError>) -> Vec<&'a Row> {
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    let mut unique = Vec::new();
    for row in &sheet.rows {
        let key = KEYS
            .iter()
            .find_map(|column| row.value(column).map(|value| (*column, value)));
        match key.and_then(|key| first.get(&key).map(|line| (key, *line))) {
            Some(((column, value), line)) => errors.push(ImportError::cell(
                row.line,
                column,
                Code::Duplicate,
                format!(
                    "{value} is already the key of line {line}; a file names each municipality once"
                ),
            )),
            None => {
                if let Some(key) = key {
                    first.insert(key, row.line);
                }
                unique.push(row);
            }
        }
    }
    unique
}

fn is_district(row: &Row) -> bool {
    match row.value("kind") {
        Some(kind) => kind == Kind::District.as_str(),
        None => row.value("ags").is_some_and(|ags| ags.len() == 5),
    }
}

enum Applied {
    Created(CreatedRow),
    Changed(ImportChanged),
    Unchanged,
    Refused(Vec<ImportError>),
}

struct CreatedRow {
    line: usize,
    id: String,
    slug: String,
}

/// The key of a row: its AGS when it has one, else its slug.
enum Key {
    Ags(Ags),
    Slug(Slug),
}

fn key_of(row: &Row, sheet_errors: &mut Vec<ImportError>) -> Option<Key> {
    let refuse = |column: &str, message: String| {
        ImportError::cell(row.line, column, Code::InvalidFormat, message)
    };
    if let Some(ags) = row.value("ags") {
        return Ags::parse(ags)
            .map(Key::Ags)
            .map_err(|message| sheet_errors.push(refuse("ags", message)))
            .ok();
    }
    if let Some(slug) = row.value("slug") {
        return Slug::parse(slug)
            .map(Key::Slug)
            .map_err(|message| sheet_errors.push(refuse("slug", message)))
            .ok();
    }
    let column = if row.has("ags") { "ags" } else { "slug" };
    sheet_errors.push(ImportError::cell(
        row.line,
        column,
        Code::Required,
        "a row needs an ags, or a slug for a municipality without one, to say which municipality it is",
    ));
    None
}

/// Checks one row and writes it in a savepoint of its own, so a refused row leaves no
/// trace and the rows after it are still tried. Only a fault of the database itself ends
/// the import.
fn apply_row(
    conn: &mut DbConnection,
    row: &Row,
    districts: &mut Districts,
    seen: &mut HashMap<String, usize>,
    actor: &Actor,
) -> Result<Applied, ApiError> {
    let mut errors = Vec::new();
    let key = key_of(row, &mut errors);
    let current = match &key {
        Some(Key::Ags(ags)) => model::resolve(conn, ags.as_str())?,
        Some(Key::Slug(slug)) => model::resolve(conn, slug.as_str())?,
        None => None,
    }
    .filter(|current| current.deleted_at.is_none());
    // An AGS row and a slug row may still name the same municipality.
    if let Some(current) = &current
        && let Some(line) = seen.insert(current.id.clone().into(), row.line)
    {
        let column = if row.value("ags").is_some() {
            "ags"
        } else {
            "slug"
        };
        errors.push(ImportError::cell(
            row.line,
            column,
            Code::Duplicate,
            format!(
                "names the same municipality as line {line}; a file names each municipality once"
            ),
        ));
    }
    let loaded = match &current {
        Some(current) => Some((
            current,
            details::load_details(conn, std::slice::from_ref(&current.id))?,
        )),
        None => None,
    };
    let (before, mut input) = match &loaded {
        Some((current, details)) => (
            Some(details.show((*current).clone(), Audience::Whole)),
            details.input(current),
        ),
        None => (None, blank()),
    };
    let unchanged_input = current.as_ref().map(|_| input.clone());
    errors.extend(cells::apply(row, &mut input, districts));
    if current.is_none() {
        for column in ["name", "kind"].into_iter().filter(|c| !row.has(c)) {
            errors.push(ImportError::cell(
                row.line,
                column,
                Code::Required,
                "is required to create a municipality",
            ));
        }
    }
    if !errors.is_empty() {
        return Ok(Applied::Refused(errors));
    }
    if unchanged_input.as_ref() == Some(&input) {
        return Ok(Applied::Unchanged);
    }
    let written = diesel::Connection::transaction(conn, |conn| {
        let stored = match &current {
            Some(current) => super::service::store(conn, current, &input, actor)?,
            None => super::service::create(conn, &input, actor)?,
        };
        let details = details::load_details(conn, std::slice::from_ref(&stored.id))?;
        let after = details.show(stored.clone(), Audience::Whole);
        let fields = match &before {
            Some(before) => changes(before, &after, &districts.keys)?,
            None => BTreeMap::new(),
        };
        // Equal inputs were caught above; this catches inputs that differ only in what the
        // store normalises away (a slug spelled out that equals the derived one).
        if before.is_some() && fields.is_empty() {
            return Err(Undo::NoChange);
        }
        let (action, was) = match &loaded {
            Some((current, details)) => (Action::Updated, Before::Row(*current, details)),
            None => (Action::Created, Before::Nothing),
        };
        recording::record::<Municipalities>(conn, actor, action, was, &stored, &details)?;
        Ok((stored, fields))
    });
    let (stored, fields) = match written {
        Ok(written) => written,
        Err(Undo::NoChange) => return Ok(Applied::Unchanged),
        Err(Undo::Failed(error)) if error.status().is_client_error() => {
            return Ok(Applied::Refused(refusals(row, &error)));
        }
        Err(Undo::Failed(error)) => return Err(error),
    };
    districts.learn(&stored);
    Ok(match current {
        Some(_) => Applied::Changed(ImportChanged {
            line: row.line,
            id: stored.id.into(),
            slug: stored.slug,
            fields,
        }),
        None => Applied::Created(CreatedRow {
            line: row.line,
            id: stored.id.into(),
            slug: stored.slug,
        }),
    })
}

/// Why a row's savepoint was rolled back.
enum Undo {
    NoChange,
    Failed(ApiError),
}

impl From<ApiError> for Undo {
    fn from(error: ApiError) -> Self {
        Undo::Failed(error)
    }
}

impl From<diesel::result::Error> for Undo {
    fn from(error: diesel::result::Error) -> Self {
        Undo::Failed(error.into())
    }
}

/// A refusal of the validation or the database (a duplicate AGS or slug), as row errors.
fn refusals(row: &Row, error: &ApiError) -> Vec<ImportError> {
    if error.errors().is_empty() {
        let problem = error.problem();
        let message = problem.detail.unwrap_or(problem.title);
        return vec![ImportError::line(row.line, Code::InvalidValue, message)];
    }
    error
        .errors()
        .iter()
        .map(|e| {
            let column = cells::column_of(&e.field, row);
            ImportError::cell(row.line, &column, cells::code_of(&e.message), &e.message)
        })
        .collect()
}

/// What a new municipality starts from before its cells are written; `name` and `kind`
/// are required of a new row, so their placeholders never survive.
fn blank() -> MunicipalityInput {
    MunicipalityInput {
        slug: None,
        name: String::new(),
        official_name: None,
        kind: Kind::Municipality,
        ags: None,
        region: None,
        district_id: None,
        population: None,
        website: None,
        location: None,
        membership: Membership::default(),
        engagement_office: None,
        contacts: Vec::new(),
        volunteer_card: None,
        description: None,
        topics: Vec::new(),
    }
}

/// The columns whose exported value differs between `before` and `after`.
fn changes(
    before: &Municipality,
    after: &Municipality,
    district_keys: &HashMap<String, String>,
) -> Result<BTreeMap<String, FieldChange>, ApiError> {
    let cells = |m: &Municipality| -> Result<serde_json::Map<String, Value>, ApiError> {
        match serde_json::to_value(CsvRecord::from_municipality(m, district_keys)) {
            Ok(Value::Object(cells)) => Ok(cells),
            other => Err(ApiError::internal(format!(
                "a CSV record is no object: {other:?}"
            ))),
        }
    };
    let (before, after) = (cells(before)?, cells(after)?);
    let text = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(after
        .iter()
        // `updated_at` changes with every write; it is not what the file changed.
        .filter(|(column, _)| column.as_str() != "updated_at")
        .filter_map(|(column, value)| {
            let change = FieldChange {
                from: text(before.get(column)),
                to: text(Some(value)),
            };
            (change.from != change.to).then(|| (column.clone(), change))
        })
        .collect())
}

/// Query of the import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Report what the import would do and change nothing.
    #[serde(default)]
    #[param(example = true)]
    pub dry_run: bool,
}

/// Import municipalities from CSV (admin).
///
/// The columns of the CSV export (`GET /api/v1/exports/municipalities.csv`), any subset that
/// includes the key: `ags`, or `slug` for municipalities without one. A row whose key names
/// no municipality creates one (`name` and `kind` required); otherwise it changes the columns
/// the file has, an empty cell clearing its field, and leaves the others untouched. `id` and
/// `updated_at` are ignored; `district_ags` wins over `district_id`. Comma- or
/// semicolon-separated (told apart by the header), UTF-8 with or without byte order mark.
/// A key may appear once per file. The import is one transaction: if any row fails, the
/// answer is 422 with every error and nothing is written. `dry_run=true` reports the same
/// and writes nothing.
#[utoipa::path(
    tag = "municipalities",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, UTF-8.",
        example = "ags,population\n05978036,59000\n"),
    responses(
        (status = 200, description = "Every row is valid; written unless a dry run.", body = ImportReport),
        (status = 422, description = "At least one row or the header failed; nothing was written. The report names every error (a report, not a problem document; only a refused Idempotency-Key is one).", content_type = "application/json", body = ImportReport),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/imports/municipalities")]
pub async fn import_municipalities(
    db: web::Data<Db>,
    user: AuthUser,
    params: ApiQuery<ImportParams>,
    body: CsvBody,
) -> Result<HttpResponse, ApiError> {
    let data = body.read().await?;
    let dry_run = params.0.dry_run;
    let actor = Actor::of(&user);
    let report = db
        .run(move |conn| import(conn, &data, dry_run, &actor, |_, _| {}))
        .await?;
    db.announce();
    if report.errors.is_empty() {
        return Ok(HttpResponse::Ok().json(report));
    }
    let mut response = HttpResponse::UnprocessableEntity().json(report);
    response.extensions_mut().insert(OwnErrorBody);
    Ok(response)
}
