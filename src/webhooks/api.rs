//! Request and response types of `/api/v1/webhooks`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::WebhookRow;
use crate::db::{now, utc};
use crate::error::{Checks, Code};
use crate::history::revisions::{Action, COLLECTIONS};

/// A webhook: where the network's changes are delivered, signed (Standard Webhooks v1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Webhook {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    /// Where deliveries are `POST`ed.
    #[schema(example = "https://www.unna.de/engagiert/webhook")]
    pub url: String,
    /// The events delivered: `<collection>.<action>` names, `<collection>.*` for all of a
    /// collection, or `*` for all.
    #[schema(example = json!(["municipalities.created", "meetings.updated"]))]
    pub events: Vec<String>,
    #[schema(example = "Mitgliederliste der Website")]
    pub description: String,
    /// Disabled webhooks get no deliveries; those waiting resume when it is enabled again.
    pub enabled: bool,
    /// Why the webhook was disabled: by an admin, or by the service after a 410 or the last
    /// failed retry.
    pub disabled_reason: Option<String>,
    /// The signing secret (`whsec_` + base64 of 32 random bytes): shown only in the answers to
    /// the creation and to `rotate-secret`, `null` in every other.
    pub secret: Option<String>,
    /// Until when the previous secret signs too, after a rotation.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Grows by one with every change.
    #[schema(example = 1)]
    pub version: i32,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        let events = row.subscriptions();
        let previous_secret_expires_at = row
            .previous_secret_until
            .filter(|until| *until > now())
            .map(utc);
        Self {
            id: row.id.into(),
            url: row.url,
            events,
            description: row.description,
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            secret: None,
            previous_secret_expires_at,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }
}

/// A new webhook.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https` (or `http` where private addresses are allowed), reaching a public address.
    #[schema(example = "https://www.unna.de/engagiert/webhook", max_length = 2000)]
    pub url: String,
    /// `<collection>.<action>` names (`municipalities.updated`), `<collection>.*` or `*`;
    /// at least one.
    #[schema(value_type = Vec<EventName>, min_items = 1, max_items = 100,
             example = json!(["municipalities.created", "meetings.updated"]))]
    pub events: Vec<String>,
    #[serde(default)]
    #[schema(example = "Mitgliederliste der Website", max_length = 500)]
    pub description: String,
}

/// The writable fields of a webhook, as `PUT` replaces them and `PATCH` merges into them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    #[schema(example = "https://www.unna.de/engagiert/webhook", max_length = 2000)]
    pub url: String,
    #[schema(value_type = Vec<EventName>, min_items = 1, max_items = 100,
             example = json!(["municipalities.created", "meetings.updated"]))]
    pub events: Vec<String>,
    #[schema(example = "Mitgliederliste der Website", max_length = 500)]
    pub description: String,
    /// Enabling clears `disabled_reason`; deliveries that waited are sent.
    pub enabled: bool,
}

impl WebhookInput {
    pub fn from_row(row: &WebhookRow) -> Self {
        Self {
            url: row.url.clone(),
            events: row.subscriptions(),
            description: row.description.clone(),
            enabled: row.enabled,
        }
    }

    /// One form of each meaning: events sorted, without repeats.
    pub fn canonical(mut self) -> Self {
        self.events = super::model::in_order(self.events);
        self
    }
}

/// The rules a webhook's fields obey, whether created or changed (the address is checked
/// before, in `prepare`, against the deployment's policy).
pub fn check_webhook(url: &str, events: &[String], description: &str) -> Checks {
    let mut checks = Checks::new();
    checks.text("url", url, 2000);
    checks.require(
        description.chars().count() <= 500,
        "description",
        Code::TooLong,
        "must be at most 500 characters long",
    );
    checks.require(
        !events.is_empty(),
        "events",
        Code::Required,
        "name at least one event, or `*`",
    );
    checks.require(
        events.len() <= 100,
        "events",
        Code::TooLong,
        "at most 100 events",
    );
    for (index, event) in events.iter().enumerate() {
        checks.require(
            is_event(event),
            &format!("events[{index}]"),
            Code::InvalidValue,
            &format!(
                "must be `*`, `<collection>.*` or `<collection>.<action>`: a collection of {} and an action of {}",
                COLLECTIONS.join(", "),
                Action::ALL
                    .iter()
                    .map(|action| action.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    checks
}

/// An event a webhook subscribes to, as the document states it: the pattern is made from
/// the same lists `is_event` checks against.
pub struct EventName;

impl utoipa::PartialSchema for EventName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let actions: Vec<&str> = Action::ALL.iter().map(|action| action.as_str()).collect();
        let pattern = format!(
            r"^(\*|({})\.(\*|{}))$",
            COLLECTIONS.join("|"),
            actions.join("|")
        );
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(pattern))
            .description(Some("`*`, `<collection>.*` or `<collection>.<action>`."))
            .examples([serde_json::json!("meetings.updated")])
            .into()
    }
}

impl ToSchema for EventName {}

fn is_event(event: &str) -> bool {
    event == "*"
        || event.split_once('.').is_some_and(|(collection, action)| {
            COLLECTIONS.contains(&collection)
                && (action == "*" || Action::ALL.iter().any(|known| known.as_str() == action))
        })
}

/// Whether a subscription to `wanted` (`*`, `meetings.*`, `meetings.updated`) covers `event`.
pub fn covers(wanted: &str, event: &str) -> bool {
    wanted == "*"
        || wanted == event
        || wanted
            .strip_suffix(".*")
            .is_some_and(|collection| event.split_once('.').is_some_and(|(c, _)| c == collection))
}

crate::sort_fields!(WebhookOrder over WebhookSort {
    Url = "url",
    CreatedAt = "created_at",
    UpdatedAt = "updated_at",
});

/// Filters of the webhook list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookFilter {
    /// Only enabled (or disabled) webhooks.
    pub enabled: Option<bool>,
    /// Sort order (default `created_at`): `url`, `created_at`, `updated_at`, each optionally
    /// prefixed with `-` for descending.
    #[param(inline)]
    pub sort: Option<WebhookOrder>,
}
