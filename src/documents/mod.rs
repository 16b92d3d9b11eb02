//! `/api/v1/documents`: the network's knowledge — recommendations, documentation,
//! publications, practice examples, methods, working aids — with a publishing workflow,
//! attachments, search and an Atom feed. A draft does not exist for those who may not see it.

pub mod api;
pub mod atom;
pub mod model;
pub mod storage;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use futures_util::StreamExt;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Attachment, Document, DocumentFilter, DocumentInput, DocumentStatus};
use self::model::{Details, DocumentRow, DocumentValues, Viewer};
use self::storage::{Storage, safe_filename};
use crate::auth::{AuthUser, MaybeUser};
use crate::config::Limits;
use crate::db::{Db, DbConnection, new_id};
use crate::error::ApiError;
use crate::http::list::{ListParams, Listed, Page};
use crate::http::record::live;
use crate::http::round_trip::{self, Change};
use crate::http::{ApiJson, IfMatch, ListQuery, Tagged, path_id};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_documents)
        .service(create_document)
        .service(get_document)
        .service(replace_document)
        .service(update_document)
        .service(delete_document)
        .service(publish_document)
        .service(archive_document)
        .service(upload_attachment)
        .service(get_attachment)
        .service(delete_attachment)
        .service(atom::documents_feed);
}

/// A document the viewer may see, with its details: absent, deleted or hidden drafts are 404
/// (or 410 for a deleted one the viewer could have seen).
fn visible(
    conn: &mut DbConnection,
    id: &str,
    viewer: &Viewer,
) -> Result<(DocumentRow, Details), ApiError> {
    let row = model::find(conn, id)?;
    let details = match &row {
        Some(row) => model::load_details(conn, std::slice::from_ref(&row.id))?,
        None => Details::default(),
    };
    match row {
        Some(row) if viewer.sees(row.status, details.authors(&row.id)) => {
            Ok((live(Some(row), "document")?, details))
        }
        _ => Err(ApiError::not_found("no such document")),
    }
}

/// Admins write every document; editors those naming their municipality as author.
fn require_author(user: &AuthUser, authors: &[String]) -> Result<(), ApiError> {
    if user.is_admin()
        || user
            .municipality_id
            .as_ref()
            .is_some_and(|m| authors.contains(m))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "editors write only documents that name their municipality as author",
        ))
    }
}

/// Validates an input: its own rules, its authors exist, and an editor stays among them.
fn checked(
    conn: &mut DbConnection,
    user: &AuthUser,
    input: &DocumentInput,
) -> Result<DocumentValues, ApiError> {
    let mut checks = input.check();
    for (i, municipality) in input.municipality_ids.iter().enumerate() {
        if !crate::municipalities::model::exists(conn, &municipality.to_string())? {
            checks.add(format!("municipality_ids[{i}]"), "names no municipality");
        }
    }
    if let Some(meeting) = input.meeting_id
        && !crate::meetings::model::exists(conn, &meeting.to_string())?
    {
        checks.add("meeting_id", "names no meeting");
    }
    checks.finish()?;
    let authors: Vec<String> = input
        .municipality_ids
        .iter()
        .map(|id| id.to_string())
        .collect();
    require_author(user, &authors)?;
    Ok(DocumentValues::from_input(input))
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    query: ListQuery<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { paging, filter } = query;
    let page_paging = paging.clone();
    let viewer = Viewer::of(user.0.as_ref());
    let (rows, details, total) = db
        .run(move |conn| {
            let (rows, total) = model::list(conn, &paging, &filter, &viewer)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, model::load_details(conn, &ids)?, total))
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|row| Listed::from_row(row, |row| details.show(row)))
        .collect();
    Page::new(items, total, &page_paging).respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "document")?;
    let viewer = Viewer::of(user.0.as_ref());
    let (row, details) = db.run(move |conn| visible(conn, &id, &viewer)).await?;
    Tagged::of(row, None, |row| details.show(row)).respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let input: DocumentInput =
        crate::municipalities::references::parse(&db, body, Some("draft")).await?;
    let (row, details) = db
        .transaction(move |conn| create(conn, &user, &input))
        .await?;
    let location = format!("/api/v1/documents/{}", row.id);
    Tagged::of(row, None, |row| details.show(row))
        .created(location)
        .respond(&req)
}

