//! The `webhooks` table's rows as the resource will write them.

use diesel::prelude::*;

use super::signing::Secret;
use crate::db::schema::webhooks;
use crate::db::{DbConnection, now};
use crate::error::ApiError;
use crate::ids::WebhookId;

/// Stores an enabled webhook of `url` subscribed to `events`, signing with `secret`.
pub fn insert(
    conn: &mut DbConnection,
    url: &str,
    events: &[String],
    description: &str,
    secret: &Secret,
) -> Result<WebhookId, ApiError> {
    let id = WebhookId::new();
    let at = now();
    let events = serde_json::to_string(events).map_err(ApiError::internal)?;
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(&id),
            webhooks::url.eq(url),
            webhooks::events.eq(events),
            webhooks::description.eq(description),
            webhooks::enabled.eq(true),
            webhooks::secret.eq(secret.to_whsec()),
            webhooks::version.eq(1),
            webhooks::created_at.eq(at),
            webhooks::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}
