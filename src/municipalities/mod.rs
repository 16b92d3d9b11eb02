//! `/api/v1/municipalities`: the member directory that municipal websites pull (their own
//! record by AGS or slug, the member list, maps) and the network office maintains.

pub mod api;
pub mod export;
pub mod import;
pub mod model;
pub mod references;
pub mod values;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{
    DistrictFacts, Municipality, MunicipalityFilter, MunicipalityInput, OFFICE_FIELDS,
};
use self::model::{Details, MunicipalityRow, MunicipalityValues};
use crate::auth::{AuthUser, MaybeUser};
use crate::db::{Db, DbConnection, new_id};
use crate::error::{ApiError, FieldError};
use crate::http::list::{ListParams, Listed, Page};
use crate::http::record::live;
use crate::http::round_trip::{self, Change, no_status};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_municipalities)
        .service(create_municipality)
        .service(export::municipalities_csv)
        .service(export::municipalities_geojson)
        .service(import::import_municipalities)
        .service(get_municipality)
        .service(replace_municipality)
        .service(update_municipality)
        .service(delete_municipality);
}

/// The ETag view of a reader: anonymous readers get fewer contacts than members.
fn view(user: &Option<AuthUser>) -> Option<&'static str> {
    if user.is_some() { None } else { Some("public") }
}

/// The municipality a path segment names, live (404 or 410 otherwise).
pub fn resolve_live(conn: &mut DbConnection, key: &str) -> Result<MunicipalityRow, ApiError> {
    live(model::resolve(conn, key)?, "municipality")
}

