//! The OParl 1.1 interface as an OParl client walks it: from `/oparl/v1/system` through
//! every list, page and object's own URL, each object validated against the OParl 1.1
//! schema of its type (vendored in `tests/fixtures/oparl-1.1-schema`, CC BY-SA 4.0); the
//! mapping, the filters with their deletion markers, and pagination.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::documents::{PDF, multipart};
use crate::helpers::*;
use crate::meetings::meeting;

const OPARL: &str = "https://schema.oparl.org/1.1/";

/// The OParl schemas, one validator per type.
struct Schemas(BTreeMap<String, jsonschema::Validator>);

impl Schemas {
    fn load() -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/oparl-1.1-schema");
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let schema: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                files.insert(name, schema);
            }
        }
        let mut registry = jsonschema::Registry::new();
        for (name, schema) in &files {
            registry = registry
                .add(format!("{OPARL}{name}.json"), schema.clone())
                .unwrap();
        }
        let registry = registry.prepare().unwrap();
        let validators = files
            .iter()
            .map(|(name, schema)| {
                let validator = jsonschema::options()
                    .with_registry(&registry)
                    .should_validate_formats(true)
                    .with_format("url", |s: &str| url::Url::parse(s).is_ok())
                    .build(schema)
                    .unwrap_or_else(|e| panic!("the {name} schema compiles: {e}"));
                (name.clone(), validator)
            })
            .collect();
        Schemas(validators)
    }

    /// Validates an object (not a deletion marker) against the schema its `type` names.
    fn check(&self, object: &Value) {
        let kind = object["type"]
            .as_str()
            .unwrap()
            .strip_prefix(OPARL)
            .unwrap();
        let validator = self
            .0
            .get(kind)
            .unwrap_or_else(|| panic!("no schema for {kind}"));
        let errors: Vec<String> = validator
            .iter_errors(object)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{kind} {}: {errors:#?}", object["id"]);
    }
}

/// No `null` anywhere, and every timestamp in the contract's form.
fn check_values(value: &Value, key: &str) {
    match value {
        Value::Null => panic!("`{key}` is null"),
        Value::Array(items) => items.iter().for_each(|v| check_values(v, key)),
        Value::Object(fields) => fields.iter().for_each(|(k, v)| check_values(v, k)),
        Value::String(text) if matches!(key, "created" | "modified" | "start" | "end") => {
            let ok = text.len() == 25
                && chrono::DateTime::parse_from_rfc3339(text).is_ok()
                && text.ends_with("+00:00");
            assert!(ok, "`{key}` {text} is not yyyy-mm-ddThh:mm:ss+00:00");
        }
        _ => {}
    }
}

fn path_of(url: &str) -> String {
    url.strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is not under {PUBLIC_URL}"))
        .to_owned()
}

async fn get(app: &TestApp, url: &str) -> Value {
    app.get(&path_of(url)).send().await.expect(200).json()
}

/// Every object of a list, page by page along `next`; checks the pagination on the way.
async fn walk(app: &TestApp, url: &str) -> Vec<Value> {
    let mut objects = Vec::new();
    let mut next = Some(url.to_owned());
    let mut total = None;
    while let Some(url) = next {
        let page = get(app, &url).await;
        let count = page["pagination"]["totalElements"].as_u64().unwrap();
        assert_eq!(*total.get_or_insert(count), count, "totalElements stays");
        assert!(
            page["links"]["self"]
                .as_str()
                .unwrap()
                .starts_with(url.split('?').next().unwrap())
        );
        objects.extend(page["data"].as_array().unwrap().iter().cloned());
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        objects.len() as u64,
        total.unwrap(),
        "{url}: every page walked"
    );
    objects
}

struct Seeded {
    admin: String,
    unna: String,
    meeting: String,
    cancelled: String,
    paper: String,
    draft: String,
    main_file: String,
    contact: String,
}

