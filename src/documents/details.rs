//! What is loaded alongside document records — topics, authors, links and live
//! attachments — and how a stored record becomes its wire representation (`Details::show`)
//! and its writable one (`Details::input`, which `PATCH` merges into). Kept apart from the
//! table rows and queries of `model`, which write and select records without building either.

use std::collections::HashMap;

use diesel::prelude::*;

use super::api::{Attachment, Document, DocumentInput, Link};
use super::attachment_model::AttachmentRow;
use super::model::DocumentRow;
use crate::db::schema::{attachments, document_links, document_municipalities, document_topics};
use crate::db::{DbConnection, utc};
use crate::ids::{DocumentId, MunicipalityId};
use crate::types::HttpUrl;

/// Topics, authors, links and live attachments of a set of documents.
#[derive(Default)]
pub struct Details {
    topics: HashMap<DocumentId, Vec<String>>,
    authors: HashMap<DocumentId, Vec<MunicipalityId>>,
    links: HashMap<DocumentId, Vec<Link>>,
    attachments: HashMap<DocumentId, Vec<AttachmentRow>>,
}

pub fn load_details(conn: &mut DbConnection, ids: &[DocumentId]) -> QueryResult<Details> {
    let mut details = Details::default();
    if ids.is_empty() {
        return Ok(details);
    }
    let topics: Vec<(DocumentId, String)> = document_topics::table
        .filter(document_topics::document_id.eq_any(ids))
        .order((document_topics::document_id, document_topics::position))
        .select((document_topics::document_id, document_topics::topic))
        .load(conn)?;
    for (id, topic) in topics {
        details.topics.entry(id).or_default().push(topic);
    }
    let authors: Vec<(DocumentId, MunicipalityId)> = document_municipalities::table
        .filter(document_municipalities::document_id.eq_any(ids))
        .order((
            document_municipalities::document_id,
            document_municipalities::position,
        ))
        .select((
            document_municipalities::document_id,
            document_municipalities::municipality_id,
        ))
        .load(conn)?;
    for (id, municipality) in authors {
        details.authors.entry(id).or_default().push(municipality);
    }
    let links: Vec<(DocumentId, String, String)> = document_links::table
        .filter(document_links::document_id.eq_any(ids))
        .order((document_links::document_id, document_links::position))
        .select((
            document_links::document_id,
            document_links::title,
            document_links::url,
        ))
        .load(conn)?;
    for (id, title, url) in links {
        if let Ok(url) = HttpUrl::parse(&url) {
            details
                .links
                .entry(id)
                .or_default()
                .push(Link { title, url });
        }
    }
    let files: Vec<AttachmentRow> = attachments::table
        .filter(attachments::document_id.eq_any(ids))
        .filter(attachments::deleted_at.is_null())
        .order((
            attachments::document_id,
            attachments::created_at,
            attachments::id,
        ))
        .select(AttachmentRow::as_select())
        .load(conn)?;
    for file in files {
        details
            .attachments
            .entry(file.document_id.clone())
            .or_default()
            .push(file);
    }
    Ok(details)
}

impl Details {
    pub fn authors(&self, id: &DocumentId) -> &[MunicipalityId] {
        self.authors.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn show(&self, row: DocumentRow) -> Document {
        Document {
            topics: self.topics.get(&row.id).cloned().unwrap_or_default(),
            municipality_ids: self
                .authors(&row.id)
                .iter()
                .map(ToString::to_string)
                .collect(),
            links: self.links.get(&row.id).cloned().unwrap_or_default(),
            attachments: self
                .attachments
                .get(&row.id)
                .map(|a| a.iter().map(Attachment::from).collect())
                .unwrap_or_default(),
            id: row.id.into(),
            kind: row.kind,
            title: row.title,
            summary_html: row.summary.as_deref().map(crate::markdown::to_html),
            body_html: row.body.as_deref().map(crate::markdown::to_html),
            summary: row.summary,
            body: row.body,
            language: row.language,
            meeting_id: row.meeting_id.map(Into::into),
            status: row.status,
            published_at: row.published_at.map(utc),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }

    /// The writable representation, which `PATCH` merges into.
    pub fn input(&self, row: &DocumentRow) -> DocumentInput {
        DocumentInput {
            kind: row.kind,
            title: row.title.clone(),
            summary: row.summary.clone(),
            body: row.body.clone(),
            topics: self.topics.get(&row.id).cloned().unwrap_or_default(),
            language: row.language.clone(),
            municipality_ids: self
                .authors(&row.id)
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect(),
            meeting_id: row.meeting_id.as_deref().and_then(|id| id.parse().ok()),
            links: self.links.get(&row.id).cloned().unwrap_or_default(),
        }
    }
}
