//! Member surveys: the draft → open → closed life cycle, validation, drafts hidden, lists; and
//! the helpers the survey tests share (a questionnaire, answers to it, a test network).
//! Responses: survey_responses.rs; results: survey_results.rs.

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

pub(crate) async fn create(app: &TestApp, admin: &str, body: &Value) -> Value {
    app.post("/api/v1/surveys")
        .bearer(admin)
        .json(body)
        .send()
        .await
        .expect(201)
        .json()
}

pub(crate) async fn open(app: &TestApp, admin: &str, id: &str) -> Value {
    app.post(&format!("/api/v1/surveys/{id}/open"))
        .bearer(admin)
        .send()
        .await
        .expect(200)
        .json()
}

/// A survey with the questionnaire, open for responses.
pub(crate) async fn open_survey(app: &TestApp, admin: &str, anonymous: bool) -> Value {
    let created = create(app, admin, &survey(anonymous)).await;
    open(app, admin, created["id"].as_str().unwrap()).await
}

pub(crate) fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

pub(crate) fn qid(survey: &Value, question: usize) -> String {
    id_of(&survey["questions"][question])
}

pub(crate) fn oid(survey: &Value, question: usize, option: usize) -> String {
    id_of(&survey["questions"][question]["options"][option])
}

/// Answers to the questionnaire; `None` leaves an optional question out.
pub(crate) struct Given<'a> {
    pub(crate) single: usize,
    pub(crate) multiple: Option<&'a [usize]>,
    pub(crate) scale: i64,
    pub(crate) yes: Option<bool>,
    pub(crate) number: Option<f64>,
    pub(crate) text: Option<&'a str>,
}

pub(crate) fn answers(s: &Value, given: Given<'_>) -> Value {
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
pub(crate) fn full(s: &Value, number: f64, text: &str) -> Value {
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
pub(crate) fn network_members() -> Vec<(
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
pub(crate) async fn network(app: &TestApp) -> HashMap<&'static str, String> {
    let mut ids = HashMap::new();
    for (name, slug, ags, kind, membership) in network_members() {
        let id = app
            .municipality(json!({"name": name, "kind": kind, "ags": ags, "membership": membership}))
            .await;
        ids.insert(slug, id);
    }
    ids
}

pub(crate) async fn editor(app: &TestApp, slug: &str, id: &str) -> String {
    app.user(
        &format!("editor@{slug}.example.org"),
        Role::Editor,
        Some(id),
    )
    .await
    .1
}

pub(crate) fn responses_path(s: &Value, municipality: &str) -> String {
    format!("/api/v1/surveys/{}/responses/{municipality}", id_of(s))
}

/// The questions of a survey as `PUT` takes them back.
pub(crate) fn as_input(questions: &Value) -> Value {
    let mut questions = questions.clone();
    for question in questions.as_array_mut().unwrap() {
        question.as_object_mut().unwrap().remove("position");
    }
    questions
}

pub(crate) fn sorted(mut fields: Vec<String>) -> Vec<String> {
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
}
