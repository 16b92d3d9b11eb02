//! Operations endpoints, the OpenAPI document, CORS, and the service over real TCP.

use serde_json::Value;

use crate::both_backends;
#[allow(unused_imports)]
use crate::helpers::*;

#[test]
fn committed_openapi_document_is_current() {
    let generated = engagiert::openapi::to_json(&engagiert::app::document());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    assert!(
        generated == committed,
        "openapi/openapi.json is out of date: run `cargo run -- openapi` and commit the result"
    );
}

/// Every `$ref` of the document names a component it holds (a client generator, and
/// schemathesis, give up on the whole operation otherwise).
#[test]
fn every_reference_of_the_openapi_document_resolves() {
    fn walk(value: &Value, doc: &Value, missing: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                if let Some(reference) = fields.get("$ref").and_then(Value::as_str)
                    && doc.pointer(reference.trim_start_matches('#')).is_none()
                {
                    missing.push(reference.to_owned());
                }
                fields.values().for_each(|v| walk(v, doc, missing));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc, missing)),
            _ => {}
        }
    }
    let doc: Value =
        serde_json::from_str(&engagiert::openapi::to_json(&engagiert::app::document())).unwrap();
    let mut missing = Vec::new();
    walk(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

#[test]
fn openapi_document_describes_every_response() {
    let doc: Value =
        serde_json::from_str(&engagiert::openapi::to_json(&engagiert::app::document())).unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            assert!(operation["operationId"].is_string(), "{method} {path}");
            for (status, response) in responses {
                assert!(
                    response.get("$ref").is_some()
                        || response["description"]
                            .as_str()
                            .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} lacks a description"
                );
            }
            if operation.get("security").is_some() {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} is secured but does not document 401"
                );
            }
        }
    }
}

/// What a generated client and a stateful tester need of the document (issue: clients):
/// list items named after their resource, links from each create operation, and a rule on
/// every string a client sends.
#[test]
fn openapi_document_names_items_links_creations_and_states_text_rules() {
    let doc: Value =
        serde_json::from_str(&engagiert::openapi::to_json(&engagiert::app::document())).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let Some(resource) = name.strip_prefix("Page_Listed_") else {
            continue;
        };
        let variants = &schema["properties"]["items"]["items"]["oneOf"];
        assert_eq!(
            variants,
            &serde_json::json!([
                {"$ref": format!("#/components/schemas/{resource}")},
                {"$ref": "#/components/schemas/Tombstone"}
            ]),
            "{name}"
        );
    }
    let operation_ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    for collection in [
        "municipalities",
        "meetings",
        "documents",
        "surveys",
        "users",
        "webhooks",
        "api-tokens",
    ] {
        let path = format!("/api/v1/{collection}");
        let links = doc["paths"][&path]["post"]["responses"]["201"]["links"]
            .as_object()
            .unwrap_or_else(|| panic!("POST {path} has no links"));
        assert!(links.len() >= 2, "POST {path}: {links:?}");
        for link in links.values() {
            assert!(
                operation_ids.contains(&link["operationId"].as_str().unwrap()),
                "{link}"
            );
            assert_eq!(link["parameters"]["id"], "$response.body#/id", "{link}");
        }
    }
    let registration = &doc["paths"]["/api/v1/meetings/{id}/registrations"]["post"]["responses"]["201"]
        ["links"]["GetRegistration"];
    assert_eq!(registration["parameters"]["id"], "$request.path.id");
    assert_eq!(
        registration["parameters"]["municipality_id"],
        "$response.body#/municipality_id"
    );
    // Every string property of a request body says its rule.
    for name in [
        "MunicipalityInput",
        "ContactInput",
        "MeetingInput",
        "Venue",
        "DocumentInput",
        "NewUser",
        "LoginRequest",
        "SurveyInput",
        "NewWebhook",
    ] {
        for (field, property) in schemas[name]["properties"].as_object().unwrap() {
            let types = &property["type"];
            let is_string = types == "string"
                || types
                    .as_array()
                    .is_some_and(|t| t.contains(&"string".into()));
            if is_string {
                assert!(
                    ["pattern", "format", "enum"]
                        .iter()
                        .any(|key| property.get(*key).is_some()),
                    "{name}.{field} states no rule: {property}"
                );
            }
        }
    }
    let title = regex::Regex::new(
        schemas["DocumentInput"]["properties"]["title"]["pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(
        title.is_match("Ehrenamtskarte NRW") && !title.is_match("  ") && !title.is_match("a\u{7}b")
    );
    let event = regex::Regex::new(schemas["EventName"]["pattern"].as_str().unwrap()).unwrap();
    for ok in ["*", "meetings.*", "municipalities.updated"] {
        assert!(event.is_match(ok), "{ok}");
    }
    for refused in [
        "meetings",
        "meeting.updated",
        "meetings.changed",
        "*.created",
    ] {
        assert!(!event.is_match(refused), "{refused}");
    }
}

