//! `/api/v1/api-tokens`: long-lived JWTs for integration scripts, issued by admins, shown
//! once, listed by name and revoked by id (a revoked token is a tombstone).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::accounts::Role;
use crate::accounts::api_tokens::ApiTokenRow;
use crate::auth::AuthUser;
use crate::auth::jwt::{Grant, JwtKeys, TokenUse};
use crate::db::query::{Paging, Sort};
use crate::db::record::live;
use crate::db::schema::api_tokens;
use crate::db::{Db, DbConnection, MultiBackend, now, utc};
use crate::error::{ApiError, Checks, Code};
use crate::http::list::{ListParams, Listed, Page};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged, path_id};
use crate::ids::{ApiTokenId, MunicipalityId, UserId};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_api_tokens)
        .service(create_api_token)
        .service(get_api_token)
        .service(delete_api_token);
}

fn find(conn: &mut DbConnection, id: &ApiTokenId) -> QueryResult<Option<ApiTokenRow>> {
    api_tokens::table
        .find(id)
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()
}

fn filtered(paging: &Paging) -> api_tokens::BoxedQuery<'static, MultiBackend> {
    let mut query = api_tokens::table.into_boxed();
    crate::sync_filters!(query, paging, api_tokens);
    query
}

fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &ApiTokenFilter,
) -> QueryResult<(Vec<ApiTokenRow>, i64)> {
    let total = filtered(paging).count().get_result(conn)?;
    let query = filtered(paging);
    let sort = filter.sort.map_or(
        Sort {
            field: ApiTokenSort::Name,
            descending: false,
        },
        |order| order.0,
    );
    let query = crate::apply_sort!(query, sort, api_tokens::id, {
        ApiTokenSort::Name => api_tokens::name,
        ApiTokenSort::ExpiresAt => api_tokens::expires_at,
        ApiTokenSort::CreatedAt => api_tokens::created_at,
    });
    let rows = query
        .select(ApiTokenRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}

/// An API token as listed (the token itself is shown only once, on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiToken {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    #[schema(example = "Sync der Kreis-Website")]
    pub name: String,
    pub role: Role,
    pub municipality_id: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The admin who issued it.
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// When the token last authenticated (to the minute); null if never.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(row: ApiTokenRow) -> Self {
        Self {
            id: row.id.into(),
            name: row.name,
            role: row.role,
            municipality_id: row.municipality_id.map(Into::into),
            expires_at: utc(row.expires_at),
            created_by: row.created_by.map(Into::into),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
            last_used_at: row.last_used_at.map(utc),
        }
    }
}

/// A newly issued API token, with the token itself (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiToken {
    #[serde(flatten)]
    pub api_token: ApiToken,
    /// The JWT to send as `Authorization: Bearer`. It cannot be shown again.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    #[schema(example = "Sync der Kreis-Website", min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
    /// Required for the `editor` role, absent for `admin`: the municipality's UUID, AGS or
    /// slug.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "unna")]
    pub municipality_id: Option<Uuid>,
    /// When the token stops working; in the future, at most five years ahead.
    pub expires_at: DateTime<Utc>,
}

crate::sort_fields!(ApiTokenOrder over ApiTokenSort {
    Name = "name",
    ExpiresAt = "expires_at",
    CreatedAt = "created_at",
});

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiTokenFilter {
    /// Sort order (default `name`).
    #[param(inline)]
    pub sort: Option<ApiTokenOrder>,
}

/// List API tokens.
#[utoipa::path(
    tag = "api-tokens",
    params(ListParams, ApiTokenFilter),
    responses(
        (status = 200, description = "A page of API tokens; revoked ones appear as tombstones with `include_deleted=true`.", body = Page<Listed<ApiToken>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Forbidden, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/api-tokens")]
async fn list_api_tokens(
    req: HttpRequest,
    db: web::Data<Db>,
    // Taking the caller applies the authorization table (`auth::rules`).
    _caller: AuthUser,
    query: ListQuery<ApiTokenFilter>,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let (rows, total) = db
        .run(move |conn| Ok(list(conn, &paging, &filter)?))
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, ApiToken::from))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
}

