//! Operations endpoints: liveness, readiness (the database answers), Prometheus metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::Db;
use crate::error::ApiError;
use crate::openapi::responses::{Unauthorized, Unavailable};
use crate::telemetry::Metrics;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[derive(Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive.", body = Status)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Ready.", body = Status), Unavailable))]
#[get("/readyz")]
async fn readyz(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    db.ping().await?;
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}

/// Who may read `/metrics`: anyone, or whoever sends `ENGAGIERT_METRICS_TOKEN` as bearer
/// token. Only its digest is kept, and digests are compared, so the comparison's timing
/// tells nothing about the token.
pub struct MetricsAccess(Option<[u8; 32]>);

impl MetricsAccess {
    pub fn new(token: Option<&str>) -> Self {
        Self(token.map(digest))
    }

    fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(expected) = &self.0 else {
            return Ok(());
        };
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| digest(token.trim()));
        if presented.as_ref() == Some(expected) {
            Ok(())
        } else {
            Err(ApiError::unauthorized(
                "metrics need Authorization: Bearer <ENGAGIERT_METRICS_TOKEN>",
            ))
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Request counts and latencies by route and status, the process (CPU, memory, open files)
/// and the database pool, in the Prometheus text format. When `ENGAGIERT_METRICS_TOKEN` is
/// set, it must be sent as bearer token.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format.", body = String, content_type = "text/plain"),
        Unauthorized
    ),
    security((), ("metrics_token" = []))
)]
#[get("/metrics")]
async fn metrics(
    req: HttpRequest,
    access: web::Data<MetricsAccess>,
    metrics: web::Data<Metrics>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    access.check(&req)?;
    let text = metrics.render(&db).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
