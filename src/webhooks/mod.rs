//! `/api/v1/webhooks`: signed deliveries of the change feed to the URLs admins register
//! (Standard Webhooks v1). The resource is the pipeline's like every other; next to it live
//! the signature (`signing`), the rule which addresses a delivery may reach (`addresses`),
//! the HTTP client that sends one (`sender`), the outbox derived from the change feed
//! (`outbox`), the dispatcher that works it off inside the service (`dispatcher`) and the
//! delivery log (`deliveries`).

pub mod addresses;
pub mod api;
pub mod deliveries;
pub mod dispatcher;
pub mod model;
pub mod outbox;
pub mod sender;
pub mod service;
pub mod signing;

use actix_web::{delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{NewWebhook, Webhook, WebhookFilter, WebhookInput};
use self::deliveries::{Delivery, DeliveryQuery};
use self::service::Webhooks;
use self::signing::Secret;
use crate::auth::AuthUser;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::list::{Listed, Page};
use crate::http::{ApiQuery, IfMatch, Tagged};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(replace_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(list_webhook_deliveries)
        .service(redeliver_webhook_delivery)
        .service(list_webhook_revisions)
        .service(get_webhook_revision)
        .service(restore_webhook_revision);
}

crate::versioned_handlers! {
    resource: Webhooks,
    output: Webhook,
    new: NewWebhook,
    input: WebhookInput,
    tag: "webhooks",
    collection: "/webhooks",
    item: "/webhooks/{id}",
    read_id: ("id" = String, Path, description = "The webhook's id."),
    id: ("id" = String, Path, description = "The webhook's id."),
    list: {
        /// List webhooks (without their secrets).
        fn list_webhooks(WebhookFilter) "A page of webhooks."
            [NotModified, BadRequest, Unauthorized, Forbidden, Unavailable] security(("bearer" = []))
    },
    read: {
        /// Read a webhook (without its secret).
        fn get_webhook "The webhook."
            [NotModified, BadRequest, Unauthorized, Forbidden, NotFound, Gone, Unavailable] security(("bearer" = []))
    },
    create: {
        /// Register a webhook: every change of a subscribed event is delivered to its URL,
        /// signed with the secret shown in this answer only.
        ///
        /// The URL must be `https` and reach a public address (not loopback, private,
        /// link-local or multicast), unless the service runs with
        /// `ENGAGIERT_WEBHOOK_ALLOW_PRIVATE=true`; the address a name resolves to is checked
        /// again at every delivery. Only changes after the creation are delivered.
        fn create_webhook "The created webhook, with its `secret` (shown this once)."
            [BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    replace: {
        /// Replace a webhook's writable fields (enabling one clears its `disabled_reason`).
        fn replace_webhook "The updated webhook."
            [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    patch: {
        /// Change some of a webhook's fields (JSON merge patch).
        fn update_webhook
    },
    delete: {
        /// Delete a webhook (soft): no more deliveries; those waiting are not sent.
        fn delete_webhook [Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable]
    },
}

crate::revision_handlers! {
    resource: Webhooks,
    output: Webhook,
    tag: "history",
    id: ("id" = String, Path, description = "The webhook's id."),
    list: {
        /// List a webhook's revisions (admin).
        fn list_webhook_revisions "/webhooks/{id}/revisions"
    },
    read: {
        /// Read one revision of a webhook, with the webhook as it was (never a secret).
        fn get_webhook_revision "/webhooks/{id}/revisions/{version}"
    },
    restore: {
        /// Restore a webhook to one of its versions (admin; also brings a deleted one back).
        fn restore_webhook_revision "/webhooks/{id}/revisions/{version}/restore"
    },
}

/// Rotate a webhook's secret.
///
/// A new secret signs every delivery from now on; the previous one signs too for 24 hours
/// (each delivery carries both signatures), so receivers can switch without missing one.
/// The new secret is shown in this answer only.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id."),
        ("If-Match" = Option<String>, Header, description = "The ETag the rotation is based on.")
    ),
    responses(
        (status = 200, description = "The webhook with its new `secret` (shown this once).", body = Webhook, headers(("ETag" = String))),
        Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/rotate-secret")]
async fn rotate_webhook_secret(
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
) -> Result<Tagged<Webhook>, ApiError> {
    let secret = Secret::generate().map_err(ApiError::internal)?;
    let whsec = secret.to_whsec();
    let rotated = crate::resource::act::<Webhooks, _>(
        &db,
        user,
        key.into_inner(),
        if_match,
        move |conn, current| service::rotate(conn, current, &secret),
    )
    .await?;
    Ok(rotated.with_secret(|webhook| Webhook {
        secret: Some(whsec),
        ..webhook
    }))
}

/// List a webhook's deliveries with every attempt, newest first.
///
/// Each delivery shows its state (`pending`, `delivered`, `failed`), when the next attempt
/// is due, and each attempt's time, response status, duration and the first bytes of the
/// answer.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id."), DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries.", body = Page<Delivery>, headers(("ETag" = String), ("Link" = String))),
        NotModified, BadRequest, Unauthorized, Forbidden, NotFound, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
async fn list_webhook_deliveries(
    db: web::Data<Db>,
    user: AuthUser,
    key: web::Path<String>,
    query: ApiQuery<DeliveryQuery>,
) -> Result<Page<Delivery>, ApiError> {
    deliveries::list(&db, user, key.into_inner(), query.0).await
}

/// Send a delivery again.
///
/// The delivery becomes due at once, with the same `webhook-id` and body (receivers that
/// saw it already can tell) and a fresh retry schedule. The webhook must be enabled.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id."),
        ("delivery_id" = String, Path, description = "The delivery's id (its `webhook-id`).")
    ),
    responses(
        (status = 202, description = "The delivery, due now.", body = Delivery),
        Unauthorized, Forbidden, NotFound, Conflict, Gone, Unavailable
    ),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver_webhook_delivery(
    db: web::Data<Db>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let (key, delivery) = path.into_inner();
    let delivery = deliveries::redeliver(&db, user, key, delivery).await?;
    Ok(actix_web::HttpResponse::Accepted().json(delivery))
}
