//! The role × operation matrix: every operation of the served document, called by an admin,
//! an editor of the municipality, an editor of another, a reader user, a reader API token,
//! an admin API token and an anonymous caller. What each may do is read from the document
//! itself (the "Who may call it" row each operation carries, generated from the table the
//! code consults), and checked against what the service answers: a refused caller gets 401
//! (anonymous) or 403 (404 where the record is hidden from an editor of another), an allowed
//! one never 401 or 403, and nobody a 5xx.

use actix_web::http::Method;
use engagiert::auth::Role;
use engagiert::auth::rules::{Allowed, RULES};
use serde_json::{Value, json};

use crate::both_backends;
#[allow(unused_imports)]
use crate::helpers::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    ReaderUser,
    ReaderToken,
    OtherEditor,
    Editor,
    AdminToken,
    Admin,
}

/// Refused callers first and admins last, so an allowed write (a deletion) cannot change
/// what a refused caller is answered.
const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::ReaderUser,
    Caller::ReaderToken,
    Caller::OtherEditor,
    Caller::Editor,
    Caller::AdminToken,
    Caller::Admin,
];

/// Whether the table lets `caller` call an operation of `allowed`; `owned` says the
/// operation addresses a record of the editor's municipality (not the other editor's).
fn may(allowed: Allowed, caller: Caller, owned: bool) -> bool {
    use Caller::*;
    match allowed {
        Allowed::Anyone => true,
        Allowed::SignedIn => caller != Anonymous && !(caller == OtherEditor && owned),
        Allowed::Editors => {
            matches!(caller, Editor | AdminToken | Admin) || (caller == OtherEditor && !owned)
        }
        Allowed::Admins => matches!(caller, AdminToken | Admin),
        Allowed::AdminsWithPassword => caller == Admin,
        Allowed::OwnAccount => matches!(caller, ReaderUser | OtherEditor | Editor | Admin),
    }
}

/// The row an operation's description documents.
fn documented(operation: &Value) -> Allowed {
    let description = operation["description"].as_str().unwrap_or("");
    let row = description
        .split("**Who may call it:** ")
        .nth(1)
        .unwrap_or_else(|| panic!("{} documents no row", operation["operationId"]));
    RULES
        .iter()
        .map(|(_, allowed)| *allowed)
        .find(|allowed| row.trim_end_matches('.') == allowed.describe())
        .unwrap_or_else(|| {
            panic!(
                "{} documents an unknown row: {row}",
                operation["operationId"]
            )
        })
}

#[test]
fn every_operation_has_a_row() {
    let doc: Value =
        serde_json::from_str(&engagiert::openapi::to_json(&engagiert::app::document())).unwrap();
    let mut operations = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                RULES.iter().any(|(rule, _)| *rule == id),
                "{id} is missing from the table"
            );
            documented(operation);
            operations += 1;
        }
    }
    assert_eq!(
        operations,
        RULES.len(),
        "the table names operations the document lacks"
    );
}

#[test]
fn every_refusal_the_table_makes_is_documented() {
    let doc: Value =
        serde_json::from_str(&engagiert::openapi::to_json(&engagiert::app::document())).unwrap();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let responses = &operation["responses"];
            let allowed = documented(operation);
            if allowed != Allowed::Anyone {
                assert!(
                    responses.get("401").is_some(),
                    "{} lacks 401",
                    operation["operationId"]
                );
            }
            if !matches!(allowed, Allowed::Anyone | Allowed::SignedIn) {
                assert!(
                    responses.get("403").is_some(),
                    "{} lacks 403",
                    operation["operationId"]
                );
            }
        }
    }
}

