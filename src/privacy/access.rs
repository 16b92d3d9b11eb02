//! Subject access (Art. 15 DSGVO): every place the catalogue names where a person appears,
//! found by their e-mail or name (whole words, case-folded, NFC) and, for contacts found,
//! their phone numbers. Read-only; the places are read in one pass each.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use super::api::{
    ContactFound, LoginAttempts, RevisionFound, SessionFound, SpeakerFound, SubjectData, UserFound,
};
use super::consent::Publish;
use super::matching::{Person, Terms};
use crate::db::schema::{
    api_tokens, attachments, documents, idempotency_keys, login_failures, meeting_agenda_items,
    meeting_registrations, meetings, municipalities, municipality_contacts, privacy_erasures,
    refresh_tokens, revisions, sessions, survey_answers, surveys, users, webhook_attempts,
    webhook_deliveries, webhooks,
};
use crate::db::{DbConnection, utc};
use crate::error::ApiError;
use crate::ids::{ContactId, MeetingId, MunicipalityId, RegistrationId, SessionId, UserId};

/// How the login throttle names an account, for finding its failed attempts.
pub struct ThrottleKeys {
    pub account: String,
    pub pair_prefix: String,
}

/// The people a search finds and the terms that find them in text.
pub struct Found {
    pub contacts: Vec<ContactRecord>,
    pub users: Vec<UserRecord>,
    pub terms: Terms,
}

pub type ContactRecord = (
    ContactId,
    MunicipalityId,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);
/// A revision as subject access reads it: seq, collection, record, version, at, actor,
/// patch, snapshot.
type RevisionData = (
    i64,
    String,
    String,
    i32,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
);
pub type UserRecord = (UserId, String, String, Option<NaiveDateTime>);

/// The contacts and users that are `person`, and the terms for free text: the e-mail
/// always; the name when only a name was asked for, or when a record matched both; the
/// phone numbers of the contacts found.
pub fn find(conn: &mut DbConnection, person: &Person) -> QueryResult<Found> {
    let contacts: Vec<ContactRecord> = municipality_contacts::table
        .select((
            municipality_contacts::id,
            municipality_contacts::municipality_id,
            municipality_contacts::name,
            municipality_contacts::role,
            municipality_contacts::email,
            municipality_contacts::phone,
            municipality_contacts::publish,
            municipality_contacts::consent_recorded_at,
            municipality_contacts::consent_withdrawn_at,
        ))
        .load::<ContactRecord>(conn)?
        .into_iter()
        .filter(|c| person.is(&c.2, c.4.as_deref()))
        .collect();
    let users: Vec<UserRecord> = users::table
        .select((users::id, users::email, users::name, users::deleted_at))
        .load::<UserRecord>(conn)?
        .into_iter()
        .filter(|u| person.is(&u.2, Some(&u.1)))
        .collect();
    let matched = !contacts.is_empty() || !users.is_empty();
    let name = person
        .name
        .as_deref()
        .filter(|_| person.email.is_none() || matched);
    let words: Vec<&str> = person.email.as_deref().into_iter().chain(name).collect();
    let phones: Vec<&str> = contacts.iter().filter_map(|c| c.5.as_deref()).collect();
    let terms = Terms::new(words, phones);
    Ok(Found {
        contacts,
        users,
        terms,
    })
}

/// Everything held about `person`.
pub fn subject_data(
    conn: &mut DbConnection,
    person: &Person,
    throttle: Option<&ThrottleKeys>,
) -> Result<SubjectData, ApiError> {
    let found = find(conn, person)?;
    held(conn, person, &found, throttle)
}

