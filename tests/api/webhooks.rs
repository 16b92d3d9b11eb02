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
pub(crate) struct Received {
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    /// What it was answered.
    pub status: u16,
}

/// How a receiver answers the next request: a status, or 0 to answer 200 late (after two
/// seconds, past a short timeout).
pub(crate) type Answer = Arc<dyn Fn() -> u16 + Send + Sync>;

/// What a receiver hands back: its URL, what it received, and its handle.
pub(crate) type Receiver = (
    String,
    Arc<Mutex<Vec<Received>>>,
    actix_web::dev::ServerHandle,
);

/// A receiver on a free loopback port answering each request with the next status of
/// `answers` (200 when they run out; 0 answers late), recording every request.
pub(crate) fn receiver(answers: Vec<u16>) -> Receiver {
    let answers = Mutex::new(answers.into_iter());
    scripted_receiver(Arc::new(move || {
        answers.lock().unwrap().next().unwrap_or(200)
    }))
}

/// A receiver on a free loopback port answering as `answer` says, recording every request
/// with the status it was answered.
pub(crate) fn scripted_receiver(answer: Answer) -> Receiver {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let server = HttpServer::new(move || {
        let (log, answer) = (log.clone(), answer.clone());
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let (log, answer) = (log.clone(), answer.clone());
            async move {
                let mut headers = http::HeaderMap::new();
                for (name, value) in req.headers() {
                    headers.insert(
                        http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                        http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                    );
                }
                let late = answer();
                let status = if late == 0 { 200 } else { late };
                log.lock().unwrap().push(Received {
                    headers,
                    body: body.to_vec(),
                    status,
                });
                if late == 0 {
                    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
                }
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

/// Registers a webhook through the API; answers its representation (with the secret, shown
/// this once) and the secret.
pub(crate) async fn subscribe(
    app: &TestApp,
    admin: &str,
    url: &str,
    events: &[&str],
) -> (Value, Secret) {
    let created = app
        .post("/api/v1/webhooks")
        .bearer(admin)
        .json(&json!({"url": url, "events": events, "description": "Test"}))
        .send()
        .await
        .expect(201)
        .json();
    let secret = Secret::parse(created["secret"].as_str().expect("the secret, shown once"))
        .expect("a whsec_ secret");
    (created, secret)
}

pub(crate) fn dispatcher(app: &TestApp, schedule: Vec<u64>) -> Dispatcher {
    let sender = Sender::new(Duration::from_secs(2), true).unwrap();
    Dispatcher::new(app.db().clone(), sender, schedule, 4)
}

pub(crate) fn body(received: &Received) -> Value {
    serde_json::from_slice(&received.body).unwrap()
}

both_backends! {
    async fn subscribed_changes_are_delivered_signed(app) {
        let admin = app.admin().await;
        let (url, received, handle) = receiver(vec![]);
        let (_, secret) = subscribe(&app, &admin, &url, &["municipalities.created", "meetings.updated"]).await;
        let (other_url, other_received, other_handle) = receiver(vec![]);
        subscribe(&app, &admin, &other_url, &["surveys.created"]).await;
        let (all_url, all_received, all_handle) = receiver(vec![]);
        subscribe(&app, &admin, &all_url, &["municipalities.*"]).await;
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
        let mut all: Vec<Value> = all_received.lock().unwrap().iter().map(|r| body(r)["type"].clone()).collect();
        all.sort_by_key(Value::to_string);
        assert_eq!(all, vec![json!("municipalities.created"), json!("municipalities.updated")]);
        all_handle.stop(false).await;
        // Nothing is delivered twice.
        dispatcher.run_once().await.unwrap();
        assert_eq!(received.lock().unwrap().len(), 1);
        handle.stop(false).await;
        other_handle.stop(false).await;
    }

    async fn a_failed_delivery_is_retried_with_the_same_id_and_410_disables(app) {
        let admin = app.admin().await;
        let (url, received, handle) = receiver(vec![500, 503]);
        subscribe(&app, &admin, &url, &["*"]).await;
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
        let (gone, _) = subscribe(&app, &admin, &gone_url, &["*"]).await;
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Bönen", "kind": "municipality", "ags": "05978008"})).send().await.expect(201);
        dispatcher.run_once().await.unwrap();
        assert_eq!(gone_received.lock().unwrap().len(), 1);
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Holzwickede", "kind": "municipality", "ags": "05978020"})).send().await.expect(201);
        dispatcher.run_once().await.unwrap();
        dispatcher.run_once().await.unwrap();
        assert_eq!(gone_received.lock().unwrap().len(), 1, "a disabled webhook gets nothing");
        // The admin sees why, in the webhook and in its history, as the service's change.
        let path = format!("/api/v1/webhooks/{}", gone["id"].as_str().unwrap());
        let shown = app.get(&path).bearer(&admin).send().await.expect(200).json();
        assert_eq!((shown["enabled"].clone(), shown["version"].clone()), (json!(false), json!(2)));
        assert!(shown["disabled_reason"].as_str().unwrap().contains("410"), "{shown}");
        assert!(shown["secret"].is_null(), "the secret is shown only once");
        let revisions = app.get(&format!("{path}/revisions")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(revisions["items"][0]["actor"]["kind"], "system");
        assert_eq!(revisions["items"][0]["changes"]["enabled"], false);
        // Enabled again, it hears of the changes from then on (not of those while disabled).
        let enabled = app.patch(&path).bearer(&admin).json(&json!({"enabled": true})).send().await.expect(200).json();
        assert!(enabled["disabled_reason"].is_null());
        app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Fröndenberg", "kind": "town", "ags": "05978012"})).send().await.expect(201);
        dispatcher.run_once().await.unwrap();
        let got = gone_received.lock().unwrap().clone();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(body(&got[1])["type"], "municipalities.created");
        handle.stop(false).await;
        gone_handle.stop(false).await;
    }

    async fn after_the_last_retry_the_webhook_is_disabled(app) {
        let admin = app.admin().await;
        let (url, received, handle) = receiver(vec![500, 500, 500, 500]);
        let (webhook, _) = subscribe(&app, &admin, &url, &["*"]).await;
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
        let path = format!("/api/v1/webhooks/{}", webhook["id"].as_str().unwrap());
        let shown = app.get(&path).bearer(&admin).send().await.expect(200).json();
        assert_eq!(shown["enabled"], false);
        assert!(shown["disabled_reason"].as_str().unwrap().contains("the last of 2 attempts failed (answered 500)"), "{shown}");
        let log = app.get(&format!("{path}/deliveries")).bearer(&admin).send().await.expect(200).json();
        let first = &log["items"][log["total"].as_i64().unwrap() as usize - 1];
        assert_eq!(first["state"], "failed");
        let codes: Vec<Value> = first["attempts"].as_array().unwrap().iter().map(|a| a["status_code"].clone()).collect();
        assert_eq!(codes, vec![json!(500), json!(500)]);
        handle.stop(false).await;
    }

    async fn two_instances_send_each_delivery_once(app) {
        let admin = app.admin().await;
        let (url, received, handle) = receiver(vec![]);
        subscribe(&app, &admin, &url, &["municipalities.created"]).await;
        for i in 0..20 {
            app.post("/api/v1/municipalities").bearer(&admin)
                .json(&json!({"name": format!("Ort {i}"), "kind": "municipality", "region": "arnsberg", "ags": format!("059780{:02}", 40 + i)}))
                .send().await.expect(201);
        }
        let other = app.another_instance();
        let first = dispatcher(&app, vec![0]);
        let second = Dispatcher::new(other.db.get_ref().clone(), Sender::new(Duration::from_secs(2), true).unwrap(), vec![0], 4);
        for _ in 0..20 {
            let (a, b) = futures_util::future::join(first.run_once(), second.run_once()).await;
            if a.unwrap() + b.unwrap() == 0 {
                break;
            }
        }
        let got = received.lock().unwrap().clone();
        let mut ids: Vec<String> = got.iter().map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((got.len(), ids.len()), (20, 20), "each of the 20 deliveries sent once");
        handle.stop(false).await;
    }
}

both_backends! {
    async fn a_webhook_hears_only_of_the_changes_after_its_creation(app) {
        let admin = app.admin().await;
        let join = |name: &str, ags: &str| {
            app.post("/api/v1/municipalities").bearer(&admin)
                .json(&json!({"name": name, "kind": "municipality", "ags": ags})).send()
        };
        join("Bönen", "05978008").await.expect(201);
        // A dispatcher with nobody listening only moves past what it saw.
        let dispatcher = dispatcher(&app, vec![0]);
        dispatcher.run_once().await.unwrap();
        join("Holzwickede", "05978020").await.expect(201);
        let (url, received, handle) = receiver(vec![]);
        subscribe(&app, &admin, &url, &["*"]).await;
        join("Kamen", "05978016").await.expect(201);
        dispatcher.run_once().await.unwrap();
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(body(&got[0])["type"], "municipalities.created");
        let kamen = app.get("/api/v1/municipalities/05978016").send().await.expect(200).json();
        assert_eq!(body(&got[0])["data"]["id"], kamen["id"]);
        handle.stop(false).await;
    }
}