/// POSTs `body` as the admin and returns the new record's id.
async fn created(app: &TestApp, admin: &str, path: &str, body: &Value) -> String {
    let answer = app
        .post(path)
        .bearer(admin)
        .json(body)
        .send()
        .await
        .expect(201)
        .json();
    answer["id"].as_str().unwrap().to_owned()
}

async fn seed(app: &TestApp) -> Seeded {
    let admin = app.admin().await;
    let unna = app.unna().await;
    let path = format!("/api/v1/municipalities/{unna}");
    let contacts = json!({"location": {"lat": 51.5347, "lon": 7.6889}, "website": "https://www.unna.de", "contacts": [
        {"name": "Petra Beispiel", "role": "Engagementbeauftragte", "email": "petra.beispiel@unna.example",
         "phone": "02303 1000", "publish": ["name", "role", "email"]},
        {"name": "Interne Person", "role": "Sachbearbeitung", "email": "intern@unna.example", "publish": []}
    ]});
    let updated = app
        .patch(&path)
        .bearer(&admin)
        .json(&contacts)
        .send()
        .await
        .expect(200)
        .json();
    let contact = updated["contacts"][0]["id"].as_str().unwrap().to_owned();
    let mut body = meeting("Netzwerktreffen Unna", 20);
    body["host_municipality_id"] = json!(unna);
    body["agenda"] = json!([{"position": 1, "title": "Begrüßung"}, {"position": 2, "title": "Ehrenamtskarte"},
                            {"position": 3, "title": "Ausblick"}]);
    let meeting_id = created(app, &admin, "/api/v1/meetings", &body).await;
    let cancelled = created(
        app,
        &admin,
        "/api/v1/meetings",
        &meeting("Abgesagtes Treffen", 30),
    )
    .await;
    let cancel = app
        .post(&format!("/api/v1/meetings/{cancelled}/cancel"))
        .bearer(&admin);
    cancel.send().await.expect(200);
    let document = json!({"kind": "practice_example", "title": "Ehrenamtsagentur Unna", "summary": "Kurz",
                          "topics": ["ehrenamtsagentur"], "municipality_ids": [unna]});
    let paper = created(app, &admin, "/api/v1/documents", &document).await;
    let upload = async |name: &str, content: &[u8], main: bool| {
        let (content_type, body) = multipart(name, content);
        let query = if main { "?main=true" } else { "" };
        let request = app.post(&format!("/api/v1/documents/{paper}/attachments{query}"));
        let answer = request
            .bearer(&admin)
            .raw(&content_type, body)
            .send()
            .await
            .expect(201)
            .json();
        answer["id"].as_str().unwrap().to_owned()
    };
    upload("anhang.txt", b"Ein Anhang.", false).await;
    let main_file = upload("leitfaden.pdf", PDF, true).await;
    let publish = app
        .post(&format!("/api/v1/documents/{paper}/publish"))
        .bearer(&admin);
    publish.send().await.expect(200);
    let draft = json!({"kind": "method", "title": "Entwurf", "municipality_ids": [unna]});
    let draft = created(app, &admin, "/api/v1/documents", &draft).await;
    Seeded {
        admin,
        unna,
        meeting: meeting_id,
        cancelled,
        paper,
        draft,
        main_file,
        contact,
    }
}

