//! The admin frontend's round trip (rules 21–23): what `GET` returns, `PUT` accepts back —
//! unchanged it keeps the version, edited it bumps it, and the read-only fields are refused
//! only when they would change.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::surveys::{days, survey};

/// One resource of each kind, created through the API as a frontend would; the path of each.
async fn one_of_each(app: &TestApp, admin: &str) -> Vec<String> {
    let unna = app.unna().await;
    let created = |path: &'static str, body: Value| {
        let admin = admin.to_owned();
        async move {
            let response = app
                .post(path)
                .bearer(&admin)
                .json(&body)
                .send()
                .await
                .expect(201)
                .json();
            format!("{path}/{}", response["id"].as_str().unwrap())
        }
    };
    vec![
        format!("/api/v1/municipalities/{unna}"),
        // A POST may carry the initial status (rule 21).
        created("/api/v1/meetings", json!({"kind": "workshop", "title": "Werkstatt", "status": "planned",
            "format": "online", "online_url": "https://meet.example.org/w",
            "starts_at": days(10), "ends_at": days(11),
            "agenda": [{"title": "Ankommen"}, {"title": "Austausch", "speaker": "Netzwerkbüro"}]})).await,
        created("/api/v1/documents", json!({"kind": "method", "title": "Methode", "status": "draft",
            "summary": "Kurz", "municipality_ids": [unna], "links": [{"title": "Mehr", "url": "https://example.org"}]})).await,
        created("/api/v1/surveys", {
            let mut body = survey(false);
            body["status"] = json!("draft");
            body
        }).await,
        created("/api/v1/users", json!({"email": "rt@engagiert.example", "name": "Rund Reise", "role": "editor",
            "municipality_id": unna, "password": PASSWORD})).await,
    ]
}

/// A field each resource lets an admin edit, and a new value for it.
fn edit(path: &str) -> (&'static str, Value) {
    match path.split('/').nth(3) {
        Some("municipalities") => ("population", json!(60_000)),
        Some("users") => ("name", json!("Neu Name")),
        _ => ("title", json!("Neuer Titel")),
    }
}

