//! The metrics `/metrics` exposes: requests by method, route pattern and status, the response
//! cache's hits and misses, the process (Linux), and the database pool; and the middleware
//! that counts and logs every request (the log lines themselves: `crate::logging`).
//!
//! The series live in a `prometheus` registry owned by each `Metrics` value, not in the
//! crate's global one: an app counts only its own requests, so tests that start many apps
//! in one process stay independent, and nothing is installed twice.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, web};
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use tracing::Instrument;

use crate::config::ClientAddressLog;
use crate::db::Db;
use crate::http::request_id::{self, RequestId};

/// Request latency buckets, in seconds: the ones the service has always reported.
const REQUEST_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Pool checkout wait buckets, in seconds: from an idle connection at hand (well under a
/// millisecond) up to the pool's connection timeout (30 s unless configured).
const CHECKOUT_BUCKETS: [f64; 13] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10.0, 30.0,
];

const REQUEST_LABELS: [&str; 3] = ["method", "route", "status"];

pub struct Metrics {
    /// Tells this value's series apart in the per-thread handle cache.
    id: u64,
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    pool_connections: IntGauge,
    pool_in_use: IntGauge,
    checkout_wait: Histogram,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    background: [Gauge; 5],
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

type SeriesKey = (u64, &'static str, String, u16);

thread_local! {
    /// The counter and histogram of every (metrics, method, route, status) this worker
    /// thread has answered. Looking a series up in the vectors takes their read lock, which
    /// every request on every worker would share; with this cache a request touches only
    /// atomics once its series exists. Bounded by routes × methods × statuses.
    static SERIES: RefCell<HashMap<SeriesKey, (IntCounter, Histogram)>> = RefCell::default();
}

impl Metrics {
    /// Fails only if a name or a bucket list here is malformed.
    pub fn new() -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by method, route and status.",
            ),
            &REQUEST_LABELS,
        )?;
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer HTTP requests.",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
            &REQUEST_LABELS,
        )?;
        let pool_connections = IntGauge::new(
            "engagiert_db_pool_connections",
            "Open database connections, idle or in use.",
        )?;
        let pool_in_use = IntGauge::new(
            "engagiert_db_pool_connections_in_use",
            "Database connections checked out of the pool.",
        )?;
        let checkout_wait = Histogram::with_opts(
            HistogramOpts::new(
                "engagiert_db_pool_checkout_wait_seconds",
                "Time spent waiting for a database connection, failed waits included.",
            )
            .buckets(CHECKOUT_BUCKETS.to_vec()),
        )?;
        let cache_hits = IntCounter::new(
            "engagiert_cache_hits_total",
            "Public reads answered from the response cache.",
        )?;
        let cache_misses = IntCounter::new(
            "engagiert_cache_misses_total",
            "Public reads the response cache could not answer.",
        )?;
        let mut gauges = Vec::new();
        for (name, help) in [
            (
                "engagiert_webhook_backlog",
                "Webhook deliveries waiting to be sent (pending).",
            ),
            (
                "engagiert_retention_last_run_timestamp_seconds",
                "When the retention janitor last finished a sweep (any instance; 0: never).",
            ),
            (
                "engagiert_retention_last_run_removed",
                "Rows and files that sweep removed or cleared.",
            ),
            (
                "engagiert_backup_last_timestamp_seconds",
                "When `engagiert backup` last finished (0: never).",
            ),
            (
                "engagiert_backup_age_seconds",
                "Seconds since `engagiert backup` last finished (+Inf: never).",
            ),
        ] {
            gauges.push(Gauge::new(name, help)?);
        }
        let background: [Gauge; 5] = gauges
            .try_into()
            .map_err(|_| prometheus::Error::Msg("five background gauges".into()))?;
        let registry = Registry::new();
        for gauge in &background {
            registry.register(Box::new(gauge.clone()))?;
        }
        registry.register(Box::new(cache_hits.clone()))?;
        registry.register(Box::new(cache_misses.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(durations.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_in_use.clone()))?;
        registry.register(Box::new(checkout_wait.clone()))?;
        // CPU seconds, resident and virtual memory, open and maximum file descriptors,
        // threads and start time, read from /proc/self at each scrape; other systems have
        // no /proc and report none of these.
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            registry,
            requests,
            durations,
            pool_connections,
            pool_in_use,
            checkout_wait,
            cache_hits,
            cache_misses,
            background,
        })
    }

    /// The background work as the database records it, set at each scrape.
    pub fn set_background(&self, work: &crate::ops::Background) {
        let seconds = |at: Option<chrono::NaiveDateTime>| {
            at.map_or(0.0, |at| at.and_utc().timestamp() as f64)
        };
        let [backlog, janitor_at, janitor_removed, backup_at, backup_age] = &self.background;
        backlog.set(work.webhook_backlog as f64);
        janitor_at.set(seconds(work.janitor_at));
        janitor_removed.set(work.janitor_removed as f64);
        backup_at.set(seconds(work.last_backup_at));
        backup_age.set(work.last_backup_at.map_or(f64::INFINITY, |at| {
            (chrono::Utc::now().naive_utc() - at).num_milliseconds() as f64 / 1000.0
        }));
    }

    /// Counts a public read answered from the response cache (`hit`) or not.
    pub fn cache_lookup(&self, hit: bool) {
        if hit {
            self.cache_hits.inc();
        } else {
            self.cache_misses.inc();
        }
    }

    /// Counts one answered request and its latency under its route pattern.
    pub fn observe(&self, method: &Method, route: String, status: u16, seconds: f64) {
        SERIES.with_borrow_mut(|series| {
            let key = (self.id, method_label(method), route, status);
            let (count, duration) = match series.entry(key) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => {
                    let (_, method, route, status) = new.key();
                    let status = status.to_string();
                    let values = [*method, route.as_str(), status.as_str()];
                    let handles = (
                        self.requests.with_label_values(&values),
                        self.durations.with_label_values(&values),
                    );
                    new.insert(handles)
                }
            };
            count.inc();
            duration.observe(seconds);
        });
    }

    /// Makes `db` report how long each checkout waited.
    /// Counts the attachment store's failed operations in this registry.
    pub fn watch_store(
        &self,
        store: &crate::storage::attachments::AttachmentStore,
    ) -> prometheus::Result<()> {
        self.registry.register(Box::new(store.error_counter()))
    }

    pub fn watch_pool(&self, db: &Db) {
        let wait = self.checkout_wait.clone();
        db.observe_checkouts(Box::new(move |waited| wait.observe(waited.as_secs_f64())));
    }

    /// The Prometheus text exposition format (0.0.4), with the pool gauges as they are now.
    pub fn render(&self, db: &Db) -> prometheus::Result<String> {
        let pool = db.pool_state();
        self.pool_connections.set(pool.connections.into());
        self.pool_in_use.set(
            pool.connections
                .saturating_sub(pool.idle_connections)
                .into(),
        );
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }
}

