//! `/api/v1/documents`: the network's knowledge — recommendations, documentation,
//! publications, practice examples, methods, working aids — with a publishing workflow,
//! attachments, search and an Atom feed. A draft does not exist for those who may not see it.

pub mod api;
pub mod atom;
pub mod attachment_model;
pub mod attachments;
pub mod model;
pub mod service;
pub mod storage;

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Document, DocumentFilter, DocumentInput, DocumentStatus};
use self::service::{Documents, transition};
use crate::auth::{AuthUser, MaybeUser};
use crate::db::Db;
use crate::error::ApiError;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged};
use crate::openapi::responses::*;
use crate::resource;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_documents)
        .service(create_document)
        .service(get_document)
        .service(replace_document)
        .service(update_document)
        .service(delete_document)
        .service(publish_document)
        .service(archive_document)
        .service(attachments::upload_attachment)
        .service(attachments::get_attachment)
        .service(attachments::delete_attachment)
        .service(atom::documents_feed);
}

/// List documents.
///
/// Drafts appear only to admins and to editors of an author municipality. With `q`, every
/// word must occur in title, summary, body or topics; best matches first.
#[utoipa::path(
    tag = "documents",
    params(ListParams, DocumentFilter),
    responses(
        (status = 200, description = "A page of documents.", body = Page<Listed<Document>>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/documents")]
async fn list_documents(
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<DocumentFilter>,
) -> Result<Page<Listed<Document>>, ApiError> {
    resource::list::<Documents>(&db, user.0, query).await
}

/// Read a document.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id.")),
    responses(
        (status = 200, description = "The document.", body = Document, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, Unauthorized, NotFound, Gone, Unavailable
    )
)]
#[get("/documents/{id}")]
async fn get_document(
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<Tagged<Document>, ApiError> {
    resource::read::<Documents>(&db, id.into_inner(), user.0).await
}

/// Create a document (a draft).
///
/// Editors may create documents that name their own municipality among `municipality_ids`.
#[utoipa::path(
    tag = "documents",
    request_body = DocumentInput,
    responses(
        (status = 201, description = "The created draft.", body = Document, headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents")]
async fn create_document(
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<Tagged<Document>, ApiError> {
    resource::create::<Documents>(&db, user, body).await
}

/// Replace a document's writable fields.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body = DocumentInput,
    responses(
        (status = 200, description = "The updated document.", body = Document, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[put("/documents/{id}")]
async fn replace_document(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<Document>, ApiError> {
    resource::replace::<Documents>(&db, user, id.into_inner(), if_match, body).await
}

/// Change some of a document's fields (JSON merge patch).
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    request_body(content = DocumentInput, content_type = "application/merge-patch+json", description = "A JSON merge patch (RFC 7396) of the writable fields."),
    responses(
        (status = 200, description = "The updated document.", body = Document, headers(("ETag" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[patch("/documents/{id}")]
async fn update_document(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<Tagged<Document>, ApiError> {
    resource::patch::<Documents>(&db, user, id.into_inner(), if_match, body).await
}

/// Delete a document (soft). Admins delete any; editors their own drafts.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id."), ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on.")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/documents/{id}")]
async fn delete_document(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    resource::delete::<Documents>(&db, user, id.into_inner(), if_match).await
}

/// Publish a document (admin): draft or archived → published; sets `published_at` the first time.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    responses(
        (status = 200, description = "The published document.", body = Document, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents/{id}/publish")]
async fn publish_document(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<Tagged<Document>, ApiError> {
    user.require_admin()?;
    resource::act::<Documents, _>(&db, user, id.into_inner(), if_match, |conn, current| {
        transition(
            conn,
            current,
            &[DocumentStatus::Draft, DocumentStatus::Archived],
            DocumentStatus::Published,
        )
    })
    .await
}

/// Archive a document (admin): published → archived.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id."), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on.")),
    responses(
        (status = 200, description = "The archived document.", body = Document, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents/{id}/archive")]
async fn archive_document(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<Tagged<Document>, ApiError> {
    user.require_admin()?;
    resource::act::<Documents, _>(&db, user, id.into_inner(), if_match, |conn, current| {
        transition(
            conn,
            current,
            &[DocumentStatus::Published],
            DocumentStatus::Archived,
        )
    })
    .await
}
