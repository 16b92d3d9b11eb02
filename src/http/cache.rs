//! The response cache of reads. A `GET` under `/api/v1` (lists with every filter, sort and
//! page, single records by UUID, slug or AGS, feeds, exports, statistics, public results),
//! `/oparl/v1` or `/embed/` is answered from the finished bytes, `ETag` and headers of an
//! earlier answer, and `If-None-Match` from its `ETag`, without touching the database.
//!
//! **Never stale.** An entry remembers the *generation* (`Db::generation`: the commits seen)
//! read before its answer was computed, and is served only while that is still the current
//! one: every write of this instance counts when it commits, and on PostgreSQL every write
//! of another instance counts when its notification arrives (within milliseconds); while
//! the listening connection is down nothing is served from the cache, and its return counts
//! as a commit. Coarse — any write retires every entry — and simple enough to trust.
//!
//! **Never behind the clock.** Some answers change with time alone (upcoming meetings,
//! membership on a given day, whether a survey is open), so an entry also lives at most
//! [`MAX_AGE`]: under load that is still one computation a second per answer.
//!
//! **Never someone else's answer.** Anonymous reads share entries. A signed-in read (the
//! admin frontend, scripts) is kept under its caller's name — user and session, or API
//! token — and origin, so what one caller sees (online links, non-public contacts, drafts)
//! is never served to another; the caller itself is known without a query for as long as
//! an entry lives (`auth::known`). Only `200` answers with an `ETag` and without `no-store`
//! or `private` are kept (attachments are `private`: they stream, and are never held).

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use url::form_urlencoded;

use super::conditional;
use crate::db::Db;
use crate::telemetry::{Metrics, Route};

/// How long an entry is served at most, whatever was written.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The cache's settings and entries, shared by the workers of one instance.
pub struct ResponseCache {
    /// `None` when the byte budget is 0: nothing is kept.
    entries: Option<Entries>,
    /// `Cache-Control` of public answers: `no-cache`, or `public, max-age=N`.
    public_cache_control: HeaderValue,
}

struct Entry {
    /// The route pattern, for the metrics.
    route: String,
    generation: u64,
    computed_at: Instant,
    headers: HeaderMap,
    body: Bytes,
    /// The same answer compressed (rule 38), made once when it is stored, so that a hit
    /// costs no compression: brotli and gzip, each with its own `ETag`.
    encoded: Vec<Encoded>,
}

struct Encoded {
    coding: super::compression::Coding,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &String, entry: &Arc<Entry>) -> u64 {
        let headers: usize = entry
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum();
        let key = key.len();
        let encoded: usize = entry.encoded.iter().map(|e| e.body.len() + 256).sum();
        (key + headers + entry.body.len() + encoded + 128) as u64
    }
}

impl ResponseCache {
    /// `budget_bytes` 0 turns the cache off; `public_max_age` (seconds) > 0 lets proxies and
    /// CDNs keep public answers that long.
    pub fn new(budget_bytes: u64, public_max_age: u64) -> Self {
        let entries = (budget_bytes > 0).then(|| {
            // quick_cache sizes its table from the expected number of items.
            let items = (budget_bytes / 16_384).clamp(64, 100_000) as usize;
            quick_cache::sync::Cache::with_weighter(items, budget_bytes, ByBytes)
        });
        let public_cache_control = match public_max_age {
            0 => HeaderValue::from_static("no-cache"),
            age => HeaderValue::from_str(&format!("public, max-age={age}"))
                .unwrap_or(HeaderValue::from_static("no-cache")),
        };
        Self {
            entries,
            public_cache_control,
        }
    }
}

