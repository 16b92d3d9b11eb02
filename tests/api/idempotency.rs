//! `Idempotency-Key` on `POST` (API: "History, changes and retries"): a script that retries
//! after a lost answer gets the first answer again and creates nothing twice.

use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::surveys::days;
use engagiert::auth::Role;

fn meeting(title: &str) -> Value {
    json!({"kind": "workshop", "title": title, "format": "online",
           "online_url": "https://meet.example.org/w", "starts_at": days(10), "ends_at": days(11)})
}

async fn meetings_titled(app: &TestApp, admin: &str, title: &str) -> usize {
    let page = app
        .get("/api/v1/meetings?limit=200")
        .bearer(admin)
        .send()
        .await
        .expect(200)
        .json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["title"] == title)
        .count()
}

fn post(app: &TestApp, token: &str, key: &str, body: &Value) -> Req {
    app.post("/api/v1/meetings")
        .bearer(token)
        .header("Idempotency-Key", key)
        .json(body)
}

both_backends! {
    async fn a_retry_gets_the_first_answer_and_creates_nothing(app) {
        let admin = app.admin().await;
        let body = meeting("Einmal");
        let first = post(&app, &admin, "retry-1", &body).send().await.expect(201);
        assert_eq!(first.header("idempotent-replayed"), None);
        let again = post(&app, &admin, "retry-1", &body).send().await.expect(201);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.json(), first.json());
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.header("etag"), first.header("etag"));
        assert_eq!(meetings_titled(&app, &admin, "Einmal").await, 1);
        // Without a key, a repeat is a new request.
        post(&app, &admin, "retry-2", &meeting("Zweimal")).send().await.expect(201);
        app.post("/api/v1/meetings").bearer(&admin).json(&meeting("Zweimal")).send().await.expect(201);
        assert_eq!(meetings_titled(&app, &admin, "Zweimal").await, 2);
    }

    async fn the_same_key_with_another_body_is_refused(app) {
        let admin = app.admin().await;
        post(&app, &admin, "k", &meeting("Erste")).send().await.expect(201);
        let problem = post(&app, &admin, "k", &meeting("Andere")).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["Idempotency-Key"]);
        assert_eq!(meetings_titled(&app, &admin, "Andere").await, 0);
    }

    async fn a_refusal_is_not_kept_so_the_corrected_retry_may_use_the_key(app) {
        let admin = app.admin().await;
        let mut bad = meeting("Kaputt");
        bad["format"] = json!("carrier pigeon");
        post(&app, &admin, "bad", &bad).send().await.problem(422);
        let again = post(&app, &admin, "bad", &bad).send().await;
        assert_eq!(again.header("idempotent-replayed"), None, "a refusal is not replayed");
        again.problem(422);
        // The corrected request, same key: it runs, and from then on it is what is replayed.
        let created = post(&app, &admin, "bad", &meeting("Kaputt")).send().await.expect(201);
        assert_eq!(created.header("idempotent-replayed"), None);
        let replayed = post(&app, &admin, "bad", &meeting("Kaputt")).send().await.expect(201);
        assert_eq!(replayed.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(meetings_titled(&app, &admin, "Kaputt").await, 1);
    }

    async fn keys_belong_to_their_caller(app) {
        let admin = app.admin().await;
        let (_, other) = app.user("zweite@example.org", Role::Admin, None).await;
        let body = meeting("Je einmal");
        let a = post(&app, &admin, "shared", &body).send().await.expect(201).json();
        let b = post(&app, &other, "shared", &body).send().await.expect(201);
        assert_eq!(b.header("idempotent-replayed"), None);
        assert_ne!(a["id"], b.json()["id"]);
        assert_eq!(meetings_titled(&app, &admin, "Je einmal").await, 2);
    }

    async fn parallel_duplicates_create_one_record(app) {
        let admin = app.admin().await;
        let body = meeting("Gleichzeitig");
        let answers = join_all((0..8).map(|_| post(&app, &admin, "parallel", &body).send())).await;
        let mut created = Vec::new();
        for answer in answers {
            match answer.status.as_u16() {
                201 => created.push(answer.json()["id"].clone()),
                409 => {}
                other => panic!("unexpected status {other}"),
            }
        }
        assert!(!created.is_empty());
        assert!(created.iter().all(|id| *id == created[0]), "{created:?}");
        assert_eq!(meetings_titled(&app, &admin, "Gleichzeitig").await, 1);
    }

    async fn expired_keys_are_forgotten(app) {
        use engagiert::db::schema::idempotency_keys;
        let admin = app.admin().await;
        let body = meeting("Gestern");
        post(&app, &admin, "old", &body).send().await.expect(201);
        app.db()
            .run(|conn| {
                let day_ago = engagiert::db::now() - chrono::Duration::hours(25);
                diesel::update(idempotency_keys::table)
                    .set(idempotency_keys::created_at.eq(day_ago))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
        let again = post(&app, &admin, "old", &body).send().await.expect(201);
        assert_eq!(again.header("idempotent-replayed"), None);
        assert_eq!(meetings_titled(&app, &admin, "Gestern").await, 2);
        let kept: i64 = app
            .db()
            .run(|conn| Ok(idempotency_keys::table.count().get_result(conn)?))
            .await
            .unwrap();
        assert_eq!(kept, 1, "the expired key is purged");
    }

    async fn a_malformed_key_is_a_bad_request(app) {
        let admin = app.admin().await;
        post(&app, &admin, &"k".repeat(256), &meeting("Lang")).send().await.problem(400);
        assert_eq!(meetings_titled(&app, &admin, "Lang").await, 0);
    }

    async fn secrets_are_not_kept_for_replay(app) {
        let admin = app.admin().await;
        let body = json!({"name": "Sync", "role": "admin", "expires_at": days(30)});
        let send = || app.post("/api/v1/api-tokens").bearer(&admin).header("Idempotency-Key", "tok").json(&body).send();
        send().await.expect(201);
        let again = send().await.expect(201);
        assert_eq!(again.header("idempotent-replayed"), None);
        use engagiert::db::schema::idempotency_keys;
        let kept: i64 = app
            .db()
            .run(|conn| Ok(idempotency_keys::table.count().get_result(conn)?))
            .await
            .unwrap();
        assert_eq!(kept, 0);
    }
}

/// The files under `dir` and their sizes.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(meta) = entry.metadata() {
            out.push((path, meta.len()));
        }
    }
    out
}