/// Everything held about `person`, whose records and terms `found` has.
pub fn held(
    conn: &mut DbConnection,
    person: &Person,
    found: &Found,
    throttle: Option<&ThrottleKeys>,
) -> Result<SubjectData, ApiError> {
    let terms = &found.terms;
    let user_ids: Vec<UserId> = found.users.iter().map(|u| u.0.clone()).collect();
    let mut places = BTreeMap::new();

    let contacts: Vec<ContactFound> = found
        .contacts
        .iter()
        .map(|c| ContactFound {
            id: c.0.to_string(),
            municipality_id: c.1.to_string(),
            name: c.2.clone(),
            role: c.3.clone(),
            email: c.4.clone(),
            phone: c.5.clone(),
            publish: Publish::from_stored(&c.6).fields().to_vec(),
            consent_recorded_at: c.7.map(utc),
            consent_withdrawn_at: c.8.map(utc),
        })
        .collect();
    let users: Vec<UserFound> = found
        .users
        .iter()
        .map(|u| UserFound {
            id: u.0.to_string(),
            email: u.1.clone(),
            name: u.2.clone(),
            deleted: u.3.is_some(),
        })
        .collect();

    let session_rows: Vec<(SessionId, UserId, NaiveDateTime, Option<NaiveDateTime>)> =
        sessions::table
            .filter(sessions::user_id.eq_any(&user_ids))
            .select((
                sessions::id,
                sessions::user_id,
                sessions::created_at,
                sessions::ended_at,
            ))
            .order(sessions::created_at)
            .load(conn)?;
    let mut sessions_found = Vec::new();
    for (id, user, created, ended) in session_rows {
        let last: Option<NaiveDateTime> = refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(&id))
            .select(max(refresh_tokens::created_at))
            .first(conn)?;
        sessions_found.push(SessionFound {
            id: id.to_string(),
            user_id: user.to_string(),
            created_at: utc(created),
            last_used_at: last.map(utc),
            ended_at: ended.map(utc),
        });
    }

    // Revisions: as the actor, or mentioned in what they keep.
    let actor_ids: Vec<String> = user_ids.iter().map(|id| id.to_string()).collect();
    let mut revisions_found = Vec::new();
    let (mut in_patches, mut in_snapshots) = (0, 0);
    let mut after = 0i64;
    loop {
        let batch: Vec<RevisionData> = revisions::table
            .filter(revisions::seq.gt(after))
            .order(revisions::seq)
            .limit(500)
            .select((
                revisions::seq,
                revisions::collection,
                revisions::record_id,
                revisions::version,
                revisions::at,
                revisions::actor_id,
                revisions::patch,
                revisions::snapshot,
            ))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (_, collection, id, version, at, actor, patch, snapshot) in batch {
            let as_actor = actor.is_some_and(|a| actor_ids.contains(&a));
            let mentions = |text: &Option<String>| {
                text.as_deref()
                    .is_some_and(|text| found_in_json_text(terms, text))
            };
            let (in_patch, in_snapshot) = (mentions(&patch), mentions(&snapshot));
            in_patches += usize::from(in_patch);
            in_snapshots += usize::from(in_snapshot);
            let mentioned = in_patch || in_snapshot;
            if as_actor || mentioned {
                revisions_found.push(RevisionFound {
                    collection,
                    id,
                    version,
                    at: utc(at),
                    as_actor,
                    mentioned,
                });
            }
        }
    }
    places.insert("revisions.patch".into(), in_patches);
    places.insert("revisions.snapshot".into(), in_snapshots);
    places.insert(
        "revisions.actor_id".into(),
        revisions_found.iter().filter(|r| r.as_actor).count(),
    );

    let agenda: Vec<(MeetingId, i32, String, Option<String>)> = meeting_agenda_items::table
        .filter(meeting_agenda_items::speaker.is_not_null())
        .select((
            meeting_agenda_items::meeting_id,
            meeting_agenda_items::position,
            meeting_agenda_items::title,
            meeting_agenda_items::speaker,
        ))
        .load(conn)?;
    let speakers: Vec<SpeakerFound> = agenda
        .into_iter()
        .filter(|a| a.3.as_deref().is_some_and(|s| terms.found_in(s)))
        .map(|a| SpeakerFound {
            meeting_id: a.0.to_string(),
            position: a.1 + 1,
            title: a.2,
        })
        .collect();

    let notes: Vec<(RegistrationId, Option<String>)> = meeting_registrations::table
        .filter(meeting_registrations::note.is_not_null())
        .select((meeting_registrations::id, meeting_registrations::note))
        .load(conn)?;
    let registration_notes: Vec<String> = notes
        .into_iter()
        .filter(|n| n.1.as_deref().is_some_and(|s| terms.found_in(s)))
        .map(|n| n.0.to_string())
        .collect();

    let login_attempts = match (throttle, &person.email) {
        (Some(keys), Some(_)) => {
            let pattern = format!("{}%", keys.pair_prefix);
            let (count, first, last): (i64, Option<NaiveDateTime>, Option<NaiveDateTime>) =
                login_failures::table
                    .filter(
                        login_failures::key
                            .eq(&keys.account)
                            .or(login_failures::key.like(pattern)),
                    )
                    .select((
                        count_star(),
                        min(login_failures::at),
                        max(login_failures::at),
                    ))
                    .first(conn)?;
            LoginAttempts {
                count,
                first: first.map(utc),
                last: last.map(utc),
            }
        }
        _ => LoginAttempts::default(),
    };

    let with = |value: fn(&ContactFound) -> bool| contacts.iter().filter(|c| value(c)).count();
    for (place, n) in [
        ("municipality_contacts.name", contacts.len()),
        ("municipality_contacts.email", with(|c| c.email.is_some())),
        ("municipality_contacts.phone", with(|c| c.phone.is_some())),
        ("municipality_contacts.publish", contacts.len()),
        (
            "municipality_contacts.consent_recorded_at",
            with(|c| c.consent_recorded_at.is_some()),
        ),
        (
            "municipality_contacts.consent_recorded_by",
            with(|c| c.consent_recorded_at.is_some()),
        ),
        (
            "municipality_contacts.consent_withdrawn_at",
            with(|c| c.consent_withdrawn_at.is_some()),
        ),
        ("users.name", users.len()),
        ("users.email", users.len()),
        ("users.password_hash", users.len()),
        ("sessions.user_id", sessions_found.len()),
        ("sessions.created_at", sessions_found.len()),
        (
            "sessions.ended_at",
            sessions_found
                .iter()
                .filter(|s| s.ended_at.is_some())
                .count(),
        ),
        ("meeting_agenda_items.speaker", speakers.len()),
        ("meeting_registrations.note", registration_notes.len()),
        ("login_failures.key", login_attempts.count as usize),
        ("login_failures.at", login_attempts.count as usize),
    ] {
        places.insert(place.into(), n);
    }
    count_traces(conn, &user_ids, &mut places)?;
    count_free_text(conn, terms, &mut places)?;

    Ok(SubjectData {
        contacts,
        users,
        sessions: sessions_found,
        revisions: revisions_found,
        speakers,
        registration_notes,
        login_attempts,
        places,
    })
}

