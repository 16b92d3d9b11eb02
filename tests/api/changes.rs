//! The change feed (API: "History, changes and retries"): every committed change once, in
//! commit order, for those who may read it; `wait=` without a held connection; a cursor
//! that does not skip a transaction that commits late.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use diesel::Connection;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::history::{create_town, town};
use crate::surveys::days;
use engagiert::history::revisions::{Action, Actor};
use engagiert::municipalities::service::Municipalities;
use engagiert::resource::Resource;
use engagiert::resource::recording::Before;

/// Every item of the change feed after `after`, following `next`.
async fn follow(app: &TestApp, token: &str, after: &str, query: &str) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = after.to_owned();
    loop {
        let page = app
            .get(&format!("/api/v1/changes?after={cursor}&limit=7{query}"))
            .bearer(token)
            .send()
            .await
            .expect(200)
            .json();
        let got = page["items"].as_array().unwrap().clone();
        cursor = page["next"].as_str().unwrap().to_owned();
        if got.is_empty() {
            return (items, cursor);
        }
        items.extend(got);
    }
}

/// Asks the feed at `url` (with `wait=`) over TCP from another thread: the answer and how
/// long it took.
fn wait_in_background(url: String, token: &str) -> std::thread::JoinHandle<(Value, Duration)> {
    let token = token.to_owned();
    std::thread::spawn(move || {
        let began = Instant::now();
        let mut answer = ureq::get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        let body: Value = answer.body_mut().read_json().unwrap();
        (body, began.elapsed())
    })
}

