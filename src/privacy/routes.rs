//! The handlers of `/api/v1/privacy`.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::api::RecordOfProcessing;
use crate::config::{ClientAddressLog, Retention};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(record_of_processing);
}

/// The record of processing (Art. 30 DSGVO).
///
/// Every category of personal data the service holds, with its fields, purpose, legal
/// basis, who can see it, where it is published and how long it is kept under the
/// configuration in force. Generated from the code's catalogue and the settings.
#[utoipa::path(
    tag = "privacy",
    responses(
        (status = 200, description = "The record of processing.", body = RecordOfProcessing),
        Unavailable,
    )
)]
#[get("/privacy")]
async fn record_of_processing(
    retention: web::Data<Retention>,
    log: web::Data<ClientAddressLog>,
) -> HttpResponse {
    HttpResponse::Ok().json(RecordOfProcessing::of(&retention, *log.get_ref()))
}
