//! Erasure (Art. 17 DSGVO): a person removed everywhere the catalogue names. Contacts that
//! are the person leave their municipalities and a user account that is the person is
//! anonymised, each as a new version through the resource pipeline (so caches, the change
//! feed and webhooks carry it, Art. 19); every other mention — free text of current records,
//! history, webhook deliveries, stored answers, texts of tokens and surveys — is replaced by
//! [`super::ERASED`] in place. Each step works in short transactions of its own batch, so writers
//! wait only for a batch; a second run finds nothing left.

use std::collections::BTreeMap;
use std::sync::Arc;

use diesel::prelude::*;
use serde_json::Value;

use super::access::{self, Found, ThrottleKeys};
use super::matching::{Person, Terms};
use crate::auth::AuthUser;
use crate::db::schema::{
    api_tokens, attachments, idempotency_keys, login_failures, meeting_registrations,
    privacy_erasures, refresh_tokens, revisions, sessions, survey_answers, users, webhook_attempts,
    webhook_deliveries, webhooks,
};
use crate::db::{Db, DbConnection, now};
use crate::documents::service::Documents;
use crate::error::ApiError;
use crate::history::revisions::{Action, Actor};
use crate::ids::{ApiTokenId, AttachmentId, ErasureId, RegistrationId, UserId, WebhookId};
use crate::meetings::service::Meetings;
use crate::municipalities::service::Municipalities;
use crate::resource::{self, Resource};
use crate::users::service::Users;

/// What an erasure found, per place (`table.column`), and whether it changed anything.
pub struct Outcome {
    pub id: ErasureId,
    pub at: chrono::NaiveDateTime,
    pub dry_run: bool,
    pub found: BTreeMap<String, usize>,
}