both_backends! {
    async fn get_then_put_unchanged_keeps_the_version_and_an_edit_bumps_it(app) {
        let admin = app.admin().await;
        for path in one_of_each(&app, &admin).await {
            let read = app.get(&path).bearer(&admin).send().await.expect(200);
            let body = read.json();
            let saved = app.put(&path).bearer(&admin).header("if-match", &read.header("etag").unwrap())
                .json(&body).send().await.expect(200);
            let saved_body = saved.json();
            assert_eq!(saved_body["version"], body["version"], "{path}: unchanged PUT keeps the version");
            assert_eq!(saved_body["updated_at"], body["updated_at"], "{path}");
            assert_eq!(saved.header("etag"), read.header("etag"), "{path}");

            let (field, value) = edit(&path);
            let mut edited = saved_body.clone();
            edited[field] = value.clone();
            let changed = app.put(&path).bearer(&admin).json(&edited).send().await.expect(200).json();
            assert_eq!(changed[field], value, "{path}");
            assert_eq!(changed["version"], body["version"].as_i64().unwrap() + 1, "{path}");
            // The same through PATCH: only the changed field, as a typed client sends it.
            let patched = app.patch(&path).bearer(&admin)
                .header("content-type", "application/merge-patch+json")
                .json(&json!({field: value})).send().await.expect(200).json();
            assert_eq!(patched["version"], changed["version"], "{path}: a PATCH that changes nothing keeps the version");
        }
    }

    async fn read_only_fields_are_refused_only_when_they_change(app) {
        let admin = app.admin().await;
        for path in one_of_each(&app, &admin).await {
            let current = app.get(&path).bearer(&admin).send().await.expect(200).json();
            let with = |key: &str, value: Value| {
                let mut body = current.clone();
                body[key] = value;
                body
            };
            // A stale version is a stale If-Match.
            let stale = with("version", json!(current["version"].as_i64().unwrap() - 1 + 7));
            app.put(&path).bearer(&admin).json(&stale).send().await.problem(412);
            // Another id is 422 naming it.
            let problem = app.put(&path).bearer(&admin).json(&with("id", json!("01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")))
                .send().await.problem(422);
            assert_eq!(error_fields(&problem), ["id"], "{path}");
            // Other read-only fields are ignored whatever they hold (counts and attachments
            // change without the record's version).
            let kept = app.put(&path).bearer(&admin).json(&with("created_at", json!("2001-01-01T00:00:00Z")))
                .send().await.expect(200).json();
            assert_eq!(kept["created_at"], current["created_at"], "{path}");
            assert_eq!(kept["version"], current["version"], "{path}");
            // A status other than the current one names the action that changes it.
            if current.get("status").is_some() {
                let target = match path.split('/').nth(3) {
                    Some("meetings") => "cancelled",
                    Some("documents") => "published",
                    _ => "open",
                };
                let problem = app.put(&path).bearer(&admin).json(&with("status", json!(target))).send().await.problem(409);
                assert_eq!(error_fields(&problem), ["status"], "{path}");
            }
            // A field no resource has stays a 422.
            let problem = app.put(&path).bearer(&admin).json(&with("colour", json!("red"))).send().await.problem(422);
            assert_eq!(error_fields(&problem), ["colour"], "{path}");
            // Nothing of it was stored.
            let after = app.get(&path).bearer(&admin).send().await.expect(200).json();
            assert_eq!(after["version"], current["version"], "{path}");
        }
    }

    async fn a_post_takes_only_the_initial_status(app) {
        let admin = app.admin().await;
        let problem = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "W", "status": "held", "format": "online",
                          "online_url": "https://meet.example.org/w", "starts_at": days(3), "ends_at": days(4)}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["status"]);
    }

    async fn positions_order_agenda_items_and_questions_numbered_from_one(app) {
        let admin = app.admin().await;
        let meeting = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "W", "format": "online", "online_url": "https://meet.example.org/w",
                          "starts_at": days(3), "ends_at": days(4),
                          "agenda": [{"title": "C", "position": 30}, {"title": "A", "position": 10}, {"title": "B", "position": 20}]}))
            .send().await.expect(201).json();
        let agenda: Vec<(i64, String)> = meeting["agenda"].as_array().unwrap().iter()
            .map(|i| (i["position"].as_i64().unwrap(), i["title"].as_str().unwrap().to_owned())).collect();
        assert_eq!(agenda, [(1, "A".into()), (2, "B".into()), (3, "C".into())]);

        let mut body = survey(false);
        body["questions"] = json!([
            {"kind": "text", "text": "Zweite", "position": 2},
            {"kind": "text", "text": "Erste", "position": 1},
            {"kind": "text", "text": "Dritte"}
        ]);
        let created = app.post("/api/v1/surveys").bearer(&admin).json(&body).send().await.expect(201).json();
        let questions: Vec<(i64, String)> = created["questions"].as_array().unwrap().iter()
            .map(|q| (q["position"].as_i64().unwrap(), q["text"].as_str().unwrap().to_owned())).collect();
        assert_eq!(questions, [(1, "Erste".into()), (2, "Zweite".into()), (3, "Dritte".into())]);
    }
}

/// Rule 22: every `PATCH` body has a schema of its own in which nothing is required, at any
/// depth a merge patch reaches (arrays are replaced whole, so their items keep their rules).
#[actix_web::test]
async fn every_patch_body_has_an_all_optional_schema() {
    let app = TestApp::sqlite().await;
    let doc = app
        .get("/api-docs/openapi.json")
        .send()
        .await
        .expect(200)
        .json();
    let schemas = &doc["components"]["schemas"];
    fn nothing_required(schema: &Value, schemas: &Value, path: &str) {
        assert!(
            schema.get("required").is_none(),
            "{path} requires {}",
            schema["required"]
        );
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            if schemas[name].get("properties").is_some() {
                assert!(
                    name.ends_with("Patch"),
                    "{path} refers to {name}, not a patch schema"
                );
                nothing_required(&schemas[name], schemas, &format!("{path} → {name}"));
            }
        }
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            nothing_required(property, schemas, &format!("{path}.{key}"));
        }
        for variant in ["oneOf", "anyOf", "allOf"]
            .iter()
            .flat_map(|k| schema[*k].as_array().into_iter().flatten())
        {
            nothing_required(variant, schemas, path);
        }
    }
    let mut patches = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(patch) = item.get("patch") else {
            continue;
        };
        patches += 1;
        let body = &patch["requestBody"]["content"]["application/merge-patch+json"]["schema"];
        let put = &item["put"]["requestBody"]["content"]["application/json"]["schema"];
        assert_ne!(body, put, "{path}: the PATCH body has a schema of its own");
        nothing_required(body, schemas, path);
    }
    assert!(patches >= 6, "{patches}");
}

