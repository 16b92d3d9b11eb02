//! `Idempotency-Key` on every `POST` (API: "History, changes and retries"). A script whose
//! answer was lost sends the same request again with the same key and gets the first answer
//! (`Idempotent-Replayed: true`) instead of a second record; the same key with another request
//! is 422, and a repeat while the first still runs is 409.
//!
//! Written once, as middleware around every route, so no handler can forget it. The key
//! belongs to the caller (the user or API token; unauthenticated requests share one space,
//! kept apart by the request's hash). The request's hash covers method, path, query, media
//! type and body. What is not kept, so a retry runs again: answers of 5xx (the failure may
//! pass) and answers marked `Cache-Control: no-store` (tokens and other secrets are not
//! written to the database for the sake of a retry).

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, FromRequest, HttpMessage, HttpResponse};
use futures_util::StreamExt;
use sha2::{Digest as _, Sha256};
use std::sync::{Arc, Mutex};

use super::keys::{self, Answer, Claim};
use crate::auth::MaybeUser;
use crate::auth::jwt::TokenUse;
use crate::config::Limits;
use crate::db::Db;
use crate::error::{ApiError, Code};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = match req.headers().get(HEADER) {
        Some(value) if req.method() == Method::POST => value.to_str().map(str::to_owned),
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let key = match key {
        Ok(key) if (1..=255).contains(&key.len()) => key,
        _ => {
            let error =
                ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters");
            return Ok(req.error_response(error));
        }
    };
    let Some(db) = req.app_data::<web::Data<Db>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let caller = match MaybeUser::extract(req.request()).await {
        Ok(MaybeUser(Some(user))) => match user.token_use {
            TokenUse::Api => format!("token:{}", user.id),
            _ => format!("user:{}", user.id),
        },
        Ok(MaybeUser(None)) => "anonymous".to_owned(),
        Err(error) => return Ok(req.error_response(error)),
    };
    // An upload streams to the attachment store: its body is hashed as it passes, never
    // held whole (API: "Storage, backups and growth").
    let streamed = is_multipart(&req);
    let mut hasher = request_hasher(&req);
    let hash = if streamed {
        None
    } else {
        let body = match read_body(&mut req).await {
            Ok(body) => body,
            Err(error) => return Ok(req.error_response(error)),
        };
        hasher.update(&body);
        req.set_payload(Payload::from(body));
        Some(crate::auth::tokens::hex(
            &std::mem::take(&mut hasher).finalize(),
        ))
    };

    let claim = {
        let (caller, key, hash) = (caller.clone(), key.clone(), hash.clone());
        db.run(move |conn| Ok(keys::claim(conn, &caller, &key, hash.as_deref())?))
            .await
    };
    let other_request = || {
        ApiError::invalid(
            "Idempotency-Key",
            Code::InvalidValue,
            "was used for another request; use a new key for a new request",
        )
    };
    match claim {
        Err(error) => Ok(req.error_response(error)),
        Ok(Claim::Replay {
            hash: first,
            answer,
        }) => {
            let hash = match hash {
                Some(hash) => hash,
                None => match drain(&mut req, hasher).await {
                    Ok(hash) => hash,
                    Err(error) => return Ok(req.error_response(error)),
                },
            };
            if hash == first {
                Ok(req.into_response(replay(answer)))
            } else {
                Ok(req.error_response(other_request()))
            }
        }
        Ok(Claim::OtherRequest) => Ok(req.error_response(other_request())),
        Ok(Claim::Running) => Ok(req.error_response(ApiError::conflict(
            "a request with this Idempotency-Key is still running; retry when it has answered",
        ))),
        Ok(Claim::Run) if streamed => {
            let digest = Arc::new(Mutex::new(Digest::Running(hasher)));
            let payload = req.take_payload();
            req.set_payload(Payload::Stream {
                payload: Box::pin(hashing(payload, digest.clone())),
            });
            let response = next.call(req).await;
            // Kept only if the handler read the whole body: only then is the hash the
            // request's (a handler that stopped early refused the request anyway).
            let hash = match std::mem::replace(&mut *lock(&digest), Digest::Broken) {
                Digest::Complete(hash) => Some(hash),
                _ => None,
            };
            remember(&db, caller, key, response, hash, streamed).await
        }
        Ok(Claim::Run) => {
            let response = next.call(req).await;
            remember(&db, caller, key, response, None, streamed).await
        }
    }
}