/// Validates and stores a new draft (used by the API and the demo data).
pub fn create(
    conn: &mut DbConnection,
    user: &AuthUser,
    input: &DocumentInput,
) -> Result<(DocumentRow, Details), ApiError> {
    let values = checked(conn, user, input)?;
    let id = new_id();
    let row = model::insert(conn, &id, &values)?;
    model::replace_parts(conn, &id, input)?;
    Ok((row, model::load_details(conn, std::slice::from_ref(&id))?))
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "document")?;
    authorise_change(&db, &user, &id).await?;
    let change = Change::Replace(
        crate::municipalities::references::resolved(&db, body.parse::<Value>().await?).await?,
    );
    save(&db, user, id, if_match, change).await?.respond(&req)
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
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "document")?;
    authorise_change(&db, &user, &id).await?;
    let patch =
        crate::municipalities::references::resolved(&db, body.parse::<Value>().await?).await?;
    save(&db, user, id, if_match, Change::Patch(patch))
        .await?
        .respond(&req)
}

/// 404 for a document the caller cannot see, 403 for one they may not write.
async fn authorise_change(db: &Db, user: &AuthUser, id: &str) -> Result<(), ApiError> {
    let (user, id) = (user.clone(), id.to_owned());
    db.run(move |conn| {
        let (row, details) = visible(conn, &id, &Viewer::of(Some(&user)))?;
        require_author(&user, details.authors(&row.id))
    })
    .await
}

async fn save(
    db: &Db,
    user: AuthUser,
    id: String,
    if_match: IfMatch,
    change: Change,
) -> Result<Tagged<Document>, ApiError> {
    let (row, details) = db
        .transaction(move |conn| {
            let (current, details) = visible(conn, &id, &Viewer::of(Some(&user)))?;
            if_match.check(&current)?;
            require_author(&user, details.authors(&current.id))?;
            let current_input = details.input(&current);
            let shown =
                serde_json::to_value(details.show(current.clone())).map_err(ApiError::internal)?;
            let input = change.input(&current_input, &shown, status_action)?;
            if round_trip::unchanged(&current_input, &input) {
                return Ok((current, details));
            }
            let values = checked(conn, &user, &input)?;
            let row = model::update(conn, &current.id, current.version, &values)?
                .ok_or_else(ApiError::precondition_failed)?;
            model::replace_parts(conn, &row.id, &input)?;
            Ok((row, model::load_details(conn, std::slice::from_ref(&id))?))
        })
        .await?;
    Ok(Tagged::of(row, None, |row| details.show(row)))
}

