//! The ordinary events of production: the database going away underneath, many writers at
//! once, hostile text, forged headers, HEAD requests, stalled bodies.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// A town of its own for each number, so writers do not share a record.
fn town(n: usize) -> Value {
    json!({"name": format!("Teststadt {n}"), "kind": "town", "ags": format!("05978{:03}", 100 + n),
           "membership": {"status": "member", "joined_on": "2024-01-15"}})
}

both_backends! {
    async fn many_writers_at_once_all_succeed(app) {
        let admin = app.admin().await;
        let mut ids = Vec::new();
        for n in 0..40 {
            ids.push(app.municipality(town(n)).await);
        }
        // 40 editors' saves at the same moment, each to its own municipality.
        let saves = ids.iter().enumerate().map(|(n, id)| {
            app.patch(&format!("/api/v1/municipalities/{id}"))
                .bearer(&admin)
                .json(&json!({"population": 1000 + n}))
                .send()
        });
        let statuses: Vec<u16> = join_all(saves).await.iter().map(|r| r.status.as_u16()).collect();
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        for (n, id) in ids.iter().enumerate() {
            let read = app.get(&format!("/api/v1/municipalities/{id}")).send().await.expect(200).json();
            assert_eq!(read["population"], 1000 + n);
            assert_eq!(read["version"], 2);
        }
    }

    async fn concurrent_writers_with_one_etag_exactly_one_wins(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let path = format!("/api/v1/municipalities/{unna}");
        let etag = app.get(&path).send().await.expect(200).header("etag").unwrap();
        let saves = (0..20).map(|n| {
            app.patch(&path)
                .bearer(&admin)
                .header("if-match", &etag)
                .json(&json!({"population": 50_000 + n}))
                .send()
        });
        let mut statuses: Vec<u16> = join_all(saves).await.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses[0], 200, "{statuses:?}");
        assert!(statuses[1..].iter().all(|s| *s == 412), "{statuses:?}");
        assert_eq!(app.get(&path).send().await.expect(200).json()["version"], 2);
    }

    async fn text_that_would_break_feeds_is_refused_naming_the_field(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        for (field, bad) in [("summary", "Gut\u{FFFE}"), ("title", "Null\u{0}"), ("body", "Glocke\u{7}"),
                             ("summary", "\u{FDD0}"), ("title", "\u{10FFFF}")] {
            let mut body = json!({"kind": "method", "title": "Titel", "summary": "S", "body": "B",
                                  "municipality_ids": [unna]});
            body[field] = json!(bad);
            let problem = app.post("/api/v1/documents").bearer(&admin).json(&body).send().await.problem(422);
            assert_eq!(error_fields(&problem), [field], "{problem}");
        }
        // Nested fields and array items are named by their path.
        let problem = app.patch(&format!("/api/v1/municipalities/{unna}")).bearer(&admin)
            .json(&json!({"topics": ["gut", "b\u{1b}se"], "engagement_office": {"name": "x\u{FFFF}"}}))
            .send().await.problem(422);
        let mut fields = error_fields(&problem);
        fields.sort();
        assert_eq!(fields, ["engagement_office.name", "topics[1]"]);
        // Tabs and line breaks are text.
        let ok = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "method", "title": "Titel", "summary": "a\tb\r\nc", "municipality_ids": [unna]}))
            .send().await.expect(201).json();
        assert_eq!(ok["summary"], "a\tb\r\nc");
        // Query values follow the same rule.
        app.get("/api/v1/municipalities?q=a%07").send().await.problem(400);
    }

    async fn text_is_stored_in_nfc_and_search_is_indifferent_to_nfd(app) {
        let admin = app.admin().await;
        let nfd = "Mu\u{308}nster";
        let created = app.post("/api/v1/municipalities").bearer(&admin)
            .json(&json!({"name": nfd, "kind": "independent_city", "ags": "05515000",
                          "membership": {"status": "member", "joined_on": "2024-01-15"}}))
            .send().await.expect(201).json();
        assert_eq!(created["name"], "Münster");
        assert_eq!(created["slug"], "muenster");
        for q in ["M%C3%BCnster", "Mu%CC%88nster", "muenster", "M%C3%9CNSTER"] {
            let list = app.get(&format!("/api/v1/municipalities?q={q}")).send().await.expect(200).json();
            assert_eq!(list["total"], 1, "q={q}");
        }
    }

    async fn search_wildcards_match_themselves(app) {
        let admin = app.admin().await;
        app.unna().await;
        for q in ["%25", "_", "%5C", "%25%25"] {
            let list = app.get(&format!("/api/v1/municipalities?q={q}")).send().await.expect(200).json();
            assert_eq!(list["total"], 0, "q={q}");
            let docs = app.get(&format!("/api/v1/documents?q={q}")).bearer(&admin).send().await.expect(200).json();
            assert_eq!(docs["total"], 0, "q={q}");
        }
        let list = app.get("/api/v1/municipalities?q=unn").send().await.expect(200).json();
        assert_eq!(list["total"], 1);
    }

    async fn links_come_from_configuration_never_from_headers(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "method", "title": "Titel", "summary": "S", "municipality_ids": [unna]}))
            .send().await.expect(201);
        assert!(doc.header("location").unwrap().starts_with(PUBLIC_URL));
        let id = doc.json()["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/documents/{id}/publish")).bearer(&admin).send().await.expect(200);
        let plain = app.get("/api/v1/feeds/documents.atom").send().await.expect(200);
        let forged = app.get("/api/v1/feeds/documents.atom")
            .header("host", "evil.example")
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-proto", "http")
            .header("forwarded", "host=evil.example;proto=http")
            .send().await.expect(200);
        assert!(!forged.text().contains("evil.example"), "{}", forged.text());
        assert!(forged.text().contains(&format!("{PUBLIC_URL}/api/v1/documents/{id}")));
        assert_eq!(plain.body, forged.body);
        assert_eq!(plain.header("etag"), forged.header("etag"));
    }

    async fn feeds_and_exports_ignore_parameters_they_do_not_define(app) {
        for path in ["/api/v1/feeds/documents.atom", "/api/v1/feeds/meetings.ics",
                     "/api/v1/exports/municipalities.csv", "/api/v1/exports/municipalities.geojson"] {
            app.get(&format!("{path}?_=1700000000&utm_source=newsletter&utm_medium=email")).send().await.expect(200);
        }
        // Lists stay strict.
        app.get("/api/v1/municipalities?utm_source=x").send().await.problem(400);
    }

    async fn a_nul_in_a_path_segment_is_not_found(app) {
        for path in ["/api/v1/municipalities/%00", "/api/v1/municipalities/un%00na",
                     "/api/v1/meetings/%00", "/api/v1/documents/%1F"] {
            app.get(path).send().await.problem(404);
        }
    }

    async fn head_answers_like_get_without_a_body(app) {
        app.unna().await;
        let (base, server) = app.serve();
        for path in ["/healthz", "/api/v1/municipalities", "/api/v1/municipalities/unna",
                     "/api/v1/feeds/documents.atom", "/api/v1/exports/municipalities.csv",
                     "/api/v1/municipalities/nobody", "/oparl/v1/system", "/oparl/v1/organizations?limit=1"] {
            let get = raw_http(&base, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).await;
            let head = raw_http(&base, &format!("HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).await;
            let (get_head, get_body) = get.split_once("\r\n\r\n").unwrap();
            let (head_head, head_body) = head.split_once("\r\n\r\n").unwrap();
            assert_eq!(get_head.lines().next(), head_head.lines().next(), "{path}");
            assert!(head_body.is_empty(), "{path}: {head_body}");
            let length = |h: &str| h.lines().find(|l| l.to_ascii_lowercase().starts_with("content-length:")).map(str::to_owned);
            assert_eq!(length(get_head), length(head_head), "{path}");
            assert_eq!(length(head_head).unwrap().split(':').nth(1).unwrap().trim(), get_body.len().to_string());
        }
        // HEAD first: what it leaves in the response cache still has the body a GET needs.
        let path = "/api/v1/municipalities?limit=7";
        let head = raw_http(&base, &format!("HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).await;
        assert!(head.split_once("\r\n\r\n").unwrap().1.is_empty(), "{head}");
        let get = raw_http(&base, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).await;
        let body: serde_json::Value = serde_json::from_str(get.split_once("\r\n\r\n").unwrap().1).unwrap();
        assert_eq!(body["items"][0]["slug"], "unna");
        server.stop(true).await;
    }

    async fn a_stalled_body_is_answered_408_and_holds_up_nobody(app) {
        let app = app.with_body_timeout(Duration::from_secs(1));
        let admin = app.admin().await;
        let (base, server) = app.serve();
        let address = base.trim_start_matches("http://").to_owned();
        let started = Instant::now();
        let stalled = std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            write!(stream, "POST /api/v1/municipalities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\n\
                            Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"name\":").unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        });
        // Meanwhile others are served.
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let other = raw_http(&base, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(other.starts_with("HTTP/1.1 200"), "{other}");
        let answer = actix_web::rt::task::spawn_blocking(move || stalled.join().unwrap()).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json"));
        assert!(started.elapsed() < Duration::from_secs(10));
        server.stop(true).await;
    }
}

/// Sends one raw HTTP/1.1 request and reads the whole answer (the server closes), off the
/// test's runtime thread, which also runs the server.
async fn raw_http(base: &str, request: &str) -> String {
    let address = base.trim_start_matches("http://").to_owned();
    let request = request.to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap()
}

/// PostgreSQL ends every session of the service (a restart, a failover): the service notices,
/// drops the dead connections and answers again without a restart of its own.
#[actix_web::test]
async fn service_recovers_when_postgres_ends_its_sessions() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
        return;
    };
    let admin = app.admin().await;
    let unna = app.unna().await;
    // Fill the pool: four requests at once hold four connections.
    let warm = (0..4).map(|_| app.get("/api/v1/municipalities").send());
    assert!(join_all(warm).await.iter().all(|r| r.status == 200));
    assert!(app.terminate_sessions() >= 1);

    let mut statuses = Vec::new();
    for n in 0..10 {
        let read = app
            .get(&format!("/api/v1/municipalities/{unna}"))
            .send()
            .await;
        statuses.push(read.status.as_u16());
        let write = app
            .patch(&format!("/api/v1/municipalities/{unna}"))
            .bearer(&admin)
            .json(&json!({"population": 60_000 + n}))
            .send()
            .await;
        statuses.push(write.status.as_u16());
    }
    // At most a short burst of 503 (only requests that met a dead connection), then all good.
    let failures = statuses.iter().filter(|s| **s == 503).count();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(failures <= 4, "{statuses:?}");
    assert!(
        statuses[failures..].iter().all(|s| *s == 200),
        "{statuses:?}"
    );
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.status, 200);
}

