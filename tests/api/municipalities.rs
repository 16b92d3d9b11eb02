use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

pub fn kreis_unna() -> Value {
    json!({"name": "Kreis Unna", "kind": "district", "ags": "05978", "population": 395900,
           "location": {"lat": 51.5347, "lon": 7.6889},
           "membership": {"status": "member", "joined_on": "2020-03-05"}})
}

pub fn unna(district_id: Option<&str>) -> Value {
    json!({"name": "Unna", "official_name": "Kreisstadt Unna", "kind": "town", "ags": "05978036",
           "district_id": district_id, "population": 58633, "website": "https://www.unna.de",
           "location": {"lat": 51.5348, "lon": 7.6889},
           "membership": {"status": "member", "council_decision_on": "2023-12-07",
                          "declaration_signed_on": "2024-01-15", "joined_on": "2024-01-15"},
           "engagement_office": {"name": "Ehrenamtsagentur Unna", "email": "ehrenamt@unna.de"},
           "contacts": [
               {"name": "Erika Muster", "role": "Ehrenamtskoordinatorin", "email": "erika@unna.de", "public": true},
               {"name": "Interne Person", "phone": "+49 2303 103-0"}
           ],
           "volunteer_card": "yes", "description": "Demodaten: Unna.", "topics": ["ehrenamtskarte", "ehrenamtsagentur"]})
}

pub fn paderborn() -> Value {
    json!({"name": "Paderborn", "official_name": "Stadt Paderborn", "kind": "town", "ags": "05774032",
           "population": 157000, "location": {"lat": 51.7189, "lon": 8.7575},
           "membership": {"status": "member", "joined_on": "2020-09-25", "declaration_signed_on": "2020-09-25"},
           "topics": ["ehrenamtskarte", "quartier"]})
}

pub fn koeln() -> Value {
    json!({"name": "Köln", "official_name": "Stadt Köln", "kind": "independent_city", "ags": "05315000",
           "population": 1080000, "location": {"lat": 50.9375, "lon": 6.9603},
           "membership": {"status": "former", "joined_on": "2019-06-01", "left_on": "2022-12-31"}})
}

pub fn arnsberg() -> Value {
    json!({"name": "Bezirksregierung Arnsberg", "kind": "regional_authority", "region": "arnsberg",
           "membership": {"status": "member", "joined_on": "2019-06-01"}})
}

pub async fn create(app: &TestApp, admin: &str, body: &Value) -> Value {
    app.post("/api/v1/municipalities")
        .bearer(admin)
        .json(body)
        .send()
        .await
        .expect(201)
        .json()
}

/// Kreis Unna, Unna, Paderborn, Köln and the Bezirksregierung; returns them by slug.
pub async fn network(app: &TestApp, admin: &str) -> std::collections::HashMap<String, Value> {
    let district = create(app, admin, &kreis_unna()).await;
    let mut all = vec![district.clone()];
    all.push(create(app, admin, &unna(district["id"].as_str())).await);
    all.push(create(app, admin, &paderborn()).await);
    all.push(create(app, admin, &koeln()).await);
    all.push(create(app, admin, &arnsberg()).await);
    all.into_iter()
        .map(|m| (m["slug"].as_str().unwrap().to_owned(), m))
        .collect()
}