/// Whether the request's body streams (a multipart upload) instead of being read whole.
fn is_multipart(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The hash of a streamed body as it passes to the handler.
enum Digest {
    Running(Sha256),
    Complete(String),
    Broken,
}

fn lock(digest: &Mutex<Digest>) -> std::sync::MutexGuard<'_, Digest> {
    digest
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `payload`, hashed into `digest` as the handler reads it.
fn hashing(
    payload: Payload,
    digest: Arc<Mutex<Digest>>,
) -> impl futures_util::Stream<Item = Result<Bytes, PayloadError>> {
    futures_util::stream::unfold(Some((payload, digest)), |state| async move {
        let (mut payload, digest) = state?;
        let item = payload.next().await;
        let mut current = lock(&digest);
        match (&item, &mut *current) {
            (Some(Ok(chunk)), Digest::Running(hasher)) => hasher.update(chunk),
            (None, Digest::Running(hasher)) => {
                let hash = crate::auth::tokens::hex(&std::mem::take(hasher).finalize());
                *current = Digest::Complete(hash);
            }
            (Some(Err(_)), _) => *current = Digest::Broken,
            _ => {}
        }
        drop(current);
        let item = item?;
        Some((item, Some((payload, digest))))
    })
    .fuse()
}

/// Reads a streamed body to its end into `hasher` (within the upload limit), keeping none
/// of it, and returns the request's hash.
async fn drain(req: &mut ServiceRequest, mut hasher: Sha256) -> Result<String, ApiError> {
    let limit = body_limit(req, true);
    let mut payload = req.take_payload();
    let mut read = 0_usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| crate::http::body::unreadable(&e))?;
        read += chunk.len();
        if read > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        hasher.update(&chunk);
    }
    Ok(crate::auth::tokens::hex(&hasher.finalize()))
}

/// The largest body a request of this kind may send (an upload's framing included).
fn body_limit(req: &ServiceRequest, upload: bool) -> usize {
    req.app_data::<web::Data<Limits>>().map_or(usize::MAX, |l| {
        if upload {
            l.attachment_bytes + 64 * 1024
        } else {
            l.json_body_bytes
        }
    })
}

/// The request body, whole (within the largest body such a request may send).
async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let limit = body_limit(req, false);
    let mut payload = req.take_payload();
    Ok(crate::http::body::read_limited(&mut payload, limit)
        .await?
        .freeze())
}

/// A hasher over the request's method, path, query and media type (the body follows).
fn request_hasher(req: &ServiceRequest) -> Sha256 {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        req.query_string().as_bytes(),
        content_type,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
}

/// Keeps the answer for replays (or gives the key up) and hands it on.
async fn remember(
    db: &Db,
    caller: String,
    key: String,
    response: Result<ServiceResponse<impl MessageBody + 'static>, Error>,
    streamed_hash: Option<String>,
    streamed: bool,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Only requests that ran are kept (rule 35): a refusal (4xx) wrote nothing, so the
    // corrected retry may use the same key; a server error may be retried as it was.
    let keep = (!streamed || streamed_hash.is_some())
        && response.as_ref().is_ok_and(|r| {
            (r.status().is_success() || r.status().is_redirection())
                && !r
                    .headers()
                    .get(header::CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("no-store"))
        });
    let response = match response {
        Ok(response) if keep => response,
        other => {
            let (caller, key) = (caller.clone(), key.clone());
            // Best effort: a key left behind is taken over once it is abandoned.
            let _ = db
                .run(move |conn| Ok(keys::release(conn, &caller, &key)?))
                .await;
            return other.map(ServiceResponse::map_into_boxed_body);
        }
    };
    let (req, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let body = to_bytes(body)
        .await
        .map_err(|e| ApiError::internal(e.into().to_string()))?;
    let text = |name: header::HeaderName| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = Answer {
        status: Some(i32::from(head.status().as_u16())),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        etag: text(header::ETAG),
        body: Some(body.to_vec()),
    };
    let stored = db
        .run(move |conn| {
            let hash = streamed_hash.as_deref();
            Ok(keys::answer(conn, &caller, &key, &answer, hash)?)
        })
        .await;
    if let Err(error) = stored {
        tracing::warn!(%error, "an idempotent answer could not be kept");
    }
    let response = head.set_body(BoxBody::new(body));
    Ok(ServiceResponse::new(req, response))
}

/// The stored first answer, marked as a replay.
fn replay(answer: Answer) -> HttpResponse {
    let status = answer
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED, "true"));
    for (name, value) in [
        (header::CONTENT_TYPE, answer.content_type),
        (header::LOCATION, answer.location),
        (header::ETAG, answer.etag),
    ] {
        if let Some(value) = value {
            response.insert_header((name, value));
        }
    }
    response.body(answer.body.unwrap_or_default())
}