/// Every list of the Body, each object of every page (and each embedded one) validated,
/// and each object's own URL answering the same object.
async fn walk_all(app: &TestApp, schemas: &Schemas) -> BTreeMap<String, Vec<Value>> {
    let system = app.get("/oparl/v1/system").send().await.expect(200).json();
    schemas.check(&system);
    check_values(&system, "");
    assert_eq!(system["oparlVersion"], "https://schema.oparl.org/1.1/");
    let bodies = walk(app, system["body"].as_str().unwrap()).await;
    assert_eq!(bodies.len(), 1, "one Body: the network");
    let body = &bodies[0];
    assert_eq!(body["classification"], "Kommunales Netzwerk");
    assert_eq!(get(app, body["id"].as_str().unwrap()).await, *body);
    let mut lists = BTreeMap::new();
    lists.insert("body".to_owned(), bodies.clone());
    for list in [
        "organization",
        "person",
        "meeting",
        "paper",
        "agendaItem",
        "file",
        "membership",
        "locationList",
        "legislativeTermList",
    ] {
        let objects = walk(app, body[list].as_str().unwrap()).await;
        lists.insert(list.to_owned(), objects);
    }
    for objects in lists.values() {
        for object in objects {
            check_values(object, "");
            schemas.check(object);
            for embedded in ["location", "mainFile"] {
                if object[embedded].is_object() {
                    schemas.check(&object[embedded]);
                }
            }
            for embedded in ["agendaItem", "auxiliaryFile", "membership"] {
                for item in object[embedded]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|i| i.is_object())
                {
                    schemas.check(item);
                }
            }
            assert_eq!(
                get(app, object["id"].as_str().unwrap()).await,
                *object,
                "its own URL answers it"
            );
        }
    }
    assert!(lists["legislativeTermList"].is_empty());
    lists
}

fn find<'a>(objects: &'a [Value], key: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o["id"].as_str().unwrap().ends_with(&format!("/{key}")))
}

