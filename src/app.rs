//! THE application: one builder used by the server, by the tests and by the OpenAPI
//! command, so what is documented is exactly what is served.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, get, web};
use anyhow::Context as _;
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::auth::jwt::{JwtKeys, MIN_SECRET_BYTES};
use crate::auth::rate_limit::LoginLimiter;
use crate::config::{ClientAddressLog, Limits, PublicUrl, Settings};
use crate::db::{Db, DbTarget};
use crate::http::cache::ResponseCache;
use crate::http::fallback::{self, RouteTable};
use crate::telemetry::Metrics;
use crate::{
    api_tokens, auth, bootstrap, documents, history, meetings, municipalities, openapi, ops, stats,
    surveys, users,
};

pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// Everything the handlers share, created once per process.
#[derive(Clone)]
pub struct Context {
    pub db: web::Data<Db>,
    pub keys: web::Data<JwtKeys>,
    pub limiter: web::Data<LoginLimiter>,
    pub metrics: web::Data<Metrics>,
    pub limits: web::Data<Limits>,
    pub routes: web::Data<RouteTable>,
    pub openapi_json: web::Data<OpenApiJson>,
    pub storage: web::Data<crate::storage::attachments::AttachmentStore>,
    pub public_url: web::Data<PublicUrl>,
    pub oparl: web::Data<crate::oparl::Site>,
    pub embed: web::Data<crate::embed::Site>,
    pub cache: web::Data<ResponseCache>,
    /// Callers verified a moment ago (off with the response cache).
    pub known: web::Data<auth::known::KnownCallers>,
    pub metrics_access: web::Data<ops::MetricsAccess>,
    pub permissions: web::Data<auth::rules::Permissions>,
    pub policy: web::Data<crate::config::Policy>,
    /// How much of a client's address the request log shows (`telemetry::observe`).
    pub client_log: web::Data<ClientAddressLog>,
    pub retention: web::Data<crate::config::Retention>,
    pub cors_origins: Vec<String>,
}

pub struct OpenApiJson(pub String);

impl Context {
    /// The context of `settings`; fails for a malformed `ENGAGIERT_PUBLIC_URL` (or a malformed
    /// metric definition, which no setting can cause).
    pub fn new(settings: &Settings, db: Db, jwt_secret: &[u8]) -> anyhow::Result<Self> {
        let doc = document();
        let public_url = settings.public_url().map_err(anyhow::Error::msg)?;
        let metrics = Metrics::new()?;
        metrics.watch_pool(&db);
        let storage = crate::storage::attachments::AttachmentStore::from_settings(settings)?;
        metrics.watch_store(&storage)?;
        Ok(Self {
            db: web::Data::new(db),
            keys: web::Data::new(JwtKeys::new(
                jwt_secret,
                "engagiert",
                "engagiert-api",
                Duration::from_secs(settings.access_token_ttl),
                Duration::from_secs(settings.refresh_token_days * 24 * 3600),
            )),
            limiter: web::Data::new(
                LoginLimiter::new(
                    jwt_secret,
                    LoginLimiter::parse_proxies(&settings.trusted_proxies)
                        .map_err(anyhow::Error::msg)?,
                )
                .map_err(|_| anyhow::anyhow!("the login throttle's key could not be derived"))?,
            ),
            metrics: web::Data::new(metrics),
            limits: web::Data::new(settings.limits()),
            routes: web::Data::new(RouteTable::from_openapi(&doc)),
            permissions: web::Data::new(auth::rules::Permissions::from_openapi(&doc)),
            openapi_json: web::Data::new(OpenApiJson(openapi::to_json(&doc))),
            storage: web::Data::new(storage),
            oparl: web::Data::new(crate::oparl::Site {
                base: public_url.as_str().to_owned(),
                license: settings.data_license.clone(),
            }),
            embed: web::Data::new(crate::embed::Site {
                base: public_url.as_str().to_owned(),
                ancestors: settings.embed_ancestors.clone(),
            }),
            public_url: web::Data::new(public_url),
            cache: web::Data::new(ResponseCache::new(
                settings.cache_bytes,
                settings.public_max_age,
            )),
            known: web::Data::new(auth::known::KnownCallers::new(settings.cache_bytes > 0)),
            metrics_access: web::Data::new(ops::MetricsAccess::new(
                settings.metrics_token.as_ref().map(|token| token.expose()),
            )),
            policy: web::Data::new(settings.policy()),
            client_log: web::Data::new(settings.log_client_address),
            retention: web::Data::new(settings.retention),
            cors_origins: settings.cors_origins.clone(),
        })
    }
}