/// Erases `person` (or, with `dry_run`, only counts what an erasure would change).
pub async fn erase(
    db: &Db,
    admin: &AuthUser,
    person: Person,
    throttle: Option<ThrottleKeys>,
    reason: String,
    dry_run: bool,
) -> Result<Outcome, ApiError> {
    let asked = person;
    let keys = throttle
        .as_ref()
        .map(|k| (k.account.clone(), k.pair_prefix.clone()));
    // One lookup: what the dry run reports and what the erasure removes are the same.
    let (matched, data) = db
        .run(move |conn| {
            let matched = access::find(conn, &asked)?;
            let data = access::held(conn, &asked, &matched, throttle.as_ref())?;
            Ok((matched, data))
        })
        .await?;
    let found: BTreeMap<String, usize> = data.places.into_iter().filter(|(_, n)| *n > 0).collect();
    let outcome = Outcome {
        id: ErasureId::new(),
        at: now(),
        dry_run,
        found,
    };
    if dry_run {
        return Ok(outcome);
    }
    let Found {
        contacts,
        users: matched_users,
        terms,
    } = matched;
    let terms = Arc::new(terms);
    let contact_ids: Vec<String> = contacts.iter().map(|c| c.0.to_string()).collect();
    let user_ids: Vec<UserId> = matched_users.iter().map(|u| u.0.clone()).collect();

    // Current records, through the pipeline: a new version each.
    let t = terms.clone();
    rewrite_all::<Municipalities>(db, admin, "municipalities", move |value| {
        let mut changed = false;
        if let Some(Value::Array(list)) = value.get_mut("contacts") {
            let before = list.len();
            list.retain(|c| {
                c.get("id")
                    .and_then(Value::as_str)
                    .is_none_or(|id| !contact_ids.iter().any(|x| x == id))
            });
            changed = list.len() != before;
        }
        t.redact_json(value) | changed
    })
    .await?;
    for collection in ["meetings", "documents"] {
        let t = terms.clone();
        let redact = move |value: &mut Value| t.redact_json(value);
        match collection {
            "meetings" => rewrite_all::<Meetings>(db, admin, collection, redact).await?,
            _ => rewrite_all::<Documents>(db, admin, collection, redact).await?,
        }
    }
    for id in &user_ids {
        let pseudonym = format!("erased-{id}@erased.invalid");
        let anonymised = move |value: &mut Value| {
            value["name"] = Value::from("Gelöschte Person");
            value["email"] = Value::from(pseudonym.as_str());
            value["active"] = Value::from(false);
            true
        };
        let (admin, id) = (admin.clone(), id.clone());
        db.transaction(move |conn| {
            if let Some(row) = Users::find(conn, id.as_str())? {
                resource::rewrite::<Users>(conn, &admin, row, &anonymised)?;
            }
            end_account(conn, &id)
        })
        .await?;
    }

    // Sub-records with versions of their own: a new version and a feed entry each.
    let actor = Actor::of(admin);
    redact_registrations(db, &terms, &actor).await?;
    redact_attachment_names(db, &terms, &actor).await?;

    // Everything else in place: copies and texts without versions.
    redact_copies(db, &terms).await?;
    if let Some((account, pair_prefix)) = keys {
        db.transaction(move |conn| {
            diesel::delete(
                login_failures::table.filter(
                    login_failures::key
                        .eq(&account)
                        .or(login_failures::key.like(format!("{pair_prefix}%"))),
                ),
            )
            .execute(conn)?;
            Ok(())
        })
        .await?;
    }

    // On record: who, when, why (redacted like everything else) and the counts.
    let record = (
        outcome.id.clone(),
        outcome.at,
        actor,
        terms.redact(&reason).unwrap_or(reason),
        serde_json::to_string(&outcome.found).map_err(ApiError::internal)?,
    );
    db.transaction(move |conn| {
        let (id, at, actor, reason, found) = record.clone();
        diesel::insert_into(privacy_erasures::table)
            .values((
                privacy_erasures::id.eq(id),
                privacy_erasures::at.eq(at),
                privacy_erasures::actor_kind.eq(actor.kind.as_str()),
                privacy_erasures::actor_id.eq(actor.id),
                privacy_erasures::reason.eq(reason),
                privacy_erasures::found.eq(found),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(outcome)
}

/// Rewrites every record of `R` (deleted ones too: a tombstone keeps its fields) whose
/// writable representation `transform` changes, each in a transaction of its own.
async fn rewrite_all<R: Resource>(
    db: &Db,
    admin: &AuthUser,
    collection: &'static str,
    transform: impl Fn(&mut Value) -> bool + Clone + Send + 'static,
) -> Result<(), ApiError> {
    // Every record has a revision from its creation on: its ids are those of the history.
    let ids: Vec<String> = db
        .run(move |conn| {
            Ok(revisions::table
                .filter(revisions::collection.eq(collection))
                .select(revisions::record_id)
                .distinct()
                .load(conn)?)
        })
        .await?;
    for id in ids {
        let (admin, transform) = (admin.clone(), transform.clone());
        db.transaction(move |conn| {
            match R::find(conn, &id)? {
                Some(row) => resource::rewrite::<R>(conn, &admin, row, &transform)?,
                None => false,
            };
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// An erased account signs in no more: its sessions end, its refresh tokens are revoked and
/// its password hash goes.
fn end_account(conn: &mut DbConnection, id: &UserId) -> Result<(), ApiError> {
    let at = now();
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(at))
    .execute(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)?;
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::password_hash.eq(""))
        .execute(conn)?;
    Ok(())
}

async fn redact_registrations(db: &Db, terms: &Arc<Terms>, actor: &Actor) -> Result<(), ApiError> {
    let notes: Vec<(RegistrationId, Option<String>)> = db
        .run(|conn| {
            Ok(meeting_registrations::table
                .filter(meeting_registrations::note.is_not_null())
                .select((meeting_registrations::id, meeting_registrations::note))
                .load(conn)?)
        })
        .await?;
    for (id, note) in notes {
        let Some(old) = note else { continue };
        let Some(new) = terms.redact(&old) else {
            continue;
        };
        let actor = actor.clone();
        db.transaction(move |conn| {
            let written = diesel::update(
                meeting_registrations::table
                    .filter(meeting_registrations::id.eq(&id))
                    .filter(meeting_registrations::note.eq(&old)),
            )
            .set((
                meeting_registrations::note.eq(&new),
                meeting_registrations::version.eq(meeting_registrations::version + 1),
                meeting_registrations::updated_at.eq(now()),
            ))
            .returning(meeting_registrations::all_columns)
            .get_results::<crate::meetings::registration_model::RegistrationRow>(conn)?;
            for row in written {
                crate::meetings::registrations::record(conn, &actor, Action::Updated, &row)?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

async fn redact_attachment_names(
    db: &Db,
    terms: &Arc<Terms>,
    actor: &Actor,
) -> Result<(), ApiError> {
    let names: Vec<(AttachmentId, String)> = db
        .run(|conn| {
            Ok(attachments::table
                .select((attachments::id, attachments::filename))
                .load(conn)?)
        })
        .await?;
    for (id, old) in names {
        let Some(new) = terms.redact(&old) else {
            continue;
        };
        let actor = actor.clone();
        db.transaction(move |conn| {
            let written = diesel::update(
                attachments::table
                    .filter(attachments::id.eq(&id))
                    .filter(attachments::filename.eq(&old)),
            )
            .set((
                attachments::filename.eq(&new),
                attachments::version.eq(attachments::version + 1),
                attachments::updated_at.eq(now()),
            ))
            .returning(attachments::all_columns)
            .get_results::<crate::documents::attachment_model::AttachmentRow>(conn)?;
            for row in written {
                crate::documents::attachments::record(conn, &actor, Action::Updated, &row)?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// How many rows one transaction of an in-place redaction reads and writes.
const BATCH: i64 = 500;

/// Redacts one text column in place, batch by batch in key order: `load` reads the rows
/// after a key, `store` writes a new value if the row still holds the old one.
async fn redact_column<K, L, S>(
    db: &Db,
    terms: &Arc<Terms>,
    json: bool,
    load: L,
    store: S,
) -> Result<(), ApiError>
where
    K: Clone + Send + 'static,
    L: Fn(&mut DbConnection, Option<&K>) -> QueryResult<Vec<(K, Option<String>)>>
        + Clone
        + Send
        + 'static,
    S: Fn(&mut DbConnection, &K, &str, &str) -> QueryResult<usize> + Clone + Send + 'static,
{
    let mut after: Option<K> = None;
    loop {
        let (terms, load, store, from) =
            (terms.clone(), load.clone(), store.clone(), after.clone());
        let last = db
            .transaction(move |conn| {
                let rows = load(conn, from.as_ref())?;
                for (key, value) in &rows {
                    let Some(old) = value else { continue };
                    let new = if json {
                        terms.redact_json_text(old)
                    } else {
                        terms.redact(old)
                    };
                    if let Some(new) = new {
                        store(conn, key, old, &new)?;
                    }
                }
                Ok(rows.last().map(|(key, _)| key.clone()))
            })
            .await?;
        match last {
            Some(key) => after = Some(key),
            None => return Ok(()),
        }
    }
}

/// A text column of a table keyed by one ordered column, redacted in place.
macro_rules! redact_text {
    ($db:expr, $terms:expr, $json:expr, $table:ident, $key:ident: $key_type:ty, $column:ident $(, $nullable:ident)?) => {
        redact_column(
            $db,
            $terms,
            $json,
            |conn: &mut DbConnection, after: Option<&$key_type>| {
                let query = $table::table
                    .select(($table::$key, $table::$column $(.$nullable())?))
                    .order($table::$key)
                    .limit(BATCH);
                match after {
                    Some(after) => query.filter($table::$key.gt(after.clone())).load(conn),
                    None => query.load(conn),
                }
            },
            |conn: &mut DbConnection, key: &$key_type, old: &str, new: &str| {
                diesel::update(
                    $table::table
                        .filter($table::$key.eq(key))
                        .filter($table::$column.eq(old)),
                )
                .set($table::$column.eq(new))
                .execute(conn)
            },
        )
    };
}

/// Copies and texts without versions of their own.
async fn redact_copies(db: &Db, terms: &Arc<Terms>) -> Result<(), ApiError> {
    redact_text!(db, terms, true, revisions, seq: i64, patch).await?;
    redact_text!(db, terms, true, revisions, seq: i64, snapshot).await?;
    redact_text!(db, terms, true, webhook_deliveries, id: crate::ids::DeliveryId, body, nullable)
        .await?;
    redact_text!(db, terms, false, webhook_attempts, id: i64, excerpt, nullable).await?;
    redact_text!(db, terms, false, webhook_attempts, id: i64, error).await?;
    redact_text!(db, terms, false, webhooks, id: WebhookId, description, nullable).await?;
    redact_text!(db, terms, false, api_tokens, id: ApiTokenId, name, nullable).await?;
    redact_text!(db, terms, false, privacy_erasures, id: ErasureId, reason, nullable).await?;
    redact_answers(db, terms).await?;
    redact_stored_answers(db, terms).await
}

/// Text answers of surveys (keyed by response, question and position: read whole, they
/// are few).
async fn redact_answers(db: &Db, terms: &Arc<Terms>) -> Result<(), ApiError> {
    let terms = terms.clone();
    db.transaction(move |conn| {
        let answers: Vec<(String, crate::ids::QuestionId, i32, Option<String>)> =
            survey_answers::table
                .filter(survey_answers::text_value.is_not_null())
                .select((
                    survey_answers::response_key,
                    survey_answers::question_id,
                    survey_answers::seq,
                    survey_answers::text_value,
                ))
                .load(conn)?;
        for (key, question, seq, text) in answers {
            let Some(new) = text.as_deref().and_then(|t| terms.redact(t)) else {
                continue;
            };
            diesel::update(
                survey_answers::table
                    .filter(survey_answers::response_key.eq(&key))
                    .filter(survey_answers::question_id.eq(&question))
                    .filter(survey_answers::seq.eq(seq)),
            )
            .set(survey_answers::text_value.eq(new))
            .execute(conn)?;
        }
        Ok(())
    })
    .await
}

/// Answers kept for retried requests (bytes, JSON for the most part).
async fn redact_stored_answers(db: &Db, terms: &Arc<Terms>) -> Result<(), ApiError> {
    let terms = terms.clone();
    db.transaction(move |conn| {
        let stored: Vec<(String, String, Option<Vec<u8>>)> = idempotency_keys::table
            .filter(idempotency_keys::body.is_not_null())
            .select((
                idempotency_keys::caller,
                idempotency_keys::key,
                idempotency_keys::body,
            ))
            .load(conn)?;
        for (caller, key, body) in stored {
            let Some(body) = body else { continue };
            let text = String::from_utf8_lossy(&body);
            let Some(new) = terms.redact_json_text(&text) else {
                continue;
            };
            diesel::update(
                idempotency_keys::table
                    .filter(idempotency_keys::caller.eq(&caller))
                    .filter(idempotency_keys::key.eq(&key)),
            )
            .set(idempotency_keys::body.eq(new.into_bytes()))
            .execute(conn)?;
        }
        Ok(())
    })
    .await
}