/// Rows that point at the person's accounts: their refresh tokens, the API tokens and
/// erasures they made.
fn count_traces(
    conn: &mut DbConnection,
    user_ids: &[UserId],
    places: &mut BTreeMap<String, usize>,
) -> QueryResult<()> {
    let refresh: i64 = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq_any(user_ids))
        .count()
        .get_result(conn)?;
    let used: i64 = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq_any(user_ids))
        .filter(refresh_tokens::used_at.is_not_null())
        .count()
        .get_result(conn)?;
    let tokens: i64 = api_tokens::table
        .filter(api_tokens::created_by.eq_any(user_ids))
        .count()
        .get_result(conn)?;
    let ids: Vec<String> = user_ids.iter().map(|id| id.to_string()).collect();
    let erasures: i64 = privacy_erasures::table
        .filter(privacy_erasures::actor_id.eq_any(ids))
        .count()
        .get_result(conn)?;
    let n = |count: i64| usize::try_from(count).unwrap_or_default();
    for (place, count) in [
        ("refresh_tokens.user_id", refresh),
        ("refresh_tokens.created_at", refresh),
        ("refresh_tokens.used_at", used),
        ("api_tokens.created_by", tokens),
        ("privacy_erasures.actor_id", erasures),
    ] {
        places.insert(place.into(), n(count));
    }
    Ok(())
}

