//! The rows the OParl mapping reads: the resources' own tables, live and deleted records
//! alike (deleted or unpublished ones become deletion markers), each list in a stable
//! order. Reads only; the mapping itself is in `service`.

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{
    attachments, document_municipalities, document_topics, documents, meeting_agenda_items,
    meeting_topics, meetings, membership_events, municipalities, municipality_contacts,
    municipality_topics,
};
use crate::documents::attachment_model::AttachmentRow;
use crate::documents::model::DocumentRow;
use crate::ids::{DocumentId, MeetingId, MunicipalityId};
use crate::meetings::model::{AgendaRow, MeetingRow};
use crate::municipalities::model::{ContactRow, EventRow, MunicipalityRow};

pub fn municipalities(conn: &mut DbConnection) -> QueryResult<Vec<MunicipalityRow>> {
    municipalities::table
        .order((municipalities::created_at, municipalities::id))
        .select(MunicipalityRow::as_select())
        .load(conn)
}

/// When the first municipality was recorded, and when a municipality, meeting or document
/// last changed (a deletion sets `updated_at` too): aggregates, not rows.
pub fn span(
    conn: &mut DbConnection,
) -> QueryResult<(Option<NaiveDateTime>, Option<NaiveDateTime>)> {
    let first = municipalities::table
        .select(dsl::min(municipalities::created_at))
        .first(conn)?;
    let last = [
        municipalities::table
            .select(dsl::max(municipalities::updated_at))
            .first::<Option<NaiveDateTime>>(conn)?,
        meetings::table
            .select(dsl::max(meetings::updated_at))
            .first(conn)?,
        documents::table
            .select(dsl::max(documents::updated_at))
            .first(conn)?,
    ]
    .into_iter()
    .flatten()
    .max();
    Ok((first, last))
}

pub fn municipality_topics(conn: &mut DbConnection) -> QueryResult<Vec<(MunicipalityId, String)>> {
    municipality_topics::table
        .order((
            municipality_topics::municipality_id,
            municipality_topics::position,
        ))
        .select((
            municipality_topics::municipality_id,
            municipality_topics::topic,
        ))
        .load(conn)
}

pub fn contacts(conn: &mut DbConnection) -> QueryResult<Vec<ContactRow>> {
    municipality_contacts::table
        .order((
            municipality_contacts::municipality_id,
            municipality_contacts::position,
        ))
        .select(ContactRow::as_select())
        .load(conn)
}

/// Membership events in the order they took effect.
pub fn events(conn: &mut DbConnection) -> QueryResult<Vec<EventRow>> {
    membership_events::table
        .order((
            membership_events::municipality_id,
            membership_events::effective_on,
            membership_events::recorded_at,
            membership_events::id,
        ))
        .select(EventRow::as_select())
        .load(conn)
}

pub fn meetings(conn: &mut DbConnection) -> QueryResult<Vec<MeetingRow>> {
    meetings::table
        .order((meetings::created_at, meetings::id))
        .select(MeetingRow::as_select())
        .load(conn)
}

pub fn agenda(conn: &mut DbConnection) -> QueryResult<Vec<AgendaRow>> {
    meeting_agenda_items::table
        .order((
            meeting_agenda_items::meeting_id,
            meeting_agenda_items::position,
        ))
        .select(AgendaRow::as_select())
        .load(conn)
}

pub fn meeting_topics(conn: &mut DbConnection) -> QueryResult<Vec<(MeetingId, String)>> {
    meeting_topics::table
        .order((meeting_topics::meeting_id, meeting_topics::position))
        .select((meeting_topics::meeting_id, meeting_topics::topic))
        .load(conn)
}

pub fn documents(conn: &mut DbConnection) -> QueryResult<Vec<DocumentRow>> {
    documents::table
        .order((documents::created_at, documents::id))
        .select(DocumentRow::as_select())
        .load(conn)
}

pub fn document_topics(conn: &mut DbConnection) -> QueryResult<Vec<(DocumentId, String)>> {
    document_topics::table
        .order((document_topics::document_id, document_topics::position))
        .select((document_topics::document_id, document_topics::topic))
        .load(conn)
}

pub fn document_authors(conn: &mut DbConnection) -> QueryResult<Vec<(DocumentId, MunicipalityId)>> {
    document_municipalities::table
        .order((
            document_municipalities::document_id,
            document_municipalities::position,
        ))
        .select((
            document_municipalities::document_id,
            document_municipalities::municipality_id,
        ))
        .load(conn)
}

/// Attachments in the order they were uploaded.
pub fn attachments(conn: &mut DbConnection) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .order((attachments::created_at, attachments::id))
        .select(AttachmentRow::as_select())
        .load(conn)
}
