//! The meeting tables (the meeting, its agenda, topics and related documents) and their
//! queries. The municipalities' registrations are stored and queried in
//! `registration_model`; their figures are summed in `details`, for the meeting as shown.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::api::{
    AgendaItemInput, MeetingFilter, MeetingFormat, MeetingInput, MeetingKind, MeetingSort,
    MeetingStatus, stored,
};
use crate::db::query::{Paging, Sort};
use crate::db::schema::{meeting_agenda_items, meeting_documents, meeting_topics, meetings};
use crate::db::{DbConnection, MultiBackend, now};
use crate::ids::{AgendaItemId, DocumentId, LocationId, MeetingId, MunicipalityId};
use crate::types::trimmed;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRow {
    pub id: MeetingId,
    pub kind: MeetingKind,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub format: MeetingFormat,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub venue_postal_code: Option<String>,
    pub venue_city: Option<String>,
    pub online_url: Option<String>,
    pub host_municipality_id: Option<MunicipalityId>,
    pub status: MeetingStatus,
    pub registration_deadline: Option<NaiveDateTime>,
    pub capacity: Option<i32>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// The id of the meeting's venue (OParl Location), kept for the meeting's lifetime.
    pub location_id: LocationId,
}
crate::impl_record!(MeetingRow);

/// The stored form of the writable fields, for insert and update alike.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = meetings, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MeetingValues {
    pub kind: MeetingKind,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub format: MeetingFormat,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub venue_postal_code: Option<String>,
    pub venue_city: Option<String>,
    pub online_url: Option<String>,
    pub host_municipality_id: Option<MunicipalityId>,
    pub registration_deadline: Option<NaiveDateTime>,
    pub capacity: Option<i32>,
}

impl MeetingValues {
    /// The stored form of a checked input.
    pub fn from_input(input: &MeetingInput) -> Self {
        let venue = input.venue.as_ref();
        Self {
            kind: input.kind,
            title: input.title.trim().to_owned(),
            description: trimmed(input.description.as_deref()),
            starts_at: stored(input.starts_at),
            ends_at: stored(input.ends_at),
            format: input.format,
            venue_name: venue.map(|v| v.name.trim().to_owned()),
            venue_address: venue.and_then(|v| trimmed(v.address.as_deref())),
            venue_postal_code: venue.and_then(|v| trimmed(v.postal_code.as_deref())),
            venue_city: venue.map(|v| v.city.trim().to_owned()),
            online_url: input.online_url.as_ref().map(|u| u.as_str().to_owned()),
            host_municipality_id: input.host_municipality_id.map(MunicipalityId::from),
            registration_deadline: input.registration_deadline.map(stored),
            capacity: input.capacity.map(|c| i32::try_from(c).unwrap_or(i32::MAX)),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_agenda_items, treat_none_as_default_value = false)]
pub struct AgendaRow {
    pub meeting_id: MeetingId,
    pub position: i32,
    pub title: String,
    pub description: Option<String>,
    pub speaker: Option<String>,
    /// Kept while the item stays on the agenda (`replace_parts`), for OParl's AgendaItem.
    pub id: AgendaItemId,
}

/// Whether a live meeting has this id.
pub fn exists(conn: &mut DbConnection, id: &MeetingId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        meetings::table
            .find(id)
            .filter(meetings::deleted_at.is_null()),
    ))
    .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &MeetingId) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

/// Takes the meeting's row lock (PostgreSQL) or the database's write lock (SQLite) as the
/// first statement of a transaction, so that two registrations cannot both read the same
/// free places and both take them.
pub fn lock(conn: &mut DbConnection, id: &MeetingId) -> QueryResult<()> {
    diesel::update(meetings::table.find(id))
        .set(meetings::version.eq(meetings::version))
        .execute(conn)
        .map(|_| ())
}

