//! Errors people and programs can use, and the headers of every answer: each problem type
//! resolves to a page, each `errors[]` item carries a contract code (`check_problem_words`
//! in the helpers checks that for every problem of every test), no message speaks Rust, and
//! `/metrics` can be closed.

use actix_web::http::Method;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// The codes of a problem's `errors[]`.
fn codes(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["code"].as_str().map(str::to_owned))
        .collect()
}

/// A JSON value of any type, to put where a field's value belongs.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(1e300)),
        Just(json!(-1)),
        Just(json!(70000)),
        ".{0,12}".prop_map(Value::from),
        Just(json!("2026-13-45")),
        Just(json!("not-a-uuid")),
        Just(json!("none")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

both_backends! {
    async fn every_problem_type_resolves_to_a_page(app) {
        let index = app.get("/problems").send().await.expect(200).text();
        for kind in engagiert::error::PROBLEM_TYPES {
            let page = app.get(&kind.uri()).send().await.expect(200);
            assert!(page.header("content-type").unwrap().starts_with("text/html"));
            let text = page.text();
            assert!(text.contains(kind.title) && text.contains(&kind.status.to_string()), "{text}");
            assert!(index.contains(&kind.uri()), "{} is not listed", kind.uri());
        }
        // The types answered by the service are the ones with pages.
        let problem = app.get("/api/v1/meetings/not-an-id").send().await.problem(404);
        app.get(problem["type"].as_str().unwrap()).send().await.expect(200);
        app.get("/problems/no-such-problem").send().await.problem(404);
    }

    async fn every_answer_carries_the_security_headers(app) {
        let admin = app.admin().await;
        let responses = [
            app.get("/api/v1/municipalities").send().await.expect(200),
            app.get("/api/v1/nowhere").send().await,
            app.get("/api/v1/users").bearer(&admin).send().await.expect(200),
            app.get("/api/v1/exports/municipalities.csv").send().await.expect(200),
            app.get("/problems/not-found").send().await.expect(200),
            app.get("/metrics").send().await.expect(200),
            app.get("/docs/").send().await.expect(200),
        ];
        for response in &responses {
            assert_eq!(response.header("x-content-type-options").as_deref(), Some("nosniff"));
            assert_eq!(response.header("referrer-policy").as_deref(), Some("no-referrer"));
            let policy = response.header("content-security-policy").unwrap();
            assert!(policy.starts_with("default-src 'none'"), "{policy}");
        }
        let docs = responses.last().unwrap();
        let policy = docs.header("content-security-policy").unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
        assert!(!policy.contains("http") && !policy.contains("unsafe-eval"), "nothing from elsewhere: {policy}");
        // The docs page loads its scripts from this service only: no inline script.
        assert!(!docs.text().contains("<script>"), "{}", docs.text());
    }

    async fn metrics_can_require_a_token(app) {
        let mut settings = settings();
        settings.metrics_token = Some(engagiert::config::Secret::new("metrics-geheim-1234"));
        let closed = app.another_instance_with(settings);
        let metrics = |token: Option<&str>| {
            let mut req = TestApp::req_to(&closed, Method::GET, "/metrics");
            if let Some(token) = token {
                req = req.bearer(token);
            }
            req.send()
        };
        let refused = metrics(None).await;
        assert!(refused.header("www-authenticate").is_some());
        refused.problem(401);
        metrics(Some("wrong")).await.problem(401);
        let text = metrics(Some("metrics-geheim-1234")).await.expect(200).text();
        assert!(text.contains("engagiert_cache_hits_total"));
        // Without the setting it stays open.
        app.get("/metrics").send().await.expect(200);
    }

    async fn every_error_code_is_produced(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let editor = app.editor(&unna).await;
        let municipality = |body: Value| app.post("/api/v1/municipalities").bearer(&admin).json(&body).send();
        let valid = json!({"name": "Kamen", "kind": "town", "ags": "05978016"});
        let with = |field: &str, value: Value| {
            let mut body = valid.clone();
            body[field] = value;
            body
        };
        let mut seen: Vec<String> = Vec::new();
        let cases: Vec<(&str, Value)> = vec![
            ("required", json!({"kind": "town", "ags": "05978016"})),
            ("unknown_field", with("colour", json!("blau"))),
            ("invalid_type", with("name", json!(5))),
            ("invalid_format", with("ags", json!("0597801x"))),
            ("invalid_value", with("kind", json!("village"))),
            ("out_of_range", with("location", json!({"lat": 10.0, "lon": 7.0}))),
            ("too_long", with("name", json!("K".repeat(300)))),
            ("not_found", with("district_id", json!(uuid::Uuid::now_v7()))),
        ];
        for (code, body) in cases {
            let problem = municipality(body).await.problem(422);
            assert!(codes(&problem).contains(&code.to_owned()), "{code}: {problem}");
            seen.push(code.to_owned());
        }
        let taken = municipality(with("slug", json!("unna"))).await.problem(409);
        assert_eq!(codes(&taken), ["duplicate"], "{taken}");
        seen.push("duplicate".into());
        let short = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"email": "kurz@unna.de", "name": "Kurz", "role": "admin", "password": "kurz"}))
            .send().await.problem(422);
        assert_eq!(codes(&short), ["too_short"], "{short}");
        seen.push("too_short".into());
        let read_only = app.patch(&format!("/api/v1/municipalities/{unna}")).bearer(&editor)
            .json(&json!({"membership": {"status": "former", "left_on": "2026-01-01"}}))
            .send().await.problem(403);
        assert!(codes(&read_only).contains(&"read_only".to_owned()), "{read_only}");
        seen.push("read_only".into());
        seen.sort();
        let mut all = ERROR_CODES.map(str::to_owned).to_vec();
        all.sort();
        assert_eq!(seen, all);
    }

    async fn bodies_that_are_not_objects_are_422(app) {
        app.user("erika@unna.de", engagiert::auth::Role::Admin, None).await;
        let admin = app.admin().await;
        let login = app.post("/api/v1/auth/login")
            .json(&json!(["erika@unna.de", PASSWORD])).send().await.problem(422);
        assert_eq!(error_fields(&login), ["body"]);
        assert_eq!(codes(&login), ["invalid_type"]);
        for body in [json!([]), json!("text"), json!(1), json!(null), json!(true)] {
            let problem = app.post("/api/v1/municipalities").bearer(&admin).json(&body).send().await.problem(422);
            assert_eq!(codes(&problem), ["invalid_type"], "{body}: {problem}");
        }
    }

    async fn a_combined_invalid_body_reports_every_field(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let problem = app.patch(&format!("/api/v1/municipalities/{unna}")).bearer(&admin)
            .json(&json!({"name": 5, "kind": "village", "location": {"lat": "north", "lon": 7.5}, "website": 3}))
            .send().await.problem(422);
        let mut fields = error_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["kind", "location.lat", "name", "website"], "{problem}");
    }

    async fn fuzzed_bodies_get_plain_words(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let targets: Vec<(Method, String, Vec<&str>)> = vec![
            (Method::POST, "/api/v1/municipalities".into(), vec!["name", "kind", "ags", "slug", "region", "location", "membership", "contacts", "district_id", "population"]),
            (Method::PATCH, format!("/api/v1/municipalities/{unna}"), vec!["name", "location", "membership", "contacts", "website"]),
            (Method::POST, "/api/v1/meetings".into(), vec!["title", "format", "starts_at", "ends_at", "capacity", "venue", "online_url", "topics", "agenda"]),
            (Method::POST, "/api/v1/documents".into(), vec!["title", "summary", "language", "municipality_ids", "links", "topics"]),
            (Method::POST, "/api/v1/surveys".into(), vec!["title", "anonymous", "opens_at", "closes_at", "questions"]),
            (Method::POST, "/api/v1/users".into(), vec!["email", "name", "role", "municipality_id", "password", "active"]),
            (Method::POST, "/api/v1/auth/login".into(), vec!["email", "password"]),
        ];
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        eprintln!("fuzz seed {seed}");
        let mut runner = TestRunner::new_with_rng(Config::default(), proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha, &{ let mut s = [0u8; 32]; s[..8].copy_from_slice(&seed.to_le_bytes()); s }));
        let body = prop::collection::btree_map(0usize..12, any_json(), 1..5);
        for round in 0..40 {
            let (method, path, fields) = &targets[round % targets.len()];
            let values = body.new_tree(&mut runner).unwrap().current();
            let body: serde_json::Map<String, Value> = values.into_iter()
                .map(|(i, v)| (fields.get(i).map_or_else(|| format!("extra{i}"), |f| (*f).to_owned()), v))
                .collect();
            let body = Value::Object(body);
            let response = app.req(method.clone(), path).bearer(&admin)
                .json(&body).send().await;
            let status = response.status.as_u16();
            assert!(status < 500, "{method} {path} {body} → {status}: {}", response.text());
            if status >= 400 {
                response.problem(status);
            }
        }
    }
}
