//! `/api/v1/documents`: the network's knowledge — recommendations, documentation,
//! publications, practice examples, methods, working aids — with a publishing workflow,
//! attachments, search and an Atom feed. A draft does not exist for those who may not see it.

pub mod api;
pub mod atom;
pub mod attachment_model;
pub mod attachments;
pub mod details;
pub mod media;
pub mod model;
pub mod service;

use actix_web::{delete, get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use self::api::{Document, DocumentFilter, DocumentInput, DocumentStatus};
use self::service::{Documents, transition};
use crate::http::list::{Listed, Page};
use crate::openapi::responses::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_documents)
        .service(create_document)
        .service(get_document)
        .service(replace_document)
        .service(update_document)
        .service(delete_document)
        .service(list_document_revisions)
        .service(get_document_revision)
        .service(restore_document_revision)
        .service(publish_document)
        .service(archive_document)
        .service(attachments::upload_attachment)
        .service(attachments::get_attachment)
        .service(attachments::delete_attachment)
        .service(atom::documents_feed);
}

crate::versioned_handlers! {
    resource: Documents,
    output: Document,
    new: DocumentInput,
    input: DocumentInput,
    tag: "documents",
    collection: "/documents",
    item: "/documents/{id}",
    read_id: ("id" = String, Path, description = "The document's id."),
    id: ("id" = String, Path, description = "The document's id."),
    list: {
        /// List documents.
        ///
        /// Drafts appear only to admins and to editors of an author municipality. With `q`, every
        /// word must occur in title, summary, body or topics; best matches first.
        fn list_documents(DocumentFilter) "A page of documents."
            [NotModified, BadRequest, Unauthorized, Unavailable]
    },
    read: {
        /// Read a document.
        fn get_document "The document."
            [NotModified, BadRequest, Unauthorized, NotFound, Gone, Unavailable]
    },
    create: {
        /// Create a document (a draft).
        ///
        /// Editors may create documents that name their own municipality among `municipality_ids`.
        fn create_document "The created draft."
            [BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    replace: {
        /// Replace a document's writable fields.
        fn replace_document "The updated document."
            [BadRequest, Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable]
    },
    patch: {
        /// Change some of a document's fields (JSON merge patch).
        fn update_document
    },
    delete: {
        /// Delete a document (soft). Admins delete any; editors their own drafts.
        fn delete_document [Unauthorized, Forbidden, NotFound, Gone, PreconditionFailed, Unavailable]
    },
}

crate::resource_actions! {
    resource: Documents,
    output: Document,
    tag: "documents",
    id: ("id" = String, Path, description = "The document's id."),
    responses: [Unauthorized, Forbidden, NotFound, Conflict, Gone, PreconditionFailed, Unavailable],
    actions: {
        /// Publish a document (admin): draft or archived → published; sets `published_at` the first time.
        fn publish_document "/documents/{id}/publish" "The published document."
            => |conn, current| transition(conn, current, &[DocumentStatus::Draft, DocumentStatus::Archived], DocumentStatus::Published);
        /// Archive a document (admin): published → archived.
        fn archive_document "/documents/{id}/archive" "The archived document."
            => |conn, current| transition(conn, current, &[DocumentStatus::Published], DocumentStatus::Archived);
    }
}

crate::revision_handlers! {
    resource: Documents,
    output: Document,
    tag: "history",
    id: ("id" = String, Path, description = "The document's id."),
    list: {
        /// List a document's revisions (admins; editors for what they may edit).
        fn list_document_revisions "/documents/{id}/revisions"
    },
    read: {
        /// Read one revision of a document, with the document as it was.
        fn get_document_revision "/documents/{id}/revisions/{version}"
    },
    restore: {
        /// Restore a document to one of its versions (admin; also brings a deleted one back).
        fn restore_document_revision "/documents/{id}/revisions/{version}/restore"
    },
}
