//! Meetings as OParl Meetings, their agendas as AgendaItems and their venues as Locations.

use super::api::{AgendaItem, Common, Kind, Location, Meeting};
use super::model;
use super::service::{Entry, Site, changed, grouped};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::meetings::api::MeetingStatus;
use crate::meetings::model::MeetingRow;

pub(super) fn venue(site: &Site, row: &MeetingRow) -> Option<Location> {
    let name = row.venue_name.clone()?;
    Some(Location {
        common: Common::new(
            site.object(Kind::Location, &row.location_id),
            Kind::Location,
            row.created_at,
            row.updated_at,
        ),
        description: Some(name),
        geojson: None,
        street_address: row.venue_address.clone(),
        postal_code: row.venue_postal_code.clone(),
        locality: row.venue_city.clone(),
        organizations: Vec::new(),
        meetings: vec![site.object(Kind::Meeting, &row.id)],
    })
}

fn meeting_state(status: MeetingStatus) -> &'static str {
    match status {
        MeetingStatus::Planned => "terminiert",
        MeetingStatus::Held => "durchgeführt",
        MeetingStatus::Cancelled => "abgesagt",
    }
}

/// Meetings (with their agenda embedded) or agenda items; a deleted meeting and its items
/// as markers.
pub(super) fn meetings(
    conn: &mut DbConnection,
    site: &Site,
    kind: Kind,
) -> Result<Vec<Entry>, ApiError> {
    let topics = grouped(model::meeting_topics(conn)?);
    let agenda = grouped(
        model::agenda(conn)?
            .into_iter()
            .map(|row| (row.meeting_id.clone(), row))
            .collect(),
    );
    let mut entries = Vec::new();
    for row in model::meetings(conn)? {
        let modified = changed(row.updated_at, row.deleted_at);
        let items = agenda.get(&row.id).map_or(&[][..], Vec::as_slice);
        if row.deleted_at.is_some() {
            let ids: Vec<String> = match kind {
                Kind::Meeting => vec![site.object(kind, &row.id)],
                _ => items
                    .iter()
                    .map(|item| site.object(kind, &item.id))
                    .collect(),
            };
            for id in ids {
                entries.push(Entry::marker(kind, id, row.created_at, modified)?);
            }
            continue;
        }
        let meeting_url = site.object(Kind::Meeting, &row.id);
        let agenda_items: Vec<AgendaItem> = items
            .iter()
            .map(|item| AgendaItem {
                common: Common::new(
                    site.object(Kind::AgendaItem, &item.id),
                    Kind::AgendaItem,
                    row.created_at,
                    row.updated_at,
                ),
                meeting: meeting_url.clone(),
                number: item.position.to_string(),
                order: item.position - 1,
                name: item.title.clone(),
                public: true,
            })
            .collect();
        if kind == Kind::AgendaItem {
            for item in agenda_items {
                let common = item.common.clone();
                entries.push(Entry::live(&common, row.created_at, row.updated_at, item)?);
            }
            continue;
        }
        let common = Common::new(meeting_url, Kind::Meeting, row.created_at, row.updated_at);
        let meeting = Meeting {
            common: common.clone(),
            name: row.title.clone(),
            meeting_state: meeting_state(row.status),
            cancelled: row.status == MeetingStatus::Cancelled,
            start: super::api::timestamp(row.starts_at),
            end: super::api::timestamp(row.ends_at),
            location: venue(site, &row),
            organization: row
                .host_municipality_id
                .iter()
                .map(|host| site.object(Kind::Organization, host))
                .collect(),
            agenda_item: agenda_items,
            keyword: topics.get(&row.id).cloned().unwrap_or_default(),
            meeting_kind: row.kind.label().to_owned(),
        };
        entries.push(Entry::live(
            &common,
            row.created_at,
            row.updated_at,
            meeting,
        )?);
    }
    Ok(entries)
}
