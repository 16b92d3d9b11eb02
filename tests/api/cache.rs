//! The response cache of public reads: every kind of write shows in the next read, anonymous
//! and signed-in callers never get each other's answers, 304 from the cache, and two
//! instances on one PostgreSQL never serve each other stale answers for long.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::history::{create_town, town};
use crate::surveys::days;

/// The anonymous answer to `path` (200 expected).
async fn public(app: &TestApp, path: &str) -> Value {
    app.get(path).send().await.expect(200).json()
}

/// Reads `path` anonymously twice (the second from the cache when it is on), checks both
/// agree and returns the answer.
async fn twice(app: &TestApp, path: &str) -> Value {
    let first = public(app, path).await;
    let second = public(app, path).await;
    assert_eq!(first, second, "{path}");
    first
}

pub(crate) async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics").send().await.expect(200).text();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

both_backends! {
    async fn every_kind_of_write_shows_in_the_next_public_read(app) {
        let admin = app.admin().await;
        let list = "/api/v1/municipalities?limit=200&sort=name";
        assert_eq!(twice(&app, list).await["total"], 0);
        // Create, then read by UUID, slug and AGS.
        let id = create_town(&app, &admin, "Kamen", "05978020").await;
        assert_eq!(twice(&app, list).await["total"], 1);
        for key in [id.as_str(), "kamen", "05978020"] {
            assert_eq!(twice(&app, &format!("/api/v1/municipalities/{key}")).await["population"], 1000);
        }
        // Replace and patch.
        let path = format!("/api/v1/municipalities/{id}");
        let mut body = town("Kamen", "05978020");
        body["population"] = json!(43000);
        app.put(&path).bearer(&admin).json(&body).send().await.expect(200);
        assert_eq!(twice(&app, "/api/v1/municipalities/kamen").await["population"], 43000);
        app.patch(&path).bearer(&admin).json(&json!({"description": "Stadt an der Seseke"})).send().await.expect(200);
        assert_eq!(twice(&app, "/api/v1/municipalities/05978020").await["description"], "Stadt an der Seseke");
        // Statistics and exports follow.
        let csv = app.get("/api/v1/exports/municipalities.csv").send().await.expect(200).text();
        assert!(csv.contains("Stadt an der Seseke") || csv.contains("43000"), "{csv}");
        // Delete, and restore of the tombstone.
        app.delete(&path).bearer(&admin).send().await.expect(204);
        app.get(&path).send().await.problem(410);
        assert_eq!(twice(&app, list).await["total"], 0);
        app.post(&format!("{path}/revisions/3/restore")).bearer(&admin).send().await.expect(200);
        assert_eq!(twice(&app, &path).await["description"], "Stadt an der Seseke");
        // An import.
        app.post("/api/v1/imports/municipalities").bearer(&admin)
            .raw("text/csv", "ags,population\n05978020,44000\n").send().await.expect(200);
        assert_eq!(twice(&app, &path).await["population"], 44000);

        // Meetings: a state action and a registration.
        let meeting = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "Werkstatt", "format": "in_person", "venue": {"name": "Rathaus Kamen", "city": "Kamen"},
                          "capacity": 20, "starts_at": days(10), "ends_at": days(11)}))
            .send().await.expect(201).json();
        let m = format!("/api/v1/meetings/{}", meeting["id"].as_str().unwrap());
        assert_eq!(twice(&app, &m).await["places_left"], 20);
        let editor = app.editor(&id).await;
        app.post(&format!("{m}/registrations")).bearer(&editor).json(&json!({"attendees": 3})).send().await.expect(201);
        assert_eq!(twice(&app, &m).await["places_left"], 17);
        app.post(&format!("{m}/cancel")).bearer(&admin).send().await.expect(200);
        assert_eq!(twice(&app, &m).await["status"], "cancelled");

        // Documents: publishing and an attachment.
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "practice_example", "title": "Praxis", "municipality_ids": [id]}))
            .send().await.expect(201).json();
        let d = format!("/api/v1/documents/{}", doc["id"].as_str().unwrap());
        app.get(&d).send().await.problem(404);
        app.post(&format!("{d}/publish")).bearer(&admin).send().await.expect(200);
        assert_eq!(twice(&app, &d).await["attachments"], json!([]));
        let boundary = "XyZ";
        let upload = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--{boundary}--\r\n");
        app.post(&format!("{d}/attachments")).bearer(&admin)
            .raw(&format!("multipart/form-data; boundary={boundary}"), upload.into_bytes()).send().await.expect(201);
        assert_eq!(twice(&app, &d).await["attachments"].as_array().unwrap().len(), 1);

        // Surveys: public results after a response.
        let survey = app.post("/api/v1/surveys").bearer(&admin)
            .json(&json!({"title": "Umfrage", "opens_at": days(-1), "closes_at": days(30), "results_public": true,
                          "questions": [{"kind": "yes_no", "text": "Gibt es eine Ehrenamtskarte?"}]}))
            .send().await.expect(201).json();
        let s = format!("/api/v1/surveys/{}", survey["id"].as_str().unwrap());
        app.post(&format!("{s}/open")).bearer(&admin).send().await.expect(200);
        let results = format!("{s}/results");
        let before = twice(&app, &results).await;
        let question = survey["questions"][0]["id"].as_str().unwrap();
        app.put(&format!("{s}/responses/{id}")).bearer(&editor)
            .json(&json!({"answers": [{"question_id": question, "value": true}]})).send().await.expect(201);
        let after = twice(&app, &results).await;
        assert_ne!(before, after, "the response shows in the public results");
    }

    async fn anonymous_and_signed_in_callers_never_get_each_others_answers(app) {
        let admin = app.admin().await;
        let mut body = town("Unna", "05978036");
        body["contacts"] = json!([{"name": "Öffentlich", "public": true}, {"name": "Intern", "public": false}]);
        let id = app.post("/api/v1/municipalities").bearer(&admin).json(&body).send().await.expect(201).json()["id"]
            .as_str().unwrap().to_owned();
        let path = format!("/api/v1/municipalities/{id}");
        let names = |record: &Value| record["contacts"].as_array().unwrap().iter()
            .map(|c| c["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        for _ in 0..2 {
            assert_eq!(names(&public(&app, &path).await), vec!["Öffentlich"]);
            let signed_in = app.get(&path).bearer(&admin).send().await.expect(200).json();
            assert_eq!(names(&signed_in), vec!["Öffentlich", "Intern"]);
        }
        // The ETags differ too, so no client or proxy mixes them up.
        let anonymous = app.get(&path).send().await.expect(200);
        let signed_in = app.get(&path).bearer(&admin).send().await.expect(200);
        assert_ne!(anonymous.header("etag"), signed_in.header("etag"));
        assert!(anonymous.header("vary").unwrap().contains("Authorization"));
    }

    async fn a_cached_answer_is_the_whole_answer_for_every_origin(app) {
        let admin = app.admin().await;
        create_town(&app, &admin, "Selm", "05978032").await;
        let path = "/api/v1/municipalities/selm";
        // Several rounds: the later ones come from the cache when it is on.
        for _ in 0..3 {
            // One answer for every website (rule 33): the cache keeps one copy for all.
            for origin in ["https://www.selm.de", "https://www.unna.de"] {
                let answer = app.get(path).header("Origin", origin).send().await.expect(200);
                assert_eq!(answer.header("access-control-allow-origin").as_deref(), Some("*"));
                assert_eq!(answer.header("x-content-type-options").as_deref(), Some("nosniff"));
                assert_eq!(answer.json()["name"], "Selm");
            }
            let plain = app.get(path).send().await.expect(200);
            assert_eq!(plain.header("access-control-allow-origin").as_deref(), Some("*"));
            assert_eq!(plain.header("referrer-policy").as_deref(), Some("no-referrer"));
            assert!(plain.header("content-security-policy").is_some());
        }
    }

    async fn the_cache_answers_304_and_counts_its_hits(app) {
        let admin = app.admin().await;
        create_town(&app, &admin, "Werne", "05978040").await;
        let list = "/api/v1/municipalities?limit=10&sort=name";
        let first = app.get(list).send().await.expect(200);
        let etag = first.header("etag").unwrap();
        // On PostgreSQL the cache serves once this instance listens for the others' writes.
        let hits = metric(&app, "engagiert_cache_hits_total").await;
        let started = Instant::now();
        let cache_on = settings().cache_bytes > 0;
        loop {
            app.get(list).send().await.expect(200);
            let counted = metric(&app, "engagiert_cache_hits_total").await - hits;
            if !cache_on {
                assert_eq!(counted, 0.0);
                break;
            }
            if counted >= 1.0 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(3), "no hit");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        // Parameters in another order are the same entry.
        let hits = metric(&app, "engagiert_cache_hits_total").await;
        app.get("/api/v1/municipalities?sort=name&limit=10").send().await.expect(200);
        if cache_on {
            assert_eq!(metric(&app, "engagiert_cache_hits_total").await - hits, 1.0, "the same entry");
        }
        let hits = metric(&app, "engagiert_cache_hits_total").await;
        let cached = app.get(list).header("If-None-Match", &etag).send().await;
        assert_eq!(cached.status.as_u16(), 304);
        assert_eq!(cached.header("etag"), Some(etag.clone()));
        if cache_on {
            assert_eq!(metric(&app, "engagiert_cache_hits_total").await - hits, 1.0, "304 from the cache");
        }
        // A stale ETag gets the whole answer.
        let whole = app.get(list).header("If-None-Match", "\"stale\"").send().await.expect(200);
        assert_eq!(whole.header("etag"), Some(etag));
    }
}

