//! What a municipality is as a resource of the pipeline (`crate::resource`): how it is
//! found (UUID, AGS or slug), shown (members see every contact), and changed (the network
//! office changes everything, a municipality's editors its profile and contacts).

use diesel::QueryResult;
use serde_json::Value;

use super::api::{
    DistrictFacts, Municipality, MunicipalityFilter, MunicipalityInput, OfficeFields,
};
use super::details::{self, Details};
use super::model::{self, ContactRow, MunicipalityRow, MunicipalityValues};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::db::now;
use crate::db::query::Paging;
use crate::db::record::live;
use crate::error::{ApiError, Code, FieldError};
use crate::history::revisions::Actor;
use crate::http::Tagged;
use crate::ids::{ContactId, MunicipalityId};
use crate::privacy::consent::{self, Audience, PersonFields, Previous, Publish, Requested};
use crate::resource::Resource;
use crate::types::trimmed;

pub struct Municipalities;

impl Resource for Municipalities {
    const NAME: &'static str = "municipality";
    const COLLECTION: &'static str = "/api/v1/municipalities";

    type Row = MunicipalityRow;
    type Details = Details;
    type New = MunicipalityInput;
    type Input = MunicipalityInput;
    type Output = Municipality;
    type Filter = MunicipalityFilter;
    type Prepared = ();

    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<MunicipalityRow>, ApiError> {
        Ok(model::resolve(conn, key)?)
    }

    fn details(conn: &mut DbConnection, rows: &[Self::Row]) -> QueryResult<Details> {
        let ids: Vec<_> = rows.iter().map(|row| row.id.clone()).collect();
        details::load_details(conn, &ids)
    }

    /// Contacts as their consent allows `who` to see them.
    fn show(row: MunicipalityRow, details: &Details, who: Option<&AuthUser>) -> Municipality {
        let audience = Audience::of(who, &row.id);
        details.show(row, audience)
    }

    fn tagged(
        row: MunicipalityRow,
        details: &Details,
        who: Option<&AuthUser>,
    ) -> Tagged<Municipality> {
        let audience = Audience::of(who, &row.id);
        let view = match audience {
            Audience::Whole => None,
            Audience::Public => Some("public"),
        };
        Tagged::of(row, view, |row| details.show(row, audience))
    }

    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &MunicipalityFilter,
        _who: Option<&AuthUser>,
    ) -> Result<(Vec<MunicipalityRow>, i64), ApiError> {
        Ok(model::list(conn, paging, filter)?)
    }

    fn input(row: &MunicipalityRow, details: &Details) -> Result<MunicipalityInput, ApiError> {
        Ok(details.input(row))
    }

    fn resolve_references(conn: &mut DbConnection, body: &mut Value) -> Result<(), ApiError> {
        super::references::resolve(conn, body)
    }

    /// Each contact's `publish` as the client asked, resolved against the stored one.
    fn settled(before: &MunicipalityInput, after: MunicipalityInput) -> MunicipalityInput {
        settled_contacts(before, after, false)
    }

    /// A restore never widens what a person agreed to publish now, and never brings back a
    /// contact that was erased.
    fn restorable(before: &MunicipalityInput, wanted: MunicipalityInput) -> MunicipalityInput {
        settled_contacts(before, wanted, true)
    }

    fn may_write(user: &AuthUser, row: &MunicipalityRow, _: &Details) -> Result<(), ApiError> {
        user.require_municipality(&row.id)
    }

    /// Editors change their municipality's profile and contacts; the office fields are the
    /// network office's (403 naming each one an editor tried to change).
    fn may_change(
        user: &AuthUser,
        _current: &MunicipalityRow,
        before: &MunicipalityInput,
        after: &MunicipalityInput,
    ) -> Result<(), ApiError> {
        if user.is_admin() {
            return Ok(());
        }
        let changed: Vec<FieldError> = OfficeFields::of(before)
            .changed(&OfficeFields::of(after))
            .into_iter()
            .map(|field| {
                FieldError::new(
                    field,
                    Code::ReadOnly,
                    "only the network office (admin) may change this",
                )
            })
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = changed.iter().map(|e| e.field.as_str()).collect();
        Err(
            ApiError::forbidden(format!("editors may not change {}", names.join(", ")))
                .with_errors(changed),
        )
    }

    fn insert(
        conn: &mut DbConnection,
        user: &AuthUser,
        input: &MunicipalityInput,
        _: &(),
    ) -> Result<MunicipalityRow, ApiError> {
        create(conn, input, &Actor::of(user))
    }

    fn update(
        conn: &mut DbConnection,
        user: &AuthUser,
        current: &MunicipalityRow,
        _: &Details,
        input: &MunicipalityInput,
        _: &(),
    ) -> Result<MunicipalityRow, ApiError> {
        store(conn, current, input, &Actor::of(user))
    }

    fn may_delete(
        _: &mut DbConnection,
        user: &AuthUser,
        _: &MunicipalityRow,
        _: &Details,
    ) -> Result<(), ApiError> {
        user.require_admin()
    }

    fn undelete(
        conn: &mut DbConnection,
        row: &MunicipalityRow,
        version: i32,
    ) -> Result<Option<MunicipalityRow>, ApiError> {
        Ok(model::undelete(conn, &row.id, row.version, version)?)
    }

    fn soft_delete(conn: &mut DbConnection, row: &MunicipalityRow) -> Result<bool, ApiError> {
        Ok(model::soft_delete(conn, &row.id, row.version)?)
    }
}