/// While the database is gone, requests answer 503 quickly, never hang.
#[actix_web::test]
async fn an_unreachable_database_answers_503_quickly() {
    for backend in [
        engagiert::db::Backend::Sqlite,
        engagiert::db::Backend::Postgres,
    ] {
        let ctx = TestApp::unreachable(backend);
        let started = Instant::now();
        let service = actix_web::test::init_service(engagiert::app::build(ctx)).await;
        let request = actix_web::test::TestRequest::get()
            .uri("/api/v1/municipalities")
            .to_request();
        let response = actix_web::test::call_service(&service, request).await;
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        assert!(started.elapsed() < Duration::from_secs(5), "{backend:?}");
    }
}

both_backends! {
    async fn feeds_ignore_unknown_parameters_next_to_repeated_ones_and_refuse_floods(app) {
        app.get("/api/v1/feeds/meetings.ics?status=planned&status=held&utm_source=x&_=1").send().await.expect(200);
        app.get("/api/v1/exports/municipalities.csv?region=arnsberg&region=detmold&utm_medium=mail").send().await.expect(200);
        let flood: Vec<String> = (0..100).map(|i| format!("p{i}=x")).collect();
        app.get(&format!("/api/v1/feeds/documents.atom?{}", flood.join("&"))).send().await.problem(400);
    }

    async fn an_uploaded_filename_cannot_break_the_feed(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "method", "title": "T", "municipality_ids": [unna]})).send().await.expect(201).json();
        let id = doc["id"].as_str().unwrap();
        let (content_type, body) = crate::documents::multipart("bericht\u{FFFE}.pdf", crate::documents::PDF);
        let attachment = app.post(&format!("/api/v1/documents/{id}/attachments")).bearer(&admin)
            .raw(&content_type, body).send().await.expect(201).json();
        assert_eq!(attachment["filename"], "bericht.pdf");
        app.post(&format!("/api/v1/documents/{id}/publish")).bearer(&admin).send().await.expect(200);
        let feed = app.get("/api/v1/feeds/documents.atom").send().await.expect(200).body;
        feed_rs::parser::parse(feed.as_ref()).expect("the feed stays well-formed");
    }
}

