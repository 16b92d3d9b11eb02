//! `/api/v1/webhooks` as admins use it: the conventions of every resource (ETag, If-Match,
//! round trip, soft delete, revisions), the secret shown once, rotation with both signatures
//! during the grace period, the delivery log and redelivery, and the SSRF rule at creation
//! and at sending.

use std::time::Duration;

use engagiert::webhooks::dispatcher::Dispatcher;
use engagiert::webhooks::sender::Sender;
use engagiert::webhooks::signing::Secret;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::webhooks::{body, dispatcher, receiver, subscribe};

/// A change in the feed: Kamen becomes a member.
async fn kamen_joins(app: &TestApp, admin: &str) {
    app.post("/api/v1/municipalities")
        .bearer(admin)
        .json(&json!({"name": "Kamen", "kind": "town", "ags": "05978016"}))
        .send()
        .await
        .expect(201);
}

fn id_of(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

both_backends! {
    async fn a_webhook_follows_the_conventions_of_every_resource(app) {
        let admin = app.admin().await;
        let created = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "https://www.unna.de/hook", "events": ["meetings.updated", "municipalities.created", "meetings.updated"], "description": "Website"}))
            .send().await.expect(201);
        let location = created.header("location").expect("Location");
        // Neither a cache nor the idempotency record keeps the secret.
        assert_eq!(created.header("cache-control").as_deref(), Some("no-store"));
        let created = created.json();
        let secret = created["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_") && Secret::parse(secret).is_some(), "{secret}");
        assert_eq!(created["events"], json!(["meetings.updated", "municipalities.created"]));
        assert_eq!((created["enabled"].clone(), created["version"].clone()), (json!(true), json!(1)));
        let path = format!("/api/v1/webhooks/{}", id_of(&created));
        assert!(location.ends_with(&path), "{location}");

        // Reads never show the secret.
        let read = app.get(&path).bearer(&admin).send().await.expect(200);
        let etag = read.header("etag").unwrap();
        let shown = read.json();
        assert!(shown["secret"].is_null());
        let list = app.get("/api/v1/webhooks").bearer(&admin).send().await.expect(200).json();
        assert_eq!(list["total"], 1);
        assert!(list["items"][0]["secret"].is_null());
        assert!(!list.to_string().contains(secret), "the secret appears nowhere");

        // The admin frontend's round trip: what GET returned, PUT takes back unchanged.
        let same = app.put(&path).bearer(&admin).header("if-match", &etag).json(&shown).send().await.expect(200).json();
        assert_eq!(same["version"], 1, "an unchanged write keeps the version");
        let mut edited = shown.clone();
        edited["description"] = json!("Website der Stadt Unna");
        let saved = app.put(&path).bearer(&admin).header("if-match", &etag).json(&edited).send().await.expect(200).json();
        assert_eq!(saved["version"], 2);
        // Someone else's change in between: 412.
        app.patch(&path).bearer(&admin).header("if-match", &etag)
            .json(&json!({"description": "stale"})).send().await.problem(412);
        // Disabling through the API says so.
        let disabled = app.patch(&path).bearer(&admin).json(&json!({"enabled": false})).send().await.expect(200).json();
        assert_eq!(disabled["disabled_reason"], "disabled by an admin");

        // Soft delete, 410, the history, restore.
        app.delete(&path).bearer(&admin).send().await.expect(204);
        app.get(&path).bearer(&admin).send().await.problem(410);
        let revisions = app.get(&format!("{path}/revisions")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(revisions["total"], 4, "{revisions}");
        assert!(!revisions.to_string().contains(secret), "no revision keeps the secret");
        let restored = app.post(&format!("{path}/revisions/2/restore")).bearer(&admin).send().await.expect(200).json();
        assert_eq!((restored["enabled"].clone(), restored["description"].clone()), (json!(true), json!("Website der Stadt Unna")));
        assert!(restored["secret"].is_null());
    }

    async fn webhook_bodies_are_checked(app) {
        let admin = app.admin().await;
        let problem = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "https://www.unna.de/hook", "events": ["meetings.moved", "*", "nothing", "meetings.*", "*.created"], "description": "x".repeat(501)}))
            .send().await.problem(422);
        let fields = error_fields(&problem);
        for field in ["events[0]", "events[2]", "events[4]", "description"] {
            assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
        }
        assert!(!fields.contains(&"events[3]".to_owned()), "a collection's every action: {fields:?}");
        let problem = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "https://www.unna.de/hook", "events": []})).send().await.problem(422);
        assert_eq!(error_fields(&problem), vec!["events"]);
        let problem = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "ftp://www.unna.de/hook", "events": ["*"]})).send().await.problem(422);
        assert_eq!(error_fields(&problem), vec!["url"], "another scheme is refused even where private addresses are allowed");
        let problem = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "ftp://www.unna.de/hook", "events": ["nope"]})).send().await.problem(422);
        let mut fields = error_fields(&problem);
        fields.sort();
        assert_eq!(fields, vec!["events[0]", "url"], "the address is reported with the other fields");
        let problem = app.post("/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "https://www.unna.de/hook", "events": ["*"], "secret": "whsec_mine"})).send().await.problem(422);
        assert_eq!(error_fields(&problem), vec!["secret"], "the service makes the secret");
        let count = app.get("/api/v1/webhooks").bearer(&admin).send().await.expect(200).json()["total"].clone();
        assert_eq!(count, 0, "nothing was stored");
        // Editors and readers have no business here.
        let unna = app.unna().await;
        let editor = app.editor(&unna).await;
        app.get("/api/v1/webhooks").bearer(&editor).send().await.problem(403);
        app.post("/api/v1/webhooks").bearer(&editor)
            .json(&json!({"url": "https://www.unna.de/hook", "events": ["*"]})).send().await.problem(403);
    }

    async fn with_the_protection_on_private_addresses_are_refused(app) {
        let mut protected = settings();
        protected.webhook_allow_private = false;
        let other = app.another_instance_with(protected);
        let admin = app.admin().await;
        let refused = [
            "http://www.unna.de/hook",
            "https://127.0.0.1/hook",
            "https://10.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://192.168.178.1/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://localhost/hook",
        ];
        for url in refused {
            let problem = TestApp::req_to(&other, actix_web::http::Method::POST, "/api/v1/webhooks").bearer(&admin)
                .json(&json!({"url": url, "events": ["*"]})).send().await.problem(422);
            assert_eq!(error_fields(&problem), vec!["url"], "{url}");
        }
        // A PATCH to such an address is refused the same way.
        let created = TestApp::req_to(&other, actix_web::http::Method::POST, "/api/v1/webhooks").bearer(&admin)
            .json(&json!({"url": "https://www.unna.de/hook", "events": ["*"]})).send().await.expect(201).json();
        let path = format!("/api/v1/webhooks/{}", id_of(&created));
        TestApp::req_to(&other, actix_web::http::Method::PATCH, &path).bearer(&admin)
            .json(&json!({"url": "https://10.1.2.3/hook"})).send().await.problem(422);
        assert_eq!(app.get(&path).bearer(&admin).send().await.expect(200).json()["version"], 1);
        // (No delivery may leave this machine.)
        app.delete(&path).bearer(&admin).send().await.expect(204);

        // A name that resolves to this machine is not connected to when sending: registered
        // where private addresses were allowed, sent by a dispatcher with the protection on.
        let (url, received, handle) = receiver(vec![]);
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim().to_owned();
        let host = if host.is_empty() { "localhost".to_owned() } else { host };
        let named = url.replace("http://127.0.0.1", &format!("https://{host}"));
        let (webhook, _) = subscribe(&app, &admin, &named, &["municipalities.created"]).await;
        kamen_joins(&app, &admin).await;
        let guarded = Dispatcher::new(app.db().clone(), Sender::new(Duration::from_secs(2), false).unwrap(), vec![0], 2);
        guarded.run_once().await.unwrap();
        assert!(received.lock().unwrap().is_empty(), "nothing reached {named}");
        let log = app.get(&format!("/api/v1/webhooks/{}/deliveries", id_of(&webhook))).bearer(&admin).send().await.expect(200).json();
        let attempt = &log["items"][0]["attempts"][0];
        assert!(attempt["status_code"].is_null(), "{log}");
        assert!(attempt["error"].as_str().unwrap().contains("must reach a public address"), "refused by the guard: {log}");
        handle.stop(false).await;
    }

    async fn a_rotated_secret_signs_next_to_the_old_one_during_the_grace_period(app) {
        let admin = app.admin().await;
        let (url, received, handle) = receiver(vec![]);
        let (webhook, old) = subscribe(&app, &admin, &url, &["municipalities.created"]).await;
        let path = format!("/api/v1/webhooks/{}", id_of(&webhook));
        let rotated = app.post(&format!("{path}/rotate-secret")).bearer(&admin).send().await.expect(200);
        assert_eq!(rotated.header("cache-control").as_deref(), Some("no-store"));
        let rotated = rotated.json();
        let new = Secret::parse(rotated["secret"].as_str().unwrap()).unwrap();
        assert_ne!(new, old);
        assert_eq!(rotated["version"], 2);
        assert!(rotated["previous_secret_expires_at"].is_string());
        assert!(app.get(&path).bearer(&admin).send().await.expect(200).json()["secret"].is_null());
        kamen_joins(&app, &admin).await;
        dispatcher(&app, vec![0]).run_once().await.unwrap();
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let signatures = got[0].headers["webhook-signature"].to_str().unwrap().to_owned();
        assert_eq!(signatures.split(' ').count(), 2, "both secrets sign: {signatures}");
        // Receivers holding either secret verify it (the independent implementation).
        for secret in [&old, &new] {
            standardwebhooks::Webhook::new(&secret.to_whsec()).unwrap()
                .verify(&got[0].body, &got[0].headers).expect("verifies with either secret");
        }
        // A stale If-Match does not rotate.
        app.post(&format!("{path}/rotate-secret")).bearer(&admin).header("if-match", "\"stale\"").send().await.problem(412);
        handle.stop(false).await;
    }

    async fn a_delivery_is_logged_and_redelivered_with_its_id(app) {
        let admin = app.admin().await;
        let (url, received, handle) = receiver(vec![500]);
        let (webhook, secret) = subscribe(&app, &admin, &url, &["municipalities.created"]).await;
        let path = format!("/api/v1/webhooks/{}", id_of(&webhook));
        kamen_joins(&app, &admin).await;
        let dispatcher = dispatcher(&app, vec![0]);
        dispatcher.run_once().await.unwrap();
        dispatcher.run_once().await.unwrap();
        let log = app.get(&format!("{path}/deliveries")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(log["total"], 1);
        let delivery = &log["items"][0];
        assert_eq!((delivery["state"].clone(), delivery["event"].clone()), (json!("delivered"), json!("municipalities.created")));
        let attempts = delivery["attempts"].as_array().unwrap();
        assert_eq!(attempts.iter().map(|a| a["status_code"].clone()).collect::<Vec<_>>(), vec![json!(500), json!(200)]);
        assert_eq!(attempts[1]["response_excerpt"], "danke");
        assert!(attempts.iter().all(|a| a["duration_ms"].as_i64().unwrap() >= 0));
        assert!(delivery["next_attempt_at"].is_null());
        assert_eq!(delivery["payload"]["type"], "municipalities.created");
        let delivered = app.get(&format!("{path}/deliveries?state=pending")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(delivered["total"], 0);
        app.get(&format!("{path}/deliveries?state=lost")).bearer(&admin).send().await.problem(400);

        // Redelivery: due at once, the same webhook-id and body, verifiable as before.
        let id = delivery["id"].as_str().unwrap();
        let again = app.post(&format!("{path}/deliveries/{id}/redeliver")).bearer(&admin).send().await.expect(202).json();
        assert_eq!(again["state"], "pending");
        dispatcher.run_once().await.unwrap();
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].headers["webhook-id"], id);
        assert_eq!(got[2].body, got[1].body);
        assert_eq!(body(&got[2])["data"]["version"], 1);
        standardwebhooks::Webhook::new(&secret.to_whsec()).unwrap().verify(&got[2].body, &got[2].headers).unwrap();
        let log = app.get(&format!("{path}/deliveries")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(log["items"][0]["attempts"].as_array().unwrap().len(), 3);
        // Unknown deliveries and other webhooks' deliveries are 404.
        let (other, _) = subscribe(&app, &admin, &url, &["*"]).await;
        app.post(&format!("/api/v1/webhooks/{}/deliveries/{id}/redeliver", id_of(&other))).bearer(&admin).send().await.problem(404);
        app.post(&format!("{path}/deliveries/nonsense/redeliver")).bearer(&admin).send().await.problem(404);
        handle.stop(false).await;
    }

    async fn a_timeout_is_retried(app) {
        let admin = app.admin().await;
        // 0: the receiver holds the answer past the dispatcher's timeout.
        let (url, received, handle) = receiver(vec![0]);
        let (webhook, _) = subscribe(&app, &admin, &url, &["municipalities.created"]).await;
        kamen_joins(&app, &admin).await;
        let dispatcher = Dispatcher::new(app.db().clone(), Sender::new(Duration::from_millis(500), true).unwrap(), vec![0], 2);
        dispatcher.run_once().await.unwrap();
        dispatcher.run_once().await.unwrap();
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
        let log = app.get(&format!("/api/v1/webhooks/{}/deliveries", id_of(&webhook))).bearer(&admin).send().await.expect(200).json();
        let attempts = log["items"][0]["attempts"].as_array().unwrap();
        assert!(attempts[0]["status_code"].is_null(), "{log}");
        assert!(attempts[0]["error"].as_str().unwrap().contains("time"), "{log}");
        assert_eq!(attempts[1]["status_code"], 200);
        handle.stop(false).await;
    }
}
