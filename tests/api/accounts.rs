//! Sessions, one's own password, API token management and login throttling (API.md
//! "Accounts, tokens, errors").

use actix_web::http::Method;
use engagiert::auth::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

fn login_body(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password})
}

/// Logs in from `peer` (`address:port`) on `ctx` and answers the status.
async fn login_from(
    ctx: &engagiert::app::Context,
    peer: &str,
    forwarded: Option<&str>,
    email: &str,
    password: &str,
) -> u16 {
    let mut req = TestApp::req_to(ctx, Method::POST, "/api/v1/auth/login").peer(peer);
    if let Some(forwarded) = forwarded {
        req = req.header("x-forwarded-for", forwarded);
    }
    req.json(&login_body(email, password))
        .send()
        .await
        .status
        .as_u16()
}

async fn pair(app: &TestApp, email: &str, password: &str) -> Value {
    app.post("/api/v1/auth/login")
        .json(&login_body(email, password))
        .send()
        .await
        .expect(200)
        .json()
}

fn access(pair: &Value) -> &str {
    pair["access_token"].as_str().unwrap()
}

both_backends! {
    async fn logout_ends_the_session_at_once(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let first = pair(&app, "erika@unna.de", PASSWORD).await;
        let second = pair(&app, "erika@unna.de", PASSWORD).await;
        app.get("/api/v1/auth/me").bearer(access(&first)).send().await.expect(200);
        app.post("/api/v1/auth/logout").json(&json!({"refresh_token": first["refresh_token"]})).send().await.expect(204);
        let ended = app.get("/api/v1/auth/me").bearer(access(&first)).send().await.problem(401);
        assert!(ended["detail"].as_str().unwrap().contains("session"), "{ended}");
        app.post("/api/v1/auth/refresh").json(&json!({"refresh_token": first["refresh_token"]})).send().await.problem(401);
        // The other session is another login: it goes on.
        app.get("/api/v1/auth/me").bearer(access(&second)).send().await.expect(200);
    }

    async fn changing_ones_password_ends_the_other_sessions(app) {
        let unna = app.unna().await;
        app.user("paul@unna.de", Role::Editor, Some(&unna)).await;
        let this = pair(&app, "paul@unna.de", PASSWORD).await;
        let other = pair(&app, "paul@unna.de", PASSWORD).await;
        let change = |current: &str, new: &str| {
            app.put("/api/v1/auth/me/password").bearer(access(&this))
                .json(&json!({"current_password": current, "new_password": new})).send()
        };
        let wrong = change("falsches Passwort", "ein neues sicheres Passwort").await.problem(422);
        assert_eq!(error_fields(&wrong), ["current_password"]);
        assert_eq!(wrong["errors"][0]["code"], "invalid_value");
        let short = change(PASSWORD, "kurz").await.problem(422);
        assert_eq!(short["errors"][0]["code"], "too_short");
        // Nothing changed so far.
        app.get("/api/v1/auth/me").bearer(access(&other)).send().await.expect(200);
        change(PASSWORD, "ein neues sicheres Passwort").await.expect(204);
        app.get("/api/v1/auth/me").bearer(access(&this)).send().await.expect(200);
        app.get("/api/v1/auth/me").bearer(access(&other)).send().await.problem(401);
        app.post("/api/v1/auth/refresh").json(&json!({"refresh_token": other["refresh_token"]})).send().await.problem(401);
        app.post("/api/v1/auth/login").json(&login_body("paul@unna.de", PASSWORD)).send().await.problem(401);
        pair(&app, "paul@unna.de", "ein neues sicheres Passwort").await;
        // The change is a revision of the account, without the password.
        let admin = app.admin().await;
        let me = app.get("/api/v1/auth/me").bearer(access(&this)).send().await.expect(200).json();
        let revisions = app.get(&format!("/api/v1/users/{}/revisions", me["id"].as_str().unwrap())).bearer(&admin).send().await.expect(200);
        assert!(!revisions.text().contains("neues sicheres"));
        assert_eq!(revisions.json()["items"][0]["version"], 2);
    }

    async fn deactivation_ends_sessions_for_good(app) {
        let admin = app.admin().await;
        let (id, _) = app.user("erika@unna.de", Role::Admin, None).await;
        let session = pair(&app, "erika@unna.de", PASSWORD).await;
        let user = format!("/api/v1/users/{id}");
        app.patch(&user).bearer(&admin).json(&json!({"active": false})).send().await.expect(200);
        app.patch(&user).bearer(&admin).json(&json!({"active": true})).send().await.expect(200);
        // Active again, but the session ended with the deactivation.
        app.get("/api/v1/auth/me").bearer(access(&session)).send().await.problem(401);
        app.post("/api/v1/auth/refresh").json(&json!({"refresh_token": session["refresh_token"]})).send().await.problem(401);
    }

    async fn api_tokens_are_managed_only_from_a_password_session(app) {
        let admin = app.admin().await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let issued = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Admin-Skript", "role": "admin", "expires_at": expires}))
            .send().await.expect(201).json();
        let token = issued["token"].as_str().unwrap();
        let id = issued["id"].as_str().unwrap();
        let listed = |bearer: &str| app.get("/api/v1/api-tokens").bearer(bearer).send();
        assert!(listed(&admin).await.expect(200).json()["items"][0]["last_used_at"].is_null());
        // The token may do what an admin does elsewhere, but not manage tokens.
        app.get("/api/v1/users").bearer(token).send().await.expect(200);
        listed(token).await.problem(403);
        app.get(&format!("/api/v1/api-tokens/{id}")).bearer(token).send().await.problem(403);
        app.post("/api/v1/api-tokens").bearer(token)
            .json(&json!({"name": "Nachwuchs", "role": "admin", "expires_at": expires})).send().await.problem(403);
        app.delete(&format!("/api/v1/api-tokens/{id}")).bearer(token).send().await.problem(403);
        app.put("/api/v1/auth/me/password").bearer(token)
            .json(&json!({"current_password": "x", "new_password": "ein neues Passwort"})).send().await.problem(403);
        // Its use is noted, at most once a minute.
        let used = listed(&admin).await.expect(200).json()["items"][0]["last_used_at"].clone();
        assert!(used.is_string(), "{used}");
        app.get("/api/v1/users").bearer(token).send().await.expect(200);
        assert_eq!(listed(&admin).await.expect(200).json()["items"][0]["last_used_at"], used);
    }

    async fn failed_logins_lock_the_pair_not_the_colleagues_or_the_account(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        app.user("paul@unna.de", Role::Admin, None).await;
        let office = "192.0.2.10:4000";
        for _ in 0..10 {
            assert_eq!(login_from(&app.ctx, office, None, "erika@unna.de", "falsch").await, 401);
        }
        let locked = TestApp::req_to(&app.ctx, Method::POST, "/api/v1/auth/login").peer(office)
            .json(&login_body("erika@unna.de", PASSWORD)).send().await;
        assert!(locked.header("retry-after").is_some());
        locked.problem(429);
        // A colleague behind the same proxy, and Erika from home, are not affected.
        assert_eq!(login_from(&app.ctx, office, None, "paul@unna.de", PASSWORD).await, 200);
        assert_eq!(login_from(&app.ctx, "198.51.100.7:5000", None, "erika@unna.de", PASSWORD).await, 200);
    }

    async fn failed_logins_per_address_and_per_account_are_limited(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        app.user("paul@unna.de", Role::Admin, None).await;
        // One address guessing over many accounts: 100 failures lock the address.
        let guesser = "203.0.113.66:1234";
        for i in 0..100 {
            login_from(&app.ctx, guesser, None, &format!("nobody{i}@example.org"), "falsch").await;
        }
        assert_eq!(login_from(&app.ctx, guesser, None, "paul@unna.de", PASSWORD).await, 429);
        // Many addresses guessing one account: 50 failures lock the account everywhere, on
        // every instance (the count is in the database).
        for i in 0..50 {
            login_from(&app.ctx, &format!("198.18.0.{}:1000", i + 1), None, "erika@unna.de", "falsch").await;
        }
        let other = app.another_instance();
        assert_eq!(login_from(&other, "198.51.100.99:1000", None, "erika@unna.de", PASSWORD).await, 429);
        assert_eq!(login_from(&other, "198.51.100.99:1000", None, "paul@unna.de", PASSWORD).await, 200);
    }

    async fn forwarded_for_counts_only_from_trusted_proxies(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let mut settings = settings();
        settings.trusted_proxies = vec!["10.0.0.0/8".into()];
        let behind_proxy = app.another_instance_with(settings);
        let proxy = "10.1.2.3:443";
        // Through the trusted proxy, the forwarded address is the client: one client's
        // failures lock that client only.
        for _ in 0..10 {
            login_from(&behind_proxy, proxy, Some("203.0.113.5"), "erika@unna.de", "falsch").await;
        }
        assert_eq!(login_from(&behind_proxy, proxy, Some("203.0.113.5"), "erika@unna.de", PASSWORD).await, 429);
        assert_eq!(login_from(&behind_proxy, proxy, Some("203.0.113.6, 10.9.9.9"), "erika@unna.de", PASSWORD).await, 200);
        // From an untrusted peer the header is ignored: changing it does not escape the lock.
        let direct = "198.51.100.20:999";
        for i in 0..10 {
            login_from(&behind_proxy, direct, Some(&format!("192.0.2.{i}")), "erika@unna.de", "falsch").await;
        }
        assert_eq!(login_from(&behind_proxy, direct, Some("192.0.2.200"), "erika@unna.de", PASSWORD).await, 429);
    }

    async fn readers_read_what_signed_in_callers_see_and_write_nothing(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let paderborn = app.municipality(json!({"name": "Paderborn", "kind": "town", "ags": "05774032", "region": "detmold"})).await;
        let editor = app.editor(&unna).await;
        let (_, reader) = app.user("intranet@unna.de", Role::Reader, None).await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let reader_token = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Intranet", "role": "reader", "expires_at": expires}))
            .send().await.expect(201).json()["token"].as_str().unwrap().to_owned();
        // A reader belongs to no municipality.
        let refused = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"email": "r@unna.de", "name": "R", "role": "reader", "municipality_id": unna, "password": PASSWORD}))
            .send().await.problem(422);
        assert_eq!(error_fields(&refused), ["municipality_id"]);

        let meeting = app.post("/api/v1/meetings").bearer(&admin).json(&crate::meetings::meeting("Netzwerktreffen", 30)).send().await.expect(201).json();
        let m = format!("/api/v1/meetings/{}", meeting["id"].as_str().unwrap());
        for municipality in [&unna, &paderborn] {
            app.post(&format!("{m}/registrations")).bearer(&admin).json(&json!({"municipality_id": municipality})).send().await.expect(201);
        }
        let survey = app.post("/api/v1/surveys").bearer(&admin)
            .json(&json!({"title": "Intern", "opens_at": crate::surveys::days(-1), "closes_at": crate::surveys::days(30), "results_public": false,
                          "questions": [{"kind": "yes_no", "text": "Gibt es eine Ehrenamtskarte?"}]}))
            .send().await.expect(201).json();
        let s = format!("/api/v1/surveys/{}", survey["id"].as_str().unwrap());
        app.post(&format!("{s}/open")).bearer(&admin).send().await.expect(200);

        assert!(app.get(&m).send().await.expect(200).json().get("online_url").is_none_or(Value::is_null));
        app.get(&format!("{s}/results")).send().await.problem(401);
        app.get(&format!("{s}/results")).bearer(&editor).send().await.problem(403);
        assert_eq!(app.get(&format!("{m}/registrations")).bearer(&editor).send().await.expect(200).json()["total"], 1);
        for token in [&reader, &reader_token] {
            assert!(app.get(&m).bearer(token).send().await.expect(200).json()["online_url"].is_string());
            assert_eq!(app.get(&format!("{m}/registrations")).bearer(token).send().await.expect(200).json()["total"], 2);
            app.get(&format!("{m}/registrations/{paderborn}")).bearer(token).send().await.expect(200);
            app.get(&format!("{s}/results")).bearer(token).send().await.expect(200);
            app.get("/api/v1/changes").bearer(token).send().await.expect(200);
            // Writing anything is refused.
            app.patch(&format!("/api/v1/municipalities/{unna}")).bearer(token).json(&json!({"website": "https://unna.de"})).send().await.problem(403);
            app.post(&format!("{m}/registrations")).bearer(token).json(&json!({"municipality_id": unna})).send().await.problem(403);
            app.get("/api/v1/users").bearer(token).send().await.problem(403);
        }
        app.get("/api/v1/auth/me").bearer(&reader).send().await.expect(200);
    }
}

crate::both_backends! {
    async fn a_script_can_check_its_own_api_token(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let issued = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&serde_json::json!({"name": "Nachtlauf", "role": "editor", "municipality_id": "unna", "expires_at": expires}))
            .send().await.expect(201).json();
        let token = issued["token"].as_str().unwrap();
        let me = app.get("/api/v1/auth/me").bearer(token).send().await.expect(200).json();
        assert_eq!(me["kind"], "token");
        assert_eq!(me["id"], issued["id"]);
        assert_eq!(me["name"], "Nachtlauf");
        assert_eq!(me["role"], "editor");
        assert_eq!(me["municipality_id"], unna.as_str());
        assert!(me["expires_at"].is_string());
        // A user still gets the user.
        let user = app.get("/api/v1/auth/me").bearer(&admin).send().await.expect(200).json();
        assert_eq!(user["email"], "admin@engagiert.example");
    }
}
