//! The municipality list as files for websites and scripts: CSV (RFC 4180, the format the
//! import reads back; or semicolons and a BOM for German spreadsheet software) and GeoJSON
//! (members with a location, for maps). Both take the list's filters and are never paginated.

use std::collections::HashMap;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::form_urlencoded;
use utoipa::IntoParams;

use super::api::{Municipality, MunicipalityFilter};
use super::details::{self, Details};
use super::model;
use super::values::{Kind, MembershipStatus};
use crate::auth::MaybeUser;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::http::LenientQuery;
use crate::http::conditional::computed;
use crate::openapi::responses::*;
use crate::privacy::consent::Audience;

/// One line of the CSV exchange format. The export writes every column; the import takes
/// any of them besides the key (`ags` or `slug`) and ignores `id` and `updated_at`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CsvRecord {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub official_name: String,
    pub kind: String,
    #[serde(default)]
    pub ags: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub district_id: String,
    /// The district by its key, which survives a move between databases.
    #[serde(default)]
    pub district_ags: String,
    #[serde(default)]
    pub population: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lon: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub council_decision_on: String,
    #[serde(default)]
    pub declaration_signed_on: String,
    #[serde(default)]
    pub joined_on: String,
    #[serde(default)]
    pub left_on: String,
    #[serde(default)]
    pub volunteer_card: String,
    /// Topic tags separated by `;`.
    #[serde(default)]
    pub topics: String,
    #[serde(default)]
    pub office_name: String,
    #[serde(default)]
    pub office_url: String,
    #[serde(default)]
    pub office_email: String,
    #[serde(default)]
    pub office_phone: String,
    #[serde(default)]
    pub office_address: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub updated_at: String,
}

/// The columns of `CsvRecord`, in order.
pub const COLUMNS: [&str; 27] = [
    "id",
    "slug",
    "name",
    "official_name",
    "kind",
    "ags",
    "region",
    "district_id",
    "district_ags",
    "population",
    "website",
    "lat",
    "lon",
    "status",
    "council_decision_on",
    "declaration_signed_on",
    "joined_on",
    "left_on",
    "volunteer_card",
    "topics",
    "office_name",
    "office_url",
    "office_email",
    "office_phone",
    "office_address",
    "description",
    "updated_at",
];

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl CsvRecord {
    pub(super) fn from_municipality(
        m: &Municipality,
        district_keys: &HashMap<String, String>,
    ) -> Self {
        let office = m.engagement_office.as_ref();
        Self {
            id: m.id.clone(),
            slug: m.slug.clone(),
            name: m.name.clone(),
            official_name: m.official_name.clone(),
            kind: m.kind.to_string(),
            ags: text(m.ags.as_ref()),
            region: m.region.to_string(),
            district_id: text(m.district_id.as_ref()),
            district_ags: text(m.district_id.as_ref().and_then(|d| district_keys.get(d))),
            population: text(m.population),
            website: text(m.website.as_ref()),
            lat: text(m.location.map(|l| l.lat)),
            lon: text(m.location.map(|l| l.lon)),
            status: m.membership.status.to_string(),
            council_decision_on: text(m.membership.council_decision_on),
            declaration_signed_on: text(m.membership.declaration_signed_on),
            joined_on: text(m.membership.joined_on),
            left_on: text(m.membership.left_on),
            volunteer_card: text(m.volunteer_card),
            topics: m.topics.join(";"),
            office_name: text(office.map(|o| &o.name)),
            office_url: text(office.and_then(|o| o.url.as_ref().map(|u| u.as_str()))),
            office_email: text(office.and_then(|o| o.email.as_ref())),
            office_phone: text(office.and_then(|o| o.phone.as_ref())),
            office_address: text(office.and_then(|o| o.address.as_ref())),
            description: text(m.description.as_ref()),
            updated_at: m
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        }
    }
}

crate::text_enum! {
    /// `standard`: RFC 4180, commas, no byte order mark. `excel`: semicolons and a UTF-8 byte
    /// order mark, which German spreadsheet software needs to open the file correctly.
    pub enum CsvDialect {
        Standard = "standard",
        Excel = "excel",
    }
}

impl CsvDialect {
    fn delimiter(self) -> u8 {
        match self {
            CsvDialect::Standard => b',',
            CsvDialect::Excel => b';',
        }
    }
}

/// The options of the CSV export besides the list's filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CsvOptions {
    /// `standard` (the default: commas, no byte order mark) or `excel` (semicolons and a UTF-8
    /// byte order mark, for German spreadsheet software). The import reads both.
    #[param(inline, example = "excel")]
    pub dialect: Option<CsvDialect>,
}

/// The query of the CSV export: its own options and the list's filters. Split by name rather
/// than merged into one type, so the list (which shares the filter type) still refuses
/// `dialect`; parameters neither defines are ignored, as on every export (rule 26).
pub struct CsvQuery {
    pub options: CsvOptions,
    pub filter: MunicipalityFilter,
}

impl FromRequest for CsvQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(CsvQuery::parse(req.query_string()))
    }
}