/// Read an API token's description.
#[utoipa::path(
    tag = "api-tokens",
    params(("id" = String, Path, description = "The API token's id.")),
    responses(
        (status = 200, description = "The API token (without the token itself).", body = ApiToken, headers(("ETag" = String))),
        NotModified, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/api-tokens/{id}")]
async fn get_api_token(
    req: HttpRequest,
    db: web::Data<Db>,
    // Taking the caller applies the authorization table (`auth::rules`).
    _caller: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "API token")?;
    let row = db
        .run(move |conn| live(find(conn, &id)?, "API token"))
        .await?;
    Tagged::of(row, None, ApiToken::from).respond(&req)
}

/// Issue an API token.
#[utoipa::path(
    tag = "api-tokens",
    request_body = NewApiToken,
    responses(
        (status = 201, description = "The token, shown only in this response.", body = IssuedApiToken, headers(("Location" = String))),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/api-tokens")]
async fn create_api_token(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<JwtKeys>,
    user: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let new: NewApiToken = crate::municipalities::references::parse(&db, body, None).await?;
    let mut checks = Checks::new();
    checks.text("name", &new.name, 200);
    new.role
        .check_municipality(&mut checks, new.municipality_id.is_some());
    let at = now();
    let expires_at = new.expires_at.naive_utc();
    checks.require(
        expires_at > at,
        "expires_at",
        Code::OutOfRange,
        "must be in the future",
    );
    checks.require(
        expires_at < at + chrono::Duration::days(5 * 366),
        "expires_at",
        Code::OutOfRange,
        "must be at most five years ahead",
    );
    checks.finish()?;
    let row = ApiTokenRow {
        id: ApiTokenId::new(),
        name: new.name.trim().to_owned(),
        role: new.role,
        municipality_id: new.municipality_id.map(MunicipalityId::from),
        expires_at,
        // A password session's user (the table admits no other).
        created_by: UserId::parse(&user.id),
        version: 1,
        created_at: at,
        updated_at: at,
        deleted_at: None,
        last_used_at: None,
    };
    let token = keys.issue(Grant {
        sub: row.id.to_string(),
        role: row.role,
        municipality_id: row.municipality_id.clone().map(Into::into),
        token_use: TokenUse::Api,
        jti: row.id.to_string(),
        sid: None,
        expires: expires_at.and_utc().timestamp(),
    })?;
    let row: ApiTokenRow = db
        .run(move |conn| {
            crate::municipalities::require_exists(
                conn,
                "municipality_id",
                row.municipality_id.as_ref(),
            )?;
            Ok(diesel::insert_into(api_tokens::table)
                .values(&row)
                .returning(api_tokens::all_columns)
                .get_result(conn)?)
        })
        .await?;
    let location = format!("/api/v1/api-tokens/{}", row.id);
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            crate::http::conditional::absolute(&req, &location),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .json(IssuedApiToken {
            api_token: ApiToken::from(row),
            token,
        }))
}

/// Revoke an API token.
#[utoipa::path(
    tag = "api-tokens",
    params(("id" = String, Path, description = "The API token's id."), ("If-Match" = Option<String>, Header, description = "The ETag the revocation is based on.")),
    responses(
        (status = 204, description = "Revoked; the token no longer authenticates."),
        Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/api-tokens/{id}")]
async fn delete_api_token(
    db: web::Data<Db>,
    // Taking the caller applies the authorization table (`auth::rules`).
    _caller: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "API token")?;
    db.transaction(move |conn| {
        let current = live(find(conn, &id)?, "API token")?;
        if_match.check(&current)?;
        if !crate::soft_delete!(conn, api_tokens, &id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
