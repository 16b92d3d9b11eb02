//! `/api/v1/users`: the accounts of the network office and the municipalities' editors.
//! Admin only.

pub mod api;
pub mod model;
pub mod service;

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{NewUser, User, UserFilter, UserUpdate};
use self::service::Users;
pub use self::service::create_account;
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};
use crate::openapi::responses::*;
use crate::resource;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(replace_user)
        .service(update_user)
        .service(delete_user);
}

/// List users.
#[utoipa::path(
    tag = "users",
    params(ListParams, UserFilter),
    responses(
        (status = 200, description = "A page of users.", body = Page<Listed<User>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Forbidden, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/users")]
async fn list_users(
    db: web::Data<Db>,
    user: AuthUser,
    query: ListQuery<UserFilter>,
) -> Result<Page<Listed<User>>, ApiError> {
    user.require_admin()?;
    resource::list::<Users>(&db, Some(user), query).await
}

/// Read a user.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user.", body = User, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
async fn get_user(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<Tagged<User>, ApiError> {
    user.require_admin()?;
    resource::read::<Users>(&db, id.into_inner(), Some(user)).await
}

/// Create a user.
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "The created user.", body = User, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/users")]
async fn create_user(
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<Tagged<User>, ApiError> {
    resource::create::<Users>(&db, user, body).await
}

/// Replace a user's writable fields.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "The updated user.", body = User, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/users/{id}")]
async fn replace_user(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<User>, ApiError> {
    resource::replace::<Users>(&db, user, id.into_inner(), if_match, body).await
}

/// Change some of a user's fields (JSON merge patch).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body(content = UserUpdate, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of the writable fields."),
    responses(
        (status = 200, description = "The updated user.", body = User, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
async fn update_user(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<User>, ApiError> {
    resource::patch::<Users>(&db, user, id.into_inner(), if_match, body).await
}

/// Delete a user (soft: the user becomes a tombstone and can no longer log in).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id."), ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on.")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
async fn delete_user(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    resource::delete::<Users>(&db, user, id.into_inner(), if_match).await
}