/// Adds the documented routes; utoipa collects the document from them.
fn routed<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(openapi::ApiDoc::openapi())
        .service(
            utoipa_actix_web::scope::scope("/api/v1")
                .configure(auth::routes)
                .configure(api_tokens::routes)
                .configure(users::routes)
                .configure(municipalities::routes)
                .configure(documents::routes)
                .configure(meetings::routes)
                .configure(surveys::routes)
                .configure(stats::routes)
                .configure(history::feed::routes)
                .configure(crate::webhooks::routes)
                .configure(crate::privacy::routes),
        )
        .configure(crate::oparl::routes)
        .configure(crate::embed::routes)
        .configure(ops::routes)
        .configure(crate::error::pages::routes)
        .service(openapi_document)
}

/// The OpenAPI document of the service, each operation saying who may call it.
pub fn document() -> OpenApi {
    let mut doc = routed(App::new().into_utoipa_app()).split_for_parts().1;
    auth::rules::document(&mut doc);
    doc
}

pub fn build(
    ctx: Context,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    routed(App::new().into_utoipa_app())
        .into_app()
        .app_data(ctx.db.clone())
        .app_data(ctx.keys.clone())
        .app_data(ctx.limiter.clone())
        .app_data(ctx.metrics.clone())
        .app_data(ctx.limits.clone())
        .app_data(ctx.policy.clone())
        .app_data(ctx.routes.clone())
        .app_data(ctx.openapi_json.clone())
        .app_data(ctx.storage.clone())
        .app_data(ctx.public_url.clone())
        .app_data(ctx.oparl.clone())
        .app_data(ctx.embed.clone())
        .app_data(ctx.cache.clone())
        .app_data(ctx.known.clone())
        .app_data(ctx.metrics_access.clone())
        .app_data(ctx.permissions.clone())
        .app_data(ctx.client_log.clone())
        .app_data(ctx.retention.clone())
        .route("/docs", web::get().to(docs_redirect))
        .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::new([OPENAPI_PATH])))
        .default_service(web::to(fallback::unmatched))
        // Innermost: a replayed answer still passes CORS and the problem rendering.
        .wrap(from_fn(crate::history::idempotency::idempotent))
        .wrap(crate::http::cors::cors(&ctx.cors_origins))
        .wrap(from_fn(crate::http::cors::public_reads))
        .wrap(from_fn(fallback::problem_responses))
        .wrap(from_fn(crate::http::body::stall_guard))
        .wrap(from_fn(fallback::head_as_get))
        // Every answer carries them, the fallbacks' and the docs' too.
        .wrap(from_fn(crate::http::security::headers))
        // What a miss causes is logged with the request id; a hit never gets here.
        .wrap(from_fn(crate::telemetry::in_request_span))
        // Outside everything that shapes an answer: an entry keeps the finished answer, so a
        // hit skips all of that work (CORS answers differ by `Origin`, which is in the key).
        .wrap(from_fn(crate::http::cache::serve))
        // Outermost: every request is counted and logged, hits too.
        .wrap(from_fn(crate::telemetry::observe))
}

