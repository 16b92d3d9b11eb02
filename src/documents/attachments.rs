//! A document's attachments: uploaded as multipart (the media type recognised from the
//! content), stored content-addressed (`storage.rs`), downloaded and deleted as the
//! document's visibility and authorship allow.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use futures_util::StreamExt;
use utoipa::ToSchema;

use super::api::Attachment;
use super::attachment_model::{self, AttachmentRow};
use super::media::{safe_filename, sniff};
use super::service::{Documents, require_author};
use crate::auth::{AuthUser, MaybeUser};
use crate::config::Limits;
use crate::db::record::live;
use crate::db::{Db, DbConnection};
use crate::error::{ApiError, Code};
use crate::history::revisions::{self, Action, Actor, Change};
use crate::http::{IfMatch, path_id};
use crate::ids::{AttachmentId, DocumentId};
use crate::openapi::responses::*;
use crate::resource::{self, Resource};
use crate::storage::attachments::{AttachmentStore, StoreError, Upload};

/// The multipart form of an upload (for the documentation).
#[derive(ToSchema)]
#[allow(dead_code)]
struct AttachmentUpload {
    /// The file; its media type is determined from its content.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Query of an upload.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Mark the file as the document's main file (the mark moves from any other attachment).
    #[serde(default)]
    #[param(example = true)]
    pub main: bool,
}

/// Attach a file to a document.
///
/// A `multipart/form-data` body with the file in the part `file`. Allowed are PDF, PNG,
/// JPEG, GIF, WebP, Office and OpenDocument files and plain text, recognised by their content
/// (415 otherwise); larger than the limit (25 MiB by default) is 413. Nothing is stored when
/// an upload is refused.
#[utoipa::path(
    tag = "documents",
    params(("id" = String, Path, description = "The document's id."), UploadParams),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored attachment.", body = Attachment, headers(("Location" = String))),
        BadRequest, Unauthorized, Forbidden, NotFound, Gone, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/documents/{id}/attachments")]
pub async fn upload_attachment(
    req: HttpRequest,
    db: web::Data<Db>,
    storage: web::Data<AttachmentStore>,
    limits: web::Data<Limits>,
    user: AuthUser,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<DocumentId>(&id, "document")?;
    let params: UploadParams = crate::http::query::parse(req.query_string())?;
    resource::may_write::<Documents>(&db, &user, &id).await?;
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
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Room for the multipart framing around the file.
    if declared.is_some_and(|length| length > limits.attachment_bytes as u64 + 64 * 1024) {
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
        let mut upload = storage.begin().await.map_err(|e| store_error(e, None))?;
        match receive(&storage, &mut field, &mut upload, &filename, &limits).await {
            Ok(media_type) => {
                let (sha256, size) = storage
                    .commit(upload)
                    .await
                    .map_err(|e| store_error(e, None))?;
                stored = Some((filename, media_type, sha256, size));
            }
            Err(error) => {
                storage.abort(upload).await;
                return Err(error);
            }
        }
    }
    let Some((filename, media_type, sha256, size)) = stored else {
        return Err(ApiError::invalid(
            "file",
            Code::Required,
            "is required (a multipart part named `file`)",
        ));
    };
    let row = attachment_model::new_attachment(
        &id,
        filename,
        media_type,
        i64::try_from(size).unwrap_or(i64::MAX),
        sha256,
        params.main,
    );
    let actor = Actor::of(&user);
    let row = db
        .transaction(move |conn| {
            let row = attachment_model::insert_attachment(conn, &row)?;
            record(conn, &actor, Action::Created, &row)?;
            Ok(row)
        })
        .await?;
    let attachment = Attachment::from(&row);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, attachment.url.clone()))
        .json(attachment))
}

/// Streams the part `file` into `upload` and checks it: within the size limit, not empty, of
/// a media type the network accepts (returned).
async fn receive(
    storage: &AttachmentStore,
    field: &mut actix_multipart::Field,
    upload: &mut Upload,
    filename: &str,
    limits: &Limits,
) -> Result<&'static str, ApiError> {
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        if upload.size() + chunk.len() as u64 > limits.attachment_bytes as u64 {
            return Err(ApiError::payload_too_large(limits.attachment_bytes));
        }
        storage
            .write(upload, chunk)
            .await
            .map_err(|e| store_error(e, None))?;
    }
    let (head, has_nul) = upload.sample();
    let Some(media_type) = sniff(head, has_nul, filename) else {
        return Err(ApiError::unsupported_media_type(
            "allowed are PDF, PNG, JPEG, GIF, WebP, Office and OpenDocument files and plain text",
        ));
    };
    if upload.size() == 0 {
        return Err(ApiError::invalid("file", Code::TooShort, "is empty"));
    }
    Ok(media_type)
}

