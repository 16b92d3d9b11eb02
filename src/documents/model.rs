//! The document tables (the record, its topics, authors and links) and their queries,
//! including who may see a draft and the ranked search. Attachments are recorded in
//! `attachment_model`; the live ones are loaded in `details` to show them with the document.

use crate::http::Many;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api::{DocumentFilter, DocumentInput, DocumentKind, DocumentSort, DocumentStatus};
use crate::auth::AuthUser;
use crate::db::query::{Paging, Sort};
use crate::db::schema::{
    attachments, document_links, document_municipalities, document_topics, documents,
};
use crate::db::{DbConnection, MultiBackend, now};
use crate::ids::{DocumentId, MeetingId, MunicipalityId};
use crate::text::{fold, like_pattern};
use crate::types::trimmed;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub title: String,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub language: String,
    pub meeting_id: Option<MeetingId>,
    pub status: DocumentStatus,
    pub published_at: Option<NaiveDateTime>,
    pub search_title: String,
    pub search_summary: String,
    pub search_body: String,
    pub search_topics: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}
crate::impl_record!(DocumentRow);

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = documents, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct DocumentValues {
    pub kind: DocumentKind,
    pub title: String,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub language: String,
    pub meeting_id: Option<MeetingId>,
    pub search_title: String,
    pub search_summary: String,
    pub search_body: String,
    pub search_topics: String,
}

impl DocumentValues {
    /// The stored form of an input, with the folded copies search runs on.
    pub fn from_input(input: &DocumentInput) -> Self {
        let summary = trimmed(input.summary.as_deref());
        let body = trimmed(input.body.as_deref());
        Self {
            kind: input.kind,
            title: input.title.trim().to_owned(),
            search_title: fold(&input.title),
            search_summary: fold(summary.as_deref().unwrap_or_default()),
            search_body: fold(body.as_deref().unwrap_or_default()),
            search_topics: fold(&input.topics.join(" ")),
            summary,
            body,
            language: input.language.clone(),
            meeting_id: input.meeting_id.map(MeetingId::from),
        }
    }
}

/// Who is looking: drafts show to admins and to editors of an author municipality only.
#[derive(Debug, Clone)]
pub enum Viewer {
    Admin,
    Editor(MunicipalityId),
    Anonymous,
}

impl Viewer {
    pub fn of(user: Option<&AuthUser>) -> Self {
        match user {
            Some(user) if user.is_admin() => Viewer::Admin,
            Some(user) => user
                .municipality_id
                .clone()
                .map_or(Viewer::Anonymous, Viewer::Editor),
            None => Viewer::Anonymous,
        }
    }