/// List municipalities.
///
/// Sortable by `name`, `population`, `joined_on` and `updated_at`. Anonymous readers see
/// only public contacts.
#[utoipa::path(
    tag = "municipalities",
    params(ListParams, MunicipalityFilter),
    responses(
        (status = 200, description = "A page of municipalities.", body = Page<Listed<Municipality>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/municipalities")]
async fn list_municipalities(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<MunicipalityFilter>,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let all_contacts = user.0.is_some();
    let (rows, details, total) = db
        .run(move |conn| {
            let (rows, total) = model::list(conn, &paging, &filter)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, model::load_details(conn, &ids)?, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, |row| details.show(row, all_contacts)))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
}

/// Read a municipality by UUID, AGS or slug.
#[utoipa::path(
    tag = "municipalities",
    params(("id" = String, Path, description = "The municipality's UUID, AGS or slug.", example = "unna")),
    responses(
        (status = 200, description = "The municipality.", body = Municipality, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, NotFound, Gone, Unavailable
    )
)]
#[get("/municipalities/{id}")]
async fn get_municipality(
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let all_contacts = user.0.is_some();
    let key = key.into_inner();
    let (row, details) = db
        .run(move |conn| {
            let row = resolve_live(conn, &key)?;
            let details = model::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok((row, details))
        })
        .await?;
    Tagged::of(row, view(&user.0), |row| details.show(row, all_contacts)).respond(&req)
}

/// Add a municipality (admin).
#[utoipa::path(
    tag = "municipalities",
    request_body = MunicipalityInput,
    responses(
        (status = 201, description = "The created municipality.", body = Municipality, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/municipalities")]
async fn create_municipality(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let input: MunicipalityInput = references::parse(&db, body, None).await?;
    let (row, details) = db.transaction(move |conn| create(conn, &input)).await?;
    let location = format!("/api/v1/municipalities/{}", row.id);
    Tagged::of(row, None, |row| details.show(row, true))
        .created(location)
        .respond(&req)
}

/// Validates and stores a new municipality (used by the API and the CSV import).
pub fn create(
    conn: &mut DbConnection,
    input: &MunicipalityInput,
) -> Result<(MunicipalityRow, Details), ApiError> {
    let values = checked_values(conn, input)?;
    let id = new_id();
    let row = model::insert(conn, &id, &values)?;
    model::replace_parts(conn, &id, input)?;
    model::record_status(conn, &id, &input.membership)?;
    let details = model::load_details(conn, std::slice::from_ref(&id))?;
    Ok((row, details))
}

/// Checks an input against every rule, its district included, and returns what to store.
fn checked_values(
    conn: &mut DbConnection,
    input: &MunicipalityInput,
) -> Result<MunicipalityValues, ApiError> {
    let district = match input.district_id {
        Some(id) => model::district_facts(conn, &id.to_string())?
            .map(|(kind, ags)| DistrictFacts { kind, ags }),
        None => None,
    };
    input.check(district.as_ref()).finish()?;
    MunicipalityValues::from_input(input)
        .ok_or_else(|| ApiError::invalid("slug", "cannot be derived"))
}

/// Replace a municipality's writable fields.
///
/// Editors may change their own municipality's profile and contacts; slug, name, kind, AGS,
/// region, district, membership and volunteer card are the network office's (403).
#[utoipa::path(
    tag = "municipalities",
    params(("id" = String, Path, description = "The municipality's UUID, AGS or slug."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body = MunicipalityInput,
    responses(
        (status = 200, description = "The updated municipality.", body = Municipality, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/municipalities/{id}")]
async fn replace_municipality(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let precheck_user = user.clone();
    let precheck_key = key.clone();
    // Who may change it is known before the body is read.
    db.run(move |conn| precheck_user.require_municipality(&resolve_live(conn, &precheck_key)?.id))
        .await?;
    let change = Change::Replace(references::resolved(&db, body.parse::<Value>().await?).await?);
    save(&db, user, key, if_match, change).await?.respond(&req)
}

/// Change some of a municipality's fields (JSON merge patch).
#[utoipa::path(
    tag = "municipalities",
    params(("id" = String, Path, description = "The municipality's UUID, AGS or slug."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body(content = MunicipalityInput, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of the writable fields."),
    responses(
        (status = 200, description = "The updated municipality.", body = Municipality, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[patch("/municipalities/{id}")]
async fn update_municipality(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let precheck_user = user.clone();
    let precheck_key = key.clone();
    db.run(move |conn| precheck_user.require_municipality(&resolve_live(conn, &precheck_key)?.id))
        .await?;
    let patch = references::resolved(&db, body.parse::<Value>().await?).await?;
    save(&db, user, key, if_match, Change::Patch(patch))
        .await?
        .respond(&req)
}

/// The one way a municipality changes: in one transaction, checked against `If-Match`, the
/// caller's rights and every rule, written only if nobody changed it in between.
async fn save(
    db: &Db,
    user: AuthUser,
    key: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<Municipality>, ApiError> {
    let (row, details) = db
        .transaction(move |conn| {
            let current = resolve_live(conn, &key)?;
            if_match.check(&current)?;
            user.require_municipality(&current.id)?;
            let details = model::load_details(conn, std::slice::from_ref(&current.id))?;
            let current_input = details.input(&current);
            let shown = serde_json::to_value(details.show(current.clone(), true))
                .map_err(ApiError::internal)?;
            let input = change.input(&current_input, &shown, no_status)?;
            if !user.is_admin() {
                forbid_office_changes(&current_input, &input)?;
            }
            if round_trip::unchanged(&current_input, &input) {
                return Ok((current, details));
            }
            let row = store(conn, &current, &input)?;
            let details = model::load_details(conn, std::slice::from_ref(&row.id))?;
            Ok((row, details))
        })
        .await?;
    Ok(Tagged::of(row, None, |row| details.show(row, true)))
}

/// Validates and stores a new state of `current` (used by `PUT`, `PATCH` and the CSV import):
/// every rule checked, written only if nobody changed it in between (412), a change of
/// membership status recorded in the history.
fn store(
    conn: &mut DbConnection,
    current: &MunicipalityRow,
    input: &MunicipalityInput,
) -> Result<MunicipalityRow, ApiError> {
    let values = checked_values(conn, input)?;
    let row = model::update(conn, &current.id, current.version, &values)?
        .ok_or_else(ApiError::precondition_failed)?;
    model::replace_parts(conn, &row.id, input)?;
    if current.membership_status != input.membership.status {
        model::record_status(conn, &row.id, &input.membership)?;
    }
    Ok(row)
}

/// 403 naming the fields an editor tried to change that only the network office may.
fn forbid_office_changes(
    current: &MunicipalityInput,
    new: &MunicipalityInput,
) -> Result<(), ApiError> {
    let normalise = |input: &MunicipalityInput| {
        let mut input = input.clone();
        input.slug = input.resolved_slug();
        input.region = input.resolved_region();
        serde_json::to_value(input).unwrap_or_default()
    };
    let (before, after) = (normalise(current), normalise(new));
    let changed: Vec<FieldError> = OFFICE_FIELDS
        .iter()
        .filter(|field| before.get(**field) != after.get(**field))
        .map(|field| FieldError::new(*field, "only the network office (admin) may change this"))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = changed.iter().map(|e| e.field.as_str()).collect();
    Err(
        ApiError::forbidden(format!("editors may not change {}", names.join(", ")))
            .with_errors(changed),
    )
}

/// Delete a municipality (admin; soft: it becomes a tombstone).
#[utoipa::path(
    tag = "municipalities",
    params(("id" = String, Path, description = "The municipality's UUID, AGS or slug."), ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on.")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/municipalities/{id}")]
async fn delete_municipality(
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let key = key.into_inner();
    db.transaction(move |conn| {
        let current = resolve_live(conn, &key)?;
        if_match.check(&current)?;
        if !model::soft_delete(conn, &current.id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
