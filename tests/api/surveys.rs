//! Member surveys: the draft → open → closed life cycle, answer validation, one response per
//! municipality, who may do what, results against hand-computed figures, small-group
//! suppression, and anonymous surveys that name nobody.

use std::collections::HashMap;

use chrono::{Duration, SecondsFormat, Utc};
use engagiert::auth::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// A timestamp `hours` from now.
pub(crate) fn hours(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn days(days: i64) -> String {
    hours(days * 24)
}

/// Six questions, one of each kind: single choice (required), multiple choice, scale 1–5
/// (required), yes/no, number 0–10000, text.
pub(crate) fn questionnaire() -> Value {
    json!([
        {"kind": "single_choice", "text": "Gibt es eine Ehrenamtsagentur?", "required": true,
         "options": [{"label": "Ja, eine eigene"}, {"label": "Ja, gemeinsam mit dem Kreis"}, {"label": "Nein"}]},
        {"kind": "multiple_choice", "text": "Welche Formen der Anerkennung gibt es?",
         "options": [{"label": "Ehrenamtskarte"}, {"label": "Empfang"}, {"label": "Preis"}]},
        {"kind": "scale", "text": "Wie zufrieden sind Sie mit dem Netzwerk?", "required": true,
         "scale": {"min": 1, "max": 5, "min_label": "gar nicht", "max_label": "sehr"}},
        {"kind": "yes_no", "text": "Planen Sie eine Engagementstrategie?"},
        {"kind": "number", "text": "Wie viele Vereine gibt es?", "range": {"min": 0, "max": 10000}},
        {"kind": "text", "text": "Was wünschen Sie sich vom Netzwerk?", "help": "Stichworte genügen."}
    ])
}

pub(crate) fn survey(anonymous: bool) -> Value {
    json!({"title": "Ehrenamtsförderung 2025", "description": "Demodaten: Testbefragung.",
           "opens_at": days(-1), "closes_at": days(30), "anonymous": anonymous,
           "results_public": false, "questions": questionnaire()})
}

async fn create(app: &TestApp, admin: &str, body: &Value) -> Value {
    app.post("/api/v1/surveys")
        .bearer(admin)
        .json(body)
        .send()
        .await
        .expect(201)
        .json()
}

async fn open(app: &TestApp, admin: &str, id: &str) -> Value {
    app.post(&format!("/api/v1/surveys/{id}/open"))
        .bearer(admin)
        .send()
        .await
        .expect(200)
        .json()
}

/// A survey with the questionnaire, open for responses.
async fn open_survey(app: &TestApp, admin: &str, anonymous: bool) -> Value {
    let created = create(app, admin, &survey(anonymous)).await;
    open(app, admin, created["id"].as_str().unwrap()).await
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

fn qid(survey: &Value, question: usize) -> String {
    id_of(&survey["questions"][question])
}

fn oid(survey: &Value, question: usize, option: usize) -> String {
    id_of(&survey["questions"][question]["options"][option])
}

/// Answers to the questionnaire; `None` leaves an optional question out.
struct Given<'a> {
    single: usize,
    multiple: Option<&'a [usize]>,
    scale: i64,
    yes: Option<bool>,
    number: Option<f64>,
    text: Option<&'a str>,
}

fn answers(s: &Value, given: Given<'_>) -> Value {
    let mut answers =
        vec![json!({"question_id": qid(s, 0), "option_ids": [oid(s, 0, given.single)]})];
    if let Some(chosen) = given.multiple {
        let ids: Vec<String> = chosen.iter().map(|j| oid(s, 1, *j)).collect();
        answers.push(json!({"question_id": qid(s, 1), "option_ids": ids}));
    }
    answers.push(json!({"question_id": qid(s, 2), "value": given.scale}));
    if let Some(yes) = given.yes {
        answers.push(json!({"question_id": qid(s, 3), "value": yes}));
    }
    if let Some(number) = given.number {
        answers.push(json!({"question_id": qid(s, 4), "value": number}));
    }
    if let Some(text) = given.text {
        answers.push(json!({"question_id": qid(s, 5), "text": text}));
    }
    json!({"answers": answers})
}

/// Every question answered.
fn full(s: &Value, number: f64, text: &str) -> Value {
    answers(
        s,
        Given {
            single: 0,
            multiple: Some(&[0, 1][..]),
            scale: 4,
            yes: Some(true),
            number: Some(number),
            text: Some(text),
        },
    )
}

/// The test network: (name, slug, AGS, kind, membership). Five members in the region of
/// Arnsberg and one in Detmold (six members today), a former member and an applicant.
fn network_members() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Value,
)> {
    let member = |joined: &str| json!({"status": "member", "joined_on": joined});
    vec![
        ("Unna", "unna", "05978036", "town", member("2020-01-15")),
        (
            "Bergkamen",
            "bergkamen",
            "05978004",
            "town",
            member("2021-03-01"),
        ),
        ("Kamen", "kamen", "05978020", "town", member("2020-01-15")),
        (
            "Schwerte",
            "schwerte",
            "05978028",
            "town",
            member("2022-06-30"),
        ),
        ("Selm", "selm", "05978032", "town", member("2023-02-01")),
        (
            "Paderborn",
            "paderborn",
            "05774032",
            "town",
            member("2020-09-25"),
        ),
        (
            "Köln",
            "koeln",
            "05315000",
            "independent_city",
            json!({"status": "former", "joined_on": "2019-06-01", "left_on": "2022-12-31"}),
        ),
        (
            "Ratingen",
            "ratingen",
            "05158028",
            "town",
            json!({"status": "applicant"}),
        ),
    ]
}