/// The action that moves a document to `status` (rule 3).
fn status_action(status: &str) -> Option<&'static str> {
    match status {
        "published" => Some("POST /api/v1/documents/{id}/publish"),
        "archived" => Some("POST /api/v1/documents/{id}/archive"),
        _ => None,
    }
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
    let id = path_id(&id, "document")?;
    db.transaction(move |conn| {
        let (current, details) = visible(conn, &id, &Viewer::of(Some(&user)))?;
        if_match.check(&current)?;
        require_author(&user, details.authors(&current.id))?;
        if !user.is_admin() && current.status != DocumentStatus::Draft {
            return Err(ApiError::forbidden(
                "only the network office deletes published documents",
            ));
        }
        if !model::soft_delete(conn, &current.id, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves a document along the workflow (admin): `from` the allowed states `to` the new one.
async fn transition(
    req: &HttpRequest,
    db: &Db,
    user: AuthUser,
    id: String,
    from: &'static [DocumentStatus],
    to: DocumentStatus,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let (row, details) = db
        .transaction(move |conn| {
            let (current, _) = visible(conn, &id, &Viewer::Admin)?;
            if !from.contains(&current.status) {
                return Err(ApiError::conflict(format!(
                    "a {} document cannot become {to}",
                    current.status
                )));
            }
            let row =
                model::set_status(conn, &current, to)?.ok_or_else(ApiError::precondition_failed)?;
            Ok((row, model::load_details(conn, std::slice::from_ref(&id))?))
        })
        .await?;
    Tagged::of(row, None, |row| details.show(row)).respond(req)
}

/// Publish a document (admin): draft or archived → published; sets `published_at` the first time.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id.")),
    responses(
        (status = 200, description = "The published document.", body = Document, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents/{id}/publish")]
async fn publish_document(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "document")?;
    let from = &[DocumentStatus::Draft, DocumentStatus::Archived];
    transition(&req, &db, user, id, from, DocumentStatus::Published).await
}

/// Archive a document (admin): published → archived.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id.")),
    responses(
        (status = 200, description = "The archived document.", body = Document, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents/{id}/archive")]
async fn archive_document(
    req: HttpRequest,
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "document")?;
    transition(
        &req,
        &db,
        user,
        id,
        &[DocumentStatus::Published],
        DocumentStatus::Archived,
    )
    .await
}

/// The multipart form of an upload (for the documentation).
#[derive(ToSchema)]
#[allow(dead_code)]
struct AttachmentUpload {
    /// The file; its media type is determined from its content.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Attach a file to a document.
///
/// A `multipart/form-data` body with the file in the part `file`. Allowed are PDF, PNG,
/// JPEG, GIF, WebP, Office and OpenDocument files and plain text, recognised by their content
/// (415 otherwise); larger than the limit (25 MiB by default) is 413. Nothing is stored when
/// an upload is refused.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id.")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored attachment.", body = Attachment, headers(("Location" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Gone, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents/{id}/attachments")]
async fn upload_attachment(
    req: HttpRequest,
    db: web::Data<Db>,
    storage: web::Data<Storage>,
    limits: web::Data<Limits>,
    user: AuthUser,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "document")?;
    authorise_change(&db, &user, &id).await?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::unsupported_media_type(
            "upload the file as multipart/form-data in the part `file`",
        ));
    }
    let limit = limits.attachment_bytes as u64;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Room for the multipart framing around the file.
    if declared.is_some_and(|length| length > limit + 64 * 1024) {
        return Err(ApiError::payload_too_large(limits.attachment_bytes));
    }
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut stored = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        if field.name() != Some("file") || stored.is_some() {
            while let Some(chunk) = field.next().await {
                chunk.map_err(multipart_error)?;
            }
            continue;
        }
        let filename = safe_filename(field.content_disposition().and_then(|cd| cd.get_filename()));
        let mut upload = storage.begin().map_err(ApiError::internal)?;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if upload.size() + chunk.len() as u64 > limit {
                return Err(ApiError::payload_too_large(limits.attachment_bytes));
            }
            upload = web::block(move || upload.write(&chunk).map(|()| upload))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
        }
        let Some(media_type) = upload.media_type(&filename) else {
            return Err(ApiError::unsupported_media_type(
                "allowed are PDF, PNG, JPEG, GIF, WebP, Office and OpenDocument files and plain text",
            ));
        };
        if upload.size() == 0 {
            return Err(ApiError::invalid("file", "is empty"));
        }
        let storage = storage.clone();
        let (sha256, size) = web::block(move || storage.commit(upload))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        stored = Some((filename, media_type, sha256, size));
    }
    let Some((filename, media_type, sha256, size)) = stored else {
        return Err(ApiError::invalid(
            "file",
            "is required (a multipart part named `file`)",
        ));
    };
    let row = model::new_attachment(
        &id,
        filename,
        media_type,
        i64::try_from(size).unwrap_or(i64::MAX),
        sha256,
    );
    let row = db
        .run(move |conn| Ok(model::insert_attachment(conn, &row)?))
        .await?;
    let attachment = Attachment::from(&row);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, attachment.url.clone()))
        .json(attachment))
}

