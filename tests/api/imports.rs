//! `POST /api/v1/imports/municipalities`: rows as changes to stored records, one transaction
//! for the whole file, and a report of every change and every error.

use std::collections::HashMap;

use engagiert::db::Backend;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::municipalities::network;

const IMPORT: &str = "/api/v1/imports/municipalities";

/// Every municipality as an admin sees it, by slug.
type Snapshot = HashMap<String, Value>;

async fn snapshot(app: &TestApp, admin: &str) -> Snapshot {
    let list = app
        .get("/api/v1/municipalities?limit=200")
        .bearer(admin)
        .send()
        .await
        .expect(200)
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["slug"].as_str().unwrap().to_owned(), m.clone()))
        .collect()
}

async fn post_csv(app: &TestApp, admin: &str, query: &str, csv: &[u8]) -> Resp {
    app.post(&format!("{IMPORT}{query}"))
        .bearer(admin)
        .raw("text/csv", csv.to_vec())
        .send()
        .await
}

/// A new app on the same backend: each case starts from the same network.
async fn fresh(like: &TestApp) -> TestApp {
    match like.backend {
        Backend::Sqlite => TestApp::sqlite().await,
        Backend::Postgres => TestApp::postgres().await.unwrap(),
    }
}

/// The fields a file without them must not touch.
const KEPT: [&str; 11] = [
    "population",
    "location",
    "description",
    "topics",
    "membership",
    "engagement_office",
    "contacts",
    "district_id",
    "volunteer_card",
    "website",
    "official_name",
];

fn kept(before: &Value, after: &Value, except: &[&str]) {
    for field in KEPT.iter().filter(|f| !except.contains(f)) {
        assert_eq!(after[field], before[field], "{field} changed");
    }
}

