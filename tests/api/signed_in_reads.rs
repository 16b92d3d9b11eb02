//! Signed-in reads (the admin frontend, scripts) are kept like public ones, under the
//! caller's name: never served to anyone else, compressed as asked, and a caller whose
//! session ends, whose token is revoked or who is deactivated is refused at once — on this
//! instance, and within the time a write needs to reach the others (PostgreSQL).

use std::time::{Duration, Instant};

use actix_web::http::Method;
use engagiert::auth::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::cache::metric;
use crate::helpers::*;

async fn login(app: &TestApp, email: &str) -> Value {
    app.post("/api/v1/auth/login")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect(200)
        .json()
}

fn contacts(record: &Value) -> usize {
    record["contacts"].as_array().map_or(0, Vec::len)
}

/// Reads `path` as `token` until the cache answers (on PostgreSQL it serves once this
/// instance listens); with the cache off, checks that nothing is counted.
async fn until_a_hit(app: &TestApp, path: &str, token: &str) {
    let cache_on = settings().cache_bytes > 0;
    let started = Instant::now();
    loop {
        let hits = metric(app, "engagiert_cache_hits_total").await;
        app.get(path).bearer(token).send().await.expect(200);
        let counted = metric(app, "engagiert_cache_hits_total").await - hits;
        if !cache_on {
            assert_eq!(counted, 0.0, "the cache is off");
            return;
        }
        if counted >= 1.0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "no hit for {path}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

both_backends! {
    async fn signed_in_reads_are_kept_for_their_caller_only(app) {
        let admin = app.admin().await;
        let id = app.municipality(json!({
            "name": "Holzwickede", "kind": "municipality", "ags": "05978016",
            "contacts": [{"name": "Erika Mustermann", "role": "Koordination",
                          "email": "erika@example.org", "public": false}]
        })).await;
        let path = format!("/api/v1/municipalities/{id}");
        let seen = app.get(&path).bearer(&admin).send().await.expect(200).json();
        assert_eq!(contacts(&seen), 1, "{seen}");
        until_a_hit(&app, &path, &admin).await;
        // Anonymous callers never get the admin's answer, nor the admin theirs.
        assert_eq!(contacts(&app.get(&path).send().await.expect(200).json()), 0);
        assert_eq!(app.get(&path).bearer(&admin).send().await.expect(200).json(), seen);
        // A write shows in the next signed-in read.
        app.patch(&path).bearer(&admin).json(&json!({"population": 17000})).send().await.expect(200);
        assert_eq!(app.get(&path).bearer(&admin).send().await.expect(200).json()["population"], 17000);
        // Compressed as asked, with an ETag of its own; 304 for it.
        let list = "/api/v1/municipalities?limit=100";
        let plain = app.get(list).bearer(&admin).send().await.expect(200);
        for _ in 0..2 {
            let br = app.get(list).bearer(&admin).header("Accept-Encoding", "br").send().await.expect(200);
            assert_eq!(br.header("content-encoding").as_deref(), Some("br"));
            assert!(br.header("vary").unwrap().contains("Accept-Encoding"));
            let mut decoded = Vec::new();
            brotli::BrotliDecompress(&mut &br.body[..], &mut decoded).unwrap();
            assert_eq!(decoded, plain.body.to_vec());
            let etag = br.header("etag").unwrap();
            assert_ne!(Some(etag.clone()), plain.header("etag"));
            let again = app.get(list).bearer(&admin).header("Accept-Encoding", "br")
                .header("If-None-Match", &etag).send().await;
            assert_eq!(again.status.as_u16(), 304);
        }
    }

    async fn a_caller_who_is_gone_is_refused_at_once(app) {
        let admin = app.admin().await;
        let path = "/api/v1/municipalities?limit=10";
        // A session that logs out.
        app.user("lesend@unna.de", Role::Reader, None).await;
        let pair = login(&app, "lesend@unna.de").await;
        let access = pair["access_token"].as_str().unwrap();
        until_a_hit(&app, path, access).await;
        app.post("/api/v1/auth/logout").json(&json!({"refresh_token": pair["refresh_token"]}))
            .send().await.expect(204);
        app.get(path).bearer(access).send().await.problem(401);
        // A user who is deactivated.
        let (user, token) = app.user("pausiert@unna.de", Role::Reader, None).await;
        until_a_hit(&app, path, &token).await;
        app.patch(&format!("/api/v1/users/{user}")).bearer(&admin)
            .json(&json!({"active": false})).send().await.expect(200);
        app.get(path).bearer(&token).send().await.problem(401);
        // An API token that is revoked.
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let issued = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Abgleich", "role": "reader", "expires_at": expires}))
            .send().await.expect(201).json();
        let script = issued["token"].as_str().unwrap();
        until_a_hit(&app, path, script).await;
        app.delete(&format!("/api/v1/api-tokens/{}", issued["id"].as_str().unwrap()))
            .bearer(&admin).send().await.expect(204);
        app.get(path).bearer(script).send().await.problem(401);
    }
}

/// Two instances on one PostgreSQL: a logout through one is refused by the other within the
/// second a write needs to reach it, and never accepted afterwards.
#[actix_web::test]
async fn a_logout_through_one_instance_reaches_the_others() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
        return;
    };
    app.user("zweite@unna.de", Role::Reader, None).await;
    let pair = login(&app, "zweite@unna.de").await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let other = app.another_instance();
    let read_other = || async {
        TestApp::req_to(&other, Method::GET, "/api/v1/auth/me")
            .bearer(&access)
            .send()
            .await
            .status
            .as_u16()
    };
    for _ in 0..5 {
        assert_eq!(read_other().await, 200);
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    app.post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": pair["refresh_token"]}))
        .send()
        .await
        .expect(204);
    let acknowledged = Instant::now();
    while read_other().await != 401 {
        assert!(
            acknowledged.elapsed() < Duration::from_secs(1),
            "the other instance still accepts the session after a second"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..20 {
        assert_eq!(read_other().await, 401);
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}
