//! `/api/v1/municipalities`: the member directory that municipal websites pull (their own
//! record by AGS or slug, the member list, maps) and the network office maintains.

pub mod api;
pub mod details;
pub mod export;
pub mod import;
pub mod model;
pub mod references;
pub mod service;
pub mod values;

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Municipality, MunicipalityFilter, MunicipalityInput};
use self::service::Municipalities;
pub use self::service::{require_exists, resolve_live};
use crate::auth::{AuthUser, MaybeUser};
use crate::db::Db;
use crate::error::ApiError;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};
use crate::openapi::responses::*;
use crate::resource;

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
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<MunicipalityFilter>,
) -> Result<Page<Listed<Municipality>>, ApiError> {
    resource::list::<Municipalities>(&db, user.0, query).await
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
    db: web::Data<Db>,
    user: MaybeUser,
    key: web::Path<String>,
) -> Result<Tagged<Municipality>, ApiError> {
    resource::read::<Municipalities>(&db, key.into_inner(), user.0).await
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
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<Tagged<Municipality>, ApiError> {
    resource::create::<Municipalities>(&db, user, body).await
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
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<Municipality>, ApiError> {
    resource::replace::<Municipalities>(&db, user, key.into_inner(), if_match, body).await
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
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<Municipality>, ApiError> {
    resource::patch::<Municipalities>(&db, user, key.into_inner(), if_match, body).await
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
    resource::delete::<Municipalities>(&db, user, key.into_inner(), if_match).await
}
