//! Sending one delivery: an HTTP POST of the signed body, with a timeout, no redirects
//! followed, and a resolver that lets the connection reach public addresses only — the
//! address is checked when the connection is made, so a name that resolved to a public
//! address at creation and to an internal one now is still refused. What the receiver
//! answered is kept as the attempt's record (status, duration, the first bytes of the body).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use url::Url;

use super::addresses::{Refused, check_resolved, check_url};

/// How much of a receiver's answer an attempt keeps.
pub const EXCERPT_BYTES: usize = 1024;

/// The longest `Retry-After` honoured (a day): a receiver cannot park a delivery for good.
pub const MAX_RETRY_AFTER: u64 = 24 * 3600;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status; none when no answer came (refused address, connection error,
    /// timeout).
    pub status: Option<u16>,
    pub duration: Duration,
    /// The first bytes of the answer, as text.
    pub excerpt: String,
    /// Why there was no answer.
    pub error: Option<String>,
    /// The receiver's `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
}

impl Attempt {
    /// A 2xx answer delivers.
    pub fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }

    /// 410 Gone: the receiver wants no more deliveries.
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }

    fn failed(error: String, started: Instant) -> Self {
        Self {
            status: None,
            duration: started.elapsed(),
            excerpt: String::new(),
            error: Some(storable(&error)),
            retry_after: None,
        }
    }
}

/// Resolves host names for deliveries, refusing any name with a non-public address.
struct PublicOnly {
    allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addresses: Vec<IpAddr> = found.iter().map(SocketAddr::ip).collect();
            check_resolved(&host, &addresses, allow_private).map_err(
                |refused| -> Box<dyn std::error::Error + Send + Sync> { refused.message().into() },
            )?;
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client of deliveries.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    /// A sender giving up on an answer after `timeout` (15 s in service).
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve and reach the address itself, past `PublicOnly`.
            .no_proxy()
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .user_agent(concat!("engagiert-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            allow_private,
        })
    }

    /// Whether `url` may be a webhook's address (its form, and its host if an address).
    pub fn check(&self, url: &str) -> Result<Url, Refused> {
        check_url(url, self.allow_private)
    }

    /// POSTs `body` (JSON) with `headers` to `url`.
    pub async fn send(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Attempt {
        let started = Instant::now();
        let url = match self.check(url) {
            Ok(url) => url,
            Err(refused) => return Attempt::failed(refused.message(), started),
        };
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Attempt::failed(describe(&error), started),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(|seconds| seconds.min(MAX_RETRY_AFTER));
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        Attempt {
            status: Some(status),
            duration: started.elapsed(),
            excerpt: storable(&String::from_utf8_lossy(&excerpt)),
            error: None,
            retry_after,
        }
    }
}

/// `text` as a database text column takes it: PostgreSQL refuses NUL characters, and a
/// receiver's answer may hold them.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Why a request got no answer, in words for the delivery log.
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    if error.is_timeout() {
        return "no answer within the timeout".into();
    }
    // The resolver's refusal is the innermost cause.
    let mut cause: Option<&dyn std::error::Error> = error.source();
    let mut last = None;
    while let Some(current) = cause {
        last = Some(current.to_string());
        cause = current.source();
    }
    match last {
        Some(reason) if error.is_connect() => format!("could not connect: {reason}"),
        Some(reason) => reason,
        None => "the request failed".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

    use super::*;

    /// A receiver on a free loopback port: `/ok`, `/fail` (500, Retry-After 7), `/slow`
    /// (answers after 3 s), `/moved` (302 to `/ok`); counts the requests to `/ok`.
    fn receiver() -> (String, Arc<AtomicUsize>, actix_web::dev::ServerHandle) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let server = HttpServer::new(move || {
            let counted = counted.clone();
            App::new()
                .route(
                    "/ok",
                    web::post().to(move |req: HttpRequest| {
                        let counted = counted.clone();
                        async move {
                            counted.fetch_add(1, Ordering::SeqCst);
                            let id = req.headers().get("webhook-id").cloned();
                            HttpResponse::Ok().body(format!("{id:?}"))
                        }
                    }),
                )
                .route(
                    "/fail",
                    web::post().to(|| async {
                        HttpResponse::InternalServerError()
                            .insert_header(("Retry-After", "7"))
                            .body("x".repeat(5000))
                    }),
                )
                .route(
                    "/slow",
                    web::post().to(|| async {
                        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                        HttpResponse::Ok().finish()
                    }),
                )
                .route(
                    "/moved",
                    web::post().to(|| async {
                        HttpResponse::Found()
                            .insert_header(("Location", "/ok"))
                            .finish()
                    }),
                )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (format!("http://127.0.0.1:{port}"), hits, handle)
    }

    fn headers() -> Vec<(&'static str, String)> {
        vec![("webhook-id", "msg_1".into())]
    }

    #[actix_web::test]
    async fn sends_and_keeps_what_the_receiver_answered() {
        let (base, hits, handle) = receiver();
        let sender = Sender::new(Duration::from_secs(1), true).unwrap();
        let ok = sender
            .send(&format!("{base}/ok"), &headers(), b"{}".to_vec())
            .await;
        assert!(ok.delivered(), "{ok:?}");
        assert!(ok.excerpt.contains("msg_1"), "{ok:?}");
        let failed = sender
            .send(&format!("{base}/fail"), &headers(), b"{}".to_vec())
            .await;
        assert_eq!((failed.status, failed.retry_after), (Some(500), Some(7)));
        assert_eq!(failed.excerpt.len(), EXCERPT_BYTES);
        let slow = sender
            .send(&format!("{base}/slow"), &headers(), b"{}".to_vec())
            .await;
        assert_eq!(slow.status, None);
        assert_eq!(slow.error.as_deref(), Some("no answer within the timeout"));
        // A redirect is an answer, not a delivery, and is not followed.
        let moved = sender
            .send(&format!("{base}/moved"), &headers(), b"{}".to_vec())
            .await;
        assert_eq!(moved.status, Some(302));
        assert!(!moved.delivered());
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // With the protection on, nothing reaches a loopback receiver.
        let guarded = Sender::new(Duration::from_secs(1), false).unwrap();
        let refused = guarded
            .send(&format!("{base}/ok"), &headers(), b"{}".to_vec())
            .await;
        assert!(
            refused.status.is_none() && refused.error.is_some(),
            "{refused:?}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        handle.stop(false).await;
    }

    #[actix_web::test]
    async fn a_name_resolving_to_loopback_is_not_connected_to() {
        let name = |text: &str| text.parse::<Name>().unwrap();
        let guarded = PublicOnly {
            allow_private: false,
        };
        assert!(guarded.resolve(name("localhost")).await.is_err());
        let open = PublicOnly {
            allow_private: true,
        };
        assert!(open.resolve(name("localhost")).await.is_ok());
    }
}