/// Two instances on one PostgreSQL: a write acknowledged by one is served by the other
/// within a second and never older afterwards, also after the other's listening
/// connection was killed.
#[actix_web::test]
async fn instances_never_serve_each_other_stale_answers() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
        return;
    };
    let admin = app.admin().await;
    let id = create_town(&app, &admin, "Fröndenberg", "05978012").await;
    let other = app.another_instance();
    let path = format!("/api/v1/municipalities/{id}");
    let read_other = || async {
        TestApp::req_to(&other, Method::GET, &path)
            .send()
            .await
            .expect(200)
            .json()["population"]
            .as_i64()
            .unwrap()
    };
    // The other instance has it cached.
    assert_eq!(read_other().await, 1000);
    assert_eq!(read_other().await, 1000);
    for (round, population) in [(1, 2000), (2, 3000)] {
        // With the cache off nothing listens, and nothing is served from memory either.
        if round == 2 && settings().cache_bytes > 0 {
            // Its listening connection goes away; it must not serve from memory meanwhile.
            let started = Instant::now();
            while app.terminate_listeners() == 0 {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "no listener to end"
                );
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
        }
        app.patch(&path)
            .bearer(&admin)
            .json(&json!({"population": population}))
            .send()
            .await
            .expect(200);
        let acknowledged = Instant::now();
        loop {
            let seen = read_other().await;
            if seen == population {
                break;
            }
            assert!(
                acknowledged.elapsed() < Duration::from_secs(1),
                "round {round}: still {seen} after a second"
            );
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        // Never older afterwards.
        for _ in 0..20 {
            assert_eq!(read_other().await, population, "round {round}");
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

// Rule 38: a list of 100 records compressed with brotli is at most a quarter of its plain
// size; each representation has its own ETag and 304; the cache serves the compressed bytes
// on a hit (and, with the cache off, they are compressed all the same).
both_backends! {
    async fn public_answers_are_compressed_as_asked_with_an_etag_per_representation(app) {
        for n in 0..100 {
            app.municipality(town(&format!("Komprimierort {n:03}"), &format!("05978{:03}", 100 + n))).await;
        }
        let path = "/api/v1/municipalities?limit=100";
        let plain = app.get(path).send().await.expect(200);
        assert!(plain.header("content-encoding").is_none());
        assert!(plain.header("vary").unwrap_or_default().contains("Accept-Encoding"), "{:?}", plain.header("vary"));
        let hits = metric(&app, "engagiert_cache_hits_total").await;
        let mut tags = vec![plain.header("etag").unwrap()];
        for (asks, coding) in [("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip")] {
            let answer = app.get(path).header("Accept-Encoding", asks).send().await.expect(200);
            assert_eq!(answer.header("content-encoding").as_deref(), Some(coding));
            let mut decoded = Vec::new();
            match coding {
                "br" => brotli::BrotliDecompress(&mut &answer.body[..], &mut decoded).unwrap(),
                _ => { std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&answer.body[..]), &mut decoded).unwrap(); }
            }
            assert_eq!(decoded, plain.body.to_vec(), "{coding} decodes to the plain answer");
            if coding == "br" {
                assert!(answer.body.len() * 4 <= plain.body.len(), "{} of {} bytes", answer.body.len(), plain.body.len());
            }
            let etag = answer.header("etag").unwrap();
            assert!(!tags.contains(&etag), "{etag} is its own");
            tags.push(etag.clone());
            app.get(path).header("Accept-Encoding", asks).header("If-None-Match", &etag).send().await.expect(304);
        }
        if std::env::var("ENGAGIERT_CACHE_BYTES").as_deref() != Ok("0") {
            assert!(metric(&app, "engagiert_cache_hits_total").await >= hits + 3.0, "the compressed answers come from the cache");
        }
    }
}
