//! Request bodies that stall (rule 30): a client that sends headers and then too little of
//! its body, too slowly, must not hold its connection and a worker for ever. Every body is
//! read through an idle timeout; a body from which nothing arrived for that long ends in an
//! error that the extractors answer with 408, after which actix closes the connection.

use std::io;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;

use crate::config::Limits;
use crate::error::ApiError;

/// Wraps the body of every request that has one in the idle timeout of `Limits`.
pub async fn stall_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if has_body {
        let idle = req
            .app_data::<web::Data<Limits>>()
            .map_or(Limits::default().body_idle_timeout, |l| l.body_idle_timeout);
        let payload = req.take_payload();
        req.set_payload(Payload::Stream {
            payload: Box::pin(idle_timeout(payload, idle)),
        });
    }
    next.call(req).await
}

fn idle_timeout(
    payload: Payload,
    idle: Duration,
) -> impl futures_util::Stream<Item = Result<web::Bytes, PayloadError>> {
    let stream = futures_util::stream::unfold(Some(payload), move |state| async move {
        let mut payload = state?;
        match actix_web::rt::time::timeout(idle, payload.next()).await {
            Ok(Some(item)) => Some((item, Some(payload))),
            Ok(None) => None,
            Err(_) => Some((
                Err(PayloadError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request body stalled",
                ))),
                None,
            )),
        }
    });
    // Readers such as multipart poll again after the end: a fused stream answers None.
    stream.fuse()
}

/// The answer to a body that could not be read: 408 when it stalled, else 400.
pub fn unreadable(error: &PayloadError) -> ApiError {
    match error {
        PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut => ApiError::request_timeout(),
        other => ApiError::bad_request(format!("the body could not be read: {other}")),
    }
}

/// A request body read only when the handler asks, after it has checked who is asking (a
/// caller who may not write learns 401 or 403, not what was wrong with the body), with its
/// media type and declared length checked on arrival and reported on reading.
pub struct DeferredBody {
    payload: Payload,
    content_type: Result<(), ApiError>,
    declared_length: Result<(), ApiError>,
    limit: usize,
}

impl DeferredBody {
    /// Takes the body of `req`; `content_type` is the verdict on its media type.
    pub fn new(
        req: &actix_web::HttpRequest,
        payload: &mut Payload,
        content_type: Result<(), ApiError>,
    ) -> Self {
        let limit = body_limit(req);
        Self {
            payload: payload.take(),
            content_type,
            declared_length: check_declared_length(req, limit),
            limit,
        }
    }

    /// The bytes: 415 for another media type, 413 when too large, 408 when it stalls.
    pub async fn bytes(self) -> Result<web::BytesMut, ApiError> {
        let mut payload = self.payload;
        self.content_type?;
        self.declared_length?;
        read_limited(&mut payload, self.limit).await
    }
}

/// The size limit of request bodies other than attachments.
pub(crate) fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<Limits>>()
        .map(|l| l.json_body_bytes)
        .unwrap_or(Limits::default().json_body_bytes)
}

pub(crate) fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => Err(ApiError::payload_too_large(limit)),
        _ => Ok(()),
    }
}

/// Reads the whole body, refusing it as soon as it grows past `limit`.
pub async fn read_limited(payload: &mut Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| super::body::unreadable(&e))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