/// What a failed store answers: 404 naming the attachment whose stored file is lost, else
/// 503 (the store already logged and counted the failure).
fn store_error(error: StoreError, attachment: Option<&AttachmentId>) -> ApiError {
    match (error, attachment) {
        (StoreError::Missing, Some(id)) => ApiError::not_found(format!(
            "the file of attachment {id} is missing from the attachment store"
        )),
        _ => ApiError::unavailable("the attachment store cannot be reached"),
    }
}

/// Records a change of an attachment in the change feed (attachments are not revisioned);
/// who may learn of it follows its document.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    row: &AttachmentRow,
) -> Result<(), ApiError> {
    let document = super::model::find(conn, &row.document_id)?
        .ok_or_else(|| ApiError::not_found("no such document"))?;
    let details = Documents::details(conn, std::slice::from_ref(&document))?;
    let change = Change {
        collection: "attachments",
        id: row.id.as_str(),
        path: format!("/api/v1/attachments/{}", row.id),
        version: row.version,
        action,
        readers: Documents::readers(&document, &details),
    };
    revisions::record(conn, actor, change, None)
}

/// An attachment the viewer may see (its document's visibility decides).
fn visible_attachment(
    conn: &mut DbConnection,
    id: &AttachmentId,
    who: Option<&AuthUser>,
) -> Result<attachment_model::AttachmentRow, ApiError> {
    let attachment = attachment_model::find_attachment(conn, id)?
        .ok_or_else(|| ApiError::not_found("no such attachment"))?;
    resource::current::<Documents>(conn, &attachment.document_id, who).map_err(|e| {
        match e.status().as_u16() {
            410 => ApiError::gone("the attachment's document has been deleted"),
            _ => ApiError::not_found("no such attachment"),
        }
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
        (status = 206, description = "The requested range of the file (one range; a request for several gets the whole file).", content((Vec<u8> = "application/octet-stream"))),
        NotModified, Unauthorized, NotFound, Gone, RangeNotSatisfiable, Unavailable
    )
)]
#[get("/attachments/{id}")]
pub async fn get_attachment(
    req: HttpRequest,
    db: web::Data<Db>,
    storage: web::Data<AttachmentStore>,
    user: MaybeUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<AttachmentId>(&id, "attachment")?;
    let attachment = db
        .run(move |conn| visible_attachment(conn, &id, user.0.as_ref()))
        .await?;
    let etag = format!("\"{}\"", attachment.sha256);
    if crate::http::conditional::if_none_match(&req, &etag) {
        return Ok(crate::http::conditional::not_modified(&etag));
    }
    let size = u64::try_from(attachment.size_bytes).unwrap_or_default();
    let range = requested_range(&req, &etag, size)?;
    let stream = storage
        .read(attachment.id.as_str(), &attachment.sha256, range.clone())
        .await
        .map_err(|error| store_error(error, Some(&attachment.id)))?;
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
    let mut response = match &range {
        Some(part) => {
            let mut response = HttpResponse::PartialContent();
            response.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", part.start, part.end - 1),
            ));
            response
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(size, |part| part.end - part.start);
    Ok(response
        .content_type(attachment.media_type.as_str())
        .insert_header(disposition)
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .no_chunking(length)
        .streaming(stream))
}

/// The one range of the file a `Range` header asks for (`None`: the whole file). Several
/// ranges, or an `If-Range` naming another version, get the whole file (as RFC 9110
/// allows); a range outside the file is 416.
fn requested_range(
    req: &HttpRequest,
    etag: &str,
    size: u64,
) -> Result<Option<std::ops::Range<u64>>, ApiError> {
    let Some(value) = req.headers().get(header::RANGE) else {
        return Ok(None);
    };
    let if_range = req.headers().get(header::IF_RANGE);
    if if_range.is_some_and(|v| v.as_bytes() != etag.as_bytes()) {
        return Ok(None);
    }
    let Ok(text) = value.to_str() else {
        return Ok(None);
    };
    match http_range::HttpRange::parse(text, size) {
        Ok(ranges) => Ok(match ranges.as_slice() {
            [one] if one.length > 0 => Some(one.start..one.start + one.length),
            _ => None,
        }),
        Err(http_range::HttpRangeParseError::NoOverlap) => {
            Err(ApiError::range_not_satisfiable(size))
        }
        Err(http_range::HttpRangeParseError::InvalidRange) => Ok(None),
    }
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
pub async fn delete_attachment(
    db: web::Data<Db>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = path_id::<AttachmentId>(&id, "attachment")?;
    db.transaction(move |conn| {
        let attachment = visible_attachment(conn, &id, Some(&user))?;
        if_match.check(&attachment)?;
        let (_, details) =
            resource::current::<Documents>(conn, &attachment.document_id, Some(&user))?;
        require_author(&user, details.authors(&attachment.document_id))?;
        if !attachment_model::delete_attachment(conn, &attachment.id, attachment.version)? {
            return Err(ApiError::precondition_failed());
        }
        let deleted = AttachmentRow {
            version: attachment.version + 1,
            ..attachment
        };
        record(conn, &Actor::of(&user), Action::Deleted, &deleted)
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
