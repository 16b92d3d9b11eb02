//! The municipality tables (the record, its topics, contacts and membership events) and
//! their queries. Loading the parts of a set of records and building their wire
//! representation is in `details`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::api::{Membership, MunicipalityFilter, MunicipalityInput, MunicipalitySort};
use super::values::{Kind, MembershipStatus, Region, VolunteerCard};
use crate::db::query::{Paging, Sort};
use crate::db::schema::{
    membership_events, municipalities, municipality_contacts, municipality_topics,
};
use crate::db::{DbConnection, MultiBackend, now};
use crate::history::revisions::{Actor, ActorKind};
use crate::ids::{ContactId, LocationId, MembershipEventId, MunicipalityId};
use crate::privacy::consent::{ConsentRecord, PersonFields, Publish};
use crate::text::{fold, like_pattern, search_words};
use crate::types::trimmed;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = municipalities)]
pub struct MunicipalityRow {
    pub id: MunicipalityId,
    pub slug: String,
    pub name: String,
    pub official_name: String,
    pub kind: Kind,
    pub ags: Option<String>,
    pub region: Region,
    pub district_id: Option<MunicipalityId>,
    pub population: Option<i32>,
    pub website: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub membership_status: MembershipStatus,
    pub council_decision_on: Option<NaiveDate>,
    pub declaration_signed_on: Option<NaiveDate>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub office_name: Option<String>,
    pub office_url: Option<String>,
    pub office_email: Option<String>,
    pub office_phone: Option<String>,
    pub office_address: Option<String>,
    pub volunteer_card: Option<VolunteerCard>,
    pub description: Option<String>,
    pub search_name: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// The id of the municipality's place (OParl Location), kept for its lifetime.
    pub location_id: LocationId,
}
crate::impl_record!(MunicipalityRow);

/// The stored form of the writable fields, for insert and update alike.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = municipalities, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MunicipalityValues {
    pub slug: String,
    pub name: String,
    pub official_name: String,
    pub kind: Kind,
    pub ags: Option<String>,
    pub region: Region,
    pub district_id: Option<MunicipalityId>,
    pub population: Option<i32>,
    pub website: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub membership_status: MembershipStatus,
    pub council_decision_on: Option<NaiveDate>,
    pub declaration_signed_on: Option<NaiveDate>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub office_name: Option<String>,
    pub office_url: Option<String>,
    pub office_email: Option<String>,
    pub office_phone: Option<String>,
    pub office_address: Option<String>,
    pub volunteer_card: Option<VolunteerCard>,
    pub description: Option<String>,
    pub search_name: String,
}