/// The middleware: answers public reads from the cache, and keeps what may be kept.
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let cache = req.app_data::<web::Data<ResponseCache>>().cloned();
    let (Some(cache), Some(reader)) = (cache, reader(&req).await) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Read before the answer is computed: a write committed meanwhile retires the entry.
    // `None` while the cache may not serve (off, or not hearing every commit).
    let generation = match (&cache.entries, req.app_data::<web::Data<Db>>()) {
        (Some(entries), Some(db)) => db.generation().map(|generation| (entries, generation)),
        _ => None,
    };
    let mut slot = None;
    let accepted = super::compression::accepted(req.headers());
    if let Some((entries, generation)) = generation {
        let key = key_of(&req, &reader);
        match lookup(entries, &key, generation).await {
            Ok(entry) => {
                count(&req, true);
                let response = answer(req.request(), &entry, &accepted);
                req.extensions_mut().insert(Route(entry.route.clone()));
                return Ok(req.into_response(response));
            }
            Err(guard) => {
                count(&req, false);
                slot = Some((entries, generation, Instant::now(), key, guard));
            }
        }
    }
    let mut response = next.call(req).await?;
    if response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let headers = response.headers_mut();
    if reader == Reader::Anyone
        && headers
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v == "no-cache")
    {
        headers.insert(header::CACHE_CONTROL, cache.public_cache_control.clone());
    }
    let Some((entries, generation, computed_at, key, guard)) =
        slot.filter(|_| storable(response.headers()))
    else {
        return compressed_once(response, &accepted).await;
    };
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let body = collect(body).await?;
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let mut head = head;
    super::compression::vary(head.headers_mut());
    let encoded = super::compression::Coding::ALL
        .iter()
        .filter_map(|coding| {
            let (headers, body) = coding.encode(head.headers(), &body)?;
            Some(Encoded {
                coding: *coding,
                headers,
                body,
            })
        })
        .collect();
    let stored = Arc::new(Entry {
        route,
        generation,
        computed_at,
        headers: head.headers().clone(),
        body: body.clone(),
        encoded,
    });
    // This answer, too, in the representation the client asked for.
    let body = match stored.encoded.iter().find(|e| accepted.contains(&e.coding)) {
        Some(chosen) => {
            *head.headers_mut() = chosen.headers.clone();
            chosen.body.clone()
        }
        None => body,
    };
    match guard {
        Some(guard) => {
            let _ = guard.insert(stored);
        }
        None => entries.insert(key, stored),
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(body).map_into_boxed_body(),
    ))
}

/// The whole body of an answer, to keep or compress.
async fn collect(body: impl MessageBody) -> Result<Bytes, Error> {
    to_bytes(body).await.map_err(|error| {
        let error: Box<dyn std::error::Error> = error.into();
        actix_web::error::ErrorInternalServerError(error.to_string())
    })
}

/// A public answer that is not kept (the cache is off or cannot serve), compressed as the
/// client asked all the same.
async fn compressed_once(
    mut response: ServiceResponse<impl MessageBody + 'static>,
    accepted: &super::compression::Accepted,
) -> Result<ServiceResponse<BoxBody>, Error> {
    super::compression::vary(response.headers_mut());
    let Some(coding) = super::compression::Coding::ALL
        .into_iter()
        .find(|coding| accepted.contains(coding))
        // An attachment streams on, never held whole to find that a PDF does not shrink.
        .filter(|_| super::compression::compressible(response.headers()))
    else {
        return Ok(response.map_into_boxed_body());
    };
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let body = collect(body).await?;
    let body = match coding.encode(head.headers(), &body) {
        Some((headers, encoded)) => {
            // The handler knew only the plain representation's ETag.
            if fresh_at_client(&request, &headers) {
                let mut response = HttpResponse::new(StatusCode::NOT_MODIFIED);
                *response.headers_mut() = headers;
                return Ok(ServiceResponse::new(request, response));
            }
            *head.headers_mut() = headers;
            encoded
        }
        None => body,
    };
    Ok(ServiceResponse::new(
        request,
        head.set_body(body).map_into_boxed_body(),
    ))
}

type Entries = quick_cache::sync::Cache<String, Arc<Entry>, ByBytes>;
type Guard<'a> = quick_cache::sync::PlaceholderGuard<
    'a,
    String,
    Arc<Entry>,
    ByBytes,
    quick_cache::DefaultHashBuilder,
    quick_cache::sync::DefaultLifecycle<String, Arc<Entry>>,
>;

