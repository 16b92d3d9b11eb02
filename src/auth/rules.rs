//! The authorization table: which role may call which operation, one row per operation of
//! the OpenAPI document. The `AuthUser` extractor consults it before any handler runs, the
//! document shows each operation's row in its description, and a test enumerates it against
//! the served responses. What the table cannot know (whether a record belongs to an
//! editor's municipality) the operation checks against the record.

use std::collections::HashMap;

use actix_web::HttpRequest;
use utoipa::openapi::OpenApi;

use super::AuthUser;
use super::Role;
use super::jwt::TokenUse;
use crate::error::ApiError;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Everyone, signed in or not; signed-in callers may see more.
    Anyone,
    /// Every signed-in caller: admins, editors, readers, and their API tokens.
    SignedIn,
    /// Admins, and editors for records of their own municipality (the operation checks the
    /// record); never readers.
    Editors,
    /// Admins (users and API tokens).
    Admins,
    /// Admins signed in with a password; an API token, even an admin's, is refused.
    AdminsWithPassword,
    /// Every user signed in with a password, for their own account; no API token.
    OwnAccount,
}

impl Allowed {
    /// The row as the document shows it.
    pub fn describe(self) -> &'static str {
        match self {
            Allowed::Anyone => "anyone, without a token (signed-in callers may see more)",
            Allowed::SignedIn => {
                "every signed-in caller: admin, editor, reader (users and API tokens)"
            }
            Allowed::Editors => {
                "admin; editor for records of their own municipality (another's: 403); reader: 403"
            }
            Allowed::Admins => "admin (users and API tokens); editor and reader: 403",
            Allowed::AdminsWithPassword => {
                "admin signed in with a password; API tokens (even an admin's), editor and reader: 403"
            }
            Allowed::OwnAccount => {
                "every user signed in with a password, for their own account; API tokens: 403"
            }
        }
    }

    /// 403 unless `user`'s role and kind of token may call an operation of this row.
    pub fn permits(self, user: &AuthUser) -> Result<(), ApiError> {
        let password = user.token_use == TokenUse::Access;
        let allowed = match self {
            Allowed::Anyone | Allowed::SignedIn => true,
            Allowed::Editors => matches!(user.role, Role::Admin | Role::Editor),
            Allowed::Admins => user.role == Role::Admin,
            Allowed::AdminsWithPassword => user.role == Role::Admin && password,
            Allowed::OwnAccount => password,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this operation is for: {}",
                self.describe()
            )))
        }
    }
}