fn keys(items: &[Value]) -> Vec<(String, String, i64, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["collection"].as_str().unwrap().to_owned(),
                i["id"].as_str().unwrap().to_owned(),
                i["version"].as_i64().unwrap(),
                i["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

both_backends! {
    async fn the_feed_lists_every_change_once_in_commit_order_for_those_who_may_read_it(app) {
        let admin = app.admin().await;
        let (_, start) = follow(&app, &admin, "", "").await;
        let id = create_town(&app, &admin, "Werne", "05978040").await;
        let editor = app.editor(&id).await;
        let path = format!("/api/v1/municipalities/{id}");
        app.patch(&path).bearer(&admin).json(&json!({"population": 29000})).send().await.expect(200);
        let meeting = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "W", "format": "online", "online_url": "https://meet.example.org/w",
                          "starts_at": days(10), "ends_at": days(11)}))
            .send().await.expect(201).json();
        let meeting_id = meeting["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/meetings/{meeting_id}/registrations")).bearer(&editor)
            .json(&json!({"attendees": 2})).send().await.expect(201);
        let draft = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "practice_example", "title": "Geheim", "municipality_ids": []}))
            .send().await.expect(201).json();
        let draft_id = draft["id"].as_str().unwrap().to_owned();
        app.delete(&path).bearer(&admin).send().await.expect(204);

        let (items, next) = follow(&app, &admin, &start, "").await;
        let seen: Vec<_> = keys(&items).into_iter().filter(|k| k.0 != "users").collect();
        assert_eq!(seen.iter().map(|k| (k.0.as_str(), k.2, k.3.as_str())).collect::<Vec<_>>(), vec![
            ("municipalities", 1, "created"),
            ("municipalities", 2, "updated"),
            ("meetings", 1, "created"),
            ("registrations", 1, "created"),
            ("documents", 1, "created"),
            ("municipalities", 3, "deleted"),
        ]);
        let cursors: Vec<i64> = items.iter().map(|i| i["cursor"].as_str().unwrap().rsplit('.').next().unwrap().parse().unwrap()).collect();
        assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
        assert_eq!(next, items.last().unwrap()["cursor"].as_str().unwrap());
        assert_eq!(items.last().unwrap()["path"], path);
        // Nothing new: the same cursor again.
        let (none, same) = follow(&app, &admin, &next, "").await;
        assert!(none.is_empty());
        assert_eq!(same, next);
        // One collection only.
        let (meetings, _) = follow(&app, &admin, &start, "&collection=meetings").await;
        assert_eq!(keys(&meetings), vec![("meetings".into(), meeting_id, 1, "created".into())]);
        // An editor sees neither accounts nor others' drafts, but their own registration.
        let (theirs, _) = follow(&app, &editor, &start, "").await;
        let collections: HashSet<_> = theirs.iter().map(|i| i["collection"].as_str().unwrap().to_owned()).collect();
        assert!(!collections.contains("users"));
        assert!(collections.contains("registrations"));
        assert!(!theirs.iter().any(|i| i["id"] == draft_id.as_str()));
        // Bad input is a clear 400; the feed is for signed-in callers.
        for query in ["after=abc", "after=-1", "limit=0", "limit=1001", "wait=31", "collection=nope", "colour=red"] {
            app.get(&format!("/api/v1/changes?{query}")).bearer(&admin).send().await.problem(400);
        }
        app.get("/api/v1/changes").send().await.problem(401);
    }

    async fn attachments_are_changes_of_their_own(app) {
        let admin = app.admin().await;
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "practice_example", "title": "Mit Anhang", "municipality_ids": []}))
            .send().await.expect(201).json();
        let (_, start) = follow(&app, &admin, "", "").await;
        let boundary = "XyZ";
        let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--{boundary}--\r\n");
        let attachment = app.post(&format!("/api/v1/documents/{}/attachments", doc["id"].as_str().unwrap())).bearer(&admin)
            .raw(&format!("multipart/form-data; boundary={boundary}"), body.into_bytes()).send().await.expect(201).json();
        let attachment_id = attachment["id"].as_str().unwrap().to_owned();
        app.delete(&format!("/api/v1/attachments/{attachment_id}")).bearer(&admin).send().await.expect(204);
        let (items, _) = follow(&app, &admin, &start, "&collection=attachments").await;
        assert_eq!(keys(&items), vec![
            ("attachments".into(), attachment_id.clone(), 1, "created".into()),
            ("attachments".into(), attachment_id, 2, "deleted".into()),
        ]);
    }

    async fn wait_holds_the_request_until_a_change_arrives(app) {
        let admin = app.admin().await;
        let (_, start) = follow(&app, &admin, "", "").await;
        // Nothing arrives: an empty page after the wait.
        let began = Instant::now();
        let empty = app.get(&format!("/api/v1/changes?after={start}&wait=1")).bearer(&admin).send().await.expect(200).json();
        assert!(empty["items"].as_array().unwrap().is_empty());
        assert!(began.elapsed() >= Duration::from_millis(900));
        // A change arrives while the request waits: it answers at once with it.
        let (base, handle) = app.serve();
        let url = format!("{base}/api/v1/changes?after={start}&wait=20");
        let waiting = wait_in_background(url, &admin);
        actix_web::rt::time::sleep(Duration::from_millis(400)).await;
        let id = create_town(&app, &admin, "Lünen", "05978024").await;
        let (body, took) = actix_web::web::block(move || waiting.join().unwrap()).await.unwrap();
        assert_eq!(body["items"][0]["id"], id.as_str());
        assert!(took < Duration::from_secs(10), "answered after {took:?}");
        handle.stop(false).await;
    }

    async fn followers_see_every_acknowledged_write_exactly_once(app) {
        // Writers and a follower at once: what the follower saw equals what was
        // acknowledged, each once, versions ascending per record.
        let admin = app.admin().await;
        let (_, start) = follow(&app, &admin, "", "&collection=municipalities").await;
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        eprintln!("seed {seed}");
        let (base, handle) = app.serve();
        let writers: Vec<_> = (0..4u64).map(|w| {
            let (base, admin) = (base.clone(), admin.clone());
            std::thread::spawn(move || {
                let mut state = seed ^ (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut next = move || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
                let mut mine: Vec<String> = Vec::new();
                let mut acknowledged = Vec::new();
                for step in 0..12u64 {
                    let auth = format!("Bearer {admin}");
                    let answer: Value = if mine.is_empty() || next() % 3 == 0 {
                        let body = town(&format!("Ort {w}-{step}"), &format!("05{}99{step:03}", [1, 3, 5, 7][w as usize]));
                        ureq::post(&format!("{base}/api/v1/municipalities")).header("Authorization", &auth)
                            .send_json(&body).unwrap().body_mut().read_json().unwrap()
                    } else {
                        let id = &mine[(next() as usize) % mine.len()];
                        ureq::patch(&format!("{base}/api/v1/municipalities/{id}")).header("Authorization", &auth)
                            .header("Content-Type", "application/merge-patch+json")
                            .send(serde_json::to_vec(&json!({"population": 2000 + step * 10 + w})).unwrap())
                            .unwrap().body_mut().read_json().unwrap()
                    };
                    let id = answer["id"].as_str().unwrap().to_owned();
                    if !mine.contains(&id) { mine.push(id.clone()); }
                    acknowledged.push((id, answer["version"].as_i64().unwrap()));
                }
                acknowledged
            })
        }).collect();
        let follower = {
            let (base, admin) = (base.clone(), admin.clone());
            let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stop = done.clone();
            let thread = std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut cursor = start;
                let mut quiet_after_done = 0;
                while quiet_after_done < 2 {
                    let finished = stop.load(std::sync::atomic::Ordering::SeqCst);
                    let page: Value = ureq::get(&format!("{base}/api/v1/changes?after={cursor}&limit=5&collection=municipalities&wait=1"))
                        .header("Authorization", &format!("Bearer {admin}")).call().unwrap().body_mut().read_json().unwrap();
                    let items = page["items"].as_array().unwrap().clone();
                    cursor = page["next"].as_str().unwrap().to_owned();
                    if items.is_empty() && finished { quiet_after_done += 1; }
                    seen.extend(items);
                }
                seen
            });
            (thread, done)
        };
        let acknowledged: Vec<(String, i64)> = actix_web::web::block(move || {
            writers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        }).await.unwrap();
        follower.1.store(true, std::sync::atomic::Ordering::SeqCst);
        let (thread, _) = follower;
        let seen = actix_web::web::block(move || thread.join().unwrap()).await.unwrap();
        handle.stop(false).await;
        let seen_keys: Vec<(String, i64)> = seen.iter().map(|i| (i["id"].as_str().unwrap().to_owned(), i["version"].as_i64().unwrap())).collect();
        let unique: HashSet<_> = seen_keys.iter().cloned().collect();
        assert_eq!(unique.len(), seen_keys.len(), "a change was seen twice");
        let wanted: HashSet<_> = acknowledged.into_iter().collect();
        assert_eq!(unique, wanted);
        let mut last: BTreeMap<String, i64> = BTreeMap::new();
        for (id, version) in seen_keys {
            let before = last.insert(id.clone(), version).unwrap_or(0);
            assert!(version > before, "{id}: version {version} after {before}");
        }
    }
}