fn found_in_json_text(terms: &Terms, text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => terms.found_in_json(&value),
        Err(_) => terms.found_in(text),
    }
}

/// Counts the rows of every free-text and copy column of the catalogue that mention the
/// person, under `table.column`.
fn count_free_text(
    conn: &mut DbConnection,
    terms: &Terms,
    places: &mut BTreeMap<String, usize>,
) -> QueryResult<()> {
    let mut count = |place: &str, texts: Vec<Option<String>>| {
        let n = texts
            .iter()
            .flatten()
            .filter(|t| found_in_json_text(terms, t))
            .count();
        places.insert(place.to_owned(), n);
    };
    count(
        "municipalities.description",
        municipalities::table
            .select(municipalities::description)
            .load(conn)?,
    );
    count(
        "municipalities.office_email",
        municipalities::table
            .select(municipalities::office_email)
            .load(conn)?,
    );
    count(
        "municipalities.office_name",
        municipalities::table
            .select(municipalities::office_name)
            .load(conn)?,
    );
    count(
        "municipalities.office_phone",
        municipalities::table
            .select(municipalities::office_phone)
            .load(conn)?,
    );
    count(
        "municipalities.office_address",
        municipalities::table
            .select(municipalities::office_address)
            .load(conn)?,
    );
    count(
        "municipality_contacts.role",
        municipality_contacts::table
            .select(municipality_contacts::role)
            .load(conn)?,
    );
    count(
        "meeting_agenda_items.title",
        meeting_agenda_items::table
            .select(meeting_agenda_items::title.nullable())
            .load(conn)?,
    );
    count(
        "surveys.description",
        surveys::table.select(surveys::description).load(conn)?,
    );
    count(
        "webhook_attempts.error",
        webhook_attempts::table
            .select(webhook_attempts::error)
            .load(conn)?,
    );
    count(
        "privacy_erasures.reason",
        privacy_erasures::table
            .select(privacy_erasures::reason.nullable())
            .load(conn)?,
    );
    count(
        "documents.body",
        documents::table.select(documents::body).load(conn)?,
    );
    count(
        "documents.summary",
        documents::table.select(documents::summary).load(conn)?,
    );
    count(
        "documents.title",
        documents::table
            .select(documents::title.nullable())
            .load(conn)?,
    );
    count(
        "meetings.description",
        meetings::table.select(meetings::description).load(conn)?,
    );
    count(
        "meeting_agenda_items.description",
        meeting_agenda_items::table
            .select(meeting_agenda_items::description)
            .load(conn)?,
    );
    count(
        "attachments.filename",
        attachments::table
            .select(attachments::filename.nullable())
            .load(conn)?,
    );
    count(
        "api_tokens.name",
        api_tokens::table
            .select(api_tokens::name.nullable())
            .load(conn)?,
    );
    count(
        "webhooks.description",
        webhooks::table
            .select(webhooks::description.nullable())
            .load(conn)?,
    );
    count(
        "survey_answers.text_value",
        survey_answers::table
            .select(survey_answers::text_value)
            .load(conn)?,
    );
    count(
        "webhook_deliveries.body",
        webhook_deliveries::table
            .select(webhook_deliveries::body.nullable())
            .load(conn)?,
    );
    count(
        "webhook_attempts.excerpt",
        webhook_attempts::table
            .select(webhook_attempts::excerpt.nullable())
            .load(conn)?,
    );
    let stored: Vec<Option<Vec<u8>>> = idempotency_keys::table
        .select(idempotency_keys::body)
        .load(conn)?;
    count(
        "idempotency_keys.body",
        stored
            .into_iter()
            .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
            .collect(),
    );
    Ok(())
}