both_backends! {
    async fn the_role_matrix_holds_for_every_operation(app) {
        // Two municipalities, an editor of each, readers, tokens and a record of each kind
        // belonging to the first municipality.
        let admin = app.admin().await;
        let unna = app.unna().await;
        let paderborn = app.municipality(json!({"name": "Paderborn", "kind": "town", "ags": "05774032", "region": "detmold"})).await;
        let editor = app.editor(&unna).await;
        let other_editor = app.editor(&paderborn).await;
        let (_, reader) = app.user("intranet@unna.de", Role::Reader, None).await;
        let (user_id, _) = app.user("kollegin@unna.de", Role::Editor, Some(&unna)).await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let token = |role: &str| {
            app.post("/api/v1/api-tokens").bearer(&admin)
                .json(&json!({"name": format!("Skript {role}"), "role": role, "expires_at": expires}))
                .send()
        };
        let reader_token = token("reader").await.expect(201).json()["token"].as_str().unwrap().to_owned();
        let admin_token_issued = token("admin").await.expect(201).json();
        let admin_token = admin_token_issued["token"].as_str().unwrap().to_owned();
        let api_token_id = admin_token_issued["id"].as_str().unwrap().to_owned();
        let post = |path: &str, body: Value| app.post(path).bearer(&admin).json(&body).send();
        let meeting = post("/api/v1/meetings", crate::meetings::meeting("Netzwerktreffen", 30)).await.expect(201).json();
        let meeting_id = meeting["id"].as_str().unwrap().to_owned();
        post(&format!("/api/v1/meetings/{meeting_id}/registrations"), json!({"municipality_id": unna, "attendees": 2})).await.expect(201);
        let document = post("/api/v1/documents", json!({"kind": "practice_example", "title": "Praxis", "municipality_ids": [unna]})).await.expect(201).json();
        let document_id = document["id"].as_str().unwrap().to_owned();
        // Editors delete drafts only (a rule of the document's state, not of the role): the
        // deletion gets a draft of its own, since the admin publishes the first one.
        let draft = post("/api/v1/documents", json!({"kind": "method", "title": "Entwurf", "municipality_ids": [unna]})).await.expect(201).json();
        let draft_id = draft["id"].as_str().unwrap().to_owned();
        let boundary = "XyZ";
        let upload = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--{boundary}--\r\n");
        let attachment = app.post(&format!("/api/v1/documents/{document_id}/attachments")).bearer(&admin)
            .raw(&format!("multipart/form-data; boundary={boundary}"), upload.into_bytes()).send().await.expect(201).json();
        let attachment_id = attachment["id"].as_str().unwrap().to_owned();
        let survey = post("/api/v1/surveys", json!({"title": "Umfrage", "opens_at": crate::surveys::days(-1), "closes_at": crate::surveys::days(30),
            "results_public": true, "questions": [{"kind": "yes_no", "text": "Gibt es eine Ehrenamtskarte?"}]})).await.expect(201).json();
        let survey_id = survey["id"].as_str().unwrap().to_owned();
        post(&format!("/api/v1/surveys/{survey_id}/open"), json!({})).await.expect(200);
        let webhook = post("/api/v1/webhooks", json!({"url": "https://www.unna.de/hook", "events": ["municipalities.created"]})).await.expect(201).json();
        let webhook_id = webhook["id"].as_str().unwrap().to_owned();

        let doc = app.get("/api-docs/openapi.json").send().await.expect(200).json();
        let mut operations: Vec<(Method, String, Value)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                operations.push((method.to_uppercase().parse().unwrap(), path.clone(), operation.clone()));
            }
        }
        // Deletions last, a record's parts before the record; of them the admin token's (the
        // matrix calls with it) and the municipality's (the rest hangs on it) last of all.
        operations.sort_by_key(|(method, path, _)| {
            let delete = *method == Method::DELETE;
            (delete, path.starts_with("/api/v1/api-tokens/"), path == "/api/v1/municipalities/{id}",
             std::cmp::Reverse(if delete { path.matches('/').count() } else { 0 }))
        });
        let mut checked = 0;
        for (method, template, operation) in &operations {
            let allowed = documented(operation);
            let id = match template.split('/').nth(3).unwrap_or("") {
                "documents" if operation["operationId"] == "delete_document" => draft_id.clone(),
                "municipalities" => unna.clone(),
                "meetings" => meeting_id.clone(),
                "documents" => document_id.clone(),
                "attachments" => attachment_id.clone(),
                "surveys" => survey_id.clone(),
                "users" => user_id.clone(),
                "api-tokens" => api_token_id.clone(),
                "webhooks" => webhook_id.clone(),
                _ => String::new(),
            };
            let owned = template.contains("{municipality_id}")
                || ["/api/v1/municipalities/{id}", "/api/v1/documents/{id}", "/api/v1/attachments/{id}"]
                    .iter().any(|prefix| template.starts_with(prefix));
            let path = template
                .replace("{id}", &id)
                .replace("{municipality_id}", &unna)
                .replace("{version}", "1")
                .replace("{delivery_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{type}", "not-found");
            for caller in CALLERS {
                let bearer = match caller {
                    Caller::Anonymous => None,
                    Caller::ReaderUser => Some(&reader),
                    Caller::ReaderToken => Some(&reader_token),
                    Caller::OtherEditor => Some(&other_editor),
                    Caller::Editor => Some(&editor),
                    Caller::AdminToken => Some(&admin_token),
                    Caller::Admin => Some(&admin),
                };
                let mut req = app.req(method.clone(), &path);
                if let Some(bearer) = bearer {
                    req = req.bearer(bearer);
                }
                if *method != Method::GET && *method != Method::DELETE {
                    req = req.json(&json!({}));
                }
                let response = req.send().await;
                let status = response.status.as_u16();
                let case = format!("{method} {path} ({}) as {caller:?}: {status} {}", operation["operationId"], response.text());
                assert!(status < 500, "{case}");
                if may(allowed, caller, owned) {
                    assert!(status != 401 && status != 403, "allowed, but refused: {case}");
                } else if caller == Caller::Anonymous {
                    assert_eq!(status, 401, "{case}");
                } else if caller == Caller::OtherEditor && owned {
                    assert!(status == 403 || status == 404, "{case}");
                } else {
                    assert_eq!(status, 403, "{case}");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, RULES.len() * CALLERS.len());
    }
}