both_backends! {
    async fn every_object_validates_against_the_oparl_schema_of_its_type(app) {
        seed(&app).await;
        let schemas = Schemas::load();
        // The schemas do refuse what is not OParl.
        let wrong = json!({"id": "not a url", "type": format!("{OPARL}AgendaItem"), "order": "erster"});
        assert!(!schemas.0["AgendaItem"].is_valid(&wrong));
        let lists = walk_all(&app, &schemas).await;
        for (list, least) in [("organization", 1), ("person", 1), ("meeting", 2), ("paper", 1),
                              ("agendaItem", 3), ("file", 2), ("membership", 1), ("locationList", 2)] {
            assert!(lists[list].len() >= least, "{list}: {:?}", lists[list]);
        }
    }

    async fn the_mapping_shows_members_meetings_papers_and_only_published_contacts(app) {
        let s = seed(&app).await;
        let lists = walk_all(&app, &Schemas::load()).await;
        let unna = find(&lists["organization"], &s.unna).unwrap();
        assert_eq!(unna["organizationType"], "Institution");
        assert_eq!(unna["classification"], "Mitgliedskommune");
        assert_eq!(unna["startDate"], "2024-01-15");
        assert_eq!(unna["engagiert:ags"], "05978036");
        assert_eq!(unna["engagiert:membershipPeriods"], json!([{"startDate": "2024-01-15"}]));
        assert_eq!(unna["location"]["geojson"]["geometry"]["coordinates"], json!([7.6889, 51.5347]));

        let meeting = find(&lists["meeting"], &s.meeting).unwrap();
        let names: Vec<&str> = meeting["agendaItem"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Begrüßung", "Ehrenamtskarte", "Ausblick"]);
        let orders: Vec<i64> = meeting["agendaItem"].as_array().unwrap().iter().map(|i| i["order"].as_i64().unwrap()).collect();
        assert_eq!(orders, [0, 1, 2]);
        assert_eq!(meeting["cancelled"], false);
        assert_eq!(meeting["location"]["locality"], "Unna");
        assert_eq!(meeting["organization"], json!([unna["id"]]));
        let cancelled = find(&lists["meeting"], &s.cancelled).unwrap();
        assert_eq!((&cancelled["cancelled"], &cancelled["meetingState"]), (&json!(true), &json!("abgesagt")));

        let paper = find(&lists["paper"], &s.paper).unwrap();
        assert_eq!(paper["paperType"], "Praxisbeispiel");
        assert_eq!(paper["originatorOrganization"], json!([unna["id"]]));
        assert_eq!(paper["keyword"], json!(["ehrenamtsagentur"]));
        assert!(paper["mainFile"]["id"].as_str().unwrap().ends_with(&s.main_file), "the marked file is the main file");
        assert_eq!(paper["auxiliaryFile"].as_array().unwrap().len(), 1);
        let download = app.get(&path_of(paper["mainFile"]["accessUrl"].as_str().unwrap())).send().await.expect(200);
        assert_eq!(download.body.as_ref(), PDF, "accessUrl downloads the same bytes");
        assert!(find(&lists["paper"], &s.draft).is_none(), "no drafts");

        assert_eq!(lists["person"].len(), 1, "only the published contact: {:?}", lists["person"]);
        let person = find(&lists["person"], &s.contact).unwrap();
        assert_eq!(person["name"], "Petra Beispiel");
        assert_eq!(person["email"], json!(["petra.beispiel@unna.example"]));
        assert!(person.get("phone").is_none(), "the phone is not published");
        let membership = &lists["membership"][0];
        assert_eq!(membership["role"], "Engagementbeauftragte");
        assert_eq!(membership["organization"], unna["id"]);
        assert_eq!(person["membership"][0], *membership);
        let everything = serde_json::to_string(&lists).unwrap();
        for hidden in ["Interne Person", "intern@unna.example", "02303", "Entwurf"] {
            assert!(!everything.contains(hidden), "{hidden} appears");
        }
    }

    async fn modified_since_shows_deletions_as_markers_and_filters_stay_in_the_links(app) {
        let s = seed(&app).await;
        // Objects show whole seconds: the changes below fall in a later second than the seed.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let before = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let meeting = app.get(&format!("/api/v1/meetings/{}", s.meeting)).send().await.expect(200);
        let etag = meeting.header("etag").unwrap();
        app.delete(&format!("/api/v1/meetings/{}", s.meeting)).bearer(&s.admin).header("If-Match", &etag).send().await.expect(204);
        let unna = app.get(&format!("/api/v1/municipalities/{}", s.unna)).bearer(&s.admin).send().await.expect(200).json();
        let mut contacts = unna["contacts"].clone();
        contacts[0]["publish"] = json!([]);
        app.patch(&format!("/api/v1/municipalities/{}", s.unna)).bearer(&s.admin)
            .json(&json!({"contacts": contacts})).send().await.expect(200);

        let document = app.get(&format!("/api/v1/documents/{}", s.paper)).send().await.expect(200);
        let etag = document.header("etag").unwrap();
        app.delete(&format!("/api/v1/documents/{}", s.paper)).bearer(&s.admin).header("If-Match", &etag).send().await.expect(204);

        let since = url::form_urlencoded::byte_serialize(before.as_bytes()).collect::<String>();
        let changed = app.get(&format!("/oparl/v1/organizations?modified_since={since}")).send().await.expect(200).json();
        assert!(find(changed["data"].as_array().unwrap(), &s.unna).is_some(), "the changed municipality: {changed}");
        let unchanged = app.get(&format!("/oparl/v1/meetings?modified_since={since}")).send().await.expect(200).json();
        assert!(find(unchanged["data"].as_array().unwrap(), &s.cancelled).is_none(), "an unchanged meeting: {unchanged}");
        for (list, key) in [("meetings", &s.meeting), ("persons", &s.contact), ("memberships", &s.contact),
                            ("papers", &s.paper), ("files", &s.main_file)] {
            let page = app.get(&format!("/oparl/v1/{list}?modified_since={since}&utm_source=x")).send().await.expect(200).json();
            let marker = find(page["data"].as_array().unwrap(), key).unwrap_or_else(|| panic!("{list}: {page}"));
            let fields: HashSet<&str> = marker.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(fields, HashSet::from(["id", "type", "created", "modified", "deleted"]), "{marker}");
            assert_eq!(marker["deleted"], true);
            check_values(marker, "");
            assert_eq!(get(&app, marker["id"].as_str().unwrap()).await, *marker, "its own URL answers the marker");
            let links = &page["links"];
            for link in ["first", "last", "self"] {
                assert!(links[link].as_str().unwrap().contains("modified_since="), "{link}: {links}");
            }
            let plain = app.get(&format!("/oparl/v1/{list}")).send().await.expect(200).json();
            assert!(find(plain["data"].as_array().unwrap(), key).is_none(), "{list} without modified_since: {plain}");
        }
        let agenda = app.get(&format!("/oparl/v1/agenda-items?modified_since={since}")).send().await.expect(200).json();
        assert!(agenda["data"].as_array().unwrap().iter().all(|item| item["deleted"] == true), "{agenda}");

        let future = (Utc::now() + Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
        for list in ["organizations", "papers", "meetings"] {
            let page = app.get(&format!("/oparl/v1/{list}?created_since={}", future.replace('+', "%2B"))).send().await.expect(200).json();
            assert_eq!(page["data"], json!([]));
            assert_eq!(page["pagination"]["totalElements"], 0);
            assert!(page["links"]["self"].as_str().unwrap().contains("created_since="));
        }
        let problem = app.get("/oparl/v1/meetings?modified_since=gestern").send().await.problem(400);
        assert!(problem["detail"].as_str().unwrap().contains("modified_since"), "{problem}");
        app.get("/oparl/v1/committees").send().await.problem(404);
        app.get("/oparl/v1/meetings/unknown").send().await.problem(404);
    }

    async fn limit_one_walks_every_object_once(app) {
        seed(&app).await;
        for list in ["organizations", "persons", "meetings", "papers", "agenda-items", "files", "memberships", "locations"] {
            let whole = app.get(&format!("/oparl/v1/{list}")).send().await.expect(200).json();
            let ids: Vec<&Value> = whole["data"].as_array().unwrap().iter().map(|o| &o["id"]).collect();
            let walked = walk(&app, &format!("{PUBLIC_URL}/oparl/v1/{list}?limit=1")).await;
            let walked_ids: Vec<&Value> = walked.iter().map(|o| &o["id"]).collect();
            assert_eq!(walked_ids, ids, "{list}: the same objects once each, in the same order");
            assert_eq!(whole["pagination"]["totalElements"].as_u64().unwrap() as usize, ids.len());
        }
    }

    async fn agenda_items_keep_their_ids_when_the_agenda_changes(app) {
        let s = seed(&app).await;
        let ids = |meeting: &Value| -> Vec<String> {
            meeting["agendaItem"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
        };
        let before = app.get(&format!("/oparl/v1/meetings/{}", s.meeting)).send().await.expect(200).json();
        let path = format!("/api/v1/meetings/{}", s.meeting);
        let agenda = json!({"agenda": [{"position": 1, "title": "Begrüßung und Einführung"}, {"position": 2, "title": "Ausblick"},
                                       {"position": 3, "title": "Ehrenamtskarte"}]});
        app.patch(&path).bearer(&s.admin).json(&agenda).send().await.expect(200);
        let after = app.get(&format!("/oparl/v1/meetings/{}", s.meeting)).send().await.expect(200).json();
        let (before, after) = (ids(&before), ids(&after));
        assert_eq!(after[1], before[2], "a moved item keeps its id");
        assert_eq!(after[2], before[1], "a moved item keeps its id");
        assert_eq!(after[0], before[0], "an item renamed in place keeps its id");
    }

    async fn oparl_answers_are_public_cached_and_conditional(app) {
        seed(&app).await;
        let first = app.get("/oparl/v1/organizations").header("Origin", "https://www.unna.de").send().await.expect(200);
        assert_eq!(first.header("access-control-allow-origin").as_deref(), Some("*"));
        let etag = first.header("etag").unwrap();
        app.get("/oparl/v1/organizations").header("If-None-Match", &etag).send().await.expect(304);
        // HEAD through a real server: dependable.rs, head_answers_like_get_without_a_body.
    }
}
