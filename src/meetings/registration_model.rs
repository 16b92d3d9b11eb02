//! Where the municipalities' registrations for meetings are stored (`meeting_registrations`)
//! and the queries over them: register, change, withdraw, list. Kept apart from the meeting
//! itself (`model`) because a registration is a resource of its own, with its own version;
//! the registration figures a meeting shows are summed in `details::load_details`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api::{Registration, RegistrationFilter, RegistrationSort};
use crate::db::query::{Paging, Sort};
use crate::db::schema::{meeting_registrations, municipalities};
use crate::db::{DbConnection, MultiBackend, now, utc};
use crate::ids::{MeetingId, MunicipalityId, RegistrationId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meeting_registrations)]
pub struct RegistrationRow {
    pub id: RegistrationId,
    pub meeting_id: MeetingId,
    pub municipality_id: MunicipalityId,
    pub attendees: i32,
    pub note: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}
crate::impl_record!(RegistrationRow);

impl RegistrationRow {
    pub fn show(self, municipality_name: Option<String>) -> Registration {
        Registration {
            id: self.id.into(),
            meeting_id: self.meeting_id.into(),
            municipality_id: self.municipality_id.into(),
            municipality_name,
            attendees: self.attendees,
            note: self.note,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            version: self.version,
        }
    }
}

pub fn insert_registration(
    conn: &mut DbConnection,
    meeting_id: &MeetingId,
    municipality_id: &MunicipalityId,
    attendees: i32,
    note: Option<String>,
) -> QueryResult<RegistrationRow> {
    let at = now();
    diesel::insert_into(meeting_registrations::table)
        .values((
            meeting_registrations::id.eq(RegistrationId::new()),
            meeting_registrations::meeting_id.eq(meeting_id),
            meeting_registrations::municipality_id.eq(municipality_id),
            meeting_registrations::attendees.eq(attendees),
            meeting_registrations::note.eq(note),
            meeting_registrations::version.eq(1),
            meeting_registrations::created_at.eq(at),
            meeting_registrations::updated_at.eq(at),
        ))
        .returning(meeting_registrations::all_columns)
        .get_result(conn)
}

/// The live registration of a municipality for a meeting.
pub fn find_registration(
    conn: &mut DbConnection,
    meeting_id: &MeetingId,
    municipality_id: &MunicipalityId,
) -> QueryResult<Option<RegistrationRow>> {
    meeting_registrations::table
        .filter(meeting_registrations::meeting_id.eq(meeting_id))
        .filter(meeting_registrations::municipality_id.eq(municipality_id))
        .filter(meeting_registrations::deleted_at.is_null())
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()
}

/// Attendees over the live registrations of a meeting, leaving out the registration
/// `except` (the one being changed).
pub fn registered_attendees(
    conn: &mut DbConnection,
    meeting_id: &MeetingId,
    except: Option<&str>,
) -> QueryResult<i64> {
    let rows: Vec<(RegistrationId, i32)> = meeting_registrations::table
        .filter(meeting_registrations::meeting_id.eq(meeting_id))
        .filter(meeting_registrations::deleted_at.is_null())
        .select((meeting_registrations::id, meeting_registrations::attendees))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(id, _)| Some(id.as_str()) != except)
        .map(|(_, attendees)| i64::from(attendees))
        .sum())
}

/// Writes a registration's fields if it is still at `version`; it alone gets a new version.
pub fn update_registration(
    conn: &mut DbConnection,
    id: &RegistrationId,
    version: i32,
    attendees: i32,
    note: Option<String>,
) -> QueryResult<Option<RegistrationRow>> {
    diesel::update(
        meeting_registrations::table
            .find(id)
            .filter(meeting_registrations::version.eq(version)),
    )
    .set((
        meeting_registrations::attendees.eq(attendees),
        meeting_registrations::note.eq(note),
        meeting_registrations::version.eq(version + 1),
        meeting_registrations::updated_at.eq(now()),
    ))
    .returning(meeting_registrations::all_columns)
    .get_result(conn)
    .optional()
}

/// Withdraws a registration: it becomes a tombstone, so sync lists see the withdrawal.
pub fn withdraw_registration(
    conn: &mut DbConnection,
    id: &RegistrationId,
    version: i32,
) -> QueryResult<bool> {
    crate::soft_delete!(conn, meeting_registrations, id, version)
}

fn filtered_registrations(
    meeting_id: &MeetingId,
    paging: &Paging,
    filter: &RegistrationFilter,
    only: Option<&MunicipalityId>,
) -> meeting_registrations::BoxedQuery<'static, MultiBackend> {
    let mut query = meeting_registrations::table
        .filter(meeting_registrations::meeting_id.eq(meeting_id.to_owned()))
        .into_boxed();
    crate::sync_filters!(query, paging, meeting_registrations);
    if let Some(municipality) = filter.municipality_id {
        query = query
            .filter(meeting_registrations::municipality_id.eq(MunicipalityId::from(municipality)));
    }
    if let Some(only) = only {
        query = query.filter(meeting_registrations::municipality_id.eq(only.clone()));
    }
    query
}

/// A page of a meeting's registrations; `only` restricts it to one municipality's.
pub fn list_registrations(
    conn: &mut DbConnection,
    meeting_id: &MeetingId,
    paging: &Paging,
    filter: &RegistrationFilter,
    only: Option<&MunicipalityId>,
) -> QueryResult<(Vec<RegistrationRow>, i64)> {
    let total = filtered_registrations(meeting_id, paging, filter, only)
        .count()
        .get_result(conn)?;
    let sort = filter.sort.map_or(
        Sort {
            field: RegistrationSort::CreatedAt,
            descending: false,
        },
        |order| order.0,
    );
    let query = filtered_registrations(meeting_id, paging, filter, only);
    let query = crate::apply_sort!(query, sort, meeting_registrations::id, {
        RegistrationSort::CreatedAt => meeting_registrations::created_at,
        RegistrationSort::UpdatedAt => meeting_registrations::updated_at,
    });
    let rows = query
        .select(RegistrationRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}

/// The names of the municipalities of some registrations.
pub fn municipality_names(
    conn: &mut DbConnection,
    rows: &[RegistrationRow],
) -> QueryResult<HashMap<MunicipalityId, String>> {
    let ids: Vec<MunicipalityId> = rows.iter().map(|r| r.municipality_id.clone()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let names: Vec<(MunicipalityId, String)> = municipalities::table
        .filter(municipalities::id.eq_any(ids))
        .select((municipalities::id, municipalities::name))
        .load(conn)?;
    Ok(names.into_iter().collect())
}