/// An attachment the viewer may see (its document's visibility decides).
fn visible_attachment(
    conn: &mut DbConnection,
    id: &str,
    viewer: &Viewer,
) -> Result<model::AttachmentRow, ApiError> {
    let attachment = model::find_attachment(conn, id)?
        .ok_or_else(|| ApiError::not_found("no such attachment"))?;
    visible(conn, &attachment.document_id, viewer).map_err(|e| match e.status().as_u16() {
        410 => ApiError::gone("the attachment's document has been deleted"),
        _ => ApiError::not_found("no such attachment"),
    })?;
    live(Some(attachment), "attachment")
}

/// Download an attachment.
///
/// Streams the file with its media type, length, an `ETag` (its SHA-256) and a safe
/// `Content-Disposition`; honours `Range` and `If-None-Match`.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The attachment's id.")),
    responses(
        (status = 200, description = "The file, with the media type determined when it was uploaded.", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"),
            (Vec<u8> = "image/webp"), (Vec<u8> = "text/plain"), (Vec<u8> = "text/csv"), (Vec<u8> = "application/msword"),
            (Vec<u8> = "application/vnd.ms-excel"), (Vec<u8> = "application/vnd.ms-powerpoint"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"), (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
            (Vec<u8> = "application/vnd.oasis.opendocument.presentation")
        )),
        (status = 206, description = "The requested range of the file.", content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "multipart/byteranges"))),
        NotModified, Unauthorized, NotFound, Gone, Unavailable
    )
)]
#[get("/attachments/{id}")]
async fn get_attachment(
    req: HttpRequest,
    db: web::Data<Db>,
    storage: web::Data<Storage>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "attachment")?;
    let viewer = Viewer::of(user.0.as_ref());
    let attachment = db
        .run(move |conn| visible_attachment(conn, &id, &viewer))
        .await?;
    let etag = format!("\"{}\"", attachment.sha256);
    if crate::http::conditional::if_none_match(&req, &etag) {
        return Ok(crate::http::conditional::not_modified(&etag));
    }
    let path = storage.path_of(&attachment.sha256);
    let file = actix_files::NamedFile::open_async(&path)
        .await
        .map_err(ApiError::internal)?;
    let media_type: mime::Mime = attachment
        .media_type
        .parse()
        .unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let disposition = header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![
            header::DispositionParam::Filename(ascii_fallback(&attachment.filename)),
            header::DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: attachment.filename.clone().into_bytes(),
            }),
        ],
    };
    let mut response = file
        .set_content_type(media_type)
        .set_content_disposition(disposition)
        .use_etag(false)
        .use_last_modified(false)
        .into_response(&req);
    response.headers_mut().insert(
        header::ETAG,
        header::HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

fn ascii_fallback(filename: &str) -> String {
    filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Delete an attachment (soft; the document's version does not change).
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The attachment's id."), ("If-Match" = Option<String>, Header, description = "The attachment's ETag (its SHA-256) is not a version; use the version tag from the document's `attachments`.")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[delete("/attachments/{id}")]
async fn delete_attachment(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id, "attachment")?;
    db.transaction(move |conn| {
        let attachment = visible_attachment(conn, &id, &Viewer::of(Some(&user)))?;
        if_match.check(&attachment)?;
        let (_, details) = visible(conn, &attachment.document_id, &Viewer::of(Some(&user)))?;
        require_author(&user, details.authors(&attachment.document_id))?;
        if !model::delete_attachment(conn, &attachment.id, attachment.version)? {
            return Err(ApiError::precondition_failed());
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// 408 when the upload stalled (see `http::body`), else 400 naming what broke.
fn multipart_error(error: actix_multipart::MultipartError) -> ApiError {
    match error {
        actix_multipart::MultipartError::Payload(payload) => {
            crate::http::body::unreadable(&payload)
        }
        other => ApiError::bad_request(format!("the multipart body is malformed: {other}")),
    }
}
