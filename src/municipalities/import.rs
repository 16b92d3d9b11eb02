//! `engagiert import municipalities FILE.csv`: upserts the CSV exchange format by AGS (by
//! slug for authorities without one), each row on its own, so a bad row is reported and
//! skipped and never takes the good ones down with it. The demo data loads the same way.

use std::collections::HashMap;
use std::io::Read;

use chrono::NaiveDate;
use diesel::Connection;

use super::api::{EngagementOffice, Location, Membership, MunicipalityInput};
use super::export::CsvRecord;
use super::model;
use super::values::{Ags, Kind, MembershipStatus, Region, Slug, VolunteerCard};
use crate::db::DbConnection;
use crate::error::{ApiError, FieldError};
use crate::types::{Email, HttpUrl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Changed,
    Unchanged,
}

/// What an import did, row by row.
#[derive(Debug, Default)]
pub struct Report {
    pub created: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
    /// Line number (1 is the header), the row's name, and why it was refused.
    pub rejected: Vec<(usize, String, String)>,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "{} created, {} changed, {} unchanged, {} rejected",
            self.created.len(),
            self.changed.len(),
            self.unchanged.len(),
            self.rejected.len()
        )
    }
}

fn optional(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

/// Parses one CSV record into an API input, naming each bad column. A `district_ags` is
/// resolved through `districts` (AGS to id).
pub fn input_of(
    record: &CsvRecord,
    districts: &HashMap<String, String>,
) -> Result<MunicipalityInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut field = |name: &str, message: String| errors.push(FieldError::new(name, message));
    fn parsed<T>(
        value: &str,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
        field: &mut impl FnMut(&str, String),
    ) -> Option<T> {
        let value = optional(value)?;
        parse(value).map_err(|e| field(name, e)).ok()
    }
    let date = |s: &str| {
        s.parse::<NaiveDate>()
            .map_err(|_| "must be a date (YYYY-MM-DD)".to_owned())
    };
    let number = |s: &str| s.parse::<f64>().map_err(|_| "must be a number".to_owned());
    let kind = parsed(&record.kind, "kind", |s| s.parse::<Kind>(), &mut field);
    let status = parsed(
        &record.status,
        "status",
        |s| s.parse::<MembershipStatus>(),
        &mut field,
    )
    .unwrap_or(MembershipStatus::Applicant);
    let lat = parsed(&record.lat, "lat", number, &mut field);
    let lon = parsed(&record.lon, "lon", number, &mut field);
    let district_id = match optional(&record.district_ags) {
        Some(key) => match districts.get(key) {
            Some(id) => id.parse().ok(),
            None => {
                field(
                    "district_ags",
                    format!("names no district in the database or the file ({key})"),
                );
                None
            }
        },
        None => None,
    };
    let office_name = optional(&record.office_name).map(str::to_owned);
    let input = MunicipalityInput {
        slug: parsed(&record.slug, "slug", Slug::parse, &mut field),
        name: record.name.trim().to_owned(),
        official_name: optional(&record.official_name).map(str::to_owned),
        kind: kind.unwrap_or(Kind::Municipality),
        ags: parsed(&record.ags, "ags", Ags::parse, &mut field),
        region: parsed(
            &record.region,
            "region",
            |s| s.parse::<Region>(),
            &mut field,
        ),
        district_id,
        population: parsed(
            &record.population,
            "population",
            |s| {
                s.parse::<u32>()
                    .map_err(|_| "must be a whole number".to_owned())
            },
            &mut field,
        ),
        website: parsed(&record.website, "website", HttpUrl::parse, &mut field),
        location: match (lat, lon) {
            (Some(lat), Some(lon)) => Some(Location { lat, lon }),
            _ => None,
        },
        membership: Membership {
            status,
            council_decision_on: parsed(
                &record.council_decision_on,
                "council_decision_on",
                date,
                &mut field,
            ),
            declaration_signed_on: parsed(
                &record.declaration_signed_on,
                "declaration_signed_on",
                date,
                &mut field,
            ),
            joined_on: parsed(&record.joined_on, "joined_on", date, &mut field),
            left_on: parsed(&record.left_on, "left_on", date, &mut field),
        },
        engagement_office: office_name.map(|name| EngagementOffice {
            name,
            url: optional(&record.office_url).and_then(|u| HttpUrl::parse(u).ok()),
            email: optional(&record.office_email).and_then(|e| Email::parse(e).ok()),
            phone: optional(&record.office_phone).map(str::to_owned),
            address: optional(&record.office_address).map(str::to_owned),
        }),
        contacts: Vec::new(),
        volunteer_card: parsed(
            &record.volunteer_card,
            "volunteer_card",
            |s| s.parse::<VolunteerCard>(),
            &mut field,
        ),
        description: optional(&record.description).map(str::to_owned),
        topics: record
            .topics
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    if kind.is_none() && optional(&record.kind).is_none() {
        errors.push(FieldError::new("kind", "is required"));
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// Creates or updates one municipality from an input, matched by AGS, else by slug. The
/// contacts of an existing record are kept (the CSV does not carry them).
pub fn upsert(conn: &mut DbConnection, input: MunicipalityInput) -> Result<Outcome, ApiError> {
    let existing = match (&input.ags, input.resolved_slug()) {
        (Some(ags), _) => model::resolve(conn, ags.as_str())?,
        (None, Some(slug)) => model::resolve(conn, slug.as_str())?,
        (None, None) => None,
    }
    .filter(|row| row.deleted_at.is_none());
    let Some(current) = existing else {
        super::create(conn, &input)?;
        return Ok(Outcome::Created);
    };
    let current_input =
        model::load_details(conn, std::slice::from_ref(&current.id))?.input(&current);
    let mut merged = input;
    merged.contacts = current_input.contacts.clone();
    if merged.slug.is_none() {
        merged.slug = current_input.slug.clone();
    }
    if merged == current_input {
        return Ok(Outcome::Unchanged);
    }
    let values = super::checked_values(conn, &merged)?;
    model::update(conn, &current.id, current.version, &values)?
        .ok_or_else(ApiError::precondition_failed)?;
    model::replace_parts(conn, &current.id, &merged)?;
    if current.membership_status != merged.membership.status {
        model::record_status(conn, &current.id, &merged.membership)?;
    }
    Ok(Outcome::Changed)
}

/// Imports a CSV. Every row is upserted in a savepoint of its own, so a refused row leaves
/// no trace; the whole import is one transaction, rolled back at the end of a dry run.
/// Districts go first, so that towns later in the same file can name them by key.
pub fn import(
    conn: &mut DbConnection,
    csv_data: impl Read,
    dry_run: bool,
    progress: impl FnMut(usize, usize),
) -> Result<Report, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(csv_data);
    let mut rows: Vec<(usize, Result<CsvRecord, String>)> = Vec::new();
    for (index, record) in reader.deserialize::<CsvRecord>().enumerate() {
        rows.push((index + 2, record.map_err(|e| e.to_string())));
    }
    rows.sort_by_key(|(_, r)| !matches!(r, Ok(r) if r.kind.trim() == "district"));
    let result = conn.transaction(|conn| {
        let report = import_rows(conn, rows, progress)?;
        if dry_run {
            Err(Finished::DryRun(report))
        } else {
            Ok(report)
        }
    });
    match result {
        Ok(report) | Err(Finished::DryRun(report)) => Ok(report),
        Err(Finished::Failed(error)) => Err(error),
    }
}

fn import_rows(
    conn: &mut DbConnection,
    rows: Vec<(usize, Result<CsvRecord, String>)>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Report, ApiError> {
    let mut report = Report::default();
    let mut districts = known_districts(conn)?;
    let total = rows.len();
    for (done, (line, record)) in rows.into_iter().enumerate() {
        progress(done, total);
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                report
                    .rejected
                    .push((line, String::new(), format!("unreadable: {error}")));
                continue;
            }
        };
        let name = record.name.trim().to_owned();
        let input = match input_of(&record, &districts) {
            Ok(input) => input,
            Err(errors) => {
                report.rejected.push((line, name, describe(&errors)));
                continue;
            }
        };
        let district_key = (input.kind == Kind::District)
            .then(|| input.ags.clone())
            .flatten();
        match conn.transaction(|conn| upsert(conn, input)) {
            Ok(Outcome::Created) => report.created.push(name),
            Ok(Outcome::Changed) => report.changed.push(name),
            Ok(Outcome::Unchanged) => report.unchanged.push(name),
            Err(error) => {
                let reason = if error.errors().is_empty() {
                    error.to_string()
                } else {
                    describe(error.errors())
                };
                report.rejected.push((line, name, reason));
                continue;
            }
        }
        if let Some(ags) = district_key
            && let Some(row) = model::resolve(conn, ags.as_str())?
        {
            districts.insert(ags.as_str().to_owned(), row.id);
        }
    }
    progress(total, total);
    Ok(report)
}

/// How the import's transaction ends: rolled back on purpose after a dry run, or failed.
enum Finished {
    DryRun(Report),
    Failed(ApiError),
}

impl From<diesel::result::Error> for Finished {
    fn from(error: diesel::result::Error) -> Self {
        Finished::Failed(error.into())
    }
}

impl From<ApiError> for Finished {
    fn from(error: ApiError) -> Self {
        Finished::Failed(error)
    }
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn known_districts(conn: &mut DbConnection) -> Result<HashMap<String, String>, ApiError> {
    let filter = super::api::MunicipalityFilter {
        kind: Some(Kind::District),
        ..Default::default()
    };
    Ok(model::all(conn, &filter)?
        .into_iter()
        .filter_map(|d| d.ags.map(|ags| (ags, d.id)))
        .collect())
}
