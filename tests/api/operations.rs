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

    async fn cors_reads_from_anywhere_writes_from_the_admin_frontend(app) {
        let read = app.get("/healthz").header("origin", "https://www.unna.de").send().await.expect(200);
        assert_eq!(read.header("access-control-allow-origin").as_deref(), Some("https://www.unna.de"));
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
