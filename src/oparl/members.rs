//! Municipalities as OParl Organizations (with their membership periods and place) and
//! their published contacts as Persons and Memberships, through the one consent rule.

use chrono::NaiveDate;
use serde_json::json;
use std::collections::HashMap;

use super::api::{Common, Kind, Location, Membership, Organization, Period, Person};
use super::model;
use super::service::{Entry, Site, changed, grouped};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::municipalities::model::{ContactRow, EventRow, MunicipalityRow};
use crate::municipalities::values::MembershipStatus;
use crate::privacy::consent::{self, Audience};

/// The periods of membership its events record (a `member` event opens one, a later
/// `former` or `applicant` event closes it); without events, the record's own dates.
fn periods(row: &MunicipalityRow, events: &[EventRow]) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut open: Option<NaiveDate> = None;
    for event in events {
        match (event.status, open) {
            (MembershipStatus::Member, None) => open = Some(event.effective_on),
            (MembershipStatus::Former | MembershipStatus::Applicant, Some(start)) => {
                periods.push(Period {
                    start_date: start,
                    end_date: Some(event.effective_on.max(start)),
                });
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        periods.push(Period {
            start_date: start,
            end_date: None,
        });
    }
    if periods.is_empty()
        && let Some(joined) = row.joined_on
    {
        periods.push(Period {
            start_date: joined,
            end_date: row.left_on.filter(|left| *left >= joined),
        });
    }
    periods
}

/// A contact's published fields, if its name is published.
fn published(contact: &ContactRow) -> Option<consent::PersonFields> {
    consent::visible(&contact.person(), &contact.publish(), Audience::everyone())
}

pub(super) fn municipality_location(site: &Site, row: &MunicipalityRow) -> Option<Location> {
    let (lat, lon) = row.latitude.zip(row.longitude)?;
    Some(Location {
        common: Common::new(
            site.object(Kind::Location, &row.location_id),
            Kind::Location,
            row.created_at,
            row.updated_at,
        ),
        description: Some(row.name.clone()),
        geojson: Some(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": row.name},
        })),
        street_address: None,
        postal_code: None,
        locality: None,
        organizations: vec![site.object(Kind::Organization, &row.id)],
        meetings: Vec::new(),
    })
}

pub(super) fn organizations(conn: &mut DbConnection, site: &Site) -> Result<Vec<Entry>, ApiError> {
    let topics = grouped(model::municipality_topics(conn)?);
    let events = grouped(
        model::events(conn)?
            .into_iter()
            .map(|e| (e.municipality_id.clone(), e))
            .collect(),
    );
    let contacts = grouped(
        model::contacts(conn)?
            .into_iter()
            .filter(|c| published(c).is_some())
            .map(|c| (c.municipality_id.clone(), c.id))
            .collect(),
    );
    let mut entries = Vec::new();
    for row in model::municipalities(conn)? {
        let id = site.object(Kind::Organization, &row.id);
        let modified = changed(row.updated_at, row.deleted_at);
        if row.deleted_at.is_some() {
            entries.push(Entry::marker(
                Kind::Organization,
                id,
                row.created_at,
                modified,
            )?);
            continue;
        }
        let periods = periods(&row, events.get(&row.id).map_or(&[][..], Vec::as_slice));
        let current = periods.last().cloned();
        let common = Common::new(id, Kind::Organization, row.created_at, modified);
        let organization = Organization {
            common: common.clone(),
            body: site.body(),
            name: row.official_name.clone(),
            short_name: row.name.clone(),
            organization_type: "Institution",
            classification: "Mitgliedskommune",
            membership: contacts
                .get(&row.id)
                .map(|ids| {
                    ids.iter()
                        .map(|c| site.object(Kind::Membership, c))
                        .collect()
                })
                .unwrap_or_default(),
            start_date: current.as_ref().map(|p| p.start_date),
            end_date: current.and_then(|p| p.end_date),
            website: row.website.clone(),
            location: municipality_location(site, &row),
            keyword: topics.get(&row.id).cloned().unwrap_or_default(),
            ags: row.ags.clone(),
            region: row.region.as_str().to_owned(),
            municipality_kind: row.kind.as_str().to_owned(),
            membership_status: row.membership_status.as_str().to_owned(),
            membership_periods: periods,
        };
        entries.push(Entry::live(
            &common,
            row.created_at,
            modified,
            organization,
        )?);
    }
    Ok(entries)
}

/// Persons (with their Membership embedded) or Memberships: published contacts live; a
/// contact whose consent was withdrawn, or whose municipality was deleted, as a marker.
/// Contacts never published appear in no form.
pub(super) fn people(
    conn: &mut DbConnection,
    site: &Site,
    kind: Kind,
) -> Result<Vec<Entry>, ApiError> {
    let municipalities: HashMap<_, _> = model::municipalities(conn)?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let mut entries = Vec::new();
    for contact in model::contacts(conn)? {
        let Some(municipality) = municipalities.get(&contact.municipality_id) else {
            continue;
        };
        let id = site.object(kind, &contact.id);
        let shown = published(&contact).filter(|_| municipality.deleted_at.is_none());
        let Some(person) = shown else {
            if contact.consent_recorded_at.is_some() {
                let modified = municipality
                    .deleted_at
                    .unwrap_or(contact.updated_at)
                    .max(contact.updated_at);
                entries.push(Entry::marker(kind, id, contact.created_at, modified)?);
            }
            continue;
        };
        let membership = Membership {
            common: Common::new(
                site.object(Kind::Membership, &contact.id),
                Kind::Membership,
                contact.created_at,
                contact.updated_at,
            ),
            person: site.object(Kind::Person, &contact.id),
            organization: site.object(Kind::Organization, &contact.municipality_id),
            role: person.role.clone(),
        };
        let entry = match kind {
            Kind::Membership => {
                let common = membership.common.clone();
                Entry::live(&common, contact.created_at, contact.updated_at, membership)?
            }
            _ => {
                let common = Common::new(id, Kind::Person, contact.created_at, contact.updated_at);
                let person = Person {
                    common: common.clone(),
                    body: site.body(),
                    name: person.name,
                    email: person.email.into_iter().collect(),
                    phone: person.phone.into_iter().collect(),
                    membership: vec![membership],
                };
                Entry::live(&common, contact.created_at, contact.updated_at, person)?
            }
        };
        entries.push(entry);
    }
    Ok(entries)
}