both_backends! {
    async fn health_ready_metrics_and_docs(app) {
        assert_eq!(app.get("/healthz").send().await.expect(200).json()["status"], "ok");
        assert_eq!(app.get("/readyz").send().await.expect(200).json()["status"], "ready");
        app.get("/api/v1/nothing").send().await.expect(404);
        // Metrics of one app instance are shared by its requests.
        let metrics = app.get("/metrics").send().await.expect(200);
        assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
        let text = metrics.text();
        assert!(text.contains(r#"http_requests_total{method="GET",route="/readyz",status="200"} 1"#), "{text}");
        assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
        let served = app.get("/api-docs/openapi.json").send().await.expect(200);
        assert_eq!(served.text(), engagiert::openapi::to_json(&engagiert::app::document()));
        app.get("/docs").send().await.expect(308);
        let page = app.get("/docs/").send().await.expect(200).text();
        assert!(page.contains("swagger-ui") && !page.contains("https://"), "the docs page loads nothing from the internet");
        app.get("/docs/swagger-ui-bundle.js").send().await.expect(200);
    }

    async fn metrics_parse_as_prometheus_text_with_histograms_process_and_pool(app) {
        // Arrange: a few requests, two of them to one route pattern with different ids.
        for _ in 0..3 {
            app.get("/healthz").send().await.expect(200);
        }
        app.get("/readyz").send().await.expect(200);
        let by_id = app.get("/api/v1/municipalities/no-such-id").send().await.status.as_u16();
        app.get("/api/v1/municipalities/another-missing-id").send().await.expect(by_id);
        // Methods no route answers share one label, whatever token a client sends.
        for token in ["FOO1", "FOO2", "PROPFIND"] {
            let method = actix_web::http::Method::from_bytes(token.as_bytes()).unwrap();
            app.req(method, "/healthz").send().await;
        }

        // Act
        let text = app.get("/metrics").send().await.expect(200).text();
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("the Prometheus text format");

        // Assert: requests by route pattern and status, histograms with buckets.
        let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
        assert_eq!(scalar(&scrape, "http_requests_total", &healthz), Some(3.0), "{text}");
        let buckets = histogram(&scrape, "http_request_duration_seconds", &healthz);
        assert_eq!(buckets.len(), 13, "12 bounds and +Inf: {text}");
        assert!(buckets.windows(2).all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count), "{text}");
        let last = buckets.last().unwrap();
        assert_eq!((last.less_than, last.count), (f64::INFINITY, 3.0), "{text}");
        assert_eq!(scalar(&scrape, "http_request_duration_seconds_count", &healthz), Some(3.0), "{text}");
        // prometheus-parse ends a label set at the first `}`, so it skips series whose route
        // pattern has a `{id}` (valid in a quoted label value): those are checked as text.
        let by_pattern = format!(r#"http_requests_total{{method="GET",route="/api/v1/municipalities/{{id}}",status="{by_id}"}} 2"#);
        assert!(text.lines().any(|line| line == by_pattern), "{by_pattern}: {text}");
        assert!(!text.contains("no-such-id"), "raw paths are never labels: {text}");
        assert!(!text.contains("FOO1") && !text.contains("PROPFIND"), "methods as sent are never labels: {text}");
        let others: f64 = scrape.samples.iter()
            .filter(|s| s.metric == "http_requests_total" && s.labels.get("method") == Some("other"))
            .map(|s| match s.value { prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v, _ => 0.0 })
            .sum();
        assert_eq!(others, 3.0, "{text}");

        // The process, where /proc tells it.
        if cfg!(target_os = "linux") {
            for name in ["process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"] {
                assert!(scalar(&scrape, name, &[]).is_some_and(|v| v > 0.0), "{name}: {text}");
            }
            assert!(scalar(&scrape, "process_cpu_seconds_total", &[]).is_some(), "{text}");
        }

        // The pool: /readyz checked a connection out and gave it back.
        assert!(scalar(&scrape, "engagiert_db_pool_connections", &[]).is_some_and(|v| v >= 1.0), "{text}");
        assert_eq!(scalar(&scrape, "engagiert_db_pool_connections_in_use", &[]), Some(0.0), "{text}");
        let waits = histogram(&scrape, "engagiert_db_pool_checkout_wait_seconds", &[]);
        let checkouts = scalar(&scrape, "engagiert_db_pool_checkout_wait_seconds_count", &[]);
        assert!(checkouts.is_some_and(|n| n >= 1.0), "{text}");
        assert_eq!(waits.last().map(|b| (b.less_than, b.count)), Some((f64::INFINITY, checkouts.unwrap())), "{text}");
    }

    async fn cors_reads_from_anywhere_writes_from_the_admin_frontend(app) {
        // A read without a token: the same answer for every website (rule 33).
        let read = app.get("/healthz").header("origin", "https://www.unna.de").send().await.expect(200);
        assert_eq!(read.header("access-control-allow-origin").as_deref(), Some("*"));
        let exposed = read.header("access-control-expose-headers").unwrap_or_default();
        assert!(exposed.contains("ETag") && exposed.contains("X-Request-Id"), "{exposed}");
        // The admin frontend, signed in, gets its own origin back.
        let admin = app.admin().await;
        let signed_in = app.get("/api/v1/users").bearer(&admin).header("origin", "https://admin.engagiert.example")
            .send().await.expect(200);
        assert_eq!(signed_in.header("access-control-allow-origin").as_deref(), Some("https://admin.engagiert.example"));
        let preflight = |origin: &'static str, method: &'static str| {
            app.req(actix_web::http::Method::OPTIONS, "/api/v1/users")
                .header("origin", origin)
                .header("access-control-request-method", method)
                .send()
        };
        let allowed = preflight("https://admin.engagiert.example", "POST").await;
        assert_eq!(allowed.header("access-control-allow-origin").as_deref(), Some("https://admin.engagiert.example"));
        let foreign = preflight("https://evil.example", "POST").await;
        assert!(foreign.status.is_client_error(), "{:?}", foreign.status);
        assert!(foreign.header("access-control-allow-origin").is_none());
        let foreign_read = preflight("https://evil.example", "GET").await;
        assert_eq!(foreign_read.header("access-control-allow-origin").as_deref(), Some("https://evil.example"));
    }

    async fn serves_over_real_tcp(app) {
        let admin = app.admin().await;
        let (base, handle) = app.serve();
        let result = actix_web::rt::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            let health = agent.get(format!("{base}/healthz")).call().unwrap();
            assert_eq!(health.status(), 200);
            let mut users = agent.get(format!("{base}/api/v1/users")).header("Authorization", format!("Bearer {admin}")).call().unwrap();
            assert_eq!(users.status(), 200);
            let body: Value = users.body_mut().read_json().unwrap();
            assert_eq!(body["total"], 1);
            let mut missing = agent.get(format!("{base}/api/v1/users")).call().unwrap();
            assert_eq!(missing.status(), 401);
            assert_eq!(missing.headers().get("content-type").unwrap(), "application/problem+json");
            let problem: Value = missing.body_mut().read_json().unwrap();
            assert_eq!(problem["status"], 401);
        })
        .await;
        handle.stop(true).await;
        result.unwrap();
    }
}

