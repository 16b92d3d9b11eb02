//! The webhook dispatcher against a local receiver: deliveries for subscribed events only,
//! signatures verified by the `standardwebhooks` crate (an independent implementation), the
//! same `webhook-id` on a retry, 410 disabling the webhook, the last retry giving up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use engagiert::webhooks::dispatcher::Dispatcher;
use engagiert::webhooks::sender::Sender;
use engagiert::webhooks::signing::Secret;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: http::HeaderMap,
    body: Vec<u8>,
}

/// A receiver on a free loopback port answering each request with the next status of
/// `answers` (200 when they run out), recording every request.
fn receiver(
    answers: Vec<u16>,
) -> (
    String,
    Arc<Mutex<Vec<Received>>>,
    actix_web::dev::ServerHandle,
) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let log = received.clone();
    let server = HttpServer::new(move || {
        let log = log.clone();
        let answers = answers.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let log = log.clone();
            let answers = answers.clone();
            async move {
                let mut headers = http::HeaderMap::new();
                for (name, value) in req.headers() {
                    headers.insert(
                        http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                        http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                    );
                }
                log.lock().unwrap().push(Received {
                    headers,
                    body: body.to_vec(),
                });
                let status = answers.lock().unwrap().next().unwrap_or(200);
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                    .body("danke")
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), received, handle)
}

async fn subscribe(app: &TestApp, url: &str, events: &[&str], secret: &Secret) {
    let url = url.to_owned();
    let events: Vec<String> = events.iter().map(|e| (*e).to_owned()).collect();
    let secret = secret.clone();
    app.db()
        .run(move |conn| engagiert::webhooks::model::insert(conn, &url, &events, "Test", &secret))
        .await
        .unwrap();
}

fn dispatcher(app: &TestApp, schedule: Vec<u64>) -> Dispatcher {
    let sender = Sender::new(Duration::from_secs(2), true).unwrap();
    Dispatcher::new(app.db().clone(), sender, schedule, 4)
}

fn body(received: &Received) -> Value {
    serde_json::from_slice(&received.body).unwrap()
}

both_backends! {
    async fn subscribed_changes_are_delivered_signed(app) {
        let admin = app.admin().await;
        let secret = Secret::generate().unwrap();
        let (url, received, handle) = receiver(vec![]);
        subscribe(&app, &url, &["municipalities.created", "meetings.updated"], &secret).await;
        let (other_url, other_received, other_handle) = receiver(vec![]);
        subscribe(&app, &other_url, &["surveys.created"], &secret).await;
        let created = app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Kamen", "kind": "town", "ags": "05978016"})).send().await.expect(201).json();
        app.patch(&format!("/api/v1/municipalities/{}", created["id"].as_str().unwrap())).bearer(&admin)
            .json(&json!({"website": "https://kamen.de"})).send().await.expect(200);
        let dispatcher = dispatcher(&app, vec![0]);
        dispatcher.run_once().await.unwrap();
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "only the subscribed event: {got:?}");
        let delivery = body(&got[0]);
        assert_eq!(delivery["type"], "municipalities.created");
        assert_eq!(delivery["data"]["id"], created["id"]);
        assert_eq!(delivery["data"]["version"], 1);
        assert!(delivery["data"]["cursor"].is_string() && delivery["timestamp"].is_string());
        // The independent implementation verifies the signature.
        standardwebhooks::Webhook::new(&secret.to_whsec()).unwrap()
            .verify(&got[0].body, &got[0].headers).expect("a valid Standard Webhooks signature");
        assert!(other_received.lock().unwrap().is_empty());
        // Nothing is delivered twice.
        dispatcher.run_once().await.unwrap();
        assert_eq!(received.lock().unwrap().len(), 1);
        handle.stop(false).await;
        other_handle.stop(false).await;
    }

    async fn a_failed_delivery_is_retried_with_the_same_id_and_410_disables(app) {
        let admin = app.admin().await;
        let secret = Secret::generate().unwrap();
        let (url, received, handle) = receiver(vec![500, 503]);
        subscribe(&app, &url, &["*"], &secret).await;
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Kamen", "kind": "town", "ags": "05978016"})).send().await.expect(201);
        let dispatcher = dispatcher(&app, vec![0, 0, 0]);
        for _ in 0..3 {
            dispatcher.run_once().await.unwrap();
        }
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 3, "500, 503, then 200");
        let ids: Vec<_> = got.iter().map(|r| r.headers["webhook-id"].clone()).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "one webhook-id across retries: {ids:?}");
        dispatcher.run_once().await.unwrap();
        assert_eq!(received.lock().unwrap().len(), 3, "delivered once it was answered 200");

        // A receiver answering 410 disables its webhook: later changes are not sent.
        let (gone_url, gone_received, gone_handle) = receiver(vec![410]);
        subscribe(&app, &gone_url, &["*"], &secret).await;
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Bönen", "kind": "municipality", "ags": "05978008"})).send().await.expect(201);
        dispatcher.run_once().await.unwrap();
        assert_eq!(gone_received.lock().unwrap().len(), 1);
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Holzwickede", "kind": "municipality", "ags": "05978020"})).send().await.expect(201);
        dispatcher.run_once().await.unwrap();
        dispatcher.run_once().await.unwrap();
        assert_eq!(gone_received.lock().unwrap().len(), 1, "a disabled webhook gets nothing");
        handle.stop(false).await;
        gone_handle.stop(false).await;
    }

    async fn after_the_last_retry_the_webhook_is_disabled(app) {
        let admin = app.admin().await;
        let secret = Secret::generate().unwrap();
        let (url, received, handle) = receiver(vec![500, 500, 500, 500]);
        subscribe(&app, &url, &["*"], &secret).await;
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Kamen", "kind": "town", "ags": "05978016"})).send().await.expect(201);
        let dispatcher = dispatcher(&app, vec![0]);
        for _ in 0..4 {
            dispatcher.run_once().await.unwrap();
        }
        assert_eq!(received.lock().unwrap().len(), 2, "the first attempt and one retry");
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Bönen", "kind": "municipality", "ags": "05978008"})).send().await.expect(201);
        dispatcher.run_once().await.unwrap();
        assert_eq!(received.lock().unwrap().len(), 2, "disabled after the last retry");
        handle.stop(false).await;
    }

    async fn two_instances_send_each_delivery_once(app) {
        let admin = app.admin().await;
        let secret = Secret::generate().unwrap();
        let (url, received, handle) = receiver(vec![]);
        subscribe(&app, &url, &["municipalities.created"], &secret).await;
        for i in 0..20 {
            app.post("/api/v1/municipalities").bearer(&admin)
                .json(&json!({"name": format!("Ort {i}"), "kind": "municipality", "region": "arnsberg", "ags": format!("059780{:02}", 40 + i)}))
                .send().await.expect(201);
        }
        let other = app.another_instance();
        let first = dispatcher(&app, vec![0]);
        let second = Dispatcher::new(other.db.get_ref().clone(), Sender::new(Duration::from_secs(2), true).unwrap(), vec![0], 4);
        for _ in 0..4 {
            let (a, b) = futures_util::future::join(first.run_once(), second.run_once()).await;
            a.unwrap();
            b.unwrap();
        }
        let got = received.lock().unwrap().clone();
        let mut ids: Vec<String> = got.iter().map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((got.len(), ids.len()), (20, 20), "each of the 20 deliveries sent once");
        handle.stop(false).await;
    }
}