/// The entry for `key` if it is still valid at `generation`; otherwise the right to compute
/// it (a guard), or `None` when another request replaced it meanwhile. One request computes a
/// missing answer; the others for it wait for its bytes instead of all asking the database at
/// once (when an entry expires under load).
async fn lookup<'a>(
    entries: &'a Entries,
    key: &String,
    generation: u64,
) -> Result<Arc<Entry>, Option<Guard<'a>>> {
    let valid = |entry: &Arc<Entry>| {
        entry.generation == generation && entry.computed_at.elapsed() < MAX_AGE
    };
    let mut found = entries.get_value_or_guard_async(key).await;
    if matches!(&found, Ok(entry) if !valid(entry)) {
        entries.remove(key);
        found = entries.get_value_or_guard_async(key).await;
    }
    match found {
        Ok(entry) if valid(&entry) => Ok(entry),
        Ok(_) => Err(None),
        Err(guard) => Err(Some(guard)),
    }
}

fn count(req: &ServiceRequest, hit: bool) {
    if let Some(metrics) = req.app_data::<web::Data<Metrics>>() {
        metrics.cache_lookup(hit);
    }
}

/// Whose answer a read is.
#[derive(PartialEq, Eq)]
enum Reader {
    /// An anonymous read: the same answer for everyone, and for every origin
    /// (`Access-Control-Allow-Origin: *`, rule 33).
    Anyone,
    /// A signed-in read: an answer for this caller (user and session, or API token) and
    /// origin only, kept under their names. What a caller may see changes only by a write
    /// (a role, a session, a record), which retires every entry anyway.
    Caller(String),
}

/// A `GET` (or `HEAD`, answered alike without the body) of the API, by whom; `None` for
/// anything else, and for a token that does not authenticate (its 401 is not kept).
async fn reader(req: &ServiceRequest) -> Option<Reader> {
    let path = req.path();
    let api = path.starts_with("/api/v1/")
        || path.starts_with("/oparl/v1/")
        || path.starts_with("/embed/");
    if !api || !(req.method() == Method::GET || req.method() == Method::HEAD) {
        return None;
    }
    if crate::http::cors::is_anonymous_read(req) {
        return Some(Reader::Anyone);
    }
    // Authenticated once: the handler's extractor finds the caller in the request.
    let caller = crate::auth::extractor::caller(req.request()).await.ok()??;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let session = caller.session.as_ref().map_or("", |s| s.as_str());
    Some(Reader::Caller(format!("{} {session} {origin} ", caller.id)))
}

/// The reader, the path and the query with its parameters in one order, so that `?a=1&b=2`
/// and `?b=2&a=1` share an entry.
fn key_of(req: &ServiceRequest, reader: &Reader) -> String {
    let mut key = match reader {
        Reader::Anyone => String::new(),
        Reader::Caller(caller) => caller.clone(),
    };
    key.push_str(req.path());
    let query = req.query_string();
    if !query.is_empty() {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        key.push('?');
        form_urlencoded::Serializer::new(&mut key).extend_pairs(pairs);
    }
    key
}

/// A public answer that may be kept: it has an `ETag` and does not forbid keeping it.
fn storable(headers: &HeaderMap) -> bool {
    let forbidden = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store") || v.contains("private"));
    headers.contains_key(header::ETAG) && !forbidden && !headers.contains_key(header::SET_COOKIE)
}

/// The stored answer in the first coding the client accepts (else as it is), or 304 when
/// the client has that representation already.
fn answer(
    req: &HttpRequest,
    entry: &Entry,
    accepted: &super::compression::Accepted,
) -> HttpResponse {
    let (headers, body) = entry
        .encoded
        .iter()
        .find(|e| accepted.contains(&e.coding))
        .map_or((&entry.headers, &entry.body), |e| (&e.headers, &e.body));
    let mut response = if fresh_at_client(req, headers) {
        HttpResponse::new(StatusCode::NOT_MODIFIED)
    } else {
        HttpResponse::with_body(StatusCode::OK, body.clone()).map_into_boxed_body()
    };
    *response.headers_mut() = headers.clone();
    response
}

/// Whether the client has this representation already, by its `ETag` and `Last-Modified`.
fn fresh_at_client(req: &HttpRequest, headers: &HeaderMap) -> bool {
    // Most requests ask unconditionally: then nothing of the entry needs parsing.
    let asks = req.headers();
    if !asks.contains_key(header::IF_NONE_MATCH) && !asks.contains_key(header::IF_MODIFIED_SINCE) {
        return false;
    }
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let last_modified = value(header::LAST_MODIFIED).and_then(|v| v.parse().ok());
    value(header::ETAG).is_some_and(|etag| conditional::fresh_at_client(req, etag, last_modified))
}