/// Creates the test network; returns the ids by slug.
async fn network(app: &TestApp) -> HashMap<&'static str, String> {
    let mut ids = HashMap::new();
    for (name, slug, ags, kind, membership) in network_members() {
        let id = app
            .municipality(json!({"name": name, "kind": kind, "ags": ags, "membership": membership}))
            .await;
        ids.insert(slug, id);
    }
    ids
}

async fn editor(app: &TestApp, slug: &str, id: &str) -> String {
    app.user(
        &format!("editor@{slug}.example.org"),
        Role::Editor,
        Some(id),
    )
    .await
    .1
}

fn responses_path(s: &Value, municipality: &str) -> String {
    format!("/api/v1/surveys/{}/responses/{municipality}", id_of(s))
}

fn approx(value: &Value, want: f64) -> bool {
    value.as_f64().is_some_and(|got| (got - want).abs() < 1e-9)
}

/// The questions of a survey as `PUT` takes them back.
fn as_input(questions: &Value) -> Value {
    let mut questions = questions.clone();
    for question in questions.as_array_mut().unwrap() {
        question.as_object_mut().unwrap().remove("position");
    }
    questions
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

fn sorted(mut fields: Vec<String>) -> Vec<String> {
    fields.sort();
    fields
}

both_backends! {
    async fn survey_life_cycle_draft_open_closed(app) {
        let admin = app.admin().await;
        let empty = create(&app, &admin, &json!({"title": "Leer", "opens_at": days(-1), "closes_at": days(30)})).await;
        assert_eq!(empty["status"], "draft");
        assert_eq!(empty["questions"], json!([]));
        assert_eq!((empty["anonymous"].clone(), empty["results_public"].clone()), (json!(false), json!(false)));
        let path = format!("/api/v1/surveys/{}", id_of(&empty));
        // No questions: it cannot open. A draft cannot be closed.
        app.post(&format!("{path}/open")).bearer(&admin).send().await.problem(409);
        app.post(&format!("{path}/close")).bearer(&admin).send().await.problem(409);

        // While a draft, the questionnaire changes freely and keeps its ids.
        let drafted = app.patch(&path).bearer(&admin).json(&json!({"questions": questionnaire()})).send().await.expect(200).json();
        assert_eq!(drafted["questions"][2]["position"], 3);
        assert_eq!(drafted["questions"][2]["scale"]["max"], 5);
        let renamed = app.patch(&path).bearer(&admin).json(&json!({"title": "Befragung"})).send().await.expect(200).json();
        assert_eq!(renamed["questions"], drafted["questions"], "a patch of the title keeps every id");
        let first = drafted["questions"][0]["id"].clone();
        let first_option = drafted["questions"][0]["options"][0]["id"].clone();
        let mut body = survey(false);
        body["questions"] = json!([
            {"id": first, "kind": "single_choice", "text": "Gibt es eine Ehrenamtsagentur?", "required": true,
             "options": [{"id": first_option, "label": "Ja, eine eigene"}, {"label": "Nein"}]},
            {"kind": "yes_no", "text": "Gibt es eine Engagementstrategie?"}
        ]);
        let replaced = app.put(&path).bearer(&admin).json(&body).send().await.expect(200).json();
        assert_eq!(replaced["questions"].as_array().unwrap().len(), 2);
        assert_eq!(replaced["questions"][0]["id"], first, "an existing id is kept");
        assert_eq!(replaced["questions"][0]["options"][0]["id"], first_option);
        assert_ne!(replaced["questions"][0]["options"][1]["id"], drafted["questions"][0]["options"][1]["id"]);
        assert_ne!(replaced["questions"][1]["id"], drafted["questions"][1]["id"], "a question without id is new");

        // A stale If-Match changes nothing.
        app.post(&format!("{path}/open")).bearer(&admin).header("If-Match", &format!("\"{}.v1\"", id_of(&empty)))
            .send().await.problem(412);
        let opened = app.post(&format!("{path}/open")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(opened["status"], "open");
        assert!(opened["opened_at"].is_string());
        assert_eq!(opened["version"], replaced["version"].as_i64().unwrap() + 1);
        app.post(&format!("{path}/open")).bearer(&admin).send().await.problem(409);

        // Once open: questions, opens_at and anonymous are fixed (409) ...
        for (patch, field) in [
            (json!({"questions": []}), "questions"),
            (json!({"questions": [{"kind": "text", "text": "Neu"}]}), "questions"),
            (json!({"anonymous": true}), "anonymous"),
            (json!({"opens_at": days(-2)}), "opens_at"),
        ] {
            let problem = app.patch(&path).bearer(&admin).json(&patch).send().await.problem(409);
            assert_eq!(error_fields(&problem), [field], "{problem}");
        }
        let mut same = body.clone();
        same["questions"] = as_input(&opened["questions"]);
        let mut relabelled = same.clone();
        relabelled["questions"][0]["options"][1]["label"] = json!("Nein, noch nicht");
        let problem = app.put(&path).bearer(&admin).json(&relabelled).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["questions"]);
        // ... while title, description, closes_at and results_public still change.
        same["title"] = json!("Ehrenamtsförderung 2025 (verlängert)");
        same["closes_at"] = json!(days(40));
        let retitled = app.put(&path).bearer(&admin).json(&same).send().await.expect(200).json();
        assert_eq!(retitled["title"], "Ehrenamtsförderung 2025 (verlängert)");
        assert_eq!(retitled["questions"], opened["questions"]);
        let patched = app.patch(&path).bearer(&admin)
            .json(&json!({"description": null, "results_public": true})).send().await.expect(200).json();
        assert_eq!(patched["description"], Value::Null);
        assert_eq!(patched["version"], retitled["version"].as_i64().unwrap() + 1);
        // The rules still hold, and status is read-only.
        let problem = app.patch(&path).bearer(&admin).json(&json!({"closes_at": days(-3)})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["closes_at"]);
        let problem = app.patch(&path).bearer(&admin).json(&json!({"status": "closed"})).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["status"]);
        assert!(problem["detail"].as_str().unwrap().contains("/close"), "{problem}");

        let closed = app.post(&format!("{path}/close")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(closed["status"], "closed");
        assert!(closed["closed_at"].is_string());
        app.post(&format!("{path}/close")).bearer(&admin).send().await.problem(409);
        app.post(&format!("{path}/open")).bearer(&admin).send().await.problem(409);
        app.patch(&path).bearer(&admin).json(&json!({"results_public": false})).send().await.expect(200);
        app.patch(&path).bearer(&admin).json(&json!({"anonymous": true})).send().await.problem(409);

        app.delete(&path).bearer(&admin).send().await.expect(204);
        app.get(&path).bearer(&admin).send().await.problem(410);
        app.get("/api/v1/surveys/not-an-id").send().await.problem(404);
    }

    async fn survey_validation_names_each_field(app) {
        let admin = app.admin().await;
        let with = |patch: Value| {
            let mut body = survey(false);
            engagiert::http::merge_patch::merge(&mut body, &patch);
            body
        };
        let question = |q: Value| with(json!({"questions": [q]}));
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (with(json!({"title": " "})), vec!["title"]),
            (with(json!({"closes_at": days(-2)})), vec!["closes_at"]),
            (with(json!({"opens_at": "morgen"})), vec!["opens_at"]),
            (with(json!({"status": "open"})), vec!["status"]),
            (question(json!({"kind": "single_choice", "text": "x", "options": [{"label": "Ja"}]})), vec!["questions[0].options"]),
            (question(json!({"kind": "multiple_choice", "text": "x", "options": [{"label": "Ja"}, {"label": " ja"}]})), vec!["questions[0].options[1].label"]),
            (question(json!({"kind": "single_choice", "text": "x", "options": [{"label": "Ja"}, {"label": ""}]})), vec!["questions[0].options[1].label"]),
            (question(json!({"kind": "scale", "text": "x"})), vec!["questions[0].scale"]),
            (question(json!({"kind": "scale", "text": "x", "scale": {"min": 5, "max": 5}})), vec!["questions[0].scale.max"]),
            (question(json!({"kind": "scale", "text": "x", "scale": {"min": 0, "max": 101}})), vec!["questions[0].scale.max"]),
            (question(json!({"kind": "scale", "text": "x", "scale": {"min": 1, "max": 2.5}})), vec!["questions[0].scale.max"]),
            (question(json!({"kind": "scale", "text": "x", "scale": {"min": 1, "max": 5}, "options": [{"label": "a"}, {"label": "b"}]})), vec!["questions[0].options"]),
            (question(json!({"kind": "yes_no", "text": "x", "options": [{"label": "a"}, {"label": "b"}]})), vec!["questions[0].options"]),
            (question(json!({"kind": "text", "text": "x", "scale": {"min": 1, "max": 5}})), vec!["questions[0].scale"]),
            (question(json!({"kind": "text", "text": "x", "range": {"min": 1}})), vec!["questions[0].range"]),
            (question(json!({"kind": "number", "text": "x", "range": {"min": 10, "max": 1}})), vec!["questions[0].range.max"]),
            (question(json!({"kind": "essay", "text": "x"})), vec!["questions[0].kind"]),
            (question(json!({"kind": "text", "text": ""})), vec!["questions[0].text"]),
            (question(json!({"kind": "text", "text": "x", "position": -1})), vec!["questions[0].position"]),
        ];
        for (body, fields) in cases {
            let problem = app.post("/api/v1/surveys").bearer(&admin).json(&body).send().await.problem(422);
            let want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            assert_eq!(sorted(error_fields(&problem)), sorted(want), "{problem}");
        }
        let list = app.get("/api/v1/surveys").bearer(&admin).send().await.expect(200).json();
        assert_eq!(list["total"], 0, "nothing was stored");
    }

    async fn drafts_are_hidden_and_lists_filter_and_sort(app) {
        let admin = app.admin().await;
        let ids = network(&app).await;
        let unna_editor = editor(&app, "unna", &ids["unna"]).await;
        let mut early = survey(false);
        early["opens_at"] = json!(days(-3));
        early["closes_at"] = json!(days(10));
        let early = open(&app, &admin, &id_of(&create(&app, &admin, &early).await)).await;
        let mut short = survey(false);
        short["closes_at"] = json!(days(5));
        let short = open(&app, &admin, &id_of(&create(&app, &admin, &short).await)).await;
        app.post(&format!("/api/v1/surveys/{}/close", id_of(&short))).bearer(&admin).send().await.expect(200);
        let mut draft = survey(false);
        draft["opens_at"] = json!(days(-2));
        let draft = create(&app, &admin, &draft).await;
        let (early, short, draft) = (id_of(&early), id_of(&short), id_of(&draft));

        let list_ids = |list: Value| -> Vec<String> {
            list["items"].as_array().unwrap().iter().map(id_of).collect()
        };
        let anonymous = app.get("/api/v1/surveys").send().await.expect(200).json();
        assert_eq!(anonymous["total"], 2);
        assert_eq!(list_ids(anonymous), [early.clone(), short.clone()], "by opens_at");
        let as_editor = app.get("/api/v1/surveys").bearer(&unna_editor).send().await.expect(200).json();
        assert_eq!(list_ids(as_editor), [early.clone(), short.clone()]);
        let as_admin = app.get("/api/v1/surveys").bearer(&admin).send().await.expect(200).json();
        assert_eq!(list_ids(as_admin), [early.clone(), draft.clone(), short.clone()]);
        let closed = app.get("/api/v1/surveys?status=closed").send().await.expect(200).json();
        assert_eq!(list_ids(closed), std::slice::from_ref(&short));
        let drafts = app.get("/api/v1/surveys?status=draft").send().await.expect(200).json();
        assert_eq!(drafts["total"], 0, "drafts are not announced");
        let newest = app.get("/api/v1/surveys?sort=-opens_at").send().await.expect(200).json();
        assert_eq!(list_ids(newest), [short.clone(), early.clone()]);
        let by_closing = app.get("/api/v1/surveys?sort=closes_at").bearer(&admin).send().await.expect(200).json();
        assert_eq!(list_ids(by_closing), [short.clone(), early.clone(), draft.clone()]);
        let recently = app.get("/api/v1/surveys?sort=-updated_at").bearer(&admin).send().await.expect(200).json();
        assert_eq!(list_ids(recently)[0], draft);
        for bad in ["sort=title", "status=archived", "colour=blue", "limit=0"] {
            app.get(&format!("/api/v1/surveys?{bad}")).send().await.problem(400);
        }

        // A draft is 404 to everyone but admins, with all that hangs on it.
        let draft_path = format!("/api/v1/surveys/{draft}");
        app.get(&draft_path).send().await.problem(404);
        app.get(&draft_path).bearer(&unna_editor).send().await.problem(404);
        app.get(&format!("{draft_path}/results")).send().await.problem(404);
        app.put(&format!("{draft_path}/responses/unna")).bearer(&unna_editor).json(&json!({"answers": []})).send().await.problem(404);
        app.get(&draft_path).bearer(&admin).send().await.expect(200);
        let read = app.get(&format!("/api/v1/surveys/{early}")).send().await.expect(200);
        let etag = read.header("etag").unwrap();
        app.get(&format!("/api/v1/surveys/{early}")).header("If-None-Match", &etag).send().await.expect(304);
        // Deleted surveys leave a tombstone for sync.
        app.delete(&format!("/api/v1/surveys/{early}")).bearer(&admin).send().await.expect(204);
        let synced = app.get("/api/v1/surveys?include_deleted=true").send().await.expect(200).json();
        assert!(synced["items"].as_array().unwrap().iter().any(|i| i["id"] == json!(early) && i["deleted"] == json!(true)));
    }

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
