use engagiert::auth::Role;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

async fn login(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post("/api/v1/auth/login")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
}

both_backends! {
    async fn login_returns_a_working_token_pair(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let pair = login(&app, "Erika@Unna.de", PASSWORD).await.expect(200).json();
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 900);
        let me = app.get("/api/v1/auth/me").bearer(pair["access_token"].as_str().unwrap()).send().await.expect(200).json();
        assert_eq!(me["email"], "erika@unna.de");
        assert!(me.get("password").is_none() && me.get("password_hash").is_none());
    }

    async fn failed_login_is_the_same_for_unknown_email_and_wrong_password(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let mut wrong = login(&app, "erika@unna.de", "falsches Passwort").await.problem(401);
        let mut unknown = login(&app, "nobody@unna.de", "falsches Passwort").await.problem(401);
        // Alike but for each request's own id.
        for problem in [&mut wrong, &mut unknown] {
            problem.as_object_mut().unwrap().remove("request_id");
        }
        assert_eq!(wrong, unknown);
    }

    async fn bad_tokens_are_401_with_www_authenticate(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let pair = login(&app, "erika@unna.de", PASSWORD).await.expect(200).json();
        let valid = pair["access_token"].as_str().unwrap().to_owned();
        let parts: Vec<&str> = valid.split('.').collect();
        let genuine: serde_json::Value = serde_json::from_slice(&base64_url_decode(parts[1])).unwrap();
        // Every attack changes one thing of a token that, signed properly, works.
        let signed = |claims: &serde_json::Value, alg: jsonwebtoken::Algorithm, key: &[u8]| {
            encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
        };
        let with = |field: &str, value: serde_json::Value| {
            let mut claims = genuine.clone();
            claims[field] = value;
            claims
        };
        let now = chrono::Utc::now().timestamp();
        let control = signed(&genuine, jsonwebtoken::Algorithm::HS256, SECRET);
        app.get("/api/v1/users").bearer(&control).send().await.expect(200);
        // Another account's id, with the signature of Erika's token.
        let (paul, _) = app.user("paul@unna.de", Role::Admin, None).await;
        let forged_claims = base64_url(&with("sub", json!(paul)).to_string());
        assert_ne!(forged_claims, parts[1]);
        let cases = [
            ("missing", None),
            ("alg none", Some(format!("{}.{}.", base64_url(r#"{"alg":"none","typ":"JWT"}"#), parts[1]))),
            ("alg none, no dot", Some(format!("{}.{}", base64_url(r#"{"alg":"none","typ":"JWT"}"#), parts[1]))),
            ("RS256 header (HS/RS confusion)", Some(format!("{}.{}.{}", base64_url(r#"{"alg":"RS256","typ":"JWT"}"#), parts[1], parts[2]))),
            ("HS384 with the same secret", Some(signed(&genuine, jsonwebtoken::Algorithm::HS384, SECRET))),
            ("expired", Some(signed(&with("exp", json!(now - 3600)), jsonwebtoken::Algorithm::HS256, SECRET))),
            ("not yet valid", Some(signed(&with("nbf", json!(now + 3600)), jsonwebtoken::Algorithm::HS256, SECRET))),
            ("wrong issuer", Some(signed(&with("iss", json!("someone-else")), jsonwebtoken::Algorithm::HS256, SECRET))),
            ("wrong audience", Some(signed(&with("aud", json!("another-api")), jsonwebtoken::Algorithm::HS256, SECRET))),
            ("tampered payload", Some(format!("{}.{}.{}", parts[0], forged_claims, parts[2]))),
            ("wrong key", Some(signed(&genuine, jsonwebtoken::Algorithm::HS256, b"another secret that is long enough, really"))),
            ("no session", Some(signed(&with("sid", serde_json::Value::Null), jsonwebtoken::Algorithm::HS256, SECRET))),
            ("unknown session", Some(signed(&with("sid", json!(uuid::Uuid::now_v7())), jsonwebtoken::Algorithm::HS256, SECRET))),
            ("garbage", Some("not.a.jwt".to_owned())),
        ];
        let check = |case: &str, response: Resp| {
            assert_eq!(response.status.as_u16(), 401, "{case}: {}", response.text());
            assert!(response.header("www-authenticate").unwrap().starts_with("Bearer"), "{case}");
            assert_eq!(response.header("content-type").as_deref(), Some("application/problem+json"), "{case}");
            check_problem_words(&response.json());
        };
        for (case, token) in cases {
            let mut req = app.get("/api/v1/users");
            if let Some(token) = &token {
                req = req.bearer(token);
            }
            check(case, req.send().await);
        }
        app.get("/api/v1/users").bearer(&valid).send().await.expect(200);
        // A token of an ended session.
        app.post("/api/v1/auth/logout").json(&json!({"refresh_token": pair["refresh_token"]})).send().await.expect(204);
        check("ended session", app.get("/api/v1/users").bearer(&valid).send().await);
        check("ended session, re-signed", app.get("/api/v1/users").bearer(&control).send().await);
    }

    async fn editor_is_forbidden_on_admin_routes(app) {
        let editor = app.editor(&app.unna().await).await;
        for (method, path) in [
            (actix_web::http::Method::GET, "/api/v1/users"),
            (actix_web::http::Method::POST, "/api/v1/users"),
            (actix_web::http::Method::GET, "/api/v1/api-tokens"),
            (actix_web::http::Method::POST, "/api/v1/api-tokens"),
        ] {
            let mut req = app.req(method.clone(), path).bearer(&editor);
            if method == actix_web::http::Method::POST {
                req = req.json(&json!({}));
            }
            req.send().await.problem(403);
        }
    }

    async fn deactivated_user_loses_access_at_once(app) {
        let admin = app.admin().await;
        let (id, token) = app.user("erika@unna.de", Role::Admin, None).await;
        app.patch(&format!("/api/v1/users/{id}")).bearer(&admin).json(&json!({"active": false})).send().await.expect(200);
        app.get("/api/v1/users").bearer(&token).send().await.problem(401);
        login(&app, "erika@unna.de", PASSWORD).await.problem(401);
    }

    async fn refresh_rotates_and_reuse_revokes_the_family(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let first = login(&app, "erika@unna.de", PASSWORD).await.expect(200).json();
        let refresh = |token: &serde_json::Value| {
            app.post("/api/v1/auth/refresh").json(&json!({"refresh_token": token.as_str().unwrap()})).send()
        };
        let second = refresh(&first["refresh_token"]).await.expect(200).json();
        assert_ne!(second["refresh_token"], first["refresh_token"]);
        app.get("/api/v1/auth/me").bearer(second["access_token"].as_str().unwrap()).send().await.expect(200);
        // The first token again: a reuse. It fails, and so does the second, unused one.
        refresh(&first["refresh_token"]).await.problem(401);
        refresh(&second["refresh_token"]).await.problem(401);
        // Another login is a family of its own and still works.
        let other = login(&app, "erika@unna.de", PASSWORD).await.expect(200).json();
        refresh(&other["refresh_token"]).await.expect(200);
        refresh(&json!("unknown")).await.problem(401);
    }

    async fn logout_revokes_the_refresh_token(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        let pair = login(&app, "erika@unna.de", PASSWORD).await.expect(200).json();
        let body = json!({"refresh_token": pair["refresh_token"]});
        app.post("/api/v1/auth/logout").json(&body).send().await.expect(204);
        app.post("/api/v1/auth/refresh").json(&body).send().await.problem(401);
        app.post("/api/v1/auth/logout").json(&json!({"refresh_token": "unknown"})).send().await.problem(401);
    }

    async fn login_is_rate_limited(app) {
        app.user("erika@unna.de", Role::Admin, None).await;
        for _ in 0..10 {
            login(&app, "erika@unna.de", "falsches Passwort").await.problem(401);
        }
        let limited = login(&app, "erika@unna.de", PASSWORD).await;
        let retry_after: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!(retry_after > 0 && retry_after <= 900);
        limited.problem(429);
        // Another account from another address is not affected.
        app.user("paul@paderborn.de", Role::Admin, None).await;
        app.post("/api/v1/auth/login").peer("10.1.2.3:4000")
            .json(&json!({"email": "paul@paderborn.de", "password": PASSWORD})).send().await.expect(200);
    }

    async fn api_tokens_are_shown_once_work_and_can_be_revoked(app) {
        let admin = app.admin().await;
        let municipality = app.unna().await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let issued = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Website-Sync", "role": "editor", "municipality_id": municipality, "expires_at": expires}))
            .send().await.expect(201).json();
        let token = issued["token"].as_str().unwrap().to_owned();
        let id = issued["id"].as_str().unwrap().to_owned();
        let listed = app.get("/api/v1/api-tokens").bearer(&admin).send().await.expect(200).json();
        assert_eq!(listed["total"], 1);
        assert!(listed["items"][0].get("token").is_none(), "the token is shown only once");
        // The token authenticates as an editor of its municipality.
        app.get("/api/v1/users").bearer(&token).send().await.problem(403);
        assert_eq!(app.get("/api/v1/auth/me").bearer(&token).send().await.expect(200).json()["kind"], "token");
        app.delete(&format!("/api/v1/api-tokens/{id}")).bearer(&admin).send().await.expect(204);
        app.get("/api/v1/users").bearer(&token).send().await.problem(401);
        app.get(&format!("/api/v1/api-tokens/{id}")).bearer(&admin).send().await.problem(410);
        let problem = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": " ", "role": "editor", "expires_at": "2000-01-01T00:00:00Z"}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["name", "municipality_id", "expires_at"]);
    }
}

fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let values: Vec<u32> = text
        .bytes()
        .filter_map(|b| ALPHABET.iter().position(|a| *a == b).map(|p| p as u32))
        .collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
