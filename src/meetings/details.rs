//! What is loaded alongside meeting records — agenda, topics, related documents and the
//! registration figures — and how a stored meeting becomes its wire representation
//! (`Details::show`) and its writable one (`Details::input`, which `PATCH` merges into),
//! with the ETag view and last change that the registrations move. Kept apart from the table
//! rows and queries of `model`, which write and select records without building either.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api::{AgendaItem, AgendaItemInput, Meeting, MeetingInput, Venue};
use super::model::{AgendaRow, MeetingRow};
use crate::db::schema::{
    meeting_agenda_items, meeting_documents, meeting_registrations, meeting_topics,
};
use crate::db::{DbConnection, utc};
use crate::ids::{DocumentId, MeetingId};
use crate::types::HttpUrl;

/// What the registrations of a meeting add up to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Live registrations.
    pub registrations: i64,
    /// Attendees over the live registrations.
    pub attendees: i64,
    /// The last change of any registration, withdrawals included.
    pub last_change: Option<NaiveDateTime>,
}

/// Agenda, topics, documents and registration figures of a set of meetings, loaded in four
/// queries whatever the number of meetings.
#[derive(Default)]
pub struct Details {
    agenda: HashMap<MeetingId, Vec<AgendaRow>>,
    topics: HashMap<MeetingId, Vec<String>>,
    documents: HashMap<MeetingId, Vec<DocumentId>>,
    tallies: HashMap<MeetingId, Tally>,
}

pub fn load_details(conn: &mut DbConnection, ids: &[MeetingId]) -> QueryResult<Details> {
    let mut details = Details::default();
    if ids.is_empty() {
        return Ok(details);
    }
    let agenda: Vec<AgendaRow> = meeting_agenda_items::table
        .filter(meeting_agenda_items::meeting_id.eq_any(ids))
        .order((
            meeting_agenda_items::meeting_id,
            meeting_agenda_items::position,
        ))
        .select(AgendaRow::as_select())
        .load(conn)?;
    for item in agenda {
        details
            .agenda
            .entry(item.meeting_id.clone())
            .or_default()
            .push(item);
    }
    let topics: Vec<(MeetingId, String)> = meeting_topics::table
        .filter(meeting_topics::meeting_id.eq_any(ids))
        .order((meeting_topics::meeting_id, meeting_topics::position))
        .select((meeting_topics::meeting_id, meeting_topics::topic))
        .load(conn)?;
    for (id, topic) in topics {
        details.topics.entry(id).or_default().push(topic);
    }
    let documents: Vec<(MeetingId, DocumentId)> = meeting_documents::table
        .filter(meeting_documents::meeting_id.eq_any(ids))
        .order((meeting_documents::meeting_id, meeting_documents::position))
        .select((
            meeting_documents::meeting_id,
            meeting_documents::document_id,
        ))
        .load(conn)?;
    for (id, document) in documents {
        details.documents.entry(id).or_default().push(document);
    }
    // Summed here rather than in SQL: a handful of rows per meeting, and no aggregate type
    // that differs between the backends.
    let registrations: Vec<(MeetingId, i32, NaiveDateTime, Option<NaiveDateTime>)> =
        meeting_registrations::table
            .filter(meeting_registrations::meeting_id.eq_any(ids))
            .select((
                meeting_registrations::meeting_id,
                meeting_registrations::attendees,
                meeting_registrations::updated_at,
                meeting_registrations::deleted_at,
            ))
            .load(conn)?;
    for (id, attendees, updated_at, deleted_at) in registrations {
        let tally = details.tallies.entry(id).or_default();
        if deleted_at.is_none() {
            tally.registrations += 1;
            tally.attendees += i64::from(attendees);
        }
        tally.last_change = tally.last_change.max(Some(updated_at));
    }
    Ok(details)
}

impl Details {
    pub fn tally(&self, id: &MeetingId) -> Tally {
        self.tallies.get(id).copied().unwrap_or_default()
    }

    /// When the meeting or one of its registrations last changed.
    pub fn last_change(&self, row: &MeetingRow) -> NaiveDateTime {
        self.tally(&row.id)
            .last_change
            .map_or(row.updated_at, |at| at.max(row.updated_at))
    }

    /// The ETag view of a meeting: who reads it (anonymous readers do not see the online
    /// link) and the registration figures, which change without changing its version.
    pub fn view(&self, id: &MeetingId, members: bool) -> String {
        let tally = self.tally(id);
        let audience = if members { "member" } else { "public" };
        format!("{audience}.r{}.a{}", tally.registrations, tally.attendees)
    }

    /// The meeting as shown; `members` is false for anonymous readers, who do not learn the
    /// online link.
    pub fn show(&self, row: MeetingRow, members: bool) -> Meeting {
        let tally = self.tally(&row.id);
        let agenda = self
            .agenda
            .get(&row.id)
            .map(|items| {
                items
                    .iter()
                    .map(|item| AgendaItem {
                        position: item.position,
                        title: item.title.clone(),
                        description: item.description.clone(),
                        speaker: item.speaker.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let venue = row.venue_name.map(|name| Venue {
            name,
            address: row.venue_address,
            postal_code: row.venue_postal_code,
            city: row.venue_city.unwrap_or_default(),
        });
        Meeting {
            topics: self.topics.get(&row.id).cloned().unwrap_or_default(),
            document_ids: self
                .documents
                .get(&row.id)
                .map(|ids| ids.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            agenda,
            venue,
            online_url: members.then_some(row.online_url),
            registration_count: tally.registrations,
            attendee_count: tally.attendees,
            places_left: row
                .capacity
                .map(|capacity| (i64::from(capacity) - tally.attendees).max(0)),
            id: row.id.into(),
            kind: row.kind,
            title: row.title,
            description_html: row.description.as_deref().map(crate::markdown::to_html),
            description: row.description,
            starts_at: utc(row.starts_at),
            ends_at: utc(row.ends_at),
            format: row.format,
            host_municipality_id: row.host_municipality_id.map(Into::into),
            status: row.status,
            registration_deadline: row.registration_deadline.map(utc),
            capacity: row.capacity,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }

    /// The writable representation of a stored meeting, which `PATCH` merges into.
    pub fn input(&self, row: &MeetingRow) -> MeetingInput {
        let shown = self.show(row.clone(), true);
        MeetingInput {
            kind: shown.kind,
            title: shown.title,
            description: shown.description,
            starts_at: shown.starts_at,
            ends_at: shown.ends_at,
            format: shown.format,
            venue: shown.venue,
            online_url: row
                .online_url
                .as_deref()
                .and_then(|u| HttpUrl::parse(u).ok()),
            host_municipality_id: row
                .host_municipality_id
                .as_deref()
                .and_then(|id| id.parse().ok()),
            registration_deadline: shown.registration_deadline,
            capacity: row.capacity.and_then(|c| u32::try_from(c).ok()),
            agenda: shown
                .agenda
                .into_iter()
                .map(|item| AgendaItemInput {
                    position: u32::try_from(item.position).ok(),
                    title: item.title,
                    description: item.description,
                    speaker: item.speaker,
                })
                .collect(),
            topics: shown.topics,
            document_ids: shown
                .document_ids
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect(),
        }
    }
}