/// PostgreSQL keeps every moment as `timestamptz` (an instant) and every id as `uuid`, and
/// what the API writes and reads back is the same instant.
#[actix_web::test]
async fn postgres_stores_moments_with_their_time_zone_and_ids_as_uuid() {
    let Some(app) = TestApp::postgres().await else {
        return;
    };
    let types = app.column_types();
    let naive: Vec<&String> = types
        .iter()
        .filter(|(_, t)| t == "timestamp without time zone")
        .map(|(name, _)| name)
        .collect();
    assert!(naive.is_empty(), "columns without time zone: {naive:?}");
    assert!(
        types
            .iter()
            .any(|(name, t)| name == "municipalities.updated_at" && t == "timestamp with time zone")
    );
    for column in [
        "municipalities.id",
        "meetings.host_municipality_id",
        "documents.id",
        "survey_answers.option_id",
        "users.id",
    ] {
        assert!(
            types.iter().any(|(name, t)| name == column && t == "uuid"),
            "{column} is not a uuid column"
        );
    }
    let admin = app.admin().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let created = app
        .post("/api/v1/municipalities")
        .bearer(&admin)
        .json(&json!({"name": "Zeitort", "kind": "town", "region": "arnsberg"}))
        .send()
        .await
        .expect(201)
        .json();
    let at: chrono::DateTime<chrono::Utc> = created["created_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("created_at");
    assert!(at > before && at < chrono::Utc::now() + chrono::Duration::seconds(5));
}

/// A load balancer's health check waits a second or two: `/readyz` answers within one,
/// whether the database refuses connections or takes them and never answers.
#[actix_web::test]
async fn readiness_answers_within_a_second_while_the_database_is_gone() {
    // A "database" that accepts connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let holder = held.clone();
    std::thread::spawn(move || {
        for stream in silent.incoming().flatten() {
            holder.lock().unwrap().push(stream);
        }
    });
    for url in [
        "postgres://postgres@127.0.0.1:1/refused".to_owned(),
        format!("postgres://postgres@127.0.0.1:{port}/silent"),
    ] {
        let ctx = TestApp::on_database(&url);
        let service = actix_web::test::init_service(engagiert::app::build(ctx)).await;
        for _ in 0..3 {
            let started = Instant::now();
            let request = actix_web::test::TestRequest::get()
                .uri("/readyz")
                .to_request();
            let response = actix_web::test::call_service(&service, request).await;
            assert_eq!(response.status(), 503, "{url}");
            assert!(
                started.elapsed() < Duration::from_millis(1200),
                "{url}: {:?}",
                started.elapsed()
            );
        }
    }
}