fn slugs(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn created_municipality_is_found_by_uuid_ags_and_slug(app) {
        let admin = app.admin().await;
        let all = network(&app, &admin).await;
        let unna = &all["unna"];
        assert_eq!(unna["region"], "arnsberg", "derived from the AGS");
        assert_eq!(unna["official_name"], "Kreisstadt Unna");
        assert_eq!(unna["membership_history"][0]["status"], "member");
        assert_eq!(unna["membership_history"][0]["on"], "2024-01-15");
        for key in [unna["id"].as_str().unwrap(), "05978036", "unna"] {
            let found = app.get(&format!("/api/v1/municipalities/{key}")).bearer(&admin).send().await.expect(200).json();
            assert_eq!(found, *unna, "{key}");
        }
        assert_eq!(all["kreis-unna"]["ags"], "05978");
        assert_eq!(all["koeln"]["name"], "Köln");
        for missing in ["05978099", "nirgendwo", "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"] {
            app.get(&format!("/api/v1/municipalities/{missing}")).send().await.problem(404);
        }
        // A duplicate slug or AGS is a conflict.
        let problem = app.post("/api/v1/municipalities").bearer(&admin).json(&paderborn()).send().await.problem(409);
        assert!(["slug", "ags"].contains(&error_fields(&problem)[0].as_str()), "{problem}");
    }

    async fn municipality_validation_names_each_field(app) {
        let admin = app.admin().await;
        let district = create(&app, &admin, &kreis_unna()).await;
        let district_id = district["id"].as_str().unwrap().to_owned();
        let paderborn_city = create(&app, &admin, &paderborn()).await;
        let base = unna(Some(&district_id));
        let with = |patch: Value| {
            let mut body = base.clone();
            engagiert::http::merge_patch::merge(&mut body, &patch);
            body
        };
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (with(json!({"ags": "5978036"})), vec!["ags"]),
            (with(json!({"ags": "06978036"})), vec!["ags"]),
            (with(json!({"ags": "05978"})), vec!["ags", "district_id"]),
            (with(json!({"region": "koeln"})), vec!["region"]),
            (with(json!({"kind": "regional_authority"})), vec!["ags", "district_id"]),
            (with(json!({"kind": "village"})), vec!["kind"]),
            (with(json!({"slug": "Unna Stadt"})), vec!["slug"]),
            (with(json!({"slug": "12345"})), vec!["slug"]),
            (with(json!({"name": ""})), vec!["name"]),
            (with(json!({"website": "www.unna.de"})), vec!["website"]),
            (with(json!({"location": {"lat": 48.1, "lon": 11.5}})), vec!["location.lat", "location.lon"]),
            (with(json!({"location": {"lon": null}})), vec!["location.lon"]),
            (with(json!({"population": -5})), vec!["population"]),
            (with(json!({"membership": {"joined_on": null}})), vec!["membership.joined_on"]),
            (with(json!({"membership": {"declaration_signed_on": "2023-01-01"}})), vec!["membership.declaration_signed_on"]),
            (with(json!({"membership": {"status": "former"}})), vec!["membership.left_on"]),
            (with(json!({"membership": {"status": "applicant"}})), vec!["membership.status"]),
            (with(json!({"membership": {"joined_on": "2024-13-01"}})), vec!["membership.joined_on"]),
            (with(json!({"volunteer_card": "maybe"})), vec!["volunteer_card"]),
            (with(json!({"engagement_office": {"name": "X", "email": "not-mail"}})), vec!["engagement_office.email"]),
            (with(json!({"engagement_office": {"name": "X", "phone": "call me"}})), vec!["engagement_office.phone"]),
            (with(json!({"contacts": [{"name": ""}]})), vec!["contacts[0].name"]),
            (with(json!({"topics": ["a", "a"]})), vec!["topics[1]"]),
            (with(json!({"district_id": paderborn_city["id"]})), vec!["district_id"]),
            (with(json!({"district_id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"})), vec!["district_id"]),
            (with(json!({"colour": "blue"})), vec!["colour"]),
        ];
        for (body, fields) in cases {
            let problem = app.post("/api/v1/municipalities").bearer(&admin).json(&body).send().await.problem(422);
            let mut got = error_fields(&problem);
            got.sort();
            let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{problem}");
        }
        let list = app.get("/api/v1/municipalities").send().await.expect(200).json();
        assert_eq!(list["total"], 2, "nothing was stored");
        // A district whose key does not begin the AGS.
        let other_district = create(&app, &admin, &json!({"name": "Kreis Paderborn", "kind": "district", "ags": "05774"})).await;
        let problem = app.post("/api/v1/municipalities").bearer(&admin)
            .json(&with(json!({"district_id": other_district["id"]}))).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["district_id"]);
        app.post("/api/v1/municipalities").bearer(&admin).json(&base).send().await.expect(201);
    }

    async fn editors_change_only_their_own_profile(app) {
        let admin = app.admin().await;
        let all = network(&app, &admin).await;
        let unna_id = all["unna"]["id"].as_str().unwrap();
        let editor = app.editor(unna_id).await;
        // Their own profile and contacts: yes.
        let changed = app.patch("/api/v1/municipalities/unna").bearer(&editor)
            .json(&json!({"description": "Neu", "contacts": [{"name": "Neue Kontaktperson", "public": true}], "population": 59000}))
            .send().await.expect(200).json();
        assert_eq!(changed["description"], "Neu");
        assert_eq!(changed["contacts"].as_array().unwrap().len(), 1);
        // Membership, name or AGS: the office's.
        for patch in [json!({"membership": {"left_on": "2030-01-01", "status": "former"}}), json!({"name": "Unna an der Ruhr"}),
                      json!({"ags": "05978040"}), json!({"volunteer_card": "no"})] {
            let problem = app.patch("/api/v1/municipalities/unna").bearer(&editor).json(&patch).send().await.problem(403);
            assert_eq!(error_fields(&problem).len(), 1, "{problem}");
        }
        // Another municipality, creating and deleting: no.
        app.patch("/api/v1/municipalities/paderborn").bearer(&editor).json(&json!({"description": "x"})).send().await.problem(403);
        app.put("/api/v1/municipalities/paderborn").bearer(&editor).json(&paderborn()).send().await.problem(403);
        app.post("/api/v1/municipalities").bearer(&editor).json(&arnsberg()).send().await.problem(403);
        app.delete("/api/v1/municipalities/unna").bearer(&editor).send().await.problem(403);
        // Anonymous: 401. Admin: everything.
        app.patch("/api/v1/municipalities/unna").json(&json!({"description": "x"})).send().await.problem(401);
        app.patch("/api/v1/municipalities/unna").bearer(&admin)
            .json(&json!({"membership": {"status": "former", "left_on": "2030-01-01"}})).send().await.expect(200);
        app.delete("/api/v1/municipalities/paderborn").bearer(&admin).send().await.expect(204);
        app.get("/api/v1/municipalities/paderborn").send().await.problem(410);
        app.get("/api/v1/municipalities/05774032").send().await.problem(410);
    }

    async fn anonymous_readers_see_only_public_contacts(app) {
        let admin = app.admin().await;
        let all = network(&app, &admin).await;
        let anonymous = app.get("/api/v1/municipalities/unna").send().await.expect(200);
        let members = app.get("/api/v1/municipalities/unna").bearer(&admin).send().await.expect(200);
        assert_ne!(anonymous.header("etag"), members.header("etag"), "different representations, different tags");
        let contact_names = |m: &Value| -> Vec<String> {
            m["contacts"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(contact_names(&anonymous.json()), ["Erika Muster"]);
        assert_eq!(contact_names(&members.json()), ["Erika Muster", "Interne Person"]);
        let list = app.get("/api/v1/municipalities?q=unna&kind=town").send().await.expect(200).json();
        assert_eq!(contact_names(&list["items"][0]), ["Erika Muster"]);
        let csv = app.get("/api/v1/exports/municipalities.csv").send().await.expect(200).text();
        assert!(!csv.contains("Interne Person") && !csv.contains("Erika Muster"));
        // An If-Match from either view guards a change.
        let etag = anonymous.header("etag").unwrap();
        app.patch("/api/v1/municipalities/unna").bearer(&admin).header("if-match", &etag)
            .json(&json!({"description": "x"})).send().await.expect(200);
        app.patch("/api/v1/municipalities/unna").bearer(&admin).header("if-match", &etag)
            .json(&json!({"description": "y"})).send().await.problem(412);
        let _ = all;
    }

    async fn every_filter_and_sort(app) {
        let admin = app.admin().await;
        let all = network(&app, &admin).await;
        let district_id = all["kreis-unna"]["id"].as_str().unwrap();
        let cases: Vec<(String, Vec<&str>)> = vec![
            ("".into(), vec!["bezirksregierung-arnsberg", "koeln", "kreis-unna", "paderborn", "unna"]),
            ("kind=town".into(), vec!["paderborn", "unna"]),
            ("region=arnsberg".into(), vec!["bezirksregierung-arnsberg", "kreis-unna", "unna"]),
            ("status=former".into(), vec!["koeln"]),
            (format!("district_id={district_id}"), vec!["unna"]),
            ("topic=quartier".into(), vec!["paderborn"]),
            ("topic=ehrenamtskarte".into(), vec!["paderborn", "unna"]),
            ("q=koeln".into(), vec!["koeln"]),
            ("q=K%C3%96LN".into(), vec!["koeln"]),
            ("q=unna".into(), vec!["kreis-unna", "unna"]),
            ("q=50%25".into(), vec![]),
            ("ags=05774032".into(), vec!["paderborn"]),
            ("member_on=2020-09-24".into(), vec!["bezirksregierung-arnsberg", "koeln", "kreis-unna"]),
            ("member_on=2020-09-25".into(), vec!["bezirksregierung-arnsberg", "koeln", "kreis-unna", "paderborn"]),
            ("member_on=2022-12-31".into(), vec!["bezirksregierung-arnsberg", "kreis-unna", "paderborn"]),
            ("member_on=2024-01-15".into(), vec!["bezirksregierung-arnsberg", "kreis-unna", "paderborn", "unna"]),
            ("sort=-population".into(), vec!["koeln", "kreis-unna", "paderborn", "unna", "bezirksregierung-arnsberg"]),
            // Equal dates fall back to the order of creation (the time-ordered id).
            ("sort=joined_on".into(), vec!["koeln", "bezirksregierung-arnsberg", "kreis-unna", "paderborn", "unna"]),
            ("sort=-name".into(), vec!["unna", "paderborn", "kreis-unna", "koeln", "bezirksregierung-arnsberg"]),
        ];
        for (query, expected) in cases {
            let list = app.get(&format!("/api/v1/municipalities?{query}")).send().await.expect(200).json();
            assert_eq!(slugs(&list), expected, "{query}");
            assert_eq!(list["total"], expected.len(), "{query}");
        }
        for query in ["kind=village", "region=bayern", "status=maybe", "district_id=kreis%2Funna", "ags=123", "member_on=yesterday", "sort=ags"] {
            app.get(&format!("/api/v1/municipalities?{query}")).send().await.problem(400);
        }
    }

    async fn statistics_follow_join_and_leave_dates(app) {
        let admin = app.admin().await;
        network(&app, &admin).await;
        // A deleted member is left out of every figure.
        let extra = create(&app, &admin, &json!({"name": "Hamm", "kind": "independent_city", "ags": "05915000",
            "membership": {"status": "member", "joined_on": "2021-01-01"}})).await;
        app.delete(&format!("/api/v1/municipalities/{}", extra["id"].as_str().unwrap())).bearer(&admin).send().await.expect(204);
        let stats = app.get("/api/v1/stats/membership").send().await.expect(200).json();
        // Hand-computed: Arnsberg and Köln join 2019-06-01 (2), Kreis Unna 2020-03-05 (3),
        // Paderborn 2020-09-25 (4), Köln leaves 2022-12-31 (3), Unna joins 2024-01-15 (4).
        assert_eq!(stats["timeline"], json!([
            {"date": "2019-06-01", "members": 2}, {"date": "2020-03-05", "members": 3},
            {"date": "2020-09-25", "members": 4}, {"date": "2022-12-31", "members": 3},
            {"date": "2024-01-15", "members": 4}
        ]));
        assert_eq!(stats["members"], 4);
        assert_eq!(stats["by_region"], json!({"arnsberg": 3, "detmold": 1, "duesseldorf": 0, "koeln": 0, "muenster": 0}));
        assert_eq!(stats["by_kind"]["town"], 2);
        assert_eq!(stats["by_kind"]["regional_authority"], 1);
        assert_eq!(stats["by_kind"]["independent_city"], 0);
        let past = app.get("/api/v1/stats/membership?on=2020-09-25").send().await.expect(200).json();
        assert_eq!(past["members"], 4);
        let past = app.get("/api/v1/stats/membership?on=2020-09-24").send().await.expect(200).json();
        assert_eq!(past["members"], 3);
        app.get("/api/v1/stats/membership?on=soon").send().await.problem(400);
    }

    async fn exports_parse_back_and_match_the_list(app) {
        let admin = app.admin().await;
        network(&app, &admin).await;
        let list = app.get("/api/v1/municipalities?region=arnsberg").send().await.expect(200).json();
        let csv_response = app.get("/api/v1/exports/municipalities.csv?region=arnsberg").send().await.expect(200);
        assert!(csv_response.header("content-type").unwrap().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(csv_response.body.as_ref());
        let headers = reader.headers().unwrap().clone();
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), list["items"].as_array().unwrap().len());
        for (record, item) in records.iter().zip(list["items"].as_array().unwrap()) {
            let column = |name: &str| record.get(headers.iter().position(|h| h == name).unwrap()).unwrap().to_owned();
            assert_eq!(column("id"), item["id"].as_str().unwrap());
            assert_eq!(column("name"), item["name"].as_str().unwrap());
            assert_eq!(column("ags"), item["ags"].as_str().unwrap_or(""));
            assert_eq!(column("joined_on"), item["membership"]["joined_on"].as_str().unwrap_or(""));
            assert_eq!(column("topics"), item["topics"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect::<Vec<_>>().join(";"));
        }
        let empty = app.get("/api/v1/exports/municipalities.csv?region=koeln&status=member").send().await.expect(200).text();
        assert_eq!(empty.lines().count(), 1, "only the header: {empty}");
        // Exports ignore parameters they do not define; the list's filters stay strict.
        app.get("/api/v1/exports/municipalities.csv?limit=5&utm_source=newsletter").send().await.expect(200);
        app.get("/api/v1/exports/municipalities.csv?region=nowhere").send().await.problem(400);

        let geo = app.get("/api/v1/exports/municipalities.geojson").send().await.expect(200);
        assert_eq!(geo.header("content-type").as_deref(), Some("application/geo+json"));
        let collection: geojson::FeatureCollection = geo.text().parse::<geojson::GeoJson>().unwrap().try_into().unwrap();
        let members = app.get("/api/v1/municipalities?status=member").send().await.expect(200).json();
        let expected: Vec<&Value> = members["items"].as_array().unwrap().iter().filter(|m| !m["location"].is_null()).collect();
        assert_eq!(collection.features.len(), expected.len());
        for (feature, member) in collection.features.iter().zip(expected) {
            let geojson::Value::Point(point) = &feature.geometry.as_ref().unwrap().value else { panic!("not a point") };
            assert_eq!(point[0], member["location"]["lon"].as_f64().unwrap());
            assert_eq!(point[1], member["location"]["lat"].as_f64().unwrap());
            assert_eq!(feature.property("slug").unwrap(), &member["slug"]);
        }
    }

    async fn csv_import_round_trips(app) {
        let admin = app.admin().await;
        network(&app, &admin).await;
        let exported = app.get("/api/v1/exports/municipalities.csv").send().await.expect(200).body;
        // Into a second, empty network.
        let target = TestApp::sqlite().await;
        let import = |csv: Vec<u8>, dry_run: bool| {
            let db = target.db().clone();
            async move {
                db.run(move |conn| engagiert::municipalities::import::import(conn, &csv, dry_run, &engagiert::history::revisions::Actor::system(), |_, _| {})).await.unwrap()
            }
        };
        let dry = import(exported.to_vec(), true).await;
        assert_eq!(dry.created.len(), 5);
        let empty = target.get("/api/v1/municipalities").send().await.expect(200).json();
        assert_eq!(empty["total"], 0, "a dry run changes nothing");
        let report = import(exported.to_vec(), false).await;
        assert_eq!((report.created.len(), report.errors.len()), (5, 0), "{report:?}");
        let again = import(exported.to_vec(), false).await;
        assert_eq!(again.unchanged, 5, "{again:?}");
        let reexported = target.get("/api/v1/exports/municipalities.csv").send().await.expect(200).body;
        let strip = |csv: &[u8]| -> Vec<Vec<String>> {
            let mut reader = csv::Reader::from_reader(csv);
            reader.records().map(|r| {
                let r = r.unwrap();
                // id, district_id and updated_at are the database's own.
                r.iter().enumerate().filter(|(i, _)| ![0, 7, 26].contains(i)).map(|(_, v)| v.to_owned()).collect()
            }).collect()
        };
        assert_eq!(strip(&reexported), strip(&exported));
        // A change is an update matched by AGS.
        let changed = "ags,population\n05978036,59000\n";
        let report = import(changed.as_bytes().to_vec(), false).await;
        assert_eq!(report.changed.len(), 1, "{report:?}");
        let unna = target.get("/api/v1/municipalities/05978036").send().await.expect(200).json();
        assert_eq!(unna["population"], 59000);
        assert_eq!(unna["version"], 2);
    }

    async fn membership_history_records_each_status_change(app) {
        let admin = app.admin().await;
        let created = create(&app, &admin, &json!({"name": "Selm", "kind": "town", "ags": "05978032",
            "membership": {"status": "applicant", "council_decision_on": "2026-02-05"}})).await;
        assert_eq!(created["membership"]["status"], "applicant");
        app.patch("/api/v1/municipalities/selm").bearer(&admin)
            .json(&json!({"membership": {"status": "member", "declaration_signed_on": "2026-06-01", "joined_on": "2026-06-01"}}))
            .send().await.expect(200);
        let unchanged = app.patch("/api/v1/municipalities/selm").bearer(&admin).json(&json!({"population": 26000})).send().await.expect(200).json();
        let history: Vec<(String, String)> = unchanged["membership_history"].as_array().unwrap().iter()
            .map(|e| (e["status"].as_str().unwrap().to_owned(), e["on"].as_str().unwrap().to_owned())).collect();
        assert_eq!(history, [("applicant".into(), "2026-02-05".into()), ("member".into(), "2026-06-01".into())]);
        // Read-only: ignored (rule 21), the history stays.
        let kept = app.patch("/api/v1/municipalities/selm").bearer(&admin).json(&json!({"membership_history": []})).send().await.expect(200).json();
        assert_eq!(kept["membership_history"], unchanged["membership_history"]);
        assert_eq!(kept["version"], unchanged["version"]);
    }
}

both_backends! {
    async fn demo_data_loads_once_and_is_marked(app) {
        let db = app.db().clone();
        let pdf = engagiert::demo::store_pdf(&app.ctx.storage).await.unwrap();
        let loaded = db.run(move |conn| engagiert::demo::load(conn, &pdf, "demo-passwort-lang")).await.unwrap();
        assert!(loaded);
        let pdf = engagiert::demo::store_pdf(&app.ctx.storage).await.unwrap();
        let again = app.db().run(move |conn| engagiert::demo::load(conn, &pdf, "demo-passwort-lang")).await.unwrap();
        assert!(!again, "only into an empty network");
        let list = app.get("/api/v1/municipalities?limit=200").send().await.expect(200).json();
        assert!(list["total"].as_i64().unwrap() >= 45);
        for item in list["items"].as_array().unwrap() {
            assert!(item["description"].as_str().unwrap().starts_with("Demodaten:"), "{}", item["slug"]);
        }
        let unna = app.get("/api/v1/municipalities/05978036").send().await.expect(200).json();
        assert_eq!(unna["membership"]["council_decision_on"], "2023-12-07");
        let paderborn = app.get("/api/v1/municipalities/05774032").send().await.expect(200).json();
        assert_eq!(paderborn["membership"]["joined_on"], "2020-09-25");
        let documents = app.get("/api/v1/documents?kind=publication").send().await.expect(200).json();
        let pdf = documents["items"][0]["attachments"][0]["url"].as_str().unwrap().to_owned();
        let file = app.get(&pdf).send().await.expect(200);
        assert!(file.body.starts_with(b"%PDF-") && file.body.ends_with(b"%%EOF\n"));
        app.post("/api/v1/auth/login").json(&json!({"email": engagiert::demo::DEMO_EDITOR_EMAIL, "password": "demo-passwort-lang"})).send().await.expect(200);
    }
}

/// Every field of the directory's schemas is described and has an example, so website
/// builders can work from the document alone.
#[test]
fn municipality_fields_are_described_with_examples() {
    let doc: Value =
        serde_json::from_str(&engagiert::openapi::to_json(&engagiert::app::document())).unwrap();
    let schemas = &doc["components"]["schemas"];
    // A property is itself, a `$ref`, or a `oneOf` of a `$ref` and null (an optional one).
    let resolve = |v: &Value| -> Vec<Value> {
        let mut parts = vec![v.clone()];
        parts.extend(
            v.get("oneOf")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        let referenced: Vec<Value> = parts
            .iter()
            .filter_map(|p| p.get("$ref").and_then(Value::as_str))
            .map(|r| schemas[r.rsplit('/').next().unwrap()].clone())
            .collect();
        parts.extend(referenced);
        parts
    };
    let mut missing = Vec::new();
    for name in [
        "Municipality",
        "MunicipalityInput",
        "Membership",
        "EngagementOffice",
        "Contact",
        "ContactInput",
        "Location",
        "MembershipEvent",
        "MembershipStats",
        "TimelinePoint",
    ] {
        for (field, property) in schemas[name]["properties"].as_object().unwrap() {
            let parts = resolve(property);
            let described = parts.iter().any(|p| p.get("description").is_some());
            let exemplified = parts
                .iter()
                .any(|p| p.get("example").is_some() || p.get("examples").is_some());
            if !(described && exemplified) {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "without description or example: {missing:?}"
    );
}
