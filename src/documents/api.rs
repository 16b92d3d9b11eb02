//! Request and response types of `/api/v1/documents` and the rules a document obeys.

use crate::http::Many;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{Checks, Code};
use crate::types::HttpUrl;

crate::text_enum! {
    /// `recommendation` (Handlungsempfehlung), `documentation` (Dokumentation),
    /// `publication` (Netzwerkpublikation), `practice_example` (Praxisbeispiel), `method`
    /// (Methode), `working_aid` (Arbeitshilfe).
    pub enum DocumentKind {
        Recommendation = "recommendation",
        Documentation = "documentation",
        Publication = "publication",
        PracticeExample = "practice_example",
        Method = "method",
        WorkingAid = "working_aid",
    }
}

impl DocumentKind {
    /// The German name, as readers (and OParl's `paperType`) see it.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Recommendation => "Handlungsempfehlung",
            DocumentKind::Documentation => "Dokumentation",
            DocumentKind::Publication => "Netzwerkpublikation",
            DocumentKind::PracticeExample => "Praxisbeispiel",
            DocumentKind::Method => "Methode",
            DocumentKind::WorkingAid => "Arbeitshilfe",
        }
    }
}

crate::text_enum! {
    /// `draft` (visible to admins and the author municipalities' editors only),
    /// `published`, `archived`. Changed by `POST .../publish` and `POST .../archive`.
    pub enum DocumentStatus {
        Draft = "draft",
        Published = "published",
        Archived = "archived",
    }
}

/// A link to a web page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    #[schema(example = "Ehrenamtskarte NRW", min_length = 1, max_length = 300)]
    pub title: String,
    pub url: HttpUrl,
}

/// The writable fields of a document: the body of `POST` and `PUT`, and what `PATCH` merges
/// into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "method",
    "title": "Ehrenamtsagentur als Anlaufstelle",
    "summary": "Wie eine Ehrenamtsagentur Freiwillige und Vereine zusammenbringt.",
    "body": "## Ausgangslage\n\nDie Stadt ...",
    "topics": ["ehrenamtsagentur"],
    "language": "de",
    "links": [{"title": "Ehrenamtskarte NRW", "url": "https://www.ehrensache.nrw.de"}]
}))]
pub struct DocumentInput {
    pub kind: DocumentKind,
    #[schema(
        example = "Ehrenamtsagentur als Anlaufstelle",
        min_length = 1,
        max_length = 300
    )]
    pub title: String,
    /// A short abstract (plain text).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub summary: Option<String>,
    /// The text in Markdown.
    #[serde(default)]
    #[schema(max_length = 200000)]
    pub body: Option<String>,
    #[serde(default)]
    #[schema(example = json!(["ehrenamtsagentur", "anerkennungskultur"]))]
    pub topics: Vec<String>,
    /// ISO 639-1 language code.
    #[serde(default = "german")]
    #[schema(example = "de", pattern = "^[a-z]{2}$", default = "de")]
    pub language: String,
    /// The author or origin municipalities: each its UUID, AGS or slug (answers carry the
    /// UUIDs).
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["unna", "05774032"]))]
    pub municipality_ids: Vec<Uuid>,
    /// The network meeting the document came from.
    #[serde(default)]
    pub meeting_id: Option<Uuid>,
    #[serde(default)]
    pub links: Vec<Link>,
}

fn german() -> String {
    "de".into()
}

impl DocumentInput {
    pub fn check(&self) -> Checks {
        let mut checks = Checks::new();
        checks.text("title", &self.title, 300);
        checks.optional_text("summary", self.summary.as_deref(), 2000);
        if let Some(body) = &self.body {
            checks.require(
                body.chars().count() <= 200_000,
                "body",
                Code::TooLong,
                "must be at most 200000 characters long",
            );
        }
        checks.require(
            self.language.len() == 2 && self.language.bytes().all(|b| b.is_ascii_lowercase()),
            "language",
            Code::InvalidFormat,
            "must be a two-letter ISO 639-1 code such as de or en",
        );
        checks.topics(&self.topics);
        checks.require(
            self.municipality_ids.len() <= 100,
            "municipality_ids",
            Code::TooLong,
            "must hold at most 100 ids",
        );
        for (i, id) in self.municipality_ids.iter().enumerate() {
            if self.municipality_ids[..i].contains(id) {
                checks.add(
                    format!("municipality_ids[{i}]"),
                    Code::Duplicate,
                    "is given twice",
                );
            }
        }
        checks.require(
            self.links.len() <= 50,
            "links",
            Code::TooLong,
            "must hold at most 50 links",
        );
        for (i, link) in self.links.iter().enumerate() {
            checks.text(&format!("links[{i}].title"), &link.title, 300);
        }
        checks
    }
}

