//! Public best-practice documents as OParl Papers and their attachments as Files (the main
//! file the one marked at upload, else the first).

use chrono::{NaiveDate, NaiveDateTime};

use super::api::{Common, File, Kind, Paper};
use super::model;
use super::service::{Entry, Site, changed, grouped};
use crate::db::DbConnection;
use crate::documents::api::DocumentStatus;
use crate::documents::attachment_model::AttachmentRow;
use crate::documents::model::DocumentRow;
use crate::error::ApiError;

/// A document is public unless it is a draft; one that was public once (it has a
/// publication date) and is no longer, or was deleted, shows as a marker.
fn public(row: &DocumentRow) -> bool {
    row.deleted_at.is_none() && row.status != DocumentStatus::Draft
}

fn file(site: &Site, row: &AttachmentRow, paper: &str) -> File {
    let url = format!("{}/api/v1/attachments/{}", site.base, row.id);
    File {
        common: Common::new(
            site.object(Kind::File, &row.id),
            Kind::File,
            row.created_at,
            row.updated_at,
        ),
        name: row.filename.clone(),
        file_name: row.filename.clone(),
        mime_type: row.media_type.clone(),
        size: row.size_bytes,
        access_url: url.clone(),
        download_url: url,
        date: berlin_date(row.created_at),
        paper: vec![paper.to_owned()],
        sha256: row.sha256.clone(),
    }
}

fn berlin_date(at: NaiveDateTime) -> NaiveDate {
    at.and_utc()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
}

/// Papers (with their files embedded) or files.
pub(super) fn papers(
    conn: &mut DbConnection,
    site: &Site,
    kind: Kind,
) -> Result<Vec<Entry>, ApiError> {
    let topics = grouped(model::document_topics(conn)?);
    let authors = grouped(model::document_authors(conn)?);
    let attachments = grouped(
        model::attachments(conn)?
            .into_iter()
            .map(|row| (row.document_id.clone(), row))
            .collect(),
    );
    let mut entries = Vec::new();
    for row in model::documents(conn)? {
        let files = attachments.get(&row.id).map_or(&[][..], Vec::as_slice);
        let paper_url = site.object(Kind::Paper, &row.id);
        if !public(&row) {
            // Drafts that were never published stay unknown.
            if row.published_at.is_none() {
                continue;
            }
            let modified = changed(row.updated_at, row.deleted_at);
            let ids: Vec<(String, NaiveDateTime)> = match kind {
                Kind::Paper => vec![(paper_url, row.created_at)],
                _ => files
                    .iter()
                    .map(|f| (site.object(kind, &f.id), f.created_at))
                    .collect(),
            };
            for (id, created) in ids {
                entries.push(Entry::marker(kind, id, created, modified.max(created))?);
            }
            continue;
        }
        if kind == Kind::File {
            for attachment in files {
                let id = site.object(Kind::File, &attachment.id);
                let modified = changed(attachment.updated_at, attachment.deleted_at);
                let entry = match attachment.deleted_at {
                    Some(_) => Entry::marker(kind, id, attachment.created_at, modified)?,
                    None => {
                        let file = file(site, attachment, &paper_url);
                        Entry::live(&file.common.clone(), attachment.created_at, modified, file)?
                    }
                };
                entries.push(entry);
            }
            continue;
        }
        let mut live: Vec<File> = files
            .iter()
            .filter(|f| f.deleted_at.is_none())
            .map(|f| file(site, f, &paper_url))
            .collect();
        let main = files
            .iter()
            .filter(|f| f.deleted_at.is_none())
            .position(|f| f.main)
            .unwrap_or(0);
        let main_file = (main < live.len()).then(|| live.remove(main));
        let common = Common::new(paper_url, Kind::Paper, row.created_at, row.updated_at);
        let paper = Paper {
            common: common.clone(),
            body: site.body(),
            name: row.title.clone(),
            reference: row.id.to_string(),
            date: row.published_at.map(berlin_date),
            paper_type: row.kind.label(),
            main_file,
            auxiliary_file: live,
            originator_organization: authors
                .get(&row.id)
                .map(|ids| {
                    ids.iter()
                        .map(|m| site.object(Kind::Organization, m))
                        .collect()
                })
                .unwrap_or_default(),
            keyword: topics.get(&row.id).cloned().unwrap_or_default(),
        };
        entries.push(Entry::live(&common, row.created_at, row.updated_at, paper)?);
    }
    Ok(entries)
}