pub fn count_live(conn: &mut DbConnection) -> QueryResult<i64> {
    meetings::table
        .filter(meetings::deleted_at.is_null())
        .count()
        .get_result(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    id: &MeetingId,
    values: &MeetingValues,
) -> QueryResult<MeetingRow> {
    let at = now();
    diesel::insert_into(meetings::table)
        .values((
            values,
            meetings::id.eq(id),
            meetings::location_id.eq(LocationId::new()),
            meetings::status.eq(MeetingStatus::Planned),
            meetings::version.eq(1),
            meetings::created_at.eq(at),
            meetings::updated_at.eq(at),
        ))
        .returning(meetings::all_columns)
        .get_result(conn)
}

/// Writes `values` if the meeting is still at `version`; `None` when someone else was first.
pub fn update(
    conn: &mut DbConnection,
    id: &MeetingId,
    version: i32,
    values: &MeetingValues,
) -> QueryResult<Option<MeetingRow>> {
    diesel::update(
        meetings::table
            .find(id)
            .filter(meetings::version.eq(version)),
    )
    .set((
        values,
        meetings::version.eq(version + 1),
        meetings::updated_at.eq(now()),
    ))
    .returning(meetings::all_columns)
    .get_result(conn)
    .optional()
}

/// Sets the status if the meeting is still at `version`.
pub fn set_status(
    conn: &mut DbConnection,
    id: &MeetingId,
    version: i32,
    status: MeetingStatus,
) -> QueryResult<Option<MeetingRow>> {
    diesel::update(
        meetings::table
            .find(id)
            .filter(meetings::version.eq(version)),
    )
    .set((
        meetings::status.eq(status),
        meetings::version.eq(version + 1),
        meetings::updated_at.eq(now()),
    ))
    .returning(meetings::all_columns)
    .get_result(conn)
    .optional()
}

pub fn soft_delete(conn: &mut DbConnection, id: &MeetingId, version: i32) -> QueryResult<bool> {
    crate::soft_delete!(conn, meetings, id, version)
}

/// Brings a deleted meeting back at `next` if it is still at `version`.
pub fn undelete(
    conn: &mut DbConnection,
    id: &MeetingId,
    version: i32,
    next: i32,
) -> QueryResult<Option<MeetingRow>> {
    crate::undelete!(conn, meetings, id, version, next)
}

/// Replaces agenda, topics and documents.
pub fn replace_parts(
    conn: &mut DbConnection,
    id: &MeetingId,
    input: &MeetingInput,
) -> QueryResult<()> {
    let kept: Vec<AgendaRow> = meeting_agenda_items::table
        .filter(meeting_agenda_items::meeting_id.eq(id))
        .order(meeting_agenda_items::position)
        .select(AgendaRow::as_select())
        .load(conn)?;
    diesel::delete(meeting_agenda_items::table.filter(meeting_agenda_items::meeting_id.eq(id)))
        .execute(conn)?;
    let mut agenda: Vec<(i64, &AgendaItemInput)> = input
        .agenda_positions()
        .into_iter()
        .zip(&input.agenda)
        .collect();
    // Stored (and shown) numbered 1..n in the order the positions give (rule 23).
    agenda.sort_by_key(|(position, _)| *position);
    let titles: Vec<String> = agenda
        .iter()
        .map(|(_, i)| i.title.trim().to_owned())
        .collect();
    let ids = kept_ids(kept, &titles);
    for ((number, (_, item)), (title, item_id)) in
        (1i32..).zip(agenda).zip(titles.into_iter().zip(ids))
    {
        diesel::insert_into(meeting_agenda_items::table)
            .values(&AgendaRow {
                id: item_id,
                meeting_id: id.to_owned(),
                position: number,
                title,
                description: trimmed(item.description.as_deref()),
                speaker: trimmed(item.speaker.as_deref()),
            })
            .execute(conn)?;
    }
    diesel::delete(meeting_topics::table.filter(meeting_topics::meeting_id.eq(id)))
        .execute(conn)?;
    for (position, topic) in input.topics.iter().enumerate() {
        diesel::insert_into(meeting_topics::table)
            .values((
                meeting_topics::meeting_id.eq(id),
                meeting_topics::position.eq(position as i32),
                meeting_topics::topic.eq(topic.trim()),
            ))
            .execute(conn)?;
    }
    diesel::delete(meeting_documents::table.filter(meeting_documents::meeting_id.eq(id)))
        .execute(conn)?;
    for (position, document) in input.document_ids.iter().enumerate() {
        diesel::insert_into(meeting_documents::table)
            .values((
                meeting_documents::meeting_id.eq(id),
                meeting_documents::position.eq(position as i32),
                meeting_documents::document_id.eq(DocumentId::from(*document)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids the new agenda (its titles, numbered from 1) keeps: an item has the id of the
/// stored item with the same title, else of the one left at its number (an item renamed in
/// place), else a new one. Each stored id is given out once.
fn kept_ids(kept: Vec<AgendaRow>, titles: &[String]) -> Vec<AgendaItemId> {
    let mut left: Vec<Option<AgendaRow>> = kept.into_iter().map(Some).collect();
    let mut take = |found: &dyn Fn(&AgendaRow) -> bool| {
        let slot = left
            .iter_mut()
            .find(|row| row.as_ref().is_some_and(found))?;
        slot.take().map(|row| row.id)
    };
    let mut ids: Vec<Option<AgendaItemId>> = titles
        .iter()
        .map(|title| take(&|row| row.title == *title))
        .collect();
    for (number, id) in (1i32..).zip(ids.iter_mut()) {
        if id.is_none() {
            *id = take(&|row| row.position == number);
        }
    }
    ids.into_iter().map(Option::unwrap_or_default).collect()
}

/// The meetings a filter selects, live ones only unless `paging` asks for tombstones.
/// `filter` with the host it names resolved (rule 32).
fn resolved(conn: &mut DbConnection, filter: &MeetingFilter) -> QueryResult<MeetingFilter> {
    let mut filter = filter.clone();
    crate::municipalities::references::resolve_filter(conn, &mut filter.host_municipality_id)?;
    Ok(filter)
}

fn filtered(
    paging: Option<&Paging>,
    filter: &MeetingFilter,
) -> meetings::BoxedQuery<'static, MultiBackend> {
    let mut query = meetings::table.into_boxed();
    match paging {
        Some(paging) => crate::sync_filters!(query, paging, meetings),
        None => query = query.filter(meetings::deleted_at.is_null()),
    }
    if let Some(from) = filter.from {
        query = query.filter(meetings::starts_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(meetings::starts_at.le(to));
    }
    if let Some(values) = &filter.status {
        query = query.filter(meetings::status.eq_any(values.0.clone()));
    }
    if let Some(values) = &filter.kind {
        query = query.filter(meetings::kind.eq_any(values.0.clone()));
    }
    if let Some(values) = &filter.format {
        query = query.filter(meetings::format.eq_any(values.0.clone()));
    }
    if let Some(host) = &filter.host_municipality_id {
        query = query.filter(meetings::host_municipality_id.eq(host.id()));
    }
    if let Some(topic) = &filter.topic {
        let tagged = meeting_topics::table
            .filter(meeting_topics::topic.eq(topic.trim().to_owned()))
            .select(meeting_topics::meeting_id);
        query = query.filter(meetings::id.eq_any(tagged));
    }
    query
}

fn sorted(
    query: meetings::BoxedQuery<'static, MultiBackend>,
    filter: &MeetingFilter,
) -> meetings::BoxedQuery<'static, MultiBackend> {
    let sort = filter.sort.map_or(
        Sort {
            field: MeetingSort::StartsAt,
            descending: false,
        },
        |order| order.0,
    );
    crate::apply_sort!(query, sort, meetings::id, {
        MeetingSort::StartsAt => meetings::starts_at,
        MeetingSort::UpdatedAt => meetings::updated_at,
    })
}

pub fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &MeetingFilter,
) -> QueryResult<(Vec<MeetingRow>, i64)> {
    let filter = &resolved(conn, filter)?;
    let total = filtered(Some(paging), filter).count().get_result(conn)?;
    let rows = sorted(filtered(Some(paging), filter), filter)
        .select(MeetingRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}

/// How long the feed looks back: meetings that started within it, and cancellations made
/// within it (so subscribed calendars learn of them and remove the events).
pub const FEED_WINDOW_DAYS: i64 = 30;

/// The meetings of the iCalendar feed at `at`: the filter's (from 30 days ago unless it says
/// `from`), without cancelled meetings whose last change is older than 30 days. Never
/// paginated.
pub fn feed(
    conn: &mut DbConnection,
    filter: &MeetingFilter,
    at: NaiveDateTime,
) -> QueryResult<Vec<MeetingRow>> {
    let filter = &resolved(conn, filter)?;
    let window = at - Duration::days(FEED_WINDOW_DAYS);
    let mut query = filtered(None, filter);
    if filter.from.is_none() {
        query = query.filter(meetings::starts_at.ge(window));
    }
    query = query.filter(
        meetings::status
            .ne(MeetingStatus::Cancelled)
            .or(meetings::updated_at.ge(window)),
    );
    sorted(query, filter)
        .select(MeetingRow::as_select())
        .load(conn)
}