/// A file attached to a document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d70")]
    pub id: String,
    #[schema(example = "leitfaden.pdf")]
    pub filename: String,
    /// Determined from the content, not from the client.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    #[schema(example = 48213)]
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Where the file is served.
    #[schema(example = "/api/v1/attachments/01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d70")]
    pub url: String,
    /// Marked as the document's main file at upload (`?main=true`); when no attachment is
    /// marked, the first one is the main file (OParl's `mainFile`).
    pub main: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A best-practice document of the network.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d71")]
    pub id: String,
    pub kind: DocumentKind,
    #[schema(example = "Ehrenamtsagentur als Anlaufstelle")]
    pub title: String,
    /// Markdown.
    pub summary: Option<String>,
    /// `summary` rendered as safe HTML, ready to include in a web page (read-only;
    /// CommonMark with tables; raw HTML is shown as text, an image as its description, links
    /// only to http(s) and mailto targets, with `rel="noopener nofollow"`).
    pub summary_html: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    /// `body` rendered as safe HTML, ready to include in a web page (read-only;
    /// CommonMark with tables; raw HTML is shown as text, an image as its description, links
    /// only to http(s) and mailto targets, with `rel="noopener nofollow"`).
    pub body_html: Option<String>,
    pub topics: Vec<String>,
    #[schema(example = "de")]
    pub language: String,
    pub municipality_ids: Vec<String>,
    pub meeting_id: Option<String>,
    pub status: DocumentStatus,
    /// Set when first published.
    pub published_at: Option<DateTime<Utc>>,
    pub links: Vec<Link>,
    pub attachments: Vec<Attachment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(example = 1)]
    pub version: i32,
}

crate::sort_fields!(DocumentOrder over DocumentSort {
    PublishedAt = "published_at",
    Title = "title",
    UpdatedAt = "updated_at",
});

/// Filters of the document list and the Atom feed.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<DocumentKind>>, style = Form, explode = true)]
    pub kind: Option<Many<DocumentKind>>,
    #[param(example = "ehrenamtskarte")]
    pub topic: Option<String>,
    /// Only documents naming this municipality as author or origin: its UUID, AGS or slug.
    #[param(value_type = Option<String>, example = "unna")]
    pub municipality_id: Option<crate::municipalities::references::MunicipalityRef>,
    /// Only documents from this meeting.
    pub meeting_id: Option<Uuid>,
    /// Drafts only show to those who may see them.
    /// One or more values, repeated or comma-separated (any matches).
    #[param(value_type = Option<Vec<DocumentStatus>>, style = Form, explode = true)]
    pub status: Option<Many<DocumentStatus>>,
    /// Only documents published on or after this date or timestamp.
    #[serde(default, deserialize_with = "date_or_timestamp")]
    #[param(value_type = Option<String>, example = "2024-01-01")]
    pub published_since: Option<NaiveDateTime>,
    /// Search over title, summary, body and topics: every word must occur (case-insensitive,
    /// umlauts folded: `buergerschaft` finds `Bürgerschaft`); best matches first unless `sort`
    /// is given.
    #[param(example = "ehrenamtskarte")]
    pub q: Option<String>,
    /// Sort order (default: best match with `q`, else `-published_at`).
    #[param(inline)]
    pub sort: Option<DocumentOrder>,
}

fn date_or_timestamp<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    let text = String::deserialize(d)?;
    crate::http::time::parse_date_or_timestamp(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}
