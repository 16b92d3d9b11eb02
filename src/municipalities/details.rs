//! What is loaded alongside municipality records — topics, contacts and membership history —
//! and how a stored record becomes its wire representation (`Details::show`) and its
//! writable one (`Details::input`, which `PATCH` merges into). Kept apart from the table
//! rows and queries of `model`, which write and select records without building either.

use std::collections::HashMap;

use diesel::prelude::*;

use super::api::{
    Consent, Contact, EngagementOffice, Location, Membership, MembershipEvent, Municipality,
    MunicipalityInput,
};
use super::model::{ContactRow, EventRow, MunicipalityRow};
use crate::db::schema::{membership_events, municipality_contacts, municipality_topics};
use crate::db::{DbConnection, utc};
use crate::ids::MunicipalityId;
use crate::privacy::consent::{self, Audience};
use crate::types::{Email, HttpUrl};

/// A contact as `audience` may see it (`privacy::consent::visible` decides), or nothing.
fn shown_contact(row: &ContactRow, audience: Audience) -> Option<Contact> {
    let publish = row.publish();
    let person = consent::visible(&row.person(), &publish, audience)?;
    let record = row.consent();
    Some(Contact {
        id: row.id.clone().into(),
        name: person.name,
        role: person.role,
        email: person.email,
        phone: person.phone,
        publish: publish.fields().to_vec(),
        consent: (audience == Audience::Whole).then(|| Consent {
            recorded_at: record.recorded_at.map(utc),
            recorded_by: record.recorded_by.as_ref().map(Into::into),
            withdrawn_at: record.withdrawn_at.map(utc),
        }),
    })
}

/// Topics, contacts and membership history of a set of municipalities, loaded in three
/// queries whatever the number of municipalities.
#[derive(Default)]
pub struct Details {
    topics: HashMap<MunicipalityId, Vec<String>>,
    contacts: HashMap<MunicipalityId, Vec<ContactRow>>,
    events: HashMap<MunicipalityId, Vec<EventRow>>,
}

pub fn load_details(conn: &mut DbConnection, ids: &[MunicipalityId]) -> QueryResult<Details> {
    let mut details = Details::default();
    if ids.is_empty() {
        return Ok(details);
    }
    let topics: Vec<(MunicipalityId, String)> = municipality_topics::table
        .filter(municipality_topics::municipality_id.eq_any(ids))
        .order((
            municipality_topics::municipality_id,
            municipality_topics::position,
        ))
        .select((
            municipality_topics::municipality_id,
            municipality_topics::topic,
        ))
        .load(conn)?;
    for (id, topic) in topics {
        details.topics.entry(id).or_default().push(topic);
    }
    let contacts: Vec<ContactRow> = municipality_contacts::table
        .filter(municipality_contacts::municipality_id.eq_any(ids))
        .order((
            municipality_contacts::municipality_id,
            municipality_contacts::position,
        ))
        .select(ContactRow::as_select())
        .load(conn)?;
    for contact in contacts {
        details
            .contacts
            .entry(contact.municipality_id.clone())
            .or_default()
            .push(contact);
    }
    let events: Vec<EventRow> = membership_events::table
        .filter(membership_events::municipality_id.eq_any(ids))
        .order((
            membership_events::municipality_id,
            membership_events::recorded_at,
            membership_events::id,
        ))
        .select(EventRow::as_select())
        .load(conn)?;
    for event in events {
        details
            .events
            .entry(event.municipality_id.clone())
            .or_default()
            .push(event);
    }
    Ok(details)
}

impl Details {
    /// The municipality as `audience` sees it (its contacts as their consent allows).
    pub fn show(&self, row: MunicipalityRow, audience: Audience) -> Municipality {
        let contacts = self
            .contacts
            .get(&row.id)
            .map(|contacts| {
                contacts
                    .iter()
                    .filter_map(|c| shown_contact(c, audience))
                    .collect()
            })
            .unwrap_or_default();
        let history = self
            .events
            .get(&row.id)
            .map(|events| {
                events
                    .iter()
                    .map(|e| MembershipEvent {
                        status: e.status,
                        on: e.effective_on,
                        recorded_at: utc(e.recorded_at),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Municipality {
            topics: self.topics.get(&row.id).cloned().unwrap_or_default(),
            contacts,
            membership_history: history,
            location: row
                .latitude
                .zip(row.longitude)
                .map(|(lat, lon)| Location { lat, lon }),
            membership: Membership {
                status: row.membership_status,
                council_decision_on: row.council_decision_on,
                declaration_signed_on: row.declaration_signed_on,
                joined_on: row.joined_on,
                left_on: row.left_on,
            },
            engagement_office: row.office_name.map(|name| EngagementOffice {
                name,
                url: row.office_url.and_then(|u| HttpUrl::parse(&u).ok()),
                email: row.office_email.and_then(|e| Email::parse(&e).ok()),
                phone: row.office_phone,
                address: row.office_address,
            }),
            id: row.id.into(),
            slug: row.slug,
            name: row.name,
            official_name: row.official_name,
            kind: row.kind,
            ags: row.ags,
            region: row.region,
            district_id: row.district_id.map(Into::into),
            population: row.population,
            website: row.website,
            volunteer_card: row.volunteer_card,
            description_html: row.description.as_deref().map(crate::markdown::to_html),
            description: row.description,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }

    /// The writable representation of a stored municipality, which `PATCH` merges into.
    pub fn input(&self, row: &MunicipalityRow) -> MunicipalityInput {
        let shown = self.show(row.clone(), Audience::Whole);
        MunicipalityInput {
            slug: super::values::Slug::parse(&row.slug).ok(),
            name: shown.name,
            official_name: Some(shown.official_name),
            kind: shown.kind,
            ags: row
                .ags
                .as_deref()
                .and_then(|a| super::values::Ags::parse(a).ok()),
            region: Some(shown.region),
            district_id: row.district_id.as_deref().and_then(|id| id.parse().ok()),
            population: row.population.and_then(|p| u32::try_from(p).ok()),
            website: row.website.as_deref().and_then(|u| HttpUrl::parse(u).ok()),
            location: shown.location,
            membership: shown.membership,
            engagement_office: shown.engagement_office,
            contacts: shown
                .contacts
                .into_iter()
                .map(|c| super::api::ContactInput {
                    id: c.id.parse().ok(),
                    name: c.name,
                    role: c.role,
                    email: c.email.as_deref().and_then(|e| Email::parse(e).ok()),
                    phone: c.phone,
                    publish: Some(c.publish),
                    public: None,
                    consent: None,
                })
                .collect(),
            volunteer_card: shown.volunteer_card,
            description: shown.description,
            topics: shown.topics,
        }
    }
}
