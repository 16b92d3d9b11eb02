//! `GET /api/v1/feeds/documents.atom`: published documents as an Atom feed (RFC 4287),
//! newest first, with the list's filters.

use actix_web::{HttpRequest, HttpResponse, get, web};
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text,
};

use super::api::DocumentFilter;
use super::details::{self, Details};
use super::model::{self, DocumentRow};
use crate::auth::MaybeUser;
use crate::config::PublicUrl;
use crate::db::{Db, utc};
use crate::error::ApiError;
use crate::http::LenientQuery;
use crate::http::conditional::computed_since;
use crate::openapi::responses::*;

/// How many entries the feed carries.
const ENTRIES: i64 = 50;

fn timestamp(at: chrono::NaiveDateTime) -> FixedDateTime {
    utc(at).fixed_offset()
}

fn link(href: String, rel: &str, mime_type: &str) -> Link {
    Link {
        href,
        rel: rel.to_owned(),
        mime_type: Some(mime_type.to_owned()),
        ..Link::default()
    }
}

/// The feed document for `rows` (already newest first), with links under `base`. Every text
/// goes through the writer's escaping; the characters XML cannot carry at all never get
/// this far (the text rules refuse them at the door).
pub fn render(base: &str, rows: &[DocumentRow], details: &Details) -> Result<String, ApiError> {
    let updated = rows
        .iter()
        .map(|r| r.updated_at)
        .max()
        .map_or_else(|| chrono::DateTime::UNIX_EPOCH.fixed_offset(), timestamp);
    let feed = Feed {
        id: "tag:engagiert-in-nrw,2024:documents".into(),
        title: Text::plain("Kommunen-Netzwerk: engagiert in NRW – Dokumente"),
        subtitle: Some(Text::plain(
            "Handlungsempfehlungen, Dokumentationen, Publikationen, Praxisbeispiele und Methoden",
        )),
        updated,
        lang: Some("de".into()),
        links: vec![link(
            format!("{base}/api/v1/feeds/documents.atom"),
            "self",
            "application/atom+xml",
        )],
        authors: vec![Person {
            name: "Kommunen-Netzwerk: engagiert in NRW".into(),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: "engagiert".into(),
            ..Generator::default()
        }),
        entries: rows.iter().map(|row| entry(base, row, details)).collect(),
        ..Feed::default()
    };
    let mut xml = feed
        .write_to(Vec::new())
        .map_err(|e| ApiError::internal(format!("the Atom feed could not be written: {e}")))?;
    xml.push(b'\n');
    String::from_utf8(xml).map_err(ApiError::internal)
}

fn entry(base: &str, row: &DocumentRow, details: &Details) -> Entry {
    let document = details.show(row.clone());
    // The page a reader opens first (the embeds' document page), then the data.
    let mut links = vec![
        link(
            format!("{base}/embed/v1/documents/{}.html?standalone=true", row.id),
            "alternate",
            "text/html",
        ),
        link(
            format!("{base}/api/v1/documents/{}", row.id),
            "alternate",
            "application/json",
        ),
    ];
    // Feed readers and podcatchers offer enclosures for download.
    links.extend(document.attachments.iter().map(|attachment| Link {
        title: Some(attachment.filename.clone()),
        length: Some(attachment.size_bytes.to_string()),
        ..link(
            format!("{base}{}", attachment.url),
            "enclosure",
            &attachment.media_type,
        )
    }));
    let kind = Category {
        term: row.kind.to_string(),
        label: Some("kind".into()),
        ..Category::default()
    };
    let topics = document.topics.iter().map(|topic| Category {
        term: topic.clone(),
        ..Category::default()
    });
    Entry {
        id: format!("urn:uuid:{}", row.id),
        title: Text::plain(row.title.clone()),
        updated: timestamp(row.updated_at),
        published: row.published_at.map(timestamp),
        links,
        categories: std::iter::once(kind).chain(topics).collect(),
        // The Markdown as rendered for web pages (`markdown`), escaped once more by the
        // feed's XML, as `type="html"` asks.
        summary: row
            .summary
            .as_deref()
            .map(|s| Text::html(crate::markdown::to_html(s))),
        content: row.body.as_deref().map(|body| Content {
            value: Some(crate::markdown::to_html(body)),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// Published documents as an Atom feed.
///
/// The 50 newest published documents (by `published_at`), with the list's filters; `status`
/// is always `published` here.
#[utoipa::path(
    tag = "documents",
    params(DocumentFilter),
    responses(
        (status = 200, description = "An Atom 1.0 feed.", content_type = "application/atom+xml", body = String, headers(("ETag" = String), ("Last-Modified" = String))),
        NotModified, BadRequest, Unauthorized, Unavailable
    )
)]
#[get("/feeds/documents.atom")]
pub async fn documents_feed(
    req: HttpRequest,
    db: web::Data<Db>,
    _user: MaybeUser,
    public_url: web::Data<PublicUrl>,
    filter: LenientQuery<DocumentFilter>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.0;
    let (rows, details, last_change) = db
        .run(move |conn| {
            // The date first: a change committed in between then makes the date older than
            // the body (one refetch too many), never newer (a stale body kept by 304).
            let last_change = model::last_change(conn)?;
            let rows = model::published(conn, &filter, ENTRIES)?;
            let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, details::load_details(conn, &ids)?, last_change))
        })
        .await?;
    let body = render(public_url.as_str(), &rows, &details)?;
    Ok(computed_since(
        &req,
        "application/atom+xml; charset=utf-8",
        last_change,
        body.into_bytes(),
    ))
}