/// The value of the counter, gauge or plain sample `metric` whose labels are exactly `labels`.
fn scalar(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    use prometheus_parse::Value;
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && has_labels(&s.labels, labels))
        .and_then(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
            _ => None,
        })
}

/// The buckets of histogram `metric` whose labels are exactly `labels`, lowest bound first.
fn histogram(
    scrape: &prometheus_parse::Scrape,
    metric: &str,
    labels: &[(&str, &str)],
) -> Vec<prometheus_parse::HistogramCount> {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && has_labels(&s.labels, labels))
        .unwrap_or_else(|| panic!("no histogram {metric} {labels:?}"));
    let prometheus_parse::Value::Histogram(buckets) = &sample.value else {
        panic!("{metric} is not a histogram: {:?}", sample.value);
    };
    let mut buckets = buckets.clone();
    buckets.sort_by(|a, b| a.less_than.total_cmp(&b.less_than));
    buckets
}

fn has_labels(found: &prometheus_parse::Labels, wanted: &[(&str, &str)]) -> bool {
    found.len() == wanted.len() && wanted.iter().all(|(k, v)| found.get(k) == Some(*v))
}

both_backends! {
    async fn a_browser_may_send_an_idempotency_key_from_the_admin_frontend(app) {
        let admin = app.admin().await;
        // The preflight exactly as a browser sends it before a keyed POST.
        let preflight = app.req(actix_web::http::Method::OPTIONS, "/api/v1/meetings")
            .header("origin", "https://admin.engagiert.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type,idempotency-key,if-match")
            .send().await;
        assert!(preflight.status.is_success(), "{:?}: {}", preflight.status, preflight.text());
        let allowed = preflight.header("access-control-allow-headers").unwrap_or_default().to_lowercase();
        assert!(allowed.contains("idempotency-key"), "{allowed}");
        let body = crate::meetings::meeting("Aus dem Browser", 10);
        let send = || app.post("/api/v1/meetings").bearer(&admin)
            .header("origin", "https://admin.engagiert.example").header("idempotency-key", "browser-1").json(&body).send();
        send().await.expect(201);
        let replayed = send().await.expect(201);
        let exposed = replayed.header("access-control-expose-headers").unwrap_or_default().to_lowercase();
        assert!(exposed.contains("idempotent-replayed"), "{exposed}");
        assert_eq!(replayed.header("idempotent-replayed").as_deref(), Some("true"));
    }
}

crate::both_backends! {
    async fn every_answer_and_problem_carries_the_request_id(app) {
        let mine = app.get("/healthz").header("x-request-id", "skript-7.lauf_1").send().await.expect(200);
        assert_eq!(mine.header("x-request-id").as_deref(), Some("skript-7.lauf_1"));
        let made_up = app.get("/healthz").header("x-request-id", "nicht gültig!").send().await.expect(200);
        let id = made_up.header("x-request-id").unwrap();
        assert!(!id.is_empty() && id != "nicht gültig!");
        let none = app.get("/api/v1/municipalities/nirgendwo").send().await;
        let header = none.header("x-request-id").unwrap();
        let problem = none.problem(404);
        assert_eq!(problem["request_id"], header.as_str());
        let refused = app.get("/api/v1/users").header("x-request-id", "abc").send().await.problem(401);
        assert_eq!(refused["request_id"], "abc");
    }
}
