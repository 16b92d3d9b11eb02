//! What a municipality is as a resource of the pipeline (`crate::resource`): how it is
//! found (UUID, AGS or slug), shown (members see every contact), and changed (the network
//! office changes everything, a municipality's editors its profile and contacts).

use diesel::QueryResult;
use serde_json::Value;

use super::api::{
    DistrictFacts, Municipality, MunicipalityFilter, MunicipalityInput, OfficeFields,
};
use super::details::{self, Details};
use super::model::{self, MunicipalityRow, MunicipalityValues};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::db::query::Paging;
use crate::db::record::live;
use crate::error::{ApiError, Code, FieldError};
use crate::http::Tagged;
use crate::ids::MunicipalityId;
use crate::resource::Resource;

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

    /// Anonymous readers see only the public contacts.
    fn show(row: MunicipalityRow, details: &Details, who: Option<&AuthUser>) -> Municipality {
        details.show(row, who.is_some())
    }

    fn tagged(
        row: MunicipalityRow,
        details: &Details,
        who: Option<&AuthUser>,
    ) -> Tagged<Municipality> {
        let view = if who.is_some() { None } else { Some("public") };
        Tagged::of(row, view, |row| details.show(row, who.is_some()))
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
        _user: &AuthUser,
        input: &MunicipalityInput,
        _: &(),
    ) -> Result<MunicipalityRow, ApiError> {
        create(conn, input)
    }

    fn update(
        conn: &mut DbConnection,
        _user: &AuthUser,
        current: &MunicipalityRow,
        _: &Details,
        input: &MunicipalityInput,
        _: &(),
    ) -> Result<MunicipalityRow, ApiError> {
        store(conn, current, input)
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

/// Validates and stores a new municipality (the API and the CSV import).
pub fn create(
    conn: &mut DbConnection,
    input: &MunicipalityInput,
) -> Result<MunicipalityRow, ApiError> {
    let values = checked_values(conn, input)?;
    let id = MunicipalityId::new();
    let row = model::insert(conn, &id, &values)?;
    model::replace_parts(conn, &id, input)?;
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
) -> Result<MunicipalityRow, ApiError> {
    let values = checked_values(conn, input)?;
    let row = model::update(conn, &current.id, current.version, &values)?
        .ok_or_else(ApiError::precondition_failed)?;
    model::replace_parts(conn, &row.id, input)?;
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