/// The table, by operation id. Every operation of the document has its row (a test checks
/// it); an operation without one is refused to everyone signed in.
pub const RULES: &[(&str, Allowed)] = &[
    // Accounts and tokens.
    ("login", Allowed::Anyone),
    ("refresh", Allowed::Anyone),
    ("logout", Allowed::Anyone),
    ("me", Allowed::SignedIn),
    // Personal data.
    ("record_of_processing", Allowed::Anyone),
    ("subject_access", Allowed::AdminsWithPassword),
    ("own_data", Allowed::OwnAccount),
    ("erase_person", Allowed::AdminsWithPassword),
    ("list_erasures", Allowed::AdminsWithPassword),
    ("change_own_password", Allowed::OwnAccount),
    ("list_api_tokens", Allowed::AdminsWithPassword),
    ("get_api_token", Allowed::AdminsWithPassword),
    ("create_api_token", Allowed::AdminsWithPassword),
    ("delete_api_token", Allowed::AdminsWithPassword),
    ("list_users", Allowed::Admins),
    ("get_user", Allowed::Admins),
    ("create_user", Allowed::Admins),
    ("replace_user", Allowed::Admins),
    ("update_user", Allowed::Admins),
    ("delete_user", Allowed::Admins),
    ("list_user_revisions", Allowed::Admins),
    ("get_user_revision", Allowed::Admins),
    ("restore_user_revision", Allowed::Admins),
    // Webhooks.
    ("list_webhooks", Allowed::Admins),
    ("get_webhook", Allowed::Admins),
    ("create_webhook", Allowed::Admins),
    ("replace_webhook", Allowed::Admins),
    ("update_webhook", Allowed::Admins),
    ("delete_webhook", Allowed::Admins),
    ("rotate_webhook_secret", Allowed::Admins),
    ("list_webhook_deliveries", Allowed::Admins),
    ("redeliver_webhook_delivery", Allowed::Admins),
    ("list_webhook_revisions", Allowed::Admins),
    ("get_webhook_revision", Allowed::Admins),
    ("restore_webhook_revision", Allowed::Admins),
    // Municipalities.
    ("list_municipalities", Allowed::Anyone),
    ("get_municipality", Allowed::Anyone),
    ("create_municipality", Allowed::Admins),
    ("replace_municipality", Allowed::Editors),
    ("update_municipality", Allowed::Editors),
    ("delete_municipality", Allowed::Admins),
    ("list_municipality_revisions", Allowed::Editors),
    ("get_municipality_revision", Allowed::Editors),
    ("restore_municipality_revision", Allowed::Admins),
    ("import_municipalities", Allowed::Admins),
    ("municipalities_csv", Allowed::Anyone),
    ("municipalities_geojson", Allowed::Anyone),
    ("membership_stats", Allowed::Anyone),
    // Documents.
    ("list_documents", Allowed::Anyone),
    ("get_document", Allowed::Anyone),
    ("create_document", Allowed::Editors),
    ("replace_document", Allowed::Editors),
    ("update_document", Allowed::Editors),
    ("delete_document", Allowed::Editors),
    ("publish_document", Allowed::Admins),
    ("archive_document", Allowed::Admins),
    ("upload_attachment", Allowed::Editors),
    ("get_attachment", Allowed::Anyone),
    ("delete_attachment", Allowed::Editors),
    ("list_document_revisions", Allowed::Editors),
    ("get_document_revision", Allowed::Editors),
    ("restore_document_revision", Allowed::Admins),
    ("documents_feed", Allowed::Anyone),
    // Meetings.
    ("list_meetings", Allowed::Anyone),
    ("get_meeting", Allowed::Anyone),
    ("meeting_calendar", Allowed::Anyone),
    ("meetings_feed", Allowed::Anyone),
    ("create_meeting", Allowed::Admins),
    ("replace_meeting", Allowed::Admins),
    ("update_meeting", Allowed::Admins),
    ("delete_meeting", Allowed::Admins),
    ("cancel_meeting", Allowed::Admins),
    ("hold_meeting", Allowed::Admins),
    ("list_registrations", Allowed::SignedIn),
    ("get_registration", Allowed::SignedIn),
    ("create_registration", Allowed::Editors),
    ("update_registration", Allowed::Editors),
    ("delete_registration", Allowed::Editors),
    ("list_meeting_revisions", Allowed::Admins),
    ("get_meeting_revision", Allowed::Admins),
    ("restore_meeting_revision", Allowed::Admins),
    // Surveys.
    ("list_surveys", Allowed::Anyone),
    ("get_survey", Allowed::Anyone),
    ("create_survey", Allowed::Admins),
    ("replace_survey", Allowed::Admins),
    ("update_survey", Allowed::Admins),
    ("delete_survey", Allowed::Admins),
    ("open_survey", Allowed::Admins),
    ("close_survey", Allowed::Admins),
    ("get_survey_results", Allowed::Anyone),
    ("list_survey_responses", Allowed::Admins),
    ("survey_responses_csv", Allowed::Admins),
    ("get_survey_response", Allowed::Editors),
    ("submit_survey_response", Allowed::Editors),
    ("list_survey_revisions", Allowed::Admins),
    ("get_survey_revision", Allowed::Admins),
    ("restore_survey_revision", Allowed::Admins),
    // History.
    ("audit", Allowed::Admins),
    ("changes", Allowed::SignedIn),
    // OParl (public, the same for everyone).
    ("oparl_system", Allowed::Anyone),
    ("oparl_list", Allowed::Anyone),
    ("oparl_object", Allowed::Anyone),
    // Embeds (public, the same for everyone).
    ("embed_showcase", Allowed::Anyone),
    ("embed_members", Allowed::Anyone),
    ("embed_municipality", Allowed::Anyone),
    ("embed_meetings", Allowed::Anyone),
    ("embed_documents", Allowed::Anyone),
    ("embed_document", Allowed::Anyone),
    ("embed_meeting", Allowed::Anyone),
    ("embed_membership_chart", Allowed::Anyone),
    ("embed_stylesheet", Allowed::Anyone),
    // Operations (`/metrics` has a token of its own, `ENGAGIERT_METRICS_TOKEN`).
    ("healthz", Allowed::Anyone),
    ("readyz", Allowed::Anyone),
    ("metrics", Allowed::Anyone),
    ("openapi_document", Allowed::Anyone),
    ("list_problem_types", Allowed::Anyone),
    ("get_problem_type", Allowed::Anyone),
];

/// The row of an operation id.
pub fn rule(operation_id: &str) -> Option<Allowed> {
    RULES
        .iter()
        .find(|(id, _)| *id == operation_id)
        .map(|(_, allowed)| *allowed)
}

/// The table by route: (method, path pattern as actix matches it) → row.
pub struct Permissions(HashMap<(String, String), Allowed>);

impl Permissions {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let mut table = HashMap::new();
        for (path, item) in &doc.paths.paths {
            for (method, operation) in operations(item) {
                if let Some(allowed) = operation.operation_id.as_deref().and_then(rule) {
                    table.insert((method.to_owned(), path.clone()), allowed);
                }
            }
        }
        Self(table)
    }

    /// 403 unless the table allows `user` the operation `req` is routed to; an operation
    /// missing from the table is refused (and logged: the table test should have caught it).
    pub fn check(&self, req: &HttpRequest, user: &AuthUser) -> Result<(), ApiError> {
        let method = match req.method().as_str() {
            "HEAD" => "GET".to_owned(),
            other => other.to_owned(),
        };
        let pattern = req.match_pattern().unwrap_or_default();
        match self.0.get(&(method, pattern)) {
            Some(allowed) => allowed.permits(user),
            None => {
                tracing::error!(path = %req.path(), "operation missing from the authorization table");
                Err(ApiError::forbidden("this operation is not open to anyone"))
            }
        }
    }
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|op| (method, op)))
}

/// Writes each operation's row into its description, so the document says who may call it.
pub fn document(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let Some(allowed) = operation.operation_id.as_deref().and_then(rule) else {
                continue;
            };
            let description = operation.description.get_or_insert_with(String::new);
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str("**Who may call it:** ");
            description.push_str(allowed.describe());
            description.push('.');
        }
    }
}