both_backends! {
    async fn an_idempotent_upload_streams_and_is_replayed(app) {
        let admin = app.admin().await;
        let document = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "publication", "title": "Großer Anhang", "summary": "Kurz", "body": "Text", "topics": [], "municipality_ids": []}))
            .send().await.expect(201).json();
        let path = format!("/api/v1/documents/{}/attachments", document["id"].as_str().unwrap());
        let mut content = b"%PDF-1.4\n".to_vec();
        content.resize(12 * 1024 * 1024, b'%');
        content.extend_from_slice(b"\n%%EOF\n");
        let (content_type, body) = crate::documents::multipart("gross.pdf", &content);
        // Over TCP, half the body first: the store already holds the upload's first part
        // (5 MiB) before the rest is sent, so the key's middleware did not wait for the whole.
        let (base, handle) = app.serve();
        let files = app.files.path().to_path_buf();
        let (address, token, path_sent, type_sent) = (base.trim_start_matches("http://").to_owned(), admin.clone(), path.clone(), content_type.clone());
        let answered = actix_web::rt::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            write!(stream, "POST {path_sent} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: gross-1\r\nContent-Type: {type_sent}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
            let half = body.len() / 2;
            stream.write_all(&body[..half]).unwrap();
            let started = std::time::Instant::now();
            while !files_under(&files).iter().any(|(_, size)| *size >= 5 * 1024 * 1024) {
                assert!(started.elapsed() < std::time::Duration::from_secs(20), "nothing reached the store while the body streamed: {:?}", files_under(&files));
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            stream.write_all(&body[half..]).unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            (answer, body)
        }).await;
        handle.stop(true).await;
        let (answer, body) = answered.unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{}", &answer[..answer.len().min(400)]);
        // The retry is answered from the key, the same body hashed as it streams again.
        let again = app.post(&path).bearer(&admin).header("Idempotency-Key", "gross-1")
            .raw(&content_type, body.clone()).send().await.expect(201);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert!(answer.contains(again.json()["id"].as_str().unwrap()));
        // Another file under the same key is another request.
        let (_, other) = crate::documents::multipart("gross.pdf", &content[..content.len() - 1]);
        app.post(&path).bearer(&admin).header("Idempotency-Key", "gross-1").raw(&content_type, other).send().await.problem(422);
        // A refused upload keeps no key: the corrected one runs under it.
        let (_, refused) = crate::documents::multipart("tool.pdf", b"MZ\x90\x00executable");
        app.post(&path).bearer(&admin).header("Idempotency-Key", "gross-2").raw(&content_type, refused).send().await.problem(415);
        let (_, corrected) = crate::documents::multipart("klein.pdf", crate::documents::PDF);
        let created = app.post(&path).bearer(&admin).header("Idempotency-Key", "gross-2").raw(&content_type, corrected).send().await.expect(201);
        assert_eq!(created.header("idempotent-replayed"), None);
        let listed = app.get(&format!("/api/v1/documents/{}", document["id"].as_str().unwrap())).bearer(&admin).send().await.expect(200).json();
        assert_eq!(listed["attachments"].as_array().unwrap().len(), 2, "{listed}");
    }
}
