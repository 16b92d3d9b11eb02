//! The demo surveys of `--dev`.

use crate::resource::recording::record_created;
use crate::surveys::service::Surveys;
use chrono::NaiveDateTime;
use serde_json::Value;

use crate::db::{DbConnection, now, utc};
use crate::error::ApiError;
use crate::surveys::answers::check_answers;
use crate::surveys::api::*;
use crate::surveys::model::{self, *};
use crate::surveys::response_api::{AnswerInput, ResponseInput, json_number};
use crate::surveys::responses::record;
use crate::surveys::service::{create, questions_of};

/// Responses of the demo surveys: municipality, single choice, multiple choice, scale,
/// yes/no, number and (optional) text.
type DemoResponse = (
    &'static str,
    usize,
    &'static [usize],
    i64,
    bool,
    f64,
    Option<&'static str>,
);

const CLOSED_DEMO_RESPONSES: &[DemoResponse] = &[
    (
        "unna",
        0,
        &[0, 1],
        5,
        true,
        240.0,
        Some("Mehr Austausch zu digitalen Beteiligungsformaten."),
    ),
    (
        "kreis-unna",
        1,
        &[0, 2],
        4,
        true,
        1450.0,
        Some("Fortbildungen für die Ehrenamtskoordination."),
    ),
    ("paderborn", 0, &[0, 1, 2], 4, true, 610.0, None),
    (
        "bergkamen",
        1,
        &[1],
        3,
        false,
        180.0,
        Some("Eine Vorlage für eine Engagementstrategie."),
    ),
    ("kamen", 2, &[0], 4, true, 150.0, None),
    (
        "luenen",
        0,
        &[0, 1],
        5,
        true,
        320.0,
        Some("Regionale Treffen im Kreis."),
    ),
    ("werne", 1, &[1, 2], 3, false, 95.0, None),
    (
        "dortmund",
        0,
        &[0, 1, 2],
        4,
        true,
        2900.0,
        Some("Erfahrungen mit der Ehrenamtskarte NRW."),
    ),
    ("bochum", 0, &[0], 2, false, 1700.0, None),
    ("hamm", 1, &[0, 1], 4, true, 800.0, None),
    (
        "bielefeld",
        0,
        &[1, 2],
        5,
        true,
        1500.0,
        Some("Mehr Praxisbeispiele aus kleinen Gemeinden."),
    ),
    ("delbrueck", 3, &[2], 3, false, 120.0, None),
];

const OPEN_DEMO_RESPONSES: &[DemoResponse] = &[
    (
        "unna",
        0,
        &[0],
        4,
        true,
        250.0,
        Some("Ein Treffen zur Gewinnung junger Engagierter."),
    ),
    ("kreis-unna", 1, &[0, 1], 5, true, 1460.0, None),
];

fn demo_questionnaire() -> Value {
    serde_json::json!([
        {"kind": "single_choice", "required": true,
         "text": "Gibt es in Ihrer Kommune eine zentrale Anlaufstelle für Engagement?",
         "options": [{"label": "Ja, eine eigene Ehrenamtsagentur"}, {"label": "Ja, gemeinsam mit dem Kreis"},
                     {"label": "Nein, aber geplant"}, {"label": "Nein"}]},
        {"kind": "multiple_choice", "text": "Welche Formen der Anerkennung bieten Sie an?",
         "options": [{"label": "Ehrenamtskarte NRW"}, {"label": "Empfang oder Ehrenamtstag"}, {"label": "Engagementpreis"}]},
        {"kind": "scale", "required": true, "text": "Wie zufrieden sind Sie mit dem Austausch im Netzwerk?",
         "scale": {"min": 1, "max": 5, "min_label": "gar nicht zufrieden", "max_label": "sehr zufrieden"}},
        {"kind": "yes_no", "text": "Hat Ihr Rat eine Engagementstrategie beschlossen?"},
        {"kind": "number", "text": "Wie viele Vereine und Initiativen zählt Ihre Kommune etwa?",
         "range": {"min": 0}},
        {"kind": "text", "text": "Welche Themen wünschen Sie sich für die nächsten Netzwerktreffen?",
         "help": "Stichworte genügen."}
    ])
}