impl MunicipalityValues {
    /// The stored form of a checked input.
    pub fn from_input(input: &MunicipalityInput) -> Option<Self> {
        let slug = input.resolved_slug()?;
        let region = input.resolved_region()?;
        let office = input.engagement_office.as_ref();
        let name = input.name.trim().to_owned();
        Some(Self {
            slug: slug.as_str().to_owned(),
            official_name: trimmed(input.official_name.as_deref()).unwrap_or_else(|| name.clone()),
            search_name: fold(&name),
            name,
            kind: input.kind,
            ags: input.ags.as_ref().map(|a| a.as_str().to_owned()),
            region,
            district_id: input.district_id.map(MunicipalityId::from),
            population: input
                .population
                .map(|p| i32::try_from(p).unwrap_or(i32::MAX)),
            website: input.website.as_ref().map(|u| u.as_str().to_owned()),
            latitude: input.location.map(|l| l.lat),
            longitude: input.location.map(|l| l.lon),
            membership_status: input.membership.status,
            council_decision_on: input.membership.council_decision_on,
            declaration_signed_on: input.membership.declaration_signed_on,
            joined_on: input.membership.joined_on,
            left_on: input.membership.left_on,
            office_name: office.map(|o| o.name.trim().to_owned()),
            office_url: office.and_then(|o| o.url.as_ref().map(|u| u.as_str().to_owned())),
            office_email: office.and_then(|o| o.email.as_ref().map(|e| e.as_str().to_owned())),
            office_phone: office.and_then(|o| trimmed(o.phone.as_deref())),
            office_address: office.and_then(|o| trimmed(o.address.as_deref())),
            volunteer_card: input.volunteer_card,
            description: trimmed(input.description.as_deref()),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = municipality_contacts, treat_none_as_default_value = false)]
pub struct ContactRow {
    pub id: ContactId,
    pub municipality_id: MunicipalityId,
    pub position: i32,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The published fields (`privacy::consent::Publish` as stored).
    pub publish: String,
    pub consent_recorded_at: Option<NaiveDateTime>,
    pub consent_recorded_by_kind: Option<String>,
    pub consent_recorded_by: Option<String>,
    pub consent_withdrawn_at: Option<NaiveDateTime>,
    /// When the contact was added, and when what it holds last changed (OParl Person).
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ContactRow {
    pub fn person(&self) -> PersonFields {
        PersonFields {
            name: self.name.clone(),
            role: self.role.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
        }
    }

    pub fn publish(&self) -> Publish {
        Publish::from_stored(&self.publish)
    }

    pub fn consent(&self) -> ConsentRecord {
        let recorded_by = self
            .consent_recorded_by_kind
            .as_deref()
            .and_then(ActorKind::parse)
            .map(|kind| Actor {
                kind,
                id: self.consent_recorded_by.clone(),
            });
        ConsentRecord {
            recorded_at: self.consent_recorded_at,
            recorded_by,
            withdrawn_at: self.consent_withdrawn_at,
        }
    }

    /// The row of a contact as written at `at`, with its settled `publish` and consent
    /// record; `previous` is the stored contact it continues, whose times it keeps unless
    /// what it holds changed (its place in the list is not a change of the person).
    pub fn new(
        previous: Option<&ContactRow>,
        municipality_id: &MunicipalityId,
        position: usize,
        (person, publish, consent): (PersonFields, &Publish, ConsentRecord),
        at: NaiveDateTime,
    ) -> Self {
        let (kind, by) = match consent.recorded_by {
            Some(actor) => (Some(actor.kind.as_str().to_owned()), actor.id),
            None => (None, None),
        };
        let mut row = ContactRow {
            id: previous.map(|row| row.id.clone()).unwrap_or_default(),
            municipality_id: municipality_id.clone(),
            position: position as i32,
            name: person.name,
            role: person.role,
            email: person.email,
            phone: person.phone,
            publish: publish.stored(),
            consent_recorded_at: consent.recorded_at,
            consent_recorded_by_kind: kind,
            consent_recorded_by: by,
            consent_withdrawn_at: consent.withdrawn_at,
            created_at: at,
            updated_at: at,
        };
        if let Some(previous) = previous {
            row.created_at = previous.created_at;
            if row.holds_the_same(previous) {
                row.updated_at = previous.updated_at;
            }
        }
        row
    }

    fn holds_the_same(&self, other: &ContactRow) -> bool {
        (
            &self.name,
            &self.role,
            &self.email,
            &self.phone,
            &self.publish,
            self.consent_recorded_at,
            self.consent_withdrawn_at,
        ) == (
            &other.name,
            &other.role,
            &other.email,
            &other.phone,
            &other.publish,
            other.consent_recorded_at,
            other.consent_withdrawn_at,
        )
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = membership_events)]
pub struct EventRow {
    pub id: MembershipEventId,
    pub municipality_id: MunicipalityId,
    pub status: MembershipStatus,
    pub effective_on: NaiveDate,
    pub recorded_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, id: &MunicipalityId) -> QueryResult<Option<MunicipalityRow>> {
    municipalities::table
        .find(id)
        .select(MunicipalityRow::as_select())
        .first(conn)
        .optional()
}

/// The municipality a path segment names: its UUID, else its AGS (all digits), else its
/// slug. A live record wins over a deleted one with the same key.
pub fn resolve(conn: &mut DbConnection, key: &str) -> QueryResult<Option<MunicipalityRow>> {
    if let Ok(id) = uuid::Uuid::parse_str(key) {
        return find(conn, &MunicipalityId::from(id));
    }
    let query = municipalities::table
        .select(MunicipalityRow::as_select())
        .into_boxed();
    let query = if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
        query.filter(municipalities::ags.eq(key.to_owned()))
    } else {
        query.filter(municipalities::slug.eq(key.to_owned()))
    };
    query
        .order((
            municipalities::deleted_at.is_not_null(),
            municipalities::deleted_at.desc(),
        ))
        .first(conn)
        .optional()
}

/// Kind and AGS of a live municipality, to check a town's district against.
pub fn district_facts(
    conn: &mut DbConnection,
    id: &MunicipalityId,
) -> QueryResult<Option<(Kind, Option<String>)>> {
    municipalities::table
        .find(id)
        .filter(municipalities::deleted_at.is_null())
        .select((municipalities::kind, municipalities::ags))
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut DbConnection, id: &MunicipalityId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        municipalities::table
            .find(id)
            .filter(municipalities::deleted_at.is_null()),
    ))
    .get_result(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    id: &MunicipalityId,
    values: &MunicipalityValues,
) -> QueryResult<MunicipalityRow> {
    let at = now();
    diesel::insert_into(municipalities::table)
        .values((
            values,
            municipalities::id.eq(id),
            municipalities::location_id.eq(LocationId::new()),
            municipalities::version.eq(1),
            municipalities::created_at.eq(at),
            municipalities::updated_at.eq(at),
        ))
        .returning(municipalities::all_columns)
        .get_result(conn)
}

/// Writes `values` if the record is still at `version`; `None` when someone else was first.
pub fn update(
    conn: &mut DbConnection,
    id: &MunicipalityId,
    version: i32,
    values: &MunicipalityValues,
) -> QueryResult<Option<MunicipalityRow>> {
    diesel::update(
        municipalities::table
            .find(id)
            .filter(municipalities::version.eq(version)),
    )
    .set((
        values,
        municipalities::version.eq(version + 1),
        municipalities::updated_at.eq(now()),
    ))
    .returning(municipalities::all_columns)
    .get_result(conn)
    .optional()
}

pub fn soft_delete(
    conn: &mut DbConnection,
    id: &MunicipalityId,
    version: i32,
) -> QueryResult<bool> {
    crate::soft_delete!(conn, municipalities, id, version)
}

/// Brings a deleted municipalitie back at `next` if it is still at `version`.
pub fn undelete(
    conn: &mut DbConnection,
    id: &MunicipalityId,
    version: i32,
    next: i32,
) -> QueryResult<Option<MunicipalityRow>> {
    crate::undelete!(conn, municipalities, id, version, next)
}

/// The contacts of a municipality as stored, in their order.
pub fn contacts(conn: &mut DbConnection, id: &MunicipalityId) -> QueryResult<Vec<ContactRow>> {
    municipality_contacts::table
        .filter(municipality_contacts::municipality_id.eq(id))
        .order(municipality_contacts::position)
        .select(ContactRow::as_select())
        .load(conn)
}

/// Replaces topics and contacts (the contacts as settled by the service, ids kept).
pub fn replace_parts(
    conn: &mut DbConnection,
    id: &MunicipalityId,
    topics: &[String],
    contacts: &[ContactRow],
) -> QueryResult<()> {
    diesel::delete(municipality_topics::table.filter(municipality_topics::municipality_id.eq(id)))
        .execute(conn)?;
    for (position, topic) in topics.iter().enumerate() {
        diesel::insert_into(municipality_topics::table)
            .values((
                municipality_topics::municipality_id.eq(id),
                municipality_topics::position.eq(position as i32),
                municipality_topics::topic.eq(topic.trim()),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        municipality_contacts::table.filter(municipality_contacts::municipality_id.eq(id)),
    )
    .execute(conn)?;
    for contact in contacts {
        diesel::insert_into(municipality_contacts::table)
            .values(contact)
            .execute(conn)?;
    }
    Ok(())
}

/// Records a change of membership status, dated by the membership dates where they say it.
pub fn record_status(
    conn: &mut DbConnection,
    id: &MunicipalityId,
    membership: &Membership,
) -> QueryResult<()> {
    let today = now().date();
    let on = match membership.status {
        MembershipStatus::Member => membership.joined_on,
        MembershipStatus::Former => membership.left_on,
        MembershipStatus::Applicant => membership.council_decision_on,
    }
    .unwrap_or(today);
    diesel::insert_into(membership_events::table)
        .values((
            membership_events::id.eq(MembershipEventId::new()),
            membership_events::municipality_id.eq(id),
            membership_events::status.eq(membership.status),
            membership_events::effective_on.eq(on),
            membership_events::recorded_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// `filter` with the district it names resolved (rule 32).
fn resolved(
    conn: &mut DbConnection,
    filter: &MunicipalityFilter,
) -> QueryResult<MunicipalityFilter> {
    let mut filter = filter.clone();
    super::references::resolve_filter(conn, &mut filter.district_id)?;
    Ok(filter)
}

fn filtered(
    paging: Option<&Paging>,
    filter: &MunicipalityFilter,
) -> municipalities::BoxedQuery<'static, MultiBackend> {
    let mut query = municipalities::table.into_boxed();
    match paging {
        Some(paging) => crate::sync_filters!(query, paging, municipalities),
        None => query = query.filter(municipalities::deleted_at.is_null()),
    }
    if let Some(values) = &filter.kind {
        query = query.filter(municipalities::kind.eq_any(values.0.clone()));
    }
    if let Some(values) = &filter.region {
        query = query.filter(municipalities::region.eq_any(values.0.clone()));
    }
    if let Some(values) = &filter.status {
        query = query.filter(municipalities::membership_status.eq_any(values.0.clone()));
    }
    if let Some(district) = &filter.district_id {
        query = query.filter(municipalities::district_id.eq(district.id()));
    }
    if let Some(topic) = &filter.topic {
        let tagged = municipality_topics::table
            .filter(municipality_topics::topic.eq(topic.trim().to_owned()))
            .select(municipality_topics::municipality_id);
        query = query.filter(municipalities::id.eq_any(tagged));
    }
    for word in search_words(filter.q.as_deref()) {
        query = query.filter(
            municipalities::search_name
                .like(like_pattern(&word))
                .escape('\\'),
        );
    }
    if let Some(ags) = &filter.ags {
        query = query.filter(municipalities::ags.eq(ags.as_str().to_owned()));
    }
    if let Some(day) = filter.member_on {
        // `values::was_member` (rule 7), in SQL.
        query = query.filter(
            municipalities::joined_on.le(day).and(
                municipalities::left_on
                    .is_null()
                    .or(municipalities::left_on.gt(day)),
            ),
        );
    }
    query
}

fn sorted(
    query: municipalities::BoxedQuery<'static, MultiBackend>,
    filter: &MunicipalityFilter,
) -> municipalities::BoxedQuery<'static, MultiBackend> {
    let sort = filter.sort.map_or(
        Sort {
            field: MunicipalitySort::Name,
            descending: false,
        },
        |o| o.0,
    );
    crate::apply_sort!(query, sort, municipalities::id, {
        MunicipalitySort::Name => municipalities::search_name,
        MunicipalitySort::Population => municipalities::population,
        MunicipalitySort::JoinedOn => municipalities::joined_on,
        MunicipalitySort::UpdatedAt => municipalities::updated_at,
    })
}

pub fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &MunicipalityFilter,
) -> QueryResult<(Vec<MunicipalityRow>, i64)> {
    let filter = &resolved(conn, filter)?;
    let total = filtered(Some(paging), filter).count().get_result(conn)?;
    let rows = sorted(filtered(Some(paging), filter), filter)
        .select(MunicipalityRow::as_select())
        .limit(paging.limit)
        .offset(paging.offset)
        .load(conn)?;
    Ok((rows, total))
}

/// Every live municipality the filter selects, unpaginated (for exports).
pub fn all(
    conn: &mut DbConnection,
    filter: &MunicipalityFilter,
) -> QueryResult<Vec<MunicipalityRow>> {
    let filter = &resolved(conn, filter)?;
    sorted(filtered(None, filter), filter)
        .select(MunicipalityRow::as_select())
        .load(conn)
}

/// Kind, region, `joined_on` and `left_on` of a municipality.
pub type MembershipFacts = (Kind, Region, Option<NaiveDate>, Option<NaiveDate>);

/// The membership facts of every live municipality, for the statistics.
pub fn membership_facts(conn: &mut DbConnection) -> QueryResult<Vec<MembershipFacts>> {
    municipalities::table
        .filter(municipalities::deleted_at.is_null())
        .select((
            municipalities::kind,
            municipalities::region,
            municipalities::joined_on,
            municipalities::left_on,
        ))
        .load(conn)
}

pub fn count_live(conn: &mut DbConnection) -> QueryResult<i64> {
    municipalities::table
        .filter(municipalities::deleted_at.is_null())
        .count()
        .get_result(conn)
}
