//! What a webhook is as a resource of the pipeline (`crate::resource`): admin only, its
//! address checked against the deployment's policy before the write, its secret made at
//! creation and shown in that answer alone, rotated with a grace period, and disabled by
//! the dispatcher as the service's own change.

use chrono::Duration;
use diesel::QueryResult;
use serde_json::Value;

use super::addresses;
use super::api::{NewWebhook, Webhook, WebhookFilter, WebhookInput, check_webhook};
use super::model::{self, WebhookChanges, WebhookRow};
use super::signing::Secret;
use crate::auth::AuthUser;
use crate::config::Policy;
use crate::db::query::Paging;
use crate::db::{DbConnection, now};
use crate::error::{ApiError, Code, FieldError};
use crate::history::revisions::{Action, Actor, Readers};
use crate::http::{Tagged, path_id};
use crate::ids::WebhookId;
use crate::resource::Resource;
use crate::resource::recording::{self, Before};

/// How long the previous secret signs too after a rotation, so receivers can switch over.
pub const ROTATION_GRACE_HOURS: i64 = 24;

pub struct Webhooks;

impl Resource for Webhooks {
    const NAME: &'static str = "webhook";
    const COLLECTION: &'static str = "/api/v1/webhooks";

    type Row = WebhookRow;
    type Details = ();
    type New = NewWebhook;
    type Input = WebhookInput;
    type Output = Webhook;
    type Filter = WebhookFilter;
    /// Why the address the body sets is refused, if it is: reported with the other fields.
    type Prepared = Option<FieldError>;

    /// Where deliveries go and how they are signed is the network office's business.
    fn may_read(who: Option<&AuthUser>) -> Result<(), ApiError> {
        who.ok_or_else(|| ApiError::unauthorized("this endpoint needs a bearer token"))?
            .require_admin()
    }

    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<WebhookRow>, ApiError> {
        Ok(model::find(conn, &path_id(key, Self::NAME)?)?)
    }

    fn details(_: &mut DbConnection, _: &[WebhookRow]) -> QueryResult<()> {
        Ok(())
    }

    fn show(row: WebhookRow, _: &(), _: Option<&AuthUser>) -> Webhook {
        Webhook::from(row)
    }

    /// The creator is shown the secret, this once.
    fn created(row: WebhookRow, _: &(), _: Option<&AuthUser>) -> Tagged<Webhook> {
        let secret = row.secret.clone();
        Tagged::of(row, None, Webhook::from).with_secret(|webhook| Webhook {
            secret: Some(secret),
            ..webhook
        })
    }

    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &WebhookFilter,
        _: Option<&AuthUser>,
    ) -> Result<(Vec<WebhookRow>, i64), ApiError> {
        Ok(model::list(conn, paging, filter)?)
    }

    fn input(row: &WebhookRow, _: &()) -> Result<WebhookInput, ApiError> {
        Ok(WebhookInput::from_row(row))
    }

    fn canonical(input: WebhookInput) -> WebhookInput {
        input.canonical()
    }

    /// The address a body sets, checked before anything is written: `https` and a public
    /// address unless the deployment allows private ones (`http` and any address then).
    fn prepare(body: &Value, policy: &Policy) -> Result<Option<FieldError>, ApiError> {
        let url = body.get("url").and_then(Value::as_str);
        let url = url.filter(|url| !url.trim().is_empty());
        Ok(url.and_then(|url| {
            addresses::check_url(url.trim(), policy.webhook_private_addresses)
                .err()
                .map(|refused| FieldError::new("url", Code::InvalidValue, refused.message()))
        }))
    }

    fn insert(
        conn: &mut DbConnection,
        _user: &AuthUser,
        new: &NewWebhook,
        refused: &Option<FieldError>,
    ) -> Result<WebhookRow, ApiError> {
        checked(&new.url, &new.events, &new.description, refused)?;
        let fields = changes(&new.url, &new.events, &new.description, true, None)?;
        let secret = Secret::generate().map_err(ApiError::internal)?;
        Ok(model::insert(conn, &fields, &secret)?)
    }

    fn update(
        conn: &mut DbConnection,
        _user: &AuthUser,
        current: &WebhookRow,
        _: &(),
        input: &WebhookInput,
        refused: &Option<FieldError>,
    ) -> Result<WebhookRow, ApiError> {
        checked(&input.url, &input.events, &input.description, refused)?;
        // Enabling clears the reason; disabling through the API gives its own.
        let reason = match (input.enabled, current.enabled) {
            (true, _) => None,
            (false, true) => Some("disabled by an admin".to_owned()),
            (false, false) => current.disabled_reason.clone(),
        };
        let fields = changes(
            &input.url,
            &input.events,
            &input.description,
            input.enabled,
            reason,
        )?;
        model::update(conn, &current.id, current.version, &fields)?
            .ok_or_else(ApiError::precondition_failed)
    }

    fn readers(_: &WebhookRow, _: &()) -> Readers {
        Readers::Admins
    }

    fn soft_delete(conn: &mut DbConnection, row: &WebhookRow) -> Result<bool, ApiError> {
        Ok(model::soft_delete(conn, &row.id, row.version)?)
    }

    fn undelete(
        conn: &mut DbConnection,
        row: &WebhookRow,
        version: i32,
    ) -> Result<Option<WebhookRow>, ApiError> {
        Ok(model::undelete(conn, &row.id, row.version, version)?)
    }
}

/// The fields' rules and the address's refusal from `prepare`, all reported at once.
fn checked(
    url: &str,
    events: &[String],
    description: &str,
    refused: &Option<FieldError>,
) -> Result<(), ApiError> {
    let mut checks = check_webhook(url, events, description);
    if let Some(refused) = refused {
        checks.push(refused.clone());
    }
    checks.finish()
}

fn changes(
    url: &str,
    events: &[String],
    description: &str,
    enabled: bool,
    disabled_reason: Option<String>,
) -> Result<WebhookChanges, ApiError> {
    let events = model::in_order(events.to_vec());
    Ok(WebhookChanges {
        url: url.trim().to_owned(),
        events: serde_json::to_string(&events).map_err(ApiError::internal)?,
        description: description.trim().to_owned(),
        enabled,
        disabled_reason,
    })
}

/// `rotate-secret`: a new secret signs from now on, the current one too for a grace period.
/// Run as the step of `resource::act`.
pub fn rotate(
    conn: &mut DbConnection,
    current: &WebhookRow,
    secret: &Secret,
) -> Result<Option<WebhookRow>, ApiError> {
    let until = now() + Duration::hours(ROTATION_GRACE_HOURS);
    Ok(model::rotate(conn, current, secret, until)?)
}

/// Disables a webhook because its deliveries cannot succeed (410, or the last retry
/// failed): a new version, recorded as the service's change, so the admin sees why.
pub fn disable(conn: &mut DbConnection, id: &WebhookId, reason: &str) -> Result<(), ApiError> {
    let Some(current) = model::find(conn, id)? else {
        return Ok(());
    };
    if !current.enabled || current.deleted_at.is_some() {
        return Ok(());
    }
    let fields = changes(
        &current.url,
        &current.subscriptions(),
        &current.description,
        false,
        Some(reason.to_owned()),
    )?;
    let Some(row) = model::update(conn, &current.id, current.version, &fields)? else {
        return Ok(());
    };
    recording::record::<Webhooks>(
        conn,
        &Actor::system(),
        Action::Updated,
        Before::Row(&current, &()),
        &row,
        &(),
    )
}