/// The test app on PostgreSQL, for what only happens there; `None` (skipped) without one.
async fn postgres() -> Option<TestApp> {
    let app = TestApp::postgres().await;
    if app.is_none() {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
    }
    app
}

/// The cursor on PostgreSQL, where transactions commit in another order than they began:
/// A writes first but commits last. A follower of the feed still sees A's change; a script
/// that polls `updated_since` with the newest `updated_at` it saw misses it for good.
#[actix_web::test]
async fn the_cursor_sees_a_transaction_that_commits_after_a_later_one() {
    let Some(app) = postgres().await else { return };
    let admin = app.admin().await;
    let a = create_town(&app, &admin, "Ahlen", "05978001").await;
    let b = create_town(&app, &admin, "Bergkamen", "05978008").await;
    let (_, start) = follow(&app, &admin, "", "&collection=municipalities").await;
    let polled_at = (chrono::Utc::now() - chrono::Duration::milliseconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);

    // A begins and writes its row, as the pipeline does, but has not committed.
    let (wrote, a_wrote) = std::sync::mpsc::channel::<()>();
    let (go, a_may_commit) = std::sync::mpsc::channel::<()>();
    let (db, a_id) = (app.db().clone(), a.clone());
    let transaction_a = std::thread::spawn(move || {
        let mut conn = db.connection().unwrap();
        conn.transaction::<_, engagiert::error::ApiError, _>(|conn| {
            let current = Municipalities::find(conn, &a_id)?.unwrap();
            let details = Municipalities::details(conn, std::slice::from_ref(&current))?;
            let mut input =
                serde_json::to_value(Municipalities::input(&current, &details)?).unwrap();
            input["population"] = json!(5555);
            let input = serde_json::from_value(input).unwrap();
            let row = engagiert::municipalities::service::store(
                conn,
                &current,
                &input,
                &engagiert::history::revisions::Actor::system(),
            )?;
            wrote.send(()).unwrap();
            a_may_commit.recv().unwrap();
            let after = Municipalities::details(conn, std::slice::from_ref(&row))?;
            engagiert::resource::recording::record::<Municipalities>(
                conn,
                &Actor::system(),
                Action::Updated,
                Before::Row(&current, &details),
                &row,
                &after,
            )
        })
        .unwrap();
    });
    actix_web::web::block(move || a_wrote.recv().unwrap())
        .await
        .unwrap();

    // B begins, writes and commits.
    let b_path = format!("/api/v1/municipalities/{b}");
    app.patch(&b_path)
        .bearer(&admin)
        .json(&json!({"population": 7777}))
        .send()
        .await
        .expect(200);

    // The follower reads: B's change, by either way.
    let (first, next) = follow(&app, &admin, &start, "&collection=municipalities").await;
    assert_eq!(
        keys(&first),
        vec![("municipalities".into(), b.clone(), 2, "updated".into())]
    );
    let poll = |since: String| {
        let query = format!(
            "/api/v1/municipalities?updated_since={}&limit=200",
            since.replace('+', "%2B")
        );
        let app = &app;
        let admin = admin.clone();
        async move {
            let page = app
                .get(&query)
                .bearer(&admin)
                .send()
                .await
                .expect(200)
                .json();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["id"].as_str().unwrap().to_owned(),
                        m["updated_at"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let polled = poll(polled_at).await;
    assert_eq!(
        polled.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        vec![b.as_str()]
    );
    let newest_seen = polled[0].1.clone();

    // A commits.
    go.send(()).unwrap();
    actix_web::web::block(move || transaction_a.join().unwrap())
        .await
        .unwrap();

    // The feed, from where the follower stood, has A's change.
    let (second, _) = follow(&app, &admin, &next, "&collection=municipalities").await;
    assert_eq!(
        keys(&second),
        vec![("municipalities".into(), a.clone(), 2, "updated".into())]
    );
    // `updated_since` from the newest change seen never shows it: A's `updated_at` is older.
    let repolled = poll(newest_seen).await;
    assert!(
        !repolled.iter().any(|p| p.0 == a),
        "updated_since found A: {repolled:?}"
    );
    let live = app
        .get(&format!("/api/v1/municipalities/{a}"))
        .bearer(&admin)
        .send()
        .await
        .expect(200)
        .json();
    assert_eq!(
        live["population"], 5555,
        "A's change is committed, yet the poll missed it"
    );
}

/// On PostgreSQL a waiting request also wakes for a change another instance commits: it
/// listens (`LISTEN`) instead of holding a connection. Here the change is written past this
/// instance's own announcement, as another instance's would be.
#[actix_web::test]
async fn wait_wakes_for_changes_of_other_instances() {
    let Some(app) = postgres().await else { return };
    let admin = app.admin().await;
    let id = create_town(&app, &admin, "Schwerte", "05978032").await;
    let (_, start) = follow(&app, &admin, "", "").await;
    let (base, handle) = app.serve();
    let url = format!("{base}/api/v1/changes?after={start}&wait=25");
    let waiting = wait_in_background(url, &admin);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let key = id.clone();
    app.db()
        .run(move |conn| {
            engagiert::db::write_transaction(conn, &mut |conn| {
                let row = Municipalities::find(conn, &key)?.unwrap();
                let details = Municipalities::details(conn, std::slice::from_ref(&row))?;
                engagiert::resource::recording::record::<Municipalities>(
                    conn,
                    &Actor::system(),
                    Action::Updated,
                    Before::Nothing,
                    &row,
                    &details,
                )
            })
        })
        .await
        .unwrap();
    let (body, took) = actix_web::web::block(move || waiting.join().unwrap())
        .await
        .unwrap();
    assert_eq!(body["items"][0]["id"], id.as_str());
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    handle.stop(false).await;
}
