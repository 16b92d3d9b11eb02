//! Operations endpoints: liveness, readiness (the database answers), Prometheus metrics;
//! and the container's health check, the client side of `/readyz`.

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

/// Request counts and latencies by route and status, the process (CPU, memory, open files),
/// the database pool and the background work (webhook backlog, the retention janitor's last
/// sweep, the age of the last backup), in the Prometheus text format. When `ENGAGIERT_METRICS_TOKEN` is
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
    let work = db.run(|conn| Ok(Background::read(conn)?)).await?;
    metrics.set_background(&work);
    let text = metrics.render(&db).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// The background work as the database records it (shared by every instance): what the
/// webhook dispatcher still has to send, the retention janitor's last sweep, the last backup.
pub struct Background {
    pub webhook_backlog: i64,
    pub janitor_at: Option<chrono::NaiveDateTime>,
    pub janitor_removed: i64,
    pub last_backup_at: Option<chrono::NaiveDateTime>,
}

impl Background {
    pub fn read(conn: &mut crate::db::DbConnection) -> diesel::QueryResult<Self> {
        use crate::db::schema::{maintenance, webhook_deliveries};
        use crate::webhooks::outbox::DeliveryState;
        use diesel::prelude::*;

        let webhook_backlog = webhook_deliveries::table
            .filter(webhook_deliveries::state.eq(DeliveryState::Pending))
            .count()
            .get_result(conn)?;
        let (janitor_at, janitor_removed, last_backup_at) = maintenance::table
            .find(1)
            .select((
                maintenance::janitor_at,
                maintenance::janitor_removed,
                maintenance::last_backup_at,
            ))
            .first(conn)?;
        Ok(Self {
            webhook_backlog,
            janitor_at,
            janitor_removed,
            last_backup_at,
        })
    }
}

/// `engagiert healthcheck`: asks the service listening on `bind` (the same
/// `ENGAGIERT_BIND` it was started with; an unspecified address means this host) for
/// `/readyz` and succeeds on 200. For the container's `HEALTHCHECK`: the image has no curl,
/// and a shell's `/dev/tcp` is bash's, not the `/bin/sh` (dash) Docker runs it with.
pub fn healthcheck(bind: &str, timeout: std::time::Duration) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream, ToSocketAddrs};

    let address: SocketAddr = bind
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("ENGAGIERT_BIND {bind:?}: {e}"))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("ENGAGIERT_BIND {bind:?} names no address"))?;
    let address = match address {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v6.port()))
        }
        other => other,
    };
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| anyhow::anyhow!("{address}: {e}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(
        format!("GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut answer = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut answer)?;
    let status_line = answer.split(|&b| b == b'\n').next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_line);
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        anyhow::bail!("{address}/readyz answered {:?}", status_line.trim())
    }
}