impl CsvQuery {
    fn parse(query: &str) -> Result<Self, ApiError> {
        let (own, filters): (Vec<_>, Vec<_>) =
            form_urlencoded::parse(query.as_bytes()).partition(|(name, _)| name == "dialect");
        let encode = |pairs: Vec<_>| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        };
        Ok(CsvQuery {
            options: crate::http::query::parse(&encode(own))?,
            filter: crate::http::query::parse_lenient(&encode(filters))?,
        })
    }
}

/// Every municipality the filter selects, with the keys of their districts.
fn selected(
    conn: &mut DbConnection,
    filter: &MunicipalityFilter,
) -> Result<(Vec<Municipality>, HashMap<String, String>), ApiError> {
    let rows = model::all(conn, filter)?;
    let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
    let details: Details = details::load_details(conn, &ids)?;
    let districts = model::all(
        conn,
        &MunicipalityFilter {
            kind: Some(crate::http::Many::one(Kind::District)),
            ..Default::default()
        },
    )?;
    let keys = districts
        .into_iter()
        .filter_map(|d| d.ags.map(|ags| (d.id.into_string(), ags)))
        .collect();
    Ok((
        rows.into_iter()
            .map(|row| details.show(row, Audience::everyone()))
            .collect(),
        keys,
    ))
}

/// Writes the CSV of `municipalities` (UTF-8, a header row, RFC 4180 quoting, CRLF) in
/// `dialect`.
pub fn write_csv(
    mut out: impl std::io::Write,
    municipalities: &[Municipality],
    district_keys: &HashMap<String, String>,
    dialect: CsvDialect,
) -> Result<(), csv::Error> {
    if dialect == CsvDialect::Excel {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .delimiter(dialect.delimiter())
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    // The header is written by hand so that an empty selection still has one.
    writer.write_record(COLUMNS)?;
    for municipality in municipalities {
        writer.serialize(CsvRecord::from_municipality(municipality, district_keys))?;
    }
    writer.flush()?;
    Ok(())
}

/// The CSV for the command line export.
pub fn csv_of_all(conn: &mut DbConnection) -> Result<Vec<u8>, ApiError> {
    let (municipalities, keys) = selected(conn, &MunicipalityFilter::default())?;
    let mut out = Vec::new();
    write_csv(&mut out, &municipalities, &keys, CsvDialect::Standard)
        .map_err(ApiError::internal)?;
    Ok(out)
}

/// Export municipalities as CSV.
///
/// RFC 4180, UTF-8, a header row; the list's filters, never paginated. Contacts are not
/// exported. `dialect=excel` writes semicolons and a UTF-8 byte order mark for German
/// spreadsheet software. The import (`POST /api/v1/imports/municipalities`, or
/// `engagiert import municipalities`) reads either back.
#[utoipa::path(
    tag = "exports",
    params(CsvOptions, MunicipalityFilter),
    responses(
        (status = 200, description = "Every selected municipality, one per line.", content_type = "text/csv", body = String, headers(("ETag" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/exports/municipalities.csv")]
pub async fn municipalities_csv(
    req: HttpRequest,
    db: web::Data<Db>,
    _user: MaybeUser,
    query: CsvQuery,
) -> Result<HttpResponse, ApiError> {
    let CsvQuery { options, filter } = query;
    let dialect = options.dialect.unwrap_or(CsvDialect::Standard);
    let body = db
        .run(move |conn| {
            let (municipalities, keys) = selected(conn, &filter)?;
            let mut out = Vec::new();
            write_csv(&mut out, &municipalities, &keys, dialect).map_err(ApiError::internal)?;
            Ok(out)
        })
        .await?;
    Ok(computed(
        &req,
        "text/csv; charset=utf-8; header=present",
        Some(format!("inline; filename=\"{}\"", "municipalities.csv")),
        body,
    ))
}

/// Export members with a location as GeoJSON.
///
/// A FeatureCollection (RFC 7946) of point features `[lon, lat]`, one per selected member
/// municipality with a location; the list's filters apply, the result is never paginated.
#[utoipa::path(
    tag = "exports",
    params(MunicipalityFilter),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection.", content_type = "application/geo+json", body = Object, headers(("ETag" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/exports/municipalities.geojson")]
pub async fn municipalities_geojson(
    req: HttpRequest,
    db: web::Data<Db>,
    _user: MaybeUser,
    filter: LenientQuery<MunicipalityFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    let municipalities = db.run(move |conn| Ok(selected(conn, &filter)?.0)).await?;
    let features: Vec<Value> = municipalities
        .iter()
        .filter(|m| m.membership.status == MembershipStatus::Member)
        .filter_map(|m| {
            let location = m.location?;
            Some(json!({
                "type": "Feature",
                "id": m.id,
                "geometry": {"type": "Point", "coordinates": [location.lon, location.lat]},
                "properties": {
                    "id": m.id,
                    "slug": m.slug,
                    "name": m.name,
                    "official_name": m.official_name,
                    "kind": m.kind,
                    "ags": m.ags,
                    "region": m.region,
                    "joined_on": m.membership.joined_on,
                    "website": m.website,
                },
            }))
        })
        .collect();
    let collection = json!({"type": "FeatureCollection", "features": features});
    let body = serde_json::to_vec(&collection).map_err(ApiError::internal)?;
    Ok(computed(
        &req,
        "application/geo+json",
        Some(format!("inline; filename=\"{}\"", "municipalities.geojson")),
        body,
    ))
}
