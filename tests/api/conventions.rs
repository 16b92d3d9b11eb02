//! The shared HTTP conventions of API.md, exercised through the users resource.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn create(app: &TestApp, admin: &str, email: &str) -> Value {
    let unna = app.unna().await;
    app.post("/api/v1/users")
        .bearer(admin)
        .json(&json!({"email": email, "name": "Test", "role": "editor", "municipality_id": unna, "password": PASSWORD}))
        .send()
        .await
        .expect(201)
        .json()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn lists_page_with_envelope_and_links(app) {
        let admin = app.admin().await;
        for i in 0..4 {
            create(&app, &admin, &format!("user{i}@unna.de")).await;
        }
        let page = app.get("/api/v1/users?limit=2&offset=2&role=editor").bearer(&admin).send().await.expect(200);
        let links = page.header("link").unwrap();
        let body = page.json();
        assert_eq!((body["total"].as_i64(), body["limit"].as_i64(), body["offset"].as_i64()), (Some(4), Some(2), Some(2)));
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        assert!(links.contains(r#"</api/v1/users?role=editor&limit=2&offset=0>; rel="prev""#), "{links}");
        assert!(!links.contains(r#"rel="next""#), "{links}");
        let first = app.get("/api/v1/users?limit=2&role=editor").bearer(&admin).send().await.expect(200);
        assert!(first.header("link").unwrap().contains(r#"</api/v1/users?role=editor&limit=2&offset=2>; rel="next""#));
        let all = app.get("/api/v1/users?role=editor").bearer(&admin).send().await.expect(200).json();
        let pages = [ids(&first.json()), ids(&body)].concat();
        assert_eq!(pages, ids(&all), "pages neither overlap nor skip");
        assert_eq!(all["limit"], 50);
        // The largest offset is a page like any other, empty (its links do not overflow).
        let far = app.get(&format!("/api/v1/users?limit=2&offset={}", i64::MAX)).bearer(&admin).send().await.expect(200);
        assert!(far.header("link").unwrap().contains(r#"rel="prev""#));
        assert_eq!(far.json()["items"], serde_json::json!([]));
    }

    async fn bad_list_parameters_are_400_naming_the_parameter(app) {
        let admin = app.admin().await;
        for (query, parameter) in [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=ten", "limit"),
            ("offset=-1", "offset"),
            ("sort=password_hash", "sort"),
            ("sort=-", "sort"),
            ("updated_since=yesterday", "updated_since"),
            ("include_deleted=maybe", "include_deleted"),
            ("colour=blue", "colour"),
            ("limit=1&limit=2", "limit"),
        ] {
            let problem = app.get(&format!("/api/v1/users?{query}")).bearer(&admin).send().await.problem(400);
            assert_eq!(error_fields(&problem), [parameter], "{query}");
        }
    }

    async fn etag_answers_304_on_resources_and_lists(app) {
        let admin = app.admin().await;
        let user = create(&app, &admin, "erika@unna.de").await;
        let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
        let first = app.get(&path).bearer(&admin).send().await.expect(200);
        let etag = first.header("etag").unwrap();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong: {etag}");
        let modified = first.header("last-modified").unwrap();
        let not_modified = app.get(&path).bearer(&admin).header("if-none-match", &etag).send().await.expect(304);
        assert_eq!(not_modified.header("etag").as_deref(), Some(etag.as_str()));
        assert!(not_modified.body.is_empty());
        app.get(&path).bearer(&admin).header("if-modified-since", &modified).send().await.expect(304);
        app.get(&path).bearer(&admin).header("if-none-match", "\"other\"").send().await.expect(200);

        let list = app.get("/api/v1/users").bearer(&admin).send().await.expect(200);
        let list_etag = list.header("etag").unwrap();
        app.get("/api/v1/users").bearer(&admin).header("if-none-match", &list_etag).send().await.expect(304);
        app.patch(&path).bearer(&admin).json(&json!({"name": "Neu"})).send().await.expect(200);
        app.get("/api/v1/users").bearer(&admin).header("if-none-match", &list_etag).send().await.expect(200);
        app.get(&path).bearer(&admin).header("if-none-match", &etag).send().await.expect(200);
    }

    async fn stale_if_match_is_412_and_changes_nothing(app) {
        let admin = app.admin().await;
        let user = create(&app, &admin, "erika@unna.de").await;
        let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
        let etag = app.get(&path).bearer(&admin).send().await.expect(200).header("etag").unwrap();
        // Someone else changes the user first.
        app.patch(&path).bearer(&admin).header("if-match", &etag).json(&json!({"name": "Erste"})).send().await.expect(200);
        for method in [Method::PATCH, Method::PUT, Method::DELETE] {
            let mut req = app.req(method.clone(), &path).bearer(&admin).header("if-match", &etag);
            if method != Method::DELETE {
                req = req.json(&json!({"email": "erika@unna.de", "name": "Zweite", "role": "editor", "municipality_id": user["municipality_id"], "active": true}));
            }
            req.send().await.problem(412);
        }
        let now = app.get(&path).bearer(&admin).send().await.expect(200).json();
        assert_eq!((now["name"].as_str(), now["version"].as_i64()), (Some("Erste"), Some(2)));
        let current = app.get(&path).bearer(&admin).send().await.header("etag").unwrap();
        app.delete(&path).bearer(&admin).header("if-match", &current).send().await.expect(204);
    }

    async fn soft_delete_leaves_410_and_a_tombstone(app) {
        let admin = app.admin().await;
        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        let user = create(&app, &admin, "erika@unna.de").await;
        let id = user["id"].as_str().unwrap();
        let path = format!("/api/v1/users/{id}");
        app.delete(&path).bearer(&admin).send().await.expect(204);
        app.get(&path).bearer(&admin).send().await.problem(410);
        app.delete(&path).bearer(&admin).send().await.problem(410);
        app.patch(&path).bearer(&admin).json(&json!({"name": "x"})).send().await.problem(410);
        let live = app.get("/api/v1/users").bearer(&admin).send().await.expect(200).json();
        assert!(!ids(&live).contains(&id.to_owned()));
        let since = before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let sync = app.get(&format!("/api/v1/users?include_deleted=true&updated_since={since}"))
            .bearer(&admin).send().await.expect(200).json();
        let tombstone = sync["items"].as_array().unwrap().iter().find(|i| i["id"] == id).expect("tombstone").clone();
        assert_eq!(tombstone["deleted"], true);
        assert_eq!(tombstone.as_object().unwrap().len(), 3, "{tombstone}");
        // The e-mail of a deleted user is free again.
        create(&app, &admin, "erika@unna.de").await;
    }

    async fn updated_since_selects_later_changes(app) {
        let admin = app.admin().await;
        let old = create(&app, &admin, "old@unna.de").await;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mark = chrono::Utc::now();
        let new = create(&app, &admin, "new@unna.de").await;
        // A `+` offset that arrives decoded as a space is still understood.
        let since = mark.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap()).to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
        let list = app.get(&format!("/api/v1/users?updated_since={}", since.replace('+', "%20"))).bearer(&admin).send().await.expect(200).json();
        assert_eq!(ids(&list), [new["id"].as_str().unwrap()]);
        assert!(!ids(&list).contains(&old["id"].as_str().unwrap().to_owned()));
    }

    async fn body_errors_are_problems(app) {
        let admin = app.admin().await;
        let problem = app.post("/api/v1/users").bearer(&admin).raw("application/json", "{\"email\": ").send().await.problem(400);
        assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"));
        app.post("/api/v1/users").bearer(&admin).raw("text/plain", "hello").send().await.problem(415);
        app.post("/api/v1/users").bearer(&admin).send().await.problem(415);
        let huge = json!({"email": "a@b.de", "name": "x".repeat(2 * 1024 * 1024), "role": "admin", "password": PASSWORD});
        app.post("/api/v1/users").bearer(&admin).json(&huge).send().await.problem(413);
        app.post("/api/v1/auth/login").raw("application/json", "[1, 2]").send().await.problem(422);
    }

    async fn unknown_paths_ids_and_methods(app) {
        let admin = app.admin().await;
        app.get("/api/v1/nothing-here").send().await.problem(404);
        app.get("/api/v1/users/not-a-uuid").bearer(&admin).send().await.problem(404);
        app.get("/api/v1/users/01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e").bearer(&admin).send().await.problem(404);
        let not_allowed = app.req(Method::DELETE, "/api/v1/auth/me").send().await;
        assert_eq!(not_allowed.header("allow").as_deref(), Some("GET, HEAD"));
        not_allowed.problem(405);
    }

    async fn unreachable_database_is_503(app) {
        let broken = TestApp::unreachable(app.backend);
        let healthy = actix_web::test::init_service(engagiert::app::build(broken.clone())).await;
        let alive = actix_web::test::call_service(&healthy, actix_web::test::TestRequest::get().uri("/healthz").to_request()).await;
        assert_eq!(alive.status(), 200);
        let login = || actix_web::test::TestRequest::post().uri("/api/v1/auth/login")
            .insert_header(("content-type", "application/json"))
            .set_payload(r#"{"email": "a@b.de", "password": "irrelevant"}"#);
        let ready = || actix_web::test::TestRequest::get().uri("/readyz");
        for (path, request) in [("/readyz", ready()), ("/api/v1/auth/login", login())] {
            let response = actix_web::test::call_service(&healthy, request.to_request()).await;
            assert_eq!(response.status(), 503, "{path}");
            assert_eq!(response.headers().get("content-type").unwrap(), "application/problem+json");
        }
        // The working app is ready.
        app.get("/readyz").send().await.expect(200);
    }
}

both_backends! {
    async fn nul_characters_are_refused_on_both_databases(app) {
        let admin = app.admin().await;
        let problem = app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": "Nul", "kind": "district", "ags": "05111", "description": "a\u{0}b", "topics": ["x\u{0}"]}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["description", "topics[0]"]);
        let list = app.get("/api/v1/municipalities").send().await.expect(200).json();
        assert_eq!(list["total"], 0, "nothing was stored");
    }
}

both_backends! {
    async fn nul_characters_in_queries_are_refused(app) {
        for path in ["/api/v1/municipalities?topic=x%00", "/api/v1/documents?topic=%00", "/api/v1/exports/municipalities.csv?topic=%00"] {
            let problem = app.get(path).send().await.problem(400);
            assert_eq!(error_fields(&problem), ["topic"], "{path}");
        }
    }
}

crate::both_backends! {
    async fn single_reads_refuse_parameters_they_do_not_define(app) {
        let unna = app.unna().await;
        app.get(&format!("/api/v1/municipalities/{unna}")).send().await.expect(200);
        let problem = app.get(&format!("/api/v1/municipalities/{unna}?utm_source=x")).send().await.problem(400);
        assert!(problem["detail"].as_str().unwrap_or_default().contains("utm_source")
            || problem.to_string().contains("utm_source"), "{problem}");
        app.get("/api/v1/municipalities/unna?limit=1").send().await.problem(400);
    }
}

crate::both_backends! {
    async fn an_array_where_an_object_belongs_is_refused_naming_every_field(app) {
        let admin = app.admin().await;
        let mut body = crate::history::town("Unna", "05978036");
        body["location"] = serde_json::json!([51.5, 7.6]);
        let problem = app.post("/api/v1/municipalities").bearer(&admin).json(&body).send().await.problem(422);
        assert_eq!(crate::helpers::error_fields(&problem), ["location"]);
        let id = app.unna().await;
        let path = format!("/api/v1/municipalities/{id}");
        let before = app.get(&path).bearer(&admin).send().await.expect(200).json();
        let problem = app.patch(&path).bearer(&admin)
            .json(&serde_json::json!({"engagement_office": ["Agentur"], "membership": ["member"], "location": [1, 2], "population": "viele"}))
            .send().await.problem(422);
        let mut fields = crate::helpers::error_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["engagement_office", "location", "membership", "population"]);
        let after = app.get(&path).bearer(&admin).send().await.expect(200).json();
        assert_eq!(before["version"], after["version"], "nothing changed");
    }
}

crate::both_backends! {
    async fn filters_name_a_municipality_by_uuid_ags_or_slug(app) {
        let admin = app.admin().await;
        let district = app.municipality(serde_json::json!({"name": "Kreis Unna", "kind": "district", "ags": "05978",
            "membership": {"status": "member", "joined_on": "2024-01-15"}})).await;
        let unna = app.municipality(serde_json::json!({"name": "Unna", "kind": "town", "ags": "05978036",
            "district_id": district, "membership": {"status": "member", "joined_on": "2024-01-15"}})).await;
        let meeting = crate::meetings::with(&crate::meetings::meeting("In Unna", 10), serde_json::json!({"host_municipality_id": unna}));
        app.post("/api/v1/meetings").bearer(&admin).json(&meeting).send().await.expect(201);
        app.post("/api/v1/meetings").bearer(&admin).json(&crate::meetings::meeting("Anderswo", 12)).send().await.expect(201);
        for key in [unna.as_str(), "05978036", "unna"] {
            let page = app.get(&format!("/api/v1/meetings?host_municipality_id={key}")).send().await.expect(200).json();
            assert_eq!(page["total"], 1, "{key}");
            let towns = app.get(&format!("/api/v1/municipalities?district_id={}", if key == "unna" { "kreis-unna" } else if key == "05978036" { "05978" } else { &district })).send().await.expect(200).json();
            assert_eq!(towns["total"], 1, "{key}: {towns}");
            app.get(&format!("/api/v1/documents?municipality_id={key}")).send().await.expect(200);
        }
        let none = app.get("/api/v1/meetings?host_municipality_id=nirgendwo").send().await.expect(200).json();
        assert_eq!(none["total"], 0);
        app.get("/api/v1/meetings?host_municipality_id=%3Cscript%3E").send().await.problem(400);
    }
}