/// The municipality a path segment or reference names, live (404 or 410 otherwise).
pub fn resolve_live(conn: &mut DbConnection, key: &str) -> Result<MunicipalityRow, ApiError> {
    live(model::resolve(conn, key)?, "municipality")
}

/// 422 unless `id` names a live municipality: the one answer to "does it exist".
pub fn require_exists(
    conn: &mut DbConnection,
    field: &str,
    id: Option<&MunicipalityId>,
) -> Result<(), ApiError> {
    match id {
        Some(id) if !model::exists(conn, id)? => Err(ApiError::invalid(
            field,
            Code::NotFound,
            "names no municipality",
        )),
        _ => Ok(()),
    }
}

/// Validates and stores a new municipality (the API and the CSV import); `actor` records
/// the consent of contacts published from the start.
pub fn create(
    conn: &mut DbConnection,
    input: &MunicipalityInput,
    actor: &Actor,
) -> Result<MunicipalityRow, ApiError> {
    let values = checked_values(conn, input)?;
    let id = MunicipalityId::new();
    let row = model::insert(conn, &id, &values)?;
    let contacts = contact_rows(&id, &[], input, actor);
    model::replace_parts(conn, &id, &input.topics, &contacts)?;
    model::record_status(conn, &id, &input.membership)?;
    Ok(row)
}

/// Validates and stores a new state of `current` (the API and the CSV import): every rule
/// checked, written only if nobody changed it in between (412), a change of membership
/// status recorded in the history.
pub fn store(
    conn: &mut DbConnection,
    current: &MunicipalityRow,
    input: &MunicipalityInput,
    actor: &Actor,
) -> Result<MunicipalityRow, ApiError> {
    let values = checked_values(conn, input)?;
    let row = model::update(conn, &current.id, current.version, &values)?
        .ok_or_else(ApiError::precondition_failed)?;
    let existing = model::contacts(conn, &row.id)?;
    let contacts = contact_rows(&row.id, &existing, input, actor);
    model::replace_parts(conn, &row.id, &input.topics, &contacts)?;
    if current.membership_status != input.membership.status {
        model::record_status(conn, &row.id, &input.membership)?;
    }
    Ok(row)
}

/// Checks an input against every rule, its district included, and returns what to store.
fn checked_values(
    conn: &mut DbConnection,
    input: &MunicipalityInput,
) -> Result<MunicipalityValues, ApiError> {
    let district = match input.district_id {
        Some(id) => model::district_facts(conn, &MunicipalityId::from(id))?
            .map(|(kind, ags)| DistrictFacts { kind, ags }),
        None => None,
    };
    input.check(district.as_ref()).finish()?;
    MunicipalityValues::from_input(input)
        .ok_or_else(|| ApiError::invalid("slug", Code::InvalidValue, "cannot be derived"))
}

/// The contacts of `input` as rows to store: ids kept where they name an existing contact,
/// `publish` and the consent record settled against the stored ones (`consent::settle`).
fn contact_rows(
    id: &MunicipalityId,
    existing: &[ContactRow],
    input: &MunicipalityInput,
    actor: &Actor,
) -> Vec<ContactRow> {
    let at = now();
    input
        .contacts
        .iter()
        .enumerate()
        .map(|(position, contact)| {
            let previous = contact
                .id
                .map(ContactId::from)
                .and_then(|cid| existing.iter().find(|row| row.id == cid));
            let person = PersonFields {
                name: contact.name.trim().to_owned(),
                role: trimmed(contact.role.as_deref()),
                email: contact.email.as_ref().map(|e| e.as_str().to_owned()),
                phone: trimmed(contact.phone.as_deref()),
            };
            let publish = contact.publish.as_deref().map(Publish::of);
            let requested = match (&publish, contact.public) {
                (Some(publish), _) => Requested::Publish(publish),
                (None, Some(public)) => Requested::Public(public),
                (None, None) => Requested::Keep,
            };
            let stored = previous.map(|row| Previous {
                name: &row.name,
                email: row.email.as_deref(),
                publish: row.publish(),
                consent: row.consent(),
            });
            let (publish, consent) = consent::settle(
                stored.as_ref(),
                &person.name,
                person.email.as_deref(),
                requested,
                actor,
                at,
            );
            ContactRow::new(previous, id, position, (person, &publish, consent), at)
        })
        .collect()
}

/// `after`'s contacts with `publish` spelled out: as sent, or resolved from the deprecated
/// `public` and the stored list (matched by id), so that equal meanings compare equal and
/// the history shows what was stored. `restoring` narrows every list to the current one (a
/// contact no longer there has agreed to nothing) and leaves out contacts that were erased.
fn settled_contacts(
    before: &MunicipalityInput,
    mut after: MunicipalityInput,
    restoring: bool,
) -> MunicipalityInput {
    let current = |id: Option<uuid::Uuid>| {
        before
            .contacts
            .iter()
            .find(|c| id.is_some() && c.id == id)
            .and_then(|c| c.publish.as_deref())
            .map(Publish::of)
    };
    if restoring {
        after.contacts.retain(|c| c.name != crate::privacy::ERASED);
    }
    for contact in &mut after.contacts {
        let stored = current(contact.id);
        let requested = contact.publish.as_deref().map(Publish::of);
        let publish = match (requested, contact.public) {
            (Some(publish), _) => publish,
            (None, Some(false)) => Publish::default(),
            (None, Some(true)) => stored
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(Publish::all),
            (None, None) => stored.clone().unwrap_or_default(),
        };
        let publish = if restoring {
            publish.narrowed_to(&stored.unwrap_or_default())
        } else {
            publish
        };
        contact.publish = Some(publish.fields().to_vec());
        contact.public = None;
        contact.consent = None;
    }
    after
}
