//! `GET /api/v1/feeds/documents.atom`: published documents as an Atom feed (RFC 4287),
//! newest first, with the list's filters.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::api::DocumentFilter;
use super::model::{self, DocumentRow};
use crate::auth::MaybeUser;
use crate::config::PublicUrl;
use crate::db::{Db, utc};
use crate::error::ApiError;
use crate::http::LenientQuery;
use crate::http::conditional::computed;
use crate::openapi::responses::*;

/// How many entries the feed carries.
const ENTRIES: i64 = 50;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn timestamp(at: chrono::NaiveDateTime) -> String {
    utc(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The feed document for `rows` (already newest first), with links under `base`.
pub fn render(base: &str, rows: &[DocumentRow], details: &model::Details) -> String {
    let updated = rows
        .iter()
        .map(|r| r.updated_at)
        .max()
        .map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), timestamp);
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"de\">\n");
    xml.push_str("  <id>tag:engagiert-in-nrw,2024:documents</id>\n");
    xml.push_str("  <title>Kommunen-Netzwerk: engagiert in NRW – Dokumente</title>\n");
    xml.push_str("  <subtitle>Handlungsempfehlungen, Dokumentationen, Publikationen, Praxisbeispiele und Methoden</subtitle>\n");
    xml.push_str(&format!("  <updated>{updated}</updated>\n"));
    xml.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&format!("{base}/api/v1/feeds/documents.atom"))
    ));
    xml.push_str("  <author><name>Kommunen-Netzwerk: engagiert in NRW</name></author>\n");
    xml.push_str("  <generator>engagiert</generator>\n");
    for row in rows {
        let href = format!("{base}/api/v1/documents/{}", row.id);
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <id>urn:uuid:{}</id>\n", row.id));
        xml.push_str(&format!("    <title>{}</title>\n", escape(&row.title)));
        xml.push_str(&format!(
            "    <updated>{}</updated>\n",
            timestamp(row.updated_at)
        ));
        if let Some(published) = row.published_at {
            xml.push_str(&format!(
                "    <published>{}</published>\n",
                timestamp(published)
            ));
        }
        xml.push_str(&format!(
            "    <link rel=\"alternate\" type=\"application/json\" href=\"{}\"/>\n",
            escape(&href)
        ));
        xml.push_str(&format!(
            "    <category term=\"{}\" label=\"kind\"/>\n",
            row.kind
        ));
        for topic in details.show(row.clone()).topics {
            xml.push_str(&format!("    <category term=\"{}\"/>\n", escape(&topic)));
        }
        if let Some(summary) = &row.summary {
            xml.push_str(&format!("    <summary>{}</summary>\n", escape(summary)));
        }
        if let Some(body) = &row.body {
            xml.push_str(&format!(
                "    <content type=\"text\">{}</content>\n",
                escape(body)
            ));
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// Published documents as an Atom feed.
///
/// The 50 newest published documents (by `published_at`), with the list's filters; `status`
/// is always `published` here.
#[utoipa::path(
    tag = "documents",
    params(DocumentFilter),
    responses(
        (status = 200, description = "An Atom 1.0 feed.", content_type = "application/atom+xml", body = String, headers(("ETag" = String))),
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
    let (rows, details) = db
        .run(move |conn| {
            let rows = model::published(conn, &filter, ENTRIES)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, model::load_details(conn, &ids)?))
        })
        .await?;
    let body = render(public_url.as_str(), &rows, &details);
    Ok(computed(
        &req,
        "application/atom+xml; charset=utf-8",
        None,
        body.into_bytes(),
    ))
}
