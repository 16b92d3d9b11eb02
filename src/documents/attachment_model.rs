//! Where a document's attachments are recorded (`attachments`: name, type, size, checksum;
//! the bytes themselves are in `storage`) and the queries over them. Kept apart from the
//! document tables (`model`) because an attachment is a resource of its own, with its own
//! version; a document shows its live attachments through `details::load_details`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api::Attachment;
use crate::db::schema::attachments;
use crate::db::{DbConnection, now, utc};
use crate::ids::{AttachmentId, DocumentId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments, treat_none_as_default_value = false)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub document_id: DocumentId,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// Marked as the document's main file (OParl Paper's `mainFile`).
    pub main: bool,
}
crate::impl_record!(AttachmentRow);

impl From<&AttachmentRow> for Attachment {
    fn from(row: &AttachmentRow) -> Self {
        Self {
            id: row.id.clone().into(),
            filename: row.filename.clone(),
            media_type: row.media_type.clone(),
            size_bytes: row.size_bytes,
            sha256: row.sha256.clone(),
            url: format!("/api/v1/attachments/{}", row.id),
            main: row.main,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }
}

pub fn find_attachment(
    conn: &mut DbConnection,
    id: &AttachmentId,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new attachment; one marked as the main file takes the mark from the others.
pub fn insert_attachment(
    conn: &mut DbConnection,
    row: &AttachmentRow,
) -> QueryResult<AttachmentRow> {
    if row.main {
        diesel::update(
            attachments::table
                .filter(attachments::document_id.eq(&row.document_id))
                .filter(attachments::main.eq(true)),
        )
        .set(attachments::main.eq(false))
        .execute(conn)?;
    }
    diesel::insert_into(attachments::table)
        .values(row)
        .returning(attachments::all_columns)
        .get_result(conn)
}

pub fn delete_attachment(
    conn: &mut DbConnection,
    id: &AttachmentId,
    version: i32,
) -> QueryResult<bool> {
    crate::soft_delete!(conn, attachments, id, version)
}

pub fn new_attachment(
    document_id: &DocumentId,
    filename: String,
    media_type: &str,
    size: i64,
    sha256: String,
    main: bool,
) -> AttachmentRow {
    let at = now();
    AttachmentRow {
        id: AttachmentId::new(),
        document_id: document_id.clone(),
        filename,
        media_type: media_type.to_owned(),
        size_bytes: size,
        sha256,
        version: 1,
        created_at: at,
        updated_at: at,
        deleted_at: None,
        main,
    }
}