/// The OpenAPI 3.1 document (identical to `openapi/openapi.json` in the repository).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object))
)]
#[get("/api-docs/openapi.json")]
async fn openapi_document(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// Starts serving `ctx` on `listener`. Actix stops on SIGTERM/SIGINT after in-flight
/// requests finish (up to 30 s).
pub fn start(
    ctx: Context,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let pool_size = 8;
    let mut server = HttpServer::new(move || build(ctx.clone()))
        .worker_max_blocking_threads(pool_size)
        .shutdown_timeout(30);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}

/// `engagiert serve`: checks the settings, migrates, bootstraps, and serves until stopped.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let secret = jwt_secret(&settings)?;
    // Started with the old setting alone, the service would store and look for files in
    // another place than before: refused, not guessed.
    anyhow::ensure!(
        std::env::var_os("ENGAGIERT_ATTACHMENT_DIR").is_none()
            || std::env::var_os("ENGAGIERT_ATTACHMENT_STORE").is_some(),
        "ENGAGIERT_ATTACHMENT_DIR is no longer read: set ENGAGIERT_ATTACHMENT_STORE to the same directory (or to s3://bucket/prefix)"
    );
    if settings.public_url.is_none() && !settings.dev {
        // Feeds, calendars, webhooks and `Location` would point at the bind address, which
        // is rarely what the world reaches (0.0.0.0, a container's port).
        tracing::warn!(
            bind = %settings.bind,
            "ENGAGIERT_PUBLIC_URL is not set: links in answers, feeds and webhooks use http://<bind>; set it to the address clients reach"
        );
    }
    let target = DbTarget::parse(&settings.database_url).map_err(anyhow::Error::msg)?;
    tracing::info!(backend = ?target.backend, "opening database");
    let db = Db::new(target, &settings.pool_options());
    migrate_with_retry(&db).await?;
    let ctx = Context::new(&settings, db.clone(), &secret)?;
    bootstrap::run(&db, &settings, &ctx.storage).await?;
    let dispatcher = crate::webhooks::dispatcher::Dispatcher::from_settings(db.clone(), &settings)
        .map_err(anyhow::Error::msg)?;
    let janitor = crate::privacy::retention::Janitor::new(
        db,
        settings.retention,
        ctx.storage.clone().into_inner(),
    );
    actix_web::rt::spawn(dispatcher.run());
    actix_web::rt::spawn(janitor.run());
    let listener = TcpListener::bind(&settings.bind)
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    tracing::info!(address = %settings.bind, docs = %format!("http://{}/docs/", settings.bind), "listening");
    start(ctx, listener, settings.workers)?.await?;
    tracing::info!("stopped");
    Ok(())
}

fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    match &settings.jwt_secret {
        Some(secret) if secret.expose().len() >= MIN_SECRET_BYTES => {
            Ok(secret.expose().as_bytes().to_vec())
        }
        Some(_) => {
            anyhow::bail!("ENGAGIERT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        }
        None if settings.dev => {
            tracing::warn!(
                "development mode: generated a throw-away JWT secret; tokens will not survive a restart"
            );
            let mut secret = vec![0u8; 48];
            getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            Ok(secret)
        }
        None => anyhow::bail!(
            "ENGAGIERT_JWT_SECRET is not set; set it (at least {MIN_SECRET_BYTES} bytes), or start with --dev \
             to generate a throw-away one for development"
        ),
    }
}

/// The database may still be starting (as in docker compose): try for half a minute.
async fn migrate_with_retry(db: &Db) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        let db2 = db.clone();
        let result = web::block(move || db2.migrate()).await?;
        match result {
            Ok(applied) => {
                if !applied.is_empty() {
                    tracing::info!(?applied, "migrations applied");
                }
                return Ok(());
            }
            Err(error) if attempt < 15 => {
                attempt += 1;
                tracing::warn!(%error, attempt, "database not ready; retrying");
                actix_web::rt::time::sleep(Duration::from_secs(2)).await;
            }
            Err(error) => return Err(error.context("the database could not be migrated")),
        }
    }
}