/// `(line, field, code)` of each error.
fn errors(report: &Value) -> Vec<(u64, Option<String>, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().map(str::to_owned),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn error(line: u64, field: &str, code: &str) -> (u64, Option<String>, String) {
    (line, Some(field.to_owned()), code.to_owned())
}

struct Case {
    name: &'static str,
    query: &'static str,
    csv: &'static [u8],
    status: u16,
    /// Checks the report and the network before and after.
    check: fn(&Value, &Snapshot, &Snapshot),
}

fn nothing_written(before: &Snapshot, after: &Snapshot) {
    assert_eq!(after, before, "nothing may be written");
}

const CASES: &[Case] = &[
    Case {
        name: "absent columns leave their fields untouched",
        query: "",
        csv: b"ags,name\n05978036,Unna an der Ruhr\n",
        status: 200,
        check: |report, before, after| {
            assert_eq!(
                report["changed"],
                json!([{"line": 2, "id": before["unna"]["id"], "slug": "unna",
                        "fields": {"name": {"from": "Unna", "to": "Unna an der Ruhr"}}}])
            );
            assert_eq!(report["unchanged"], 0);
            let (old, new) = (&before["unna"], &after["unna"]);
            assert_eq!(new["name"], "Unna an der Ruhr");
            assert_eq!(new["version"], old["version"].as_i64().unwrap() + 1);
            kept(old, new, &[]);
            assert_eq!(new["membership"]["status"], "member");
            assert_eq!(after["paderborn"], before["paderborn"]);
        },
    },
    Case {
        name: "an empty cell clears its field",
        query: "",
        csv: b"ags,population,website,description,topics\n05978036,,,,\n",
        status: 200,
        check: |report, before, after| {
            let fields = &report["changed"][0]["fields"];
            assert_eq!(fields["population"], json!({"from": "58633", "to": null}));
            assert_eq!(fields["website"], json!({"from": "https://www.unna.de", "to": null}));
            assert_eq!(fields["topics"]["to"], Value::Null);
            let new = &after["unna"];
            for field in ["population", "website", "description"] {
                assert_eq!(new[field], Value::Null, "{field}");
            }
            assert_eq!(new["topics"], json!([]));
            kept(
                &before["unna"],
                new,
                &["population", "website", "description", "topics"],
            );
        },
    },
    Case {
        name: "the same key twice is an error on the second line and writes nothing",
        query: "",
        csv: b"ags,population\n05978036,1\n05774032,2\n05978036,3\n",
        status: 422,
        check: |report, before, after| {
            assert_eq!(errors(report), [error(4, "ags", "duplicate")]);
            nothing_written(before, after);
        },
    },
    Case {
        name: "semicolons are told from the header",
        query: "",
        csv: b"ags;population;topics\r\n05978036;60000;\"quartier;ehrenamtskarte\"\r\n",
        status: 200,
        check: |_, before, after| {
            assert_eq!(after["unna"]["population"], 60000);
            assert_eq!(after["unna"]["topics"], json!(["quartier", "ehrenamtskarte"]));
            kept(&before["unna"], &after["unna"], &["population", "topics"]);
        },
    },
    Case {
        name: "a byte order mark is skipped",
        query: "",
        csv: b"\xEF\xBB\xBFags,population\n05774032,160000\n",
        status: 200,
        check: |_, _, after| assert_eq!(after["paderborn"]["population"], 160000),
    },
    Case {
        name: "a bad row among good ones is 422 and writes nothing",
        query: "",
        csv: b"ags,name,kind,population\n05978036,Unna,town,60000\n05774032,Paderborn,town,viele\n05915000,Hamm,village,180000\n",
        status: 422,
        check: |report, before, after| {
            assert_eq!(
                errors(report),
                [
                    error(3, "population", "invalid_format"),
                    error(4, "kind", "invalid_value")
                ]
            );
            nothing_written(before, after);
        },
    },
    Case {
        name: "rules of the record are row errors under the column's name",
        query: "",
        csv: b"ags,lat,lon,joined_on\n05978036,48.1,11.5,\n",
        status: 422,
        check: |report, before, after| {
            assert_eq!(
                errors(report),
                [
                    error(2, "lat", "out_of_range"),
                    error(2, "lon", "out_of_range"),
                    error(2, "joined_on", "required")
                ]
            );
            nothing_written(before, after);
        },
    },
    Case {
        name: "a dry run reports the diff and writes nothing",
        query: "?dry_run=true",
        csv: b"ags,population\n05978036,60000\n05774032,157000\n",
        status: 200,
        check: |report, before, after| {
            assert_eq!(report["dry_run"], true);
            assert_eq!(
                report["changed"][0]["fields"],
                json!({"population": {"from": "58633", "to": "60000"}})
            );
            assert_eq!(report["unchanged"], 1);
            nothing_written(before, after);
        },
    },
    Case {
        name: "a new key creates a municipality",
        query: "",
        csv: b"ags,name,kind,status,joined_on,district_ags\n05978032,Selm,town,member,2026-06-01,05978\n",
        status: 200,
        check: |report, before, after| {
            let selm = &after["selm"];
            assert_eq!(
                report["created"],
                json!([{"line": 2, "id": selm["id"], "slug": "selm"}])
            );
            assert_eq!(selm["district_id"], before["kreis-unna"]["id"]);
            assert_eq!(selm["membership"]["joined_on"], "2026-06-01");
            assert_eq!(after.len(), before.len() + 1);
        },
    },
    Case {
        name: "a new municipality needs a name and a kind",
        query: "",
        csv: b"ags,population\n05915000,180000\n",
        status: 422,
        check: |report, before, after| {
            assert_eq!(
                errors(report),
                [error(2, "name", "required"), error(2, "kind", "required")]
            );
            nothing_written(before, after);
        },
    },
    Case {
        name: "authorities are found by slug",
        query: "",
        csv: b"slug,website\nbezirksregierung-arnsberg,https://www.bra.nrw.de\n",
        status: 200,
        check: |_, _, after| {
            assert_eq!(
                after["bezirksregierung-arnsberg"]["website"],
                "https://www.bra.nrw.de"
            )
        },
    },
    Case {
        name: "unknown columns and a header without key are refused",
        query: "",
        csv: b"name,populaton\nUnna,1\n",
        status: 422,
        check: |report, before, after| {
            assert_eq!(
                errors(report),
                [
                    error(1, "populaton", "unknown_field"),
                    (1, None, "required".into())
                ]
            );
            nothing_written(before, after);
        },
    },
    Case {
        name: "cells follow the text rules",
        query: "",
        csv: b"ags,description\n05978036,Mu\xCC\x88nster\n05774032,\"a\x07b\"\n",
        status: 422,
        check: |report, before, after| {
            assert_eq!(errors(report), [error(3, "description", "invalid_value")]);
            nothing_written(before, after);
        },
    },
    Case {
        name: "text is stored in NFC",
        query: "",
        csv: b"ags,description\n05978036,Mu\xCC\x88nster\n",
        status: 200,
        check: |_, _, after| assert_eq!(after["unna"]["description"], "Münster"),
    },
];

both_backends! {
    async fn import_rules(app) {
        for case in CASES {
            let app = fresh(&app).await;
            let admin = app.admin().await;
            network(&app, &admin).await;
            let before = snapshot(&app, &admin).await;
            let response = post_csv(&app, &admin, case.query, case.csv).await;
            assert_eq!(response.status.as_u16(), case.status, "{}: {}", case.name, response.text());
            assert_eq!(response.header("content-type").as_deref(), Some("application/json"), "{}", case.name);
            let report = response.json();
            let after = snapshot(&app, &admin).await;
            println!("case: {}", case.name);
            (case.check)(&report, &before, &after);
        }
    }

    async fn only_admins_import(app) {
        let admin = app.admin().await;
        let network = network(&app, &admin).await;
        let editor = app.editor(network["unna"]["id"].as_str().unwrap()).await;
        let csv = b"ags,population\n05978036,1\n";
        post_csv(&app, &editor, "", csv).await.problem(403);
        app.post(IMPORT).raw("text/csv", csv.to_vec()).send().await.problem(401);
        let unna = app.get("/api/v1/municipalities/unna").send().await.expect(200).json();
        assert_eq!(unna["population"], 58633);
    }

    async fn the_body_must_be_csv_in_utf8_and_not_too_large(app) {
        let admin = app.admin().await;
        network(&app, &admin).await;
        let csv = b"ags,population\n05978036,1\n".to_vec();
        let send = |content_type: &'static str, body: Vec<u8>| {
            app.post(IMPORT).bearer(&admin).raw(content_type, body).send()
        };
        send("application/json", csv.clone()).await.problem(415);
        send("text/csv; charset=iso-8859-1", csv.clone()).await.problem(415);
        send("text/csv; charset=UTF-8", csv.clone()).await.expect(200);
        let mut huge = b"ags,description\n05978036,".to_vec();
        huge.resize(2 * 1024 * 1024, b'x');
        send("text/csv", huge).await.problem(413);
        app.post(&format!("{IMPORT}?dry_run=maybe")).bearer(&admin).raw("text/csv", csv.clone()).send().await.problem(400);
        app.post(&format!("{IMPORT}?dryrun=true")).bearer(&admin).raw("text/csv", csv).send().await.problem(400);
    }

    async fn excel_export_round_trips_through_the_import_unchanged(app) {
        let admin = app.admin().await;
        let network = network(&app, &admin).await;
        let export = app.get("/api/v1/exports/municipalities.csv?dialect=excel").bearer(&admin).send().await.expect(200);
        assert!(export.body.starts_with(b"\xEF\xBB\xBFid;slug;name;"), "{}", export.text());
        let standard = app.get("/api/v1/exports/municipalities.csv").send().await.expect(200);
        assert!(standard.body.starts_with(b"id,slug,name,"));
        let before = snapshot(&app, &admin).await;
        let report = post_csv(&app, &admin, "", &export.body).await.expect(200).json();
        assert_eq!(report["unchanged"], network.len(), "{report}");
        assert_eq!((report["created"].clone(), report["changed"].clone()), (json!([]), json!([])));
        nothing_written(&before, &snapshot(&app, &admin).await);
        // The list shares the export's filters but not its options.
        app.get("/api/v1/municipalities?dialect=excel").send().await.problem(400);
        app.get("/api/v1/exports/municipalities.csv?dialect=word").send().await.problem(400);
    }
}
