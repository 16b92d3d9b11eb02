//! Member surveys' responses: every answer rule, one response per municipality (also under
//! concurrent submissions), editors answer only for their own municipality, and only while
//! the survey is open.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::surveys::*;

both_backends! {
    async fn every_answer_rule_is_checked(app) {
        let admin = app.admin().await;
        network(&app).await;
        let s = open_survey(&app, &admin, false).await;
        let path = responses_path(&s, "unna");
        let base: Vec<Value> = full(&s, 120.0, "Mehr Austausch")["answers"].as_array().unwrap().clone();
        let with = |index: usize, answer: Value| {
            let mut answers = base.clone();
            answers[index] = answer;
            answers
        };
        let without = |index: usize| {
            let mut answers = base.clone();
            answers.remove(index);
            answers
        };
        let plus = |answer: Value| {
            let mut answers = base.clone();
            answers.push(answer);
            answers
        };
        let (q0, q1, q2, q3, q4, q5) = (qid(&s, 0), qid(&s, 1), qid(&s, 2), qid(&s, 3), qid(&s, 4), qid(&s, 5));
        let (o00, o01, o10) = (oid(&s, 0, 0), oid(&s, 0, 1), oid(&s, 1, 0));
        let unknown = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e";
        let cases: Vec<(Vec<Value>, Vec<&str>)> = vec![
            // Required questions are answered.
            (without(0), vec!["answers"]),
            (without(2), vec!["answers"]),
            (vec![], vec!["answers", "answers"]),
            // Every answer names a question of this survey, once.
            (with(0, json!({"question_id": unknown, "option_ids": [o00]})), vec!["answers", "answers[0].question_id"]),
            (with(0, json!({"question_id": "keine-id", "option_ids": [o00]})), vec!["answers", "answers[0].question_id"]),
            (plus(json!({"question_id": q3, "value": false})), vec!["answers[6].question_id"]),
            // Choice: options of the question; single choice exactly one, multiple at least one, none twice.
            (with(0, json!({"question_id": q0, "option_ids": [o10]})), vec!["answers[0].option_ids[0]"]),
            (with(0, json!({"question_id": q0, "option_ids": ["keine-id"]})), vec!["answers[0].option_ids[0]"]),
            (with(0, json!({"question_id": q0, "option_ids": [o00, o01]})), vec!["answers[0].option_ids"]),
            (with(0, json!({"question_id": q0, "option_ids": []})), vec!["answers[0].option_ids"]),
            (with(0, json!({"question_id": q0, "value": 1})), vec!["answers[0].option_ids", "answers[0].value"]),
            (with(1, json!({"question_id": q1, "option_ids": []})), vec!["answers[1].option_ids"]),
            (with(1, json!({"question_id": q1, "option_ids": [o10, o10]})), vec!["answers[1].option_ids[1]"]),
            // Scale: a whole number within its bounds.
            (with(2, json!({"question_id": q2, "value": 6})), vec!["answers[2].value"]),
            (with(2, json!({"question_id": q2, "value": 0})), vec!["answers[2].value"]),
            (with(2, json!({"question_id": q2, "value": 2.5})), vec!["answers[2].value"]),
            (with(2, json!({"question_id": q2, "value": "4"})), vec!["answers[2].value"]),
            (with(2, json!({"question_id": q2})), vec!["answers[2].value"]),
            (with(2, json!({"question_id": q2, "text": "vier"})), vec!["answers[2].text", "answers[2].value"]),
            // Yes/no: true or false.
            (with(3, json!({"question_id": q3, "value": "ja"})), vec!["answers[3].value"]),
            (with(3, json!({"question_id": q3, "value": 1})), vec!["answers[3].value"]),
            // Number: a number within the question's range.
            (with(4, json!({"question_id": q4, "value": "viele"})), vec!["answers[4].value"]),
            (with(4, json!({"question_id": q4, "value": -1})), vec!["answers[4].value"]),
            (with(4, json!({"question_id": q4, "value": 10001})), vec!["answers[4].value"]),
            // Text: 1 to 5000 characters.
            (with(5, json!({"question_id": q5, "text": ""})), vec!["answers[5].text"]),
            (with(5, json!({"question_id": q5, "text": "   "})), vec!["answers[5].text"]),
            (with(5, json!({"question_id": q5, "text": "x".repeat(5001)})), vec!["answers[5].text"]),
            (with(5, json!({"question_id": q5, "text": "gut", "value": 1})), vec!["answers[5].value"]),
            // The shape of the body.
            (with(0, json!({"question_id": q0, "option_ids": "abc"})), vec!["answers[0].option_ids"]),
            (with(0, json!({"question_id": q0, "option_ids": [o00], "colour": "blau"})), vec!["answers[0].colour"]),
            // Every failure at once.
            ({
                let mut answers = with(2, json!({"question_id": q2, "value": 9}));
                answers[5] = json!({"question_id": q5, "text": ""});
                answers
            }, vec!["answers[2].value", "answers[5].text"]),
        ];
        for (answers, fields) in cases {
            let problem = app.put(&path).bearer(&admin).json(&json!({"answers": answers})).send().await.problem(422);
            let want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            assert_eq!(sorted(error_fields(&problem)), sorted(want), "{problem}");
        }
        let problem = app.put(&path).bearer(&admin).json(&json!({})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["answers"]);
        app.put(&path).bearer(&admin).raw("application/json", "{\"answers\": [").send().await.problem(400);
        let listed = app.get(&format!("/api/v1/surveys/{}/responses", id_of(&s))).bearer(&admin).send().await.expect(200).json();
        assert_eq!(listed["total"], 0, "a refused response stores nothing");

        // A valid response is taken; a refused replacement leaves it as it was.
        let first = app.put(&path).bearer(&admin).json(&json!({"answers": base})).send().await.expect(201).json();
        assert_eq!(first["version"], 1);
        app.put(&path).bearer(&admin).json(&json!({"answers": with(2, json!({"question_id": q2, "value": 7}))})).send().await.problem(422);
        let listed = app.get(&format!("/api/v1/surveys/{}/responses", id_of(&s))).bearer(&admin).send().await.expect(200).json();
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["version"], 1);
        assert_eq!(listed["items"][0]["answers"], first["answers"]);
        assert_eq!(listed["items"][0]["answers"][2], json!({"question_id": q2, "value": 4}));
    }

    async fn one_response_per_municipality_under_concurrent_submissions(app) {
        let admin = app.admin().await;
        let ids = network(&app).await;
        let s = open_survey(&app, &admin, false).await;
        let path = responses_path(&s, &ids["unna"]);
        let submissions = (0..8).map(|i| {
            app.put(&path).bearer(&admin).json(&full(&s, 100.0 + f64::from(i), "Parallel")).send()
        });
        let answered = futures_util::future::join_all(submissions).await;
        let mut versions = Vec::new();
        let mut last_value = Value::Null;
        let mut created = 0;
        for response in answered {
            let status = response.status.as_u16();
            assert!(status == 200 || status == 201, "{status}: {}", response.text());
            created += usize::from(status == 201);
            let body = response.json();
            let version = body["version"].as_i64().unwrap();
            if version == 8 {
                last_value = body["answers"][4]["value"].clone();
            }
            versions.push(version);
        }
        versions.sort();
        assert_eq!(created, 1, "exactly one submission created the response");
        assert_eq!(versions, (1..=8).collect::<Vec<i64>>(), "each replaced the one before");
        let listed = app.get(&format!("/api/v1/surveys/{}/responses", id_of(&s))).bearer(&admin).send().await.expect(200).json();
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["version"], 8);
        assert_eq!(listed["items"][0]["answers"][4]["value"], last_value, "the last write wins");
        let own = app.get(&responses_path(&s, "unna")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(own["version"], 8);
        let results = app.get(&format!("/api/v1/surveys/{}/results", id_of(&s))).bearer(&admin).send().await.expect(200).json();
        assert_eq!(results["responses"], 1);
        // The survey itself did not change.
        let read = app.get(&format!("/api/v1/surveys/{}", id_of(&s))).bearer(&admin).send().await.expect(200).json();
        assert_eq!(read["version"], s["version"]);
    }

    async fn editors_answer_only_for_their_own_municipality(app) {
        let admin = app.admin().await;
        let ids = network(&app).await;
        let unna_editor = editor(&app, "unna", &ids["unna"]).await;
        let kamen_editor = editor(&app, "kamen", &ids["kamen"]).await;
        let s = open_survey(&app, &admin, false).await;
        let body = full(&s, 12.0, "Mehr Austausch");
        let unknown = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e";
        let cases: Vec<(Option<&str>, String, u16)> = vec![
            (Some(unna_editor.as_str()), "unna".into(), 201),
            (Some(unna_editor.as_str()), "unna".into(), 200),
            (Some(unna_editor.as_str()), "05978036".into(), 200),
            (Some(unna_editor.as_str()), ids["unna"].clone(), 200),
            (Some(unna_editor.as_str()), "kamen".into(), 403),
            (Some(kamen_editor.as_str()), "unna".into(), 403),
            (None, "unna".into(), 401),
            (Some(admin.as_str()), "kamen".into(), 201),
            (Some(kamen_editor.as_str()), "kamen".into(), 200),
            (Some(admin.as_str()), "nirgendwo".into(), 404),
        ];
        for (token, municipality, status) in cases {
            let mut request = app.put(&responses_path(&s, &municipality)).json(&body);
            if let Some(token) = token {
                request = request.bearer(token);
            }
            let response = request.send().await;
            assert_eq!(response.status.as_u16(), status, "{municipality}: {}", response.text());
        }
        // Rights come before the body is read.
        app.put(&responses_path(&s, "unna")).bearer(&kamen_editor).json(&json!({"answers": "kaputt"})).send().await.problem(403);
        app.put(&responses_path(&s, "unna")).raw("text/plain", "x").send().await.problem(401);
        app.put(&format!("/api/v1/surveys/{unknown}/responses/unna")).bearer(&admin).json(&body).send().await.problem(404);
        app.put("/api/v1/surveys/kein-survey/responses/unna").bearer(&admin).json(&body).send().await.problem(404);

        // A municipality's own response: its editors and admins.
        let own = app.get(&responses_path(&s, "unna")).bearer(&unna_editor).send().await.expect(200).json();
        assert_eq!(own["version"], 4);
        assert_eq!(own["municipality_id"], json!(ids["unna"]));
        assert_eq!(own["municipality_name"], "Unna");
        assert_eq!(own["answers"].as_array().unwrap().len(), 6);
        app.get(&responses_path(&s, "unna")).bearer(&kamen_editor).send().await.problem(403);
        app.get(&responses_path(&s, "unna")).send().await.problem(401);
        app.get(&responses_path(&s, "unna")).bearer(&admin).send().await.expect(200);
        app.get(&responses_path(&s, "selm")).bearer(&admin).send().await.problem(404);

        // The response list, the CSV and the survey itself: admins only.
        let survey_path = format!("/api/v1/surveys/{}", id_of(&s));
        for path in [format!("{survey_path}/responses"), format!("{survey_path}/responses.csv")] {
            app.get(&path).bearer(&unna_editor).send().await.problem(403);
            app.get(&path).send().await.problem(401);
            app.get(&path).bearer(&admin).send().await.expect(200);
        }
        app.post("/api/v1/surveys").bearer(&unna_editor).json(&survey(false)).send().await.problem(403);
        app.post("/api/v1/surveys").json(&survey(false)).send().await.problem(401);
        app.patch(&survey_path).bearer(&unna_editor).json(&json!({"title": "x"})).send().await.problem(403);
        app.put(&survey_path).bearer(&unna_editor).json(&survey(false)).send().await.problem(403);
        app.post(&format!("{survey_path}/close")).bearer(&unna_editor).send().await.problem(403);
        app.post(&format!("{survey_path}/open")).send().await.problem(401);
        app.delete(&survey_path).bearer(&unna_editor).send().await.problem(403);

        // Results: admins only until they are public.
        let results = format!("{survey_path}/results");
        app.get(&results).send().await.problem(401);
        app.get(&results).bearer(&unna_editor).send().await.problem(403);
        app.get(&results).bearer(&admin).send().await.expect(200);
        app.patch(&survey_path).bearer(&admin).json(&json!({"results_public": true})).send().await.expect(200);
        let public = app.get(&results).send().await.expect(200).json();
        assert_eq!(public["responses"], 2);
        assert_eq!(public["questions"][5]["text_answers"], json!(["Mehr Austausch", "Mehr Austausch"]));
        app.get(&results).bearer(&unna_editor).send().await.expect(200);
    }

    async fn responses_are_taken_only_while_open(app) {
        let admin = app.admin().await;
        network(&app).await;
        // A draft.
        let draft = create(&app, &admin, &survey(false)).await;
        app.put(&responses_path(&draft, "unna")).bearer(&admin).json(&full(&draft, 1.0, "x")).send().await.problem(409);
        // Open, but not yet.
        let mut later = survey(false);
        later["opens_at"] = json!(days(1));
        later["closes_at"] = json!(days(5));
        let later = open(&app, &admin, &id_of(&create(&app, &admin, &later).await)).await;
        app.put(&responses_path(&later, "unna")).bearer(&admin).json(&full(&later, 1.0, "x")).send().await.problem(409);
        // Open, but its closing time has passed.
        let s = open_survey(&app, &admin, false).await;
        app.put(&responses_path(&s, "unna")).bearer(&admin).json(&full(&s, 1.0, "x")).send().await.expect(201);
        app.patch(&format!("/api/v1/surveys/{}", id_of(&s))).bearer(&admin)
            .json(&json!({"closes_at": hours(-1)})).send().await.expect(200);
        app.put(&responses_path(&s, "unna")).bearer(&admin).json(&full(&s, 2.0, "x")).send().await.problem(409);
        // A survey whose closing time has passed cannot open.
        let mut past = survey(false);
        past["opens_at"] = json!(days(-10));
        past["closes_at"] = json!(days(-5));
        let past = create(&app, &admin, &past).await;
        app.post(&format!("/api/v1/surveys/{}/open", id_of(&past))).bearer(&admin).send().await.problem(409);
        // Closed.
        let s = open_survey(&app, &admin, false).await;
        app.post(&format!("/api/v1/surveys/{}/close", id_of(&s))).bearer(&admin).send().await.expect(200);
        app.put(&responses_path(&s, "unna")).bearer(&admin).json(&full(&s, 1.0, "x")).send().await.problem(409);
    }
}
