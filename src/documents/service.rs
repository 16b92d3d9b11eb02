//! What a document is as a resource of the pipeline (`crate::resource`): drafts are seen
//! only by the network office and the editors of an author municipality, who also write
//! them; the workflow draft → published ⇄ archived is the network office's.

use diesel::QueryResult;
use serde_json::Value;

use super::api::{Document, DocumentFilter, DocumentInput, DocumentStatus};
use super::details::{self, Details};
use super::model::{self, DocumentRow, DocumentValues, Viewer};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::db::query::Paging;
use crate::error::{ApiError, Code};
use crate::history::revisions::Readers;
use crate::http::path_id;
use crate::ids::{DocumentId, MeetingId, MunicipalityId};
use crate::resource::Resource;

pub struct Documents;

impl Resource for Documents {
    const NAME: &'static str = "document";
    const COLLECTION: &'static str = "/api/v1/documents";
    const INITIAL_STATUS: Option<&'static str> = Some("draft");

    type Row = DocumentRow;
    type Details = Details;
    type New = DocumentInput;
    type Input = DocumentInput;
    type Output = Document;
    type Filter = DocumentFilter;
    type Prepared = ();

    fn find(conn: &mut DbConnection, key: &str) -> Result<Option<DocumentRow>, ApiError> {
        Ok(model::find(conn, &path_id(key, Self::NAME)?)?)
    }

    fn details(conn: &mut DbConnection, rows: &[Self::Row]) -> QueryResult<Details> {
        let ids: Vec<_> = rows.iter().map(|row| row.id.clone()).collect();
        details::load_details(conn, &ids)
    }

    /// A draft does not exist for those who may not see it (404, not 403).
    fn visible(row: &DocumentRow, details: &Details, who: Option<&AuthUser>) -> bool {
        Viewer::of(who).sees(row.status, details.authors(&row.id))
    }

    fn show(row: DocumentRow, details: &Details, _who: Option<&AuthUser>) -> Document {
        details.show(row)
    }

    /// Best matches first when searching; drafts only for those who may see them.
    fn list(
        conn: &mut DbConnection,
        paging: &Paging,
        filter: &DocumentFilter,
        who: Option<&AuthUser>,
    ) -> Result<(Vec<DocumentRow>, i64), ApiError> {
        Ok(model::list(conn, paging, filter, &Viewer::of(who))?)
    }

    fn input(row: &DocumentRow, details: &Details) -> Result<DocumentInput, ApiError> {
        Ok(details.input(row))
    }

    fn resolve_references(conn: &mut DbConnection, body: &mut Value) -> Result<(), ApiError> {
        crate::municipalities::references::resolve(conn, body)
    }

    fn status_action(status: &str) -> Option<&'static str> {
        match status {
            "published" => Some("POST /api/v1/documents/{id}/publish"),
            "archived" => Some("POST /api/v1/documents/{id}/archive"),
            _ => None,
        }
    }

    /// Editors may create documents that name their own municipality as an author.
    fn may_create(_user: &AuthUser) -> Result<(), ApiError> {
        Ok(())
    }

    fn may_write(user: &AuthUser, row: &DocumentRow, details: &Details) -> Result<(), ApiError> {
        require_author(user, details.authors(&row.id))
    }

    fn insert(
        conn: &mut DbConnection,
        user: &AuthUser,
        input: &DocumentInput,
        _: &(),
    ) -> Result<DocumentRow, ApiError> {
        create(conn, user, input)
    }

    fn update(
        conn: &mut DbConnection,
        user: &AuthUser,
        current: &DocumentRow,
        _: &Details,
        input: &DocumentInput,
        _: &(),
    ) -> Result<DocumentRow, ApiError> {
        let values = checked(conn, user, input)?;
        let row = model::update(conn, &current.id, current.version, &values)?
            .ok_or_else(ApiError::precondition_failed)?;
        model::replace_parts(conn, &row.id, input)?;
        Ok(row)
    }

    /// Admins delete any document; editors their own drafts.
    fn may_delete(
        _: &mut DbConnection,
        user: &AuthUser,
        row: &DocumentRow,
        details: &Details,
    ) -> Result<(), ApiError> {
        require_author(user, details.authors(&row.id))?;
        if !user.is_admin() && row.status != DocumentStatus::Draft {
            return Err(ApiError::forbidden(
                "only the network office deletes published documents",
            ));
        }
        Ok(())
    }

    fn status(row: &DocumentRow) -> Option<&'static str> {
        Some(row.status.as_str())
    }

    /// A draft's changes are its authors' and the office's business.
    fn readers(row: &DocumentRow, details: &Details) -> Readers {
        if row.status == DocumentStatus::Draft {
            Readers::Municipalities(details.authors(&row.id).to_vec())
        } else {
            Readers::Everyone
        }
    }

    fn undelete(
        conn: &mut DbConnection,
        row: &DocumentRow,
        version: i32,
    ) -> Result<Option<DocumentRow>, ApiError> {
        Ok(model::undelete(conn, &row.id, row.version, version)?)
    }

    fn soft_delete(conn: &mut DbConnection, row: &DocumentRow) -> Result<bool, ApiError> {
        Ok(model::soft_delete(conn, &row.id, row.version)?)
    }
}

/// Admins write every document; editors those naming their municipality as author.
pub fn require_author(user: &AuthUser, authors: &[MunicipalityId]) -> Result<(), ApiError> {
    if user.is_admin()
        || user
            .municipality_id
            .as_ref()
            .is_some_and(|m| authors.contains(m))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "editors write only documents that name their municipality as author",
        ))
    }
}

/// Validates and stores a new draft (the API and the demo data).
pub fn create(
    conn: &mut DbConnection,
    user: &AuthUser,
    input: &DocumentInput,
) -> Result<DocumentRow, ApiError> {
    let values = checked(conn, user, input)?;
    let id = DocumentId::new();
    let row = model::insert(conn, &id, &values)?;
    model::replace_parts(conn, &id, input)?;
    Ok(row)
}

/// Validates an input: its own rules, its authors exist, and an editor stays among them.
fn checked(
    conn: &mut DbConnection,
    user: &AuthUser,
    input: &DocumentInput,
) -> Result<DocumentValues, ApiError> {
    let mut checks = input.check();
    for (i, municipality) in input.municipality_ids.iter().enumerate() {
        if !crate::municipalities::model::exists(conn, &MunicipalityId::from(*municipality))? {
            checks.add(
                format!("municipality_ids[{i}]"),
                Code::NotFound,
                "names no municipality",
            );
        }
    }
    if let Some(meeting) = input.meeting_id
        && !crate::meetings::model::exists(conn, &MeetingId::from(meeting))?
    {
        checks.add("meeting_id", Code::NotFound, "names no meeting");
    }
    checks.finish()?;
    let authors: Vec<MunicipalityId> = input
        .municipality_ids
        .iter()
        .map(|id| MunicipalityId::from(*id))
        .collect();
    require_author(user, &authors)?;
    Ok(DocumentValues::from_input(input))
}

/// Moves a document along the workflow `from` the allowed states `to` the new one (409
/// otherwise); `None` when someone changed it first (412).
pub fn transition(
    conn: &mut DbConnection,
    current: &DocumentRow,
    from: &[DocumentStatus],
    to: DocumentStatus,
) -> Result<Option<DocumentRow>, ApiError> {
    if !from.contains(&current.status) {
        return Err(ApiError::conflict(format!(
            "a {} document cannot become {to}",
            current.status
        )));
    }
    Ok(model::set_status(conn, current, to)?)
}