/// The `method` label: the methods the API answers, `HEAD` as the `GET` it is answered as,
/// and `other` for any other token a client sends (each would be a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET | Method::HEAD => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Logs each request and records it in the metrics under its route pattern (never the raw
/// path, which would make one series per id); gives it its request id (rule 34): the
/// `X-Request-Id` header, `request_id` in a problem, and (`in_request_span`) a span around
/// everything it causes.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let id = RequestId::of(req.request());
    req.extensions_mut().insert(id.clone());
    // Copied only when the line is written. `path()` is the path without the query, which
    // may hold an e-mail (`?email=`) or a token.
    let path = tracing::enabled!(tracing::Level::INFO).then(|| loggable_path(req.path()));
    let client = match (
        req.app_data::<web::Data<ClientAddressLog>>(),
        req.peer_addr(),
    ) {
        (Some(log), Some(peer)) if path.is_some() => client_address(peer.ip(), *log.get_ref()),
        _ => None,
    };
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    // (No copy of the request may be kept meanwhile: the cache inside needs it unshared.
    // Errors are turned into responses further in, by `problem_responses`.)
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    let response = with_request_id(response, &id).await;
    // Found after the answer: a response cache that answered names the route it stored, so
    // a hit does not walk the route table.
    let route = match response.request().extensions().get::<Route>() {
        Some(Route(route)) => route.clone(),
        None => response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into()),
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(path) = path {
        // Whole microseconds: an integer is cheaper to write than a float of milliseconds.
        let duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let request_id = id.0.as_str();
        match client {
            Some(client) => {
                tracing::info!(%method, %path, %route, status, duration_us, %client, request_id, "request")
            }
            None => {
                tracing::info!(%method, %path, %route, status, duration_us, request_id, "request")
            }
        }
    }
    if let Some(metrics) = metrics {
        metrics.observe(&method, route, status, elapsed.as_secs_f64());
    }
    Ok(response)
}

