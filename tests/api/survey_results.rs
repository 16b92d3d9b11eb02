//! Member surveys' results: against hand-computed figures, small-group suppression in the
//! breakdowns, and anonymous surveys whose outputs name no municipality.

use chrono::Utc;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::surveys::*;

fn approx(value: &Value, want: f64) -> bool {
    value.as_f64().is_some_and(|got| (got - want).abs() < 1e-9)
}

/// Every output an admin can fetch of a survey: the survey, its responses, results and CSV.
async fn outputs(app: &TestApp, admin: &str, path: &str) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    for url in [
        path.to_owned(),
        format!("{path}/responses"),
        format!("{path}/results"),
        format!("{path}/responses.csv"),
    ] {
        let text = app.get(&url).bearer(admin).send().await.expect(200).text();
        outputs.push((url, text));
    }
    outputs
}

both_backends! {
    async fn results_match_hand_computed_figures(app) {
        let admin = app.admin().await;
        let ids = network(&app).await;
        let s = open_survey(&app, &admin, false).await;
        // Four responses; every figure below follows from them by hand.
        let given = [
            ("unna", Given { single: 0, multiple: Some(&[0, 1][..]), scale: 5, yes: Some(true), number: Some(120.0), text: Some("Mehr Austausch") }),
            ("bergkamen", Given { single: 0, multiple: Some(&[1][..]), scale: 4, yes: Some(false), number: Some(35.0), text: Some("Fortbildungen") }),
            ("kamen", Given { single: 1, multiple: Some(&[0, 1, 2][..]), scale: 4, yes: Some(true), number: Some(80.5), text: None }),
            ("paderborn", Given { single: 2, multiple: None, scale: 2, yes: None, number: Some(35.0), text: None }),
        ];
        for (slug, given) in given {
            app.put(&responses_path(&s, slug)).bearer(&admin).json(&answers(&s, given)).send().await.expect(201);
        }
        let path = format!("/api/v1/surveys/{}", id_of(&s));
        let check = |results: &Value| {
            // Six members today (five towns around Unna and Paderborn; Köln left, Ratingen applies).
            assert_eq!(results["responses"], 4);
            assert_eq!(results["members"], 6);
            assert_eq!(results["members_on"], json!(Utc::now().date_naive().to_string()));
            assert!(approx(&results["response_rate"], 4.0 / 6.0), "{results}");
            let q = &results["questions"];
            let counts = |i: usize| -> Vec<i64> {
                q[i]["options"].as_array().unwrap().iter().map(|o| o["count"].as_i64().unwrap()).collect()
            };
            assert_eq!(q[0]["answered"], 4);
            assert_eq!(counts(0), [2, 1, 1]);
            assert!(approx(&q[0]["options"][0]["share"], 0.5) && approx(&q[0]["options"][2]["share"], 0.25));
            assert_eq!(q[0]["options"][1]["label"], "Ja, gemeinsam mit dem Kreis");
            assert_eq!(q[1]["answered"], 3);
            assert_eq!(counts(1), [2, 3, 1]);
            assert!(approx(&q[1]["options"][0]["share"], 2.0 / 3.0) && approx(&q[1]["options"][1]["share"], 1.0));
            // Scale 5, 4, 4, 2.
            assert!(approx(&q[2]["mean"], 3.75) && approx(&q[2]["median"], 4.0));
            assert_eq!(q[2]["distribution"], json!([
                {"value": 1, "count": 0}, {"value": 2, "count": 1}, {"value": 3, "count": 0},
                {"value": 4, "count": 2}, {"value": 5, "count": 1}
            ]));
            assert_eq!((q[3]["answered"].clone(), q[3]["yes"].clone(), q[3]["no"].clone()), (json!(3), json!(2), json!(1)));
            // Numbers 120, 35, 80.5, 35.
            assert!(approx(&q[4]["mean"], 67.625) && approx(&q[4]["median"], 57.75));
            assert_eq!(q[4]["distribution"], json!([
                {"value": 35, "count": 2}, {"value": 80.5, "count": 1}, {"value": 120, "count": 1}
            ]));
            assert_eq!(q[5]["answered"], 2);
            assert_eq!(q[5]["text_answers"], json!(["Fortbildungen", "Mehr Austausch"]));
            assert_eq!(q[0]["mean"], Value::Null);
            // Three responses from Arnsberg, one from Detmold: both below five.
            assert_eq!(results["breakdowns"]["by_region"]["arnsberg"], json!({"count": null, "suppressed": true}));
            assert_eq!(results["breakdowns"]["by_region"]["detmold"], json!({"count": null, "suppressed": true}));
        };
        let open_results = app.get(&format!("{path}/results")).bearer(&admin).send().await.expect(200);
        check(&open_results.json());
        let etag = open_results.header("etag").unwrap();
        app.get(&format!("{path}/results")).bearer(&admin).header("If-None-Match", &etag).send().await.expect(304);
        app.post(&format!("{path}/close")).bearer(&admin).send().await.expect(200);
        let closed_results = app.get(&format!("{path}/results")).bearer(&admin).send().await.expect(200).json();
        check(&closed_results);
        assert_eq!(closed_results["status"], "closed");

        // The response list names the municipalities, by name.
        let listed = app.get(&format!("{path}/responses")).bearer(&admin).send().await.expect(200).json();
        let names: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|i| i["municipality_name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Bergkamen", "Kamen", "Paderborn", "Unna"]);
        assert_eq!(listed["items"][3]["municipality_id"], json!(ids["unna"]));
        let paged = app.get(&format!("{path}/responses?limit=2&offset=2")).bearer(&admin).send().await.expect(200).json();
        assert_eq!((paged["total"].clone(), paged["items"][0]["municipality_name"].clone()), (json!(4), json!("Paderborn")));

        // The CSV: one row per response, one column per question.
        let export = app.get(&format!("{path}/responses.csv")).bearer(&admin).send().await.expect(200);
        assert!(export.header("content-type").unwrap().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(&export.body[..]);
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header[..4], ["municipality_id", "municipality", "submitted_at", "Gibt es eine Ehrenamtsagentur?"]);
        assert_eq!(header.len(), 9);
        let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[3][..2], [ids["unna"].clone(), "Unna".to_owned()]);
        assert_eq!(rows[3][3..], ["Ja, eine eigene", "Ehrenamtskarte; Empfang", "5", "yes", "120", "Mehr Austausch"]);
        assert_eq!(rows[2][3..], ["Nein", "", "2", "", "35", ""]);
        assert_eq!(rows[1][7], "80.5");
    }

    async fn small_groups_are_suppressed_in_breakdowns(app) {
        let admin = app.admin().await;
        network(&app).await;
        let s = open_survey(&app, &admin, false).await;
        for slug in ["unna", "bergkamen", "kamen", "schwerte", "paderborn"] {
            app.put(&responses_path(&s, slug)).bearer(&admin).json(&full(&s, 1.0, "x")).send().await.expect(201);
        }
        let results_path = format!("/api/v1/surveys/{}/results", id_of(&s));
        let results = app.get(&results_path).bearer(&admin).send().await.expect(200).json();
        let breakdowns = &results["breakdowns"];
        // Four from Arnsberg, one from Detmold.
        assert_eq!(breakdowns["by_region"]["arnsberg"], json!({"count": null, "suppressed": true}));
        assert_eq!(breakdowns["by_region"]["detmold"], json!({"count": null, "suppressed": true}));
        assert_eq!(breakdowns["by_kind"]["town"], json!({"count": 5, "suppressed": false}));
        assert_eq!(breakdowns["by_kind"]["district"], json!({"count": null, "suppressed": true}));
        assert_eq!(breakdowns["by_region"].as_object().unwrap().len(), 5, "every region listed");

        app.put(&responses_path(&s, "selm")).bearer(&admin).json(&full(&s, 1.0, "x")).send().await.expect(201);
        let results = app.get(&results_path).bearer(&admin).send().await.expect(200).json();
        let breakdowns = &results["breakdowns"];
        assert_eq!(breakdowns["by_region"]["arnsberg"], json!({"count": 5, "suppressed": false}));
        assert_eq!(breakdowns["by_region"]["detmold"], json!({"count": null, "suppressed": true}));
        assert_eq!(breakdowns["by_region"]["koeln"], json!({"count": null, "suppressed": true}));
        assert_eq!(breakdowns["by_kind"]["town"], json!({"count": 6, "suppressed": false}));
        assert_eq!(results["responses"], 6);
        assert!(approx(&results["response_rate"], 1.0));
    }

    async fn anonymous_survey_outputs_name_no_municipality(app) {
        let admin = app.admin().await;
        let ids = network(&app).await;
        let s = open_survey(&app, &admin, true).await;
        let survey_id = id_of(&s);
        let path = format!("/api/v1/surveys/{survey_id}");
        let responders = ["unna", "kamen", "schwerte"];
        let texts = ["Erster Wunsch", "Zweiter Wunsch", "Dritter Wunsch"];
        let unna_editor = editor(&app, "unna", &ids["unna"]).await;
        let kamen_editor = editor(&app, "kamen", &ids["kamen"]).await;
        let tokens = [unna_editor.clone(), kamen_editor, admin.clone()];
        for ((slug, text), token) in responders.iter().zip(texts).zip(&tokens) {
            let given = app.put(&responses_path(&s, slug)).bearer(token).json(&full(&s, 10.0, text)).send().await.expect(201).json();
            assert_eq!(given["municipality_id"], Value::Null);
            assert_eq!(given["municipality_name"], Value::Null);
            assert_eq!(given["answers"][5]["text"], json!(text), "the submitter sees what it sent");
        }
        // A municipality replaces its own anonymous response.
        let replaced = app.put(&responses_path(&s, "unna")).bearer(&unna_editor).json(&full(&s, 11.0, "Erster Wunsch")).send().await.expect(200).json();
        assert_eq!(replaced["version"], 2);
        let own = app.get(&responses_path(&s, "unna")).bearer(&unna_editor).send().await.expect(200).json();
        assert_eq!((own["version"].clone(), own["answers"].clone(), own["municipality_id"].clone()), (json!(2), Value::Null, Value::Null));

        // The keys the answers are stored under, and the salt behind them.
        let lookup = engagiert::ids::SurveyId::parse(&survey_id).unwrap();
        let row = app.db().run(move |conn| Ok(engagiert::surveys::model::find(conn, &lookup)?)).await.unwrap().unwrap();
        let salt = row.response_salt.clone().expect("an open anonymous survey has a salt");
        let keys: Vec<String> = responders.iter()
            .map(|slug| engagiert::surveys::response_model::anonymous_key(&salt, &engagiert::ids::SurveyId::parse(&survey_id).unwrap(), &engagiert::ids::MunicipalityId::parse(&ids[*slug]).unwrap()))
            .collect();

        let responding: Vec<(&str, &str, &str, &str)> = network_members().into_iter()
            .filter(|(_, slug, ..)| responders.contains(slug))
            .map(|(name, slug, ags, ..)| (name, slug, ags, ids[slug].as_str()))
            .collect();
        assert_eq!(responding.len(), 3);
        let assert_unlinked = |outputs: &[(String, String)]| {
            for (url, text) in outputs {
                for (name, slug, ags, id) in &responding {
                    for needle in [*name, *slug, *ags, *id] {
                        assert!(!text.contains(needle), "{url} names `{needle}`:\n{text}");
                    }
                }
                for secret in keys.iter().chain([&salt]) {
                    assert!(!text.contains(secret.as_str()), "{url} shows a response key or the salt");
                }
            }
        };
        let before = outputs(&app, &admin, &path).await;
        assert_unlinked(&before);

        // The list: answers only, in key order (not the order they came in).
        let listed: Value = serde_json::from_str(&before[1].1).unwrap();
        assert_eq!(listed["total"], 3);
        for item in listed["items"].as_array().unwrap() {
            assert_eq!((item["municipality_id"].clone(), item["submitted_at"].clone(), item["version"].clone()), (Value::Null, Value::Null, Value::Null));
        }
        let mut by_key: Vec<(&String, &str)> = keys.iter().zip(texts).collect();
        by_key.sort();
        let listed_texts: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|i| i["answers"][5]["text"].as_str().unwrap()).collect();
        assert_eq!(listed_texts, by_key.iter().map(|(_, t)| *t).collect::<Vec<_>>());
        app.get(&format!("{path}/responses?updated_since=2020-01-01T00:00:00Z")).bearer(&admin).send().await.problem(400);
        let results: Value = serde_json::from_str(&before[2].1).unwrap();
        assert_eq!(results["responses"], 3);
        assert_eq!(results["questions"][5]["text_answers"], json!(["Dritter Wunsch", "Erster Wunsch", "Zweiter Wunsch"]));
        let header = before[3].1.lines().next().unwrap().to_owned();
        assert!(!header.contains("municipality") && header.contains("Gibt es eine Ehrenamtsagentur?"), "{header}");
        assert_eq!(before[3].1.lines().count(), 4);

        // Closing wipes the salt: after that not even the database links answers to anyone.
        app.post(&format!("{path}/close")).bearer(&admin).send().await.expect(200);
        let lookup = engagiert::ids::SurveyId::parse(&survey_id).unwrap();
        let row = app.db().run(move |conn| Ok(engagiert::surveys::model::find(conn, &lookup)?)).await.unwrap().unwrap();
        assert!(row.response_salt.is_none());
        assert_unlinked(&outputs(&app, &admin, &path).await);

        // Public results of an anonymous survey leave the text answers out.
        app.patch(&path).bearer(&admin).json(&json!({"results_public": true})).send().await.expect(200);
        let public = app.get(&format!("{path}/results")).send().await.expect(200).json();
        assert_eq!(public["questions"][5]["answered"], 3);
        assert_eq!(public["questions"][5]["text_answers"], Value::Null);
        let as_editor = app.get(&format!("{path}/results")).bearer(&unna_editor).send().await.expect(200).json();
        assert_eq!(as_editor["questions"][5]["text_answers"], Value::Null);
    }
}
