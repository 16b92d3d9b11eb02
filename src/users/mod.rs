//! `/api/v1/users`: the accounts of the network office and the municipalities' editors.
//! Admin only; it is also the first resource on the shared list, ETag and patch machinery.

pub mod api;
pub mod model;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{NewUser, User, UserFilter, UserUpdate, check_user};
use self::model::{NewUserRow, UserChanges, UserRow};
use crate::auth::{AuthUser, Role, password};
use crate::db::{Db, new_id, now};
use crate::error::ApiError;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::record::live;
use crate::http::round_trip::{self, Change, no_status};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged, path_id};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(replace_user)
        .service(update_user)
        .service(delete_user);
}

fn tagged(row: UserRow) -> Tagged<User> {
    Tagged::of(row, None, User::from)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    query: ListQuery<UserFilter>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let (rows, total) = db
        .run(move |conn| Ok(model::list(conn, &paging, &filter)?))
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, User::from))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "user")?;
    let row = db
        .run(move |conn| live(model::find(conn, &id)?, "user"))
        .await?;
    tagged(row).respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let new: NewUser = crate::municipalities::references::parse(&db, body, None).await?;
    let row = db.run(move |conn| create_account(conn, new)).await?;
    let location = format!("/api/v1/users/{}", row.id);
    tagged(row).created(location).respond(&req)
}

/// Validates, hashes the password and stores a new user: the one way users come to be,
/// over HTTP, from the command line and at bootstrap.
pub fn create_account(
    conn: &mut crate::db::DbConnection,
    new: NewUser,
) -> Result<UserRow, ApiError> {
    check_user(
        &new.name,
        new.role,
        new.municipality_id.as_ref(),
        Some(&new.password),
    )
    .finish()?;
    let at = now();
    let row = NewUserRow {
        id: new_id(),
        email: new.email.to_string(),
        name: new.name.trim().to_owned(),
        role: new.role,
        municipality_id: new.municipality_id.map(|id| id.to_string()),
        password_hash: password::hash(&new.password)?,
        active: new.active,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    Ok(model::insert(conn, &row)?)
}

/// 422 unless `municipality_id` names a live municipality.
pub fn require_municipality(
    conn: &mut crate::db::DbConnection,
    municipality_id: Option<&impl ToString>,
) -> Result<(), ApiError> {
    match municipality_id {
        Some(id) if !crate::municipalities::model::exists(conn, &id.to_string())? => Err(
            ApiError::invalid("municipality_id", "names no municipality"),
        ),
        _ => Ok(()),
    }
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "user")?;
    let change = Change::Replace(
        crate::municipalities::references::resolved(&db, body.parse::<Value>().await?).await?,
    );
    save(&db, id, if_match, change).await?.respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(&id, "user")?;
    let patch =
        crate::municipalities::references::resolved(&db, body.parse::<Value>().await?).await?;
    save(&db, id, if_match, Change::Patch(patch))
        .await?
        .respond(&req)
}

/// The one way a user changes: checked against `If-Match`, validated, the password hashed,
/// and written only if nobody changed the user in between.
async fn save(
    db: &Db,
    id: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<User>, ApiError> {
    let lookup = id.clone();
    let current = db
        .run(move |conn| live(model::find(conn, &lookup)?, "user"))
        .await?;
    if_match.check(&current)?;
    let before = UserUpdate::from_row(&current)?;
    let shown = serde_json::to_value(User::from(current.clone())).map_err(ApiError::internal)?;
    let update = change.input(&before, &shown, no_status)?;
    if round_trip::unchanged(&before, &update) {
        return Ok(tagged(current));
    }
    check_user(
        &update.name,
        update.role,
        update.municipality_id.as_ref(),
        update.password.as_deref(),
    )
    .finish()?;
    let password_hash = match update.password.clone() {
        Some(plain) => Some(
            web::block(move || password::hash(&plain))
                .await
                .map_err(ApiError::internal)??,
        ),
        None => None,
    };
    let changes = UserChanges {
        email: update.email.to_string(),
        name: update.name.trim().to_owned(),
        role: update.role,
        municipality_id: update.municipality_id.map(|id| id.to_string()),
        active: update.active,
    };
    let version = current.version;
    let keeps_admin = changes.role == Role::Admin && changes.active;
    let row = db
        .transaction(move |conn| {
            if current.role == Role::Admin
                && !keeps_admin
                && model::count_other_admins(conn, &id)? == 0
            {
                return Err(ApiError::conflict(
                    "the last active admin cannot be demoted or deactivated",
                ));
            }
            model::update(conn, &id, version, &changes, password_hash.clone())?
                .ok_or_else(ApiError::precondition_failed)
        })
        .await?;
    Ok(tagged(row))
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
    user.require_admin()?;
    let id = path_id(&id, "user")?;
    db.transaction(move |conn| {
        let current = live(model::find(conn, &id)?, "user")?;
        if_match.check(&current)?;
        if current.role == Role::Admin && model::count_other_admins(conn, &id)? == 0 {
            return Err(ApiError::conflict(
                "the last active admin cannot be deleted",
            ));
        }
        if !model::soft_delete(conn, &id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        crate::auth::tokens::revoke_all_of_user(conn, &id)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
