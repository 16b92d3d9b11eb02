//! History (API: "History, changes and retries"): every write recorded as a revision with
//! its merge patch, restore and undelete, who may see what, and the audit log.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::surveys::days;
use engagiert::auth::Role;

pub(crate) fn town(name: &str, ags: &str) -> Value {
    json!({"name": name, "kind": "town", "ags": ags, "population": 1000,
           "membership": {"status": "member", "joined_on": "2024-01-15"}})
}

pub(crate) async fn create_town(app: &TestApp, admin: &str, name: &str, ags: &str) -> String {
    let created = app
        .post("/api/v1/municipalities")
        .bearer(admin)
        .json(&town(name, ags))
        .send()
        .await
        .expect(201)
        .json();
    created["id"].as_str().unwrap().to_owned()
}

async fn revisions(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let page = app
        .get(&format!("{path}/revisions"))
        .bearer(token)
        .send()
        .await
        .expect(200)
        .json();
    page["items"].as_array().unwrap().clone()
}

/// `(action, version, changes)` of each revision, newest first.
fn summary(revisions: &[Value]) -> Vec<(String, i64, Value)> {
    revisions
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["version"].as_i64().unwrap(),
                r["changes"].clone(),
            )
        })
        .collect()
}

both_backends! {
    async fn every_write_of_a_municipality_is_a_revision_with_its_merge_patch(app) {
        let admin = app.admin().await;
        let id = create_town(&app, &admin, "Kamen", "05978020").await;
        let path = format!("/api/v1/municipalities/{id}");
        app.patch(&path).bearer(&admin).json(&json!({"population": 43000, "description": "Stadt"})).send().await.expect(200);
        // A write that changes nothing is no new version and no revision.
        app.patch(&path).bearer(&admin).json(&json!({"population": 43000})).send().await.expect(200);
        app.patch(&path).bearer(&admin).json(&json!({"description": null})).send().await.expect(200);
        app.delete(&path).bearer(&admin).send().await.expect(204);
        let revs = revisions(&app, &admin, &path).await;
        let s = summary(&revs);
        assert_eq!(s.len(), 4, "{revs:?}");
        assert_eq!(s[0], ("deleted".into(), 4, json!({})));
        assert_eq!(s[1], ("updated".into(), 3, json!({"description": null})));
        assert_eq!(s[2], ("updated".into(), 2, json!({"population": 43000, "description": "Stadt"})));
        assert_eq!(s[3].0, "created");
        assert_eq!(s[3].2["name"], "Kamen");
        assert_eq!(s[3].2["population"], 1000);
        // The actor is the admin, by name.
        assert_eq!(revs[0]["actor"]["kind"], "user");
        assert_eq!(revs[0]["actor"]["name"], "Test admin@engagiert.example");
        // One revision carries the record as it was.
        let first = app.get(&format!("{path}/revisions/2")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(first["record"]["population"], 43000);
        assert_eq!(first["record"]["description"], "Stadt");
        assert_eq!(first["record"]["name"], "Kamen");
        app.get(&format!("{path}/revisions/9")).bearer(&admin).send().await.problem(404);
        // Lists page like every list.
        let page = app.get(&format!("{path}/revisions?limit=1&offset=1")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(page["total"], 4);
        assert_eq!(page["items"][0]["version"], 3);
    }

    async fn restore_makes_an_old_version_current_and_brings_deleted_records_back(app) {
        let admin = app.admin().await;
        let id = create_town(&app, &admin, "Bönen", "05978004").await;
        let path = format!("/api/v1/municipalities/{id}");
        app.patch(&path).bearer(&admin).json(&json!({"population": 18000, "name": "Boenen"})).send().await.expect(200);
        // A stale If-Match is refused and changes nothing.
        app.post(&format!("{path}/revisions/1/restore")).bearer(&admin)
            .header("If-Match", &format!("\"{id}.v1\"")).send().await.problem(412);
        let restored = app.post(&format!("{path}/revisions/1/restore")).bearer(&admin)
            .header("If-Match", &format!("\"{id}.v2\"")).send().await.expect(200);
        assert_eq!(restored.header("etag").unwrap(), format!("\"{id}.v3\""));
        let body = restored.json();
        assert_eq!((body["name"].clone(), body["population"].clone(), body["version"].clone()), (json!("Bönen"), json!(1000), json!(3)));
        let s = summary(&revisions(&app, &admin, &path).await);
        assert_eq!(s[0], ("restored".into(), 3, json!({"name": "Bönen", "population": 1000})));
        // Deleted, then restored: it comes back, as a new version.
        app.delete(&path).bearer(&admin).send().await.expect(204);
        app.get(&path).bearer(&admin).send().await.problem(410);
        let back = app.post(&format!("{path}/revisions/2/restore")).bearer(&admin)
            .header("If-Match", &format!("\"{id}.v4\"")).send().await.expect(200).json();
        assert_eq!((back["name"].clone(), back["version"].clone()), (json!("Boenen"), json!(5)));
        let live = app.get(&path).bearer(&admin).send().await.expect(200).json();
        assert_eq!(live["population"], 18000);
        // Undeleting without a change of fields is still one new version.
        app.delete(&path).bearer(&admin).send().await.expect(204);
        let again = app.post(&format!("{path}/revisions/5/restore")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(again["version"], 7);
        let s = summary(&revisions(&app, &admin, &path).await);
        assert_eq!((s[0].0.as_str(), s[0].1, s[0].2.clone()), ("restored", 7, json!({})));
        // Restoring the current state changes nothing.
        let same = app.post(&format!("{path}/revisions/7/restore")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(same["version"], 7);
        // Only admins restore; unknown versions are 404.
        let editor = app.editor(&id).await;
        app.post(&format!("{path}/revisions/1/restore")).bearer(&editor).send().await.problem(403);
        app.post(&format!("{path}/revisions/99/restore")).bearer(&admin).send().await.problem(404);
    }

    async fn who_sees_which_revisions(app) {
        let admin = app.admin().await;
        let ours = create_town(&app, &admin, "Holzwickede", "05978016").await;
        let theirs = create_town(&app, &admin, "Fröndenberg", "05978012").await;
        let ours_editor = app.editor(&ours).await;
        let path = format!("/api/v1/municipalities/{ours}");
        assert_eq!(revisions(&app, &admin, &path).await.len(), 1);
        assert_eq!(revisions(&app, &ours_editor, &path).await.len(), 1);
        app.get(&format!("/api/v1/municipalities/{theirs}/revisions")).bearer(&ours_editor).send().await.problem(403);
        app.get(&format!("{path}/revisions")).send().await.problem(401);
        app.get(&format!("{path}/revisions/1")).send().await.problem(401);
        // A draft of another municipality does not exist for an editor.
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "practice_example", "title": "Entwurf", "municipality_ids": [theirs]}))
            .send().await.expect(201).json();
        let doc_path = format!("/api/v1/documents/{}", doc["id"].as_str().unwrap());
        app.get(&format!("{doc_path}/revisions")).bearer(&ours_editor).send().await.problem(404);
        let theirs_editor = app.editor(&theirs).await;
        assert_eq!(revisions(&app, &theirs_editor, &doc_path).await.len(), 1);
        // Meetings, surveys and accounts are the office's.
        let meeting = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "W", "format": "online", "online_url": "https://meet.example.org/w",
                          "starts_at": days(10), "ends_at": days(11)}))
            .send().await.expect(201).json();
        app.get(&format!("/api/v1/meetings/{}/revisions", meeting["id"].as_str().unwrap())).bearer(&ours_editor).send().await.problem(403);
    }

    async fn each_resource_and_action_is_recorded(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        // Meetings: created, changed, cancelled (an action: its status in the patch), deleted.
        let meeting = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "Werkstatt", "format": "online", "online_url": "https://meet.example.org/w",
                          "starts_at": days(10), "ends_at": days(11)}))
            .send().await.expect(201).json();
        let m = format!("/api/v1/meetings/{}", meeting["id"].as_str().unwrap());
        app.patch(&m).bearer(&admin).json(&json!({"title": "Werkstatt II"})).send().await.expect(200);
        app.post(&format!("{m}/cancel")).bearer(&admin).send().await.expect(200);
        app.delete(&m).bearer(&admin).send().await.expect(204);
        let s = summary(&revisions(&app, &admin, &m).await);
        assert_eq!(s.iter().map(|r| (r.0.as_str(), r.1)).collect::<Vec<_>>(),
                   vec![("deleted", 4), ("updated", 3), ("updated", 2), ("created", 1)]);
        assert_eq!(s[1].2, json!({"status": "cancelled"}));
        assert_eq!(s[2].2, json!({"title": "Werkstatt II"}));
        assert_eq!(s[3].2["status"], "planned");
        // Documents: the workflow too.
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "practice_example", "title": "Praxis", "municipality_ids": [unna]}))
            .send().await.expect(201).json();
        let d = format!("/api/v1/documents/{}", doc["id"].as_str().unwrap());
        app.post(&format!("{d}/publish")).bearer(&admin).send().await.expect(200);
        let s = summary(&revisions(&app, &admin, &d).await);
        assert_eq!(s[0], ("updated".into(), 2, json!({"status": "published"})));
        assert_eq!(s[1].2["title"], "Praxis");
        // Surveys.
        let survey = app.post("/api/v1/surveys").bearer(&admin)
            .json(&json!({"title": "Umfrage", "opens_at": days(-1), "closes_at": days(30),
                          "questions": [{"kind": "yes_no", "text": "Wie viele?"}]}))
            .send().await.expect(201).json();
        let v = format!("/api/v1/surveys/{}", survey["id"].as_str().unwrap());
        app.patch(&v).bearer(&admin).json(&json!({"title": "Umfrage 2026"})).send().await.expect(200);
        app.post(&format!("{v}/open")).bearer(&admin).send().await.expect(200);
        let s = summary(&revisions(&app, &admin, &v).await);
        assert_eq!(s[0], ("updated".into(), 3, json!({"status": "open"})));
        assert_eq!(s[1], ("updated".into(), 2, json!({"title": "Umfrage 2026"})));
        assert_eq!(s[2].2["questions"][0]["text"], "Wie viele?");
        // Users: a password change is a revision without the password or its hash.
        let user = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"email": "erika@unna.de", "name": "Erika", "role": "editor", "municipality_id": unna, "password": PASSWORD}))
            .send().await.expect(201).json();
        let u = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
        app.patch(&u).bearer(&admin).json(&json!({"name": "Erika M."})).send().await.expect(200);
        app.patch(&u).bearer(&admin).json(&json!({"password": "ein ganz neues Passwort"})).send().await.expect(200);
        let revs = revisions(&app, &admin, &u).await;
        let s = summary(&revs);
        assert_eq!(s[1], ("updated".into(), 2, json!({"name": "Erika M."})));
        for version in 1..=revs.len() {
            let one = app.get(&format!("{u}/revisions/{version}")).bearer(&admin).send().await.expect(200).text();
            for secret in [PASSWORD, "ein ganz neues Passwort", "$argon2", "password_hash"] {
                assert!(!one.contains(secret), "revision {version} holds {secret}: {one}");
            }
            assert!(one.contains("erika@unna.de"));
        }
    }

    async fn the_audit_log_filters_by_collection_actor_action_and_time(app) {
        let admin = app.admin().await;
        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        let id = create_town(&app, &admin, "Selm", "05978028").await;
        let (editor_id, editor) = app.user("redaktion@selm.de", Role::Editor, Some(&id)).await;
        let path = format!("/api/v1/municipalities/{id}");
        app.patch(&path).bearer(&editor).json(&json!({"description": "Von der Redaktion"})).send().await.expect(200);
        app.delete(&path).bearer(&admin).send().await.expect(204);
        let get = |query: &str| app.get(&format!("/api/v1/audit?{query}")).bearer(&admin).send();
        let all = get("collection=municipalities").await.expect(200).json();
        assert_eq!(all["total"], 3);
        assert_eq!(all["items"][0]["action"], "deleted");
        assert_eq!(all["items"][0]["path"], path);
        let by_editor = get(&format!("actor_id={editor_id}")).await.expect(200).json();
        assert_eq!(by_editor["total"], 1);
        assert_eq!(by_editor["items"][0]["changes"], json!({"description": "Von der Redaktion"}));
        assert_eq!(get("action=deleted").await.expect(200).json()["total"], 1);
        let since = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(get(&format!("collection=municipalities&since={since}")).await.expect(200).json()["total"], 3);
        assert_eq!(get(&format!("collection=municipalities&until={since}")).await.expect(200).json()["total"], 0);
        // A script's API token is an actor of its own, by its name.
        let issued = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Website-Sync", "role": "admin", "expires_at": days(30)}))
            .send().await.expect(201).json();
        let script = issued["token"].as_str().unwrap();
        create_town(&app, script, "Nordkirchen", "05558036").await;
        let by_token = get(&format!("actor_id={}", issued["id"].as_str().unwrap())).await.expect(200).json();
        assert_eq!(by_token["total"], 1);
        assert_eq!(by_token["items"][0]["actor"], json!({"id": issued["id"], "name": "Website-Sync", "kind": "token"}));
        // Users made by the test helpers are the service's doing.
        let users = get("collection=users").await.expect(200).json();
        assert_eq!(users["items"][0]["actor"]["kind"], "system");
        get("collection=nothing").await.problem(400);
        get("action=renamed").await.problem(400);
        app.get("/api/v1/audit").bearer(&editor).send().await.problem(403);
        app.get("/api/v1/audit").send().await.problem(401);
    }

}

crate::both_backends! {
    async fn a_revision_shows_the_record_as_get_showed_it_with_id_and_version(app) {
        let admin = app.admin().await;
        let id = create_town(&app, &admin, "Unna", "05978036").await;
        let path = format!("/api/v1/municipalities/{id}");
        let shown = app.get(&path).bearer(&admin).send().await.expect(200).json();
        app.patch(&path).bearer(&admin).json(&json!({"population": 2000})).send().await.expect(200);
        let revision = app.get(&format!("{path}/revisions/1")).bearer(&admin).send().await.expect(200).json();
        let record = &revision["record"];
        assert_eq!(record["id"], shown["id"]);
        assert_eq!(record["version"], 1);
        assert_eq!(record["population"], 1000);
        assert_eq!(record["name"], shown["name"]);
        assert!(record["updated_at"].is_string());
    }
}