both_backends! {
    async fn enum_filters_take_several_values_repeated_or_comma_separated(app) {
        app.unna().await; // arnsberg
        app.municipality(json!({"name": "Paderborn", "kind": "town", "ags": "05774032",
            "membership": {"status": "member", "joined_on": "2020-09-25"}})).await; // detmold
        app.municipality(json!({"name": "Köln", "kind": "independent_city", "ags": "05315000",
            "membership": {"status": "applicant"}})).await; // koeln
        let names = |list: Value| -> Vec<String> {
            let mut names: Vec<String> = list["items"].as_array().unwrap().iter()
                .map(|m| m["name"].as_str().unwrap().to_owned()).collect();
            names.sort();
            names
        };
        let repeated = app.get("/api/v1/municipalities?region=arnsberg&region=detmold").send().await.expect(200).json();
        let commas = app.get("/api/v1/municipalities?region=arnsberg,detmold").send().await.expect(200).json();
        assert_eq!(names(repeated.clone()), ["Paderborn", "Unna"]);
        assert_eq!(names(repeated), names(commas));
        let statuses = app.get("/api/v1/municipalities?status=member,applicant&kind=town&kind=independent_city")
            .send().await.expect(200).json();
        assert_eq!(names(statuses), ["Köln", "Paderborn", "Unna"]);
        let problem = app.get("/api/v1/municipalities?region=arnsberg,atlantis").send().await.problem(400);
        assert_eq!(error_fields(&problem), ["region"]);
        // A parameter that takes one value still refuses two.
        app.get("/api/v1/municipalities?limit=1&limit=2").send().await.problem(400);
        let meetings = app.get("/api/v1/meetings?status=planned,held&format=online&format=hybrid").send().await.expect(200).json();
        assert_eq!(meetings["total"], 0);
    }
}

both_backends! {
    async fn bodies_name_municipalities_by_uuid_ags_or_slug(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let paderborn = app.municipality(json!({"name": "Paderborn", "kind": "town", "ags": "05774032",
            "membership": {"status": "member", "joined_on": "2020-09-25"}})).await;
        let kreis = app.municipality(json!({"name": "Kreis Unna", "kind": "district", "ags": "05978",
            "membership": {"status": "member", "joined_on": "2020-03-05"}})).await;
        // By slug and AGS in a list, answered with the UUIDs.
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "method", "title": "T", "municipality_ids": ["unna", "05774032"]}))
            .send().await.expect(201).json();
        assert_eq!(doc["municipality_ids"], json!([unna, paderborn]));
        let meeting = app.post("/api/v1/meetings").bearer(&admin)
            .json(&json!({"kind": "workshop", "title": "W", "format": "online", "online_url": "https://meet.example.org/w",
                          "starts_at": crate::surveys::days(3), "ends_at": crate::surveys::days(4), "host_municipality_id": "05978036"}))
            .send().await.expect(201).json();
        assert_eq!(meeting["host_municipality_id"], unna);
        let patched = app.patch(&format!("/api/v1/municipalities/{unna}")).bearer(&admin)
            .json(&json!({"district_id": "kreis-unna"})).send().await.expect(200).json();
        assert_eq!(patched["district_id"], kreis);
        let user = app.post("/api/v1/users").bearer(&admin)
            .json(&json!({"email": "ref@engagiert.example", "name": "R", "role": "editor",
                          "municipality_id": "paderborn", "password": PASSWORD}))
            .send().await.expect(201).json();
        assert_eq!(user["municipality_id"], paderborn);
        // A key that names nothing is 422 naming the field (and the item).
        let problem = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "method", "title": "T", "municipality_ids": ["unna", "atlantis"]}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["municipality_ids[1]"]);
    }
}