    /// Whether a document with this status and these authors shows to the viewer.
    pub fn sees(&self, status: DocumentStatus, authors: &[MunicipalityId]) -> bool {
        match self {
            Viewer::Admin => true,
            _ if status != DocumentStatus::Draft => true,
            Viewer::Editor(municipality) => authors.contains(municipality),
            Viewer::Anonymous => false,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: &DocumentId) -> QueryResult<Option<DocumentRow>> {
    documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConnection,
    id: &DocumentId,
    values: &DocumentValues,
) -> QueryResult<DocumentRow> {
    let at = now();
    diesel::insert_into(documents::table)
        .values((
            values,
            documents::id.eq(id),
            documents::status.eq(DocumentStatus::Draft),
            documents::version.eq(1),
            documents::created_at.eq(at),
            documents::updated_at.eq(at),
        ))
        .returning(documents::all_columns)
        .get_result(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: &DocumentId,
    version: i32,
    values: &DocumentValues,
) -> QueryResult<Option<DocumentRow>> {
    diesel::update(
        documents::table
            .find(id)
            .filter(documents::version.eq(version)),
    )
    .set((
        values,
        documents::version.eq(version + 1),
        documents::updated_at.eq(now()),
    ))
    .returning(documents::all_columns)
    .get_result(conn)
    .optional()
}

/// Moves a document to `status`; publishing sets `published_at` the first time.
pub fn set_status(
    conn: &mut DbConnection,
    row: &DocumentRow,
    status: DocumentStatus,
) -> QueryResult<Option<DocumentRow>> {
    let at = now();
    let published_at = match status {
        DocumentStatus::Published => row.published_at.or(Some(at)),
        _ => row.published_at,
    };
    diesel::update(
        documents::table
            .find(&row.id)
            .filter(documents::version.eq(row.version)),
    )
    .set((
        documents::status.eq(status),
        documents::published_at.eq(published_at),
        documents::version.eq(row.version + 1),
        documents::updated_at.eq(at),
    ))
    .returning(documents::all_columns)
    .get_result(conn)
    .optional()
}

pub fn soft_delete(conn: &mut DbConnection, id: &DocumentId, version: i32) -> QueryResult<bool> {
    crate::soft_delete!(conn, documents, id, version)
}

/// Brings a deleted document back at `next` if it is still at `version`.
pub fn undelete(
    conn: &mut DbConnection,
    id: &DocumentId,
    version: i32,
    next: i32,
) -> QueryResult<Option<DocumentRow>> {
    crate::undelete!(conn, documents, id, version, next)
}

pub fn replace_parts(
    conn: &mut DbConnection,
    id: &DocumentId,
    input: &DocumentInput,
) -> QueryResult<()> {
    diesel::delete(document_topics::table.filter(document_topics::document_id.eq(id)))
        .execute(conn)?;
    for (position, topic) in input.topics.iter().enumerate() {
        diesel::insert_into(document_topics::table)
            .values((
                document_topics::document_id.eq(id),
                document_topics::position.eq(position as i32),
                document_topics::topic.eq(topic.trim()),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        document_municipalities::table.filter(document_municipalities::document_id.eq(id)),
    )
    .execute(conn)?;
    for (position, municipality) in input.municipality_ids.iter().enumerate() {
        diesel::insert_into(document_municipalities::table)
            .values((
                document_municipalities::document_id.eq(id),
                document_municipalities::position.eq(position as i32),
                document_municipalities::municipality_id.eq(MunicipalityId::from(*municipality)),
            ))
            .execute(conn)?;
    }
    diesel::delete(document_links::table.filter(document_links::document_id.eq(id)))
        .execute(conn)?;
    for (position, link) in input.links.iter().enumerate() {
        diesel::insert_into(document_links::table)
            .values((
                document_links::document_id.eq(id),
                document_links::position.eq(position as i32),
                document_links::title.eq(link.title.trim()),
                document_links::url.eq(link.url.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How a filter by topic finds its documents. A count walks the topic's index once
/// (`IN`); a page walks the index of its order and asks each document (`EXISTS`), so it stops
/// after a page instead of sorting every match (with many documents of a topic, ten times
/// faster on SQLite; the same on PostgreSQL, which turns both into a semi-join).
#[derive(Clone, Copy)]
enum Walk {
    Count,
    Page,
}

fn filtered(
    paging: Option<&Paging>,
    filter: &DocumentFilter,
    viewer: &Viewer,
    walk: Walk,
) -> documents::BoxedQuery<'static, MultiBackend> {
    let mut query = documents::table.into_boxed();
    match paging {
        Some(paging) => crate::sync_filters!(query, paging, documents),
        None => query = query.filter(documents::deleted_at.is_null()),
    }
    match viewer {
        Viewer::Admin => {}
        Viewer::Editor(municipality) => {
            let own = document_municipalities::table
                .filter(document_municipalities::municipality_id.eq(municipality.clone()))
                .select(document_municipalities::document_id);
            query = query.filter(
                documents::status
                    .ne(DocumentStatus::Draft)
                    .or(documents::id.eq_any(own)),
            );
        }
        Viewer::Anonymous => query = query.filter(documents::status.ne(DocumentStatus::Draft)),
    }
    if let Some(kinds) = &filter.kind {
        query = query.filter(documents::kind.eq_any(kinds.0.clone()));
    }
    if let Some(statuses) = &filter.status {
        query = query.filter(documents::status.eq_any(statuses.0.clone()));
    }
    if let Some(topic) = &filter.topic {
        let topic = topic.trim().to_owned();
        query = match walk {
            Walk::Count => query.filter(
                documents::id.eq_any(
                    document_topics::table
                        .filter(document_topics::topic.eq(topic))
                        .select(document_topics::document_id),
                ),
            ),
            Walk::Page => query.filter(diesel::dsl::exists(
                document_topics::table
                    .filter(document_topics::document_id.eq(documents::id))
                    .filter(document_topics::topic.eq(topic)),
            )),
        };
    }
    if let Some(municipality) = &filter.municipality_id {
        let authored = document_municipalities::table
            .filter(document_municipalities::municipality_id.eq(municipality.id()))
            .select(document_municipalities::document_id);
        query = query.filter(documents::id.eq_any(authored));
    }
    if let Some(meeting) = filter.meeting_id {
        query = query.filter(documents::meeting_id.eq(MeetingId::from(meeting)));
    }
    if let Some(since) = filter.published_since {
        query = query.filter(documents::published_at.ge(since));
    }
    for word in search_words(filter) {
        let pattern = like_pattern(&word);
        query = query.filter(
            documents::search_title
                .like(pattern.clone())
                .escape('\\')
                .or(documents::search_summary.like(pattern.clone()).escape('\\'))
                .or(documents::search_body.like(pattern.clone()).escape('\\'))
                .or(documents::search_topics.like(pattern).escape('\\')),
        );
    }
    query
}

fn search_words(filter: &DocumentFilter) -> Vec<String> {
    crate::text::search_words(filter.q.as_deref())
}

/// How well a document matches the words: a word in the title counts most, then topics,
/// summary and body.
fn score(words: &[String], title: &str, topics: &str, summary: &str, body: &str) -> u32 {
    words
        .iter()
        .map(|w| {
            let w = w.as_str();
            8 * u32::from(title.contains(w))
                + 4 * u32::from(topics.contains(w))
                + 2 * u32::from(summary.contains(w))
                + u32::from(body.contains(w))
        })
        .sum()
}

fn sorted(
    query: documents::BoxedQuery<'static, MultiBackend>,
    sort: Sort<DocumentSort>,
) -> documents::BoxedQuery<'static, MultiBackend> {
    crate::apply_sort!(query, sort, documents::id, {
        DocumentSort::PublishedAt => documents::published_at,
        DocumentSort::Title => documents::search_title,
        DocumentSort::UpdatedAt => documents::updated_at,
    })
}

const NEWEST_FIRST: Sort<DocumentSort> = Sort {
    field: DocumentSort::PublishedAt,
    descending: true,
};

/// A page of the documents the viewer may see. With `q` and no `sort`, every match is ranked
/// in Rust (the same on both databases) and the page cut from the ranking.
pub fn list(
    conn: &mut DbConnection,
    paging: &Paging,
    filter: &DocumentFilter,
    viewer: &Viewer,
) -> QueryResult<(Vec<DocumentRow>, i64)> {
    let mut filter = filter.clone();
    crate::municipalities::references::resolve_filter(conn, &mut filter.municipality_id)?;
    let filter = &filter;
    let words = search_words(filter);
    if words.is_empty() || filter.sort.is_some() {
        let total = filtered(Some(paging), filter, viewer, Walk::Count)
            .count()
            .get_result(conn)?;
        let sort = filter.sort.map_or(NEWEST_FIRST, |o| o.0);
        let rows = sorted(filtered(Some(paging), filter, viewer, Walk::Page), sort)
            .select(DocumentRow::as_select())
            .limit(paging.limit)
            .offset(paging.offset)
            .load(conn)?;
        return Ok((rows, total));
    }
    let candidates: Vec<(
        DocumentId,
        String,
        String,
        String,
        String,
        Option<NaiveDateTime>,
    )> = filtered(Some(paging), filter, viewer, Walk::Count)
        .select((
            documents::id,
            documents::search_title,
            documents::search_topics,
            documents::search_summary,
            documents::search_body,
            documents::published_at,
        ))
        .load(conn)?;
    let mut ranked: Vec<(u32, Option<NaiveDateTime>, DocumentId)> = candidates
        .into_iter()
        .map(|(id, title, topics, summary, body, published)| {
            (
                score(&words, &title, &topics, &summary, &body),
                published,
                id,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let total = ranked.len() as i64;
    let page: Vec<DocumentId> = ranked
        .into_iter()
        .skip(usize::try_from(paging.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit).unwrap_or(0))
        .map(|(_, _, id)| id)
        .collect();
    let mut rows: Vec<DocumentRow> = documents::table
        .filter(documents::id.eq_any(&page))
        .select(DocumentRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|row| page.iter().position(|id| *id == row.id));
    Ok((rows, total))
}

/// Published documents for the feed, newest first.
pub fn published(
    conn: &mut DbConnection,
    filter: &DocumentFilter,
    limit: i64,
) -> QueryResult<Vec<DocumentRow>> {
    let mut filter = DocumentFilter {
        status: Some(Many::one(DocumentStatus::Published)),
        ..filter.clone()
    };
    crate::municipalities::references::resolve_filter(conn, &mut filter.municipality_id)?;
    sorted(
        filtered(None, &filter, &Viewer::Anonymous, Walk::Page),
        NEWEST_FIRST,
    )
    .select(DocumentRow::as_select())
    .limit(limit)
    .load(conn)
}

/// When anything that the feed shows last changed: a document (its publication, edit or
/// deletion) or an attachment (rule 20: those change without the document's version).
pub fn last_change(conn: &mut DbConnection) -> QueryResult<Option<NaiveDateTime>> {
    use diesel::dsl::max;
    let documents: Option<NaiveDateTime> = documents::table
        .select(max(documents::updated_at))
        .first(conn)?;
    let attachments: Option<NaiveDateTime> = attachments::table
        .select(max(attachments::updated_at))
        .first(conn)?;
    Ok(documents.max(attachments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_outranks_summary_and_body() {
        let words = vec!["ehrenamt".to_owned()];
        let title = score(&words, "ehrenamt in unna", "", "", "");
        let summary = score(&words, "", "", "das ehrenamt", "");
        let body = score(&words, "", "", "", "ehrenamt");
        assert!(title > summary && summary > body && body > 0);
    }
}