/// Runs the rest of the request inside a span that carries its id, so every log line it
/// causes (the blocking database threads enter it too) names the request. Just inside the
/// response cache: a hit writes no line but the request line (which names its id itself),
/// and skips making the span, the largest part of a hit's cost.
pub async fn in_request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let span = tracing::info_span!("request", request_id = %id);
    next.call(req).instrument(span).await
}

/// A problem document with the request's id in it (`request_id`); other answers as they are.
async fn with_request_id(
    response: ServiceResponse<BoxBody>,
    id: &RequestId,
) -> ServiceResponse<BoxBody> {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let Ok(bytes) = actix_web::body::to_bytes(body).await else {
        return ServiceResponse::new(request, head.set_body(BoxBody::new(())));
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert("request_id".into(), id.0.clone().into());
            serde_json::to_vec(&problem)
                .map(Bytes::from)
                .unwrap_or(bytes)
        }
        _ => bytes,
    };
    let mut head = head;
    head.headers_mut().remove(header::CONTENT_LENGTH);
    ServiceResponse::new(request, head.set_body(BoxBody::new(body)))
}

/// `path` with every segment that could be an e-mail address (an `@`, plain or
/// percent-encoded) written as `-`: a path is the client's text, and an unmatched one may
/// hold anything.
fn loggable_path(path: &str) -> String {
    if !path.contains('@') && !path.to_ascii_lowercase().contains("%40") {
        return path.to_owned();
    }
    path.split('/')
        .map(|segment| {
            if segment.contains('@') || segment.to_ascii_lowercase().contains("%40") {
                "-"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A client's address as the request log shows it (`ENGAGIERT_LOG_CLIENT_ADDRESS`): not at
/// all, its network (IPv4 /24, IPv6 /48: enough to trace abuse to a provider, too little to
/// name a household), or whole.
pub fn client_address(address: IpAddr, log: ClientAddressLog) -> Option<String> {
    // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`.
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    };
    match log {
        ClientAddressLog::None => None,
        ClientAddressLog::Full => Some(address.to_string()),
        ClientAddressLog::Truncated => Some(match address {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            IpAddr::V6(v6) => {
                let [x, y, z, ..] = v6.segments();
                format!("{}/48", Ipv6Addr::new(x, y, z, 0, 0, 0, 0, 0))
            }
        }),
    }
}

/// The route pattern a request was answered under, when something other than the router
/// answered it (the response cache).
#[derive(Debug, Clone)]
pub struct Route(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(address: &str, log: ClientAddressLog) -> Option<String> {
        client_address(address.parse().unwrap(), log)
    }

    #[test]
    fn client_addresses_are_truncated_to_their_network() {
        use ClientAddressLog::{Full, Truncated};
        assert_eq!(shown("192.0.2.77", Truncated).unwrap(), "192.0.2.0/24");
        assert_eq!(shown("127.0.0.1", Truncated).unwrap(), "127.0.0.0/24");
        assert_eq!(
            shown("::ffff:192.0.2.77", Truncated).unwrap(),
            "192.0.2.0/24"
        );
        assert_eq!(
            shown("2001:db8:abcd:12:1:2:3:4", Truncated).unwrap(),
            "2001:db8:abcd::/48"
        );
        assert_eq!(shown("::1", Truncated).unwrap(), "::/48");
        assert_eq!(shown("192.0.2.77", Full).unwrap(), "192.0.2.77");
        assert_eq!(shown("2001:db8::1", Full).unwrap(), "2001:db8::1");
        assert_eq!(shown("192.0.2.77", ClientAddressLog::None), None);
    }

    #[test]
    fn paths_lose_segments_with_an_address() {
        assert_eq!(loggable_path("/api/v1/users/abc"), "/api/v1/users/abc");
        assert_eq!(loggable_path("/x/a@b.example/y"), "/x/-/y");
        assert_eq!(loggable_path("/x/a%40b.example"), "/x/-");
    }
}