/// Records the demo responses of `survey` (the municipalities that exist), `at` each.
fn record_demo_responses(
    conn: &mut DbConnection,
    survey: &SurveyRow,
    responses: &[DemoResponse],
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    let questions = questions_of(conn, survey)?;
    let option = |question: usize, index: usize| -> String {
        questions
            .get(question)
            .and_then(|q| q.options.get(index))
            .map(|o| o.id.clone())
            .unwrap_or_default()
    };
    let question = |index: usize| -> String {
        questions
            .get(index)
            .map(|q| q.id.clone())
            .unwrap_or_default()
    };
    for (slug, single, multiple, scale, yes, number, text) in responses {
        let Some(municipality) = crate::municipalities::model::resolve(conn, slug)? else {
            continue;
        };
        let mut answers = vec![
            AnswerInput {
                question_id: question(0),
                option_ids: Some(vec![option(0, *single)]),
                value: None,
                text: None,
            },
            AnswerInput {
                question_id: question(1),
                option_ids: Some(multiple.iter().map(|j| option(1, *j)).collect()),
                value: None,
                text: None,
            },
            AnswerInput {
                question_id: question(2),
                option_ids: None,
                value: Some(Value::from(*scale)),
                text: None,
            },
            AnswerInput {
                question_id: question(3),
                option_ids: None,
                value: Some(Value::Bool(*yes)),
                text: None,
            },
            AnswerInput {
                question_id: question(4),
                option_ids: None,
                value: Some(Value::Number(json_number(*number))),
                text: None,
            },
        ];
        if let Some(text) = text {
            answers.push(AnswerInput {
                question_id: question(5),
                option_ids: None,
                value: None,
                text: Some((*text).to_owned()),
            });
        }
        let checked = check_answers(&questions, &ResponseInput { answers })?;
        record(conn, survey, &municipality.id, &checked, at)?;
    }
    Ok(())
}

/// The demo surveys `--dev` loads after the demo municipalities: a survey of autumn 2024,
/// closed, with responses and public results, and an anonymous one open now. Nothing
/// happens when surveys exist.
pub fn load(conn: &mut DbConnection) -> Result<(), ApiError> {
    if model::count_live(conn)? > 0 {
        return Ok(());
    }
    let parse = |value: Value| -> Result<SurveyInput, ApiError> {
        serde_json::from_value(value).map_err(ApiError::internal)
    };
    let closed = parse(serde_json::json!({
        "title": "Engagementförderung in den Mitgliedskommunen 2024",
        "description": "Demodaten: die jährliche Befragung der Mitglieder zu Anlaufstellen, Anerkennung und Strategien.",
        "opens_at": "2024-10-01T08:00:00Z",
        "closes_at": "2024-11-30T23:00:00Z",
        "anonymous": false,
        "results_public": true,
        "questions": demo_questionnaire(),
    }))?;
    let draft = create(conn, &closed)?;
    let opened = model::set_status(conn, &draft.id, draft.version, SurveyStatus::Open)?
        .ok_or_else(ApiError::precondition_failed)?;
    let answered_at = opened.opens_at + chrono::Duration::days(14);
    record_demo_responses(conn, &opened, CLOSED_DEMO_RESPONSES, answered_at)?;
    model::set_status(conn, &opened.id, opened.version, SurveyStatus::Closed)?;
    record_created::<Surveys>(conn, opened.id.as_str())?;

    let today = now();
    let open = parse(serde_json::json!({
        "title": "Ehrenamtskarte und Anerkennungskultur 2026",
        "description": "Demodaten: eine anonyme Befragung zur Anerkennung von Engagement.",
        "opens_at": utc(today - chrono::Duration::days(7)),
        "closes_at": utc(today + chrono::Duration::days(42)),
        "anonymous": true,
        "results_public": false,
        "questions": demo_questionnaire(),
    }))?;
    let draft = create(conn, &open)?;
    let opened = model::set_status(conn, &draft.id, draft.version, SurveyStatus::Open)?
        .ok_or_else(ApiError::precondition_failed)?;
    record_demo_responses(conn, &opened, OPEN_DEMO_RESPONSES, today)?;
    record_created::<Surveys>(conn, opened.id.as_str())?;
    Ok(())
}
