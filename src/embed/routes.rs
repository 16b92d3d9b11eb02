//! The handlers of `/embed/v1/...`: each reads through `service`, renders through `views`
//! (or `chart`) and answers a fragment, or with `standalone=true` a whole page for an iframe
//! (`page`). Public, cached and conditional like the JSON reads; unknown query parameters
//! are ignored (a CMS adds its own), known ones are checked.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDateTime;
use maud::Markup;
use serde::Deserialize;
use utoipa::IntoParams;

use super::page::{self, Layout};
use super::{Site, chart, service, views};
use crate::db::Db;
use crate::documents::api::{DocumentFilter, DocumentKind};
use crate::error::ApiError;
use crate::http::conditional::computed;
use crate::http::{LenientQuery, Many, path_id};
use crate::ids::{DocumentId, MeetingId};
use crate::meetings::api::{MeetingFilter, MeetingKind};
use crate::municipalities::api::MunicipalityFilter;
use crate::municipalities::values::{Kind, MembershipStatus, Region};
use crate::openapi::responses::*;

const HTML: &str = "text/html; charset=utf-8";

/// Widgets show at most this many items unless `limit` says fewer.
const DEFAULT_LIMIT: i64 = 10;
const MAX_LIMIT: i64 = 50;

fn limit(asked: Option<i64>) -> Result<i64, ApiError> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(format!(
            "`limit` must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// The answer: the fragment, or the whole page around it for an iframe.
fn respond(
    req: &HttpRequest,
    site: &Site,
    layout: &Layout,
    title: &str,
    fragment: Markup,
) -> Result<HttpResponse, ApiError> {
    if !layout.standalone {
        return Ok(computed(
            req,
            HTML,
            None,
            fragment.into_string().into_bytes(),
        ));
    }
    let document = page::standalone(site, title, fragment);
    let mut response = computed(req, HTML, None, document.into_string().into_bytes());
    let policy = header::HeaderValue::from_str(&site.frame_policy()).map_err(ApiError::internal)?;
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, policy);
    Ok(response)
}

/// Query of the member list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// One or more regions, repeated or comma-separated.
    #[param(value_type = Option<Vec<Region>>, style = Form, explode = true)]
    region: Option<Many<Region>>,
    /// One or more kinds, repeated or comma-separated.
    #[param(value_type = Option<Vec<Kind>>, style = Form, explode = true)]
    kind: Option<Many<Kind>>,
    /// Only the towns and municipalities of this district: its UUID, AGS or slug.
    #[param(value_type = Option<String>, example = "05978")]
    district_id: Option<crate::municipalities::references::MunicipalityRef>,
    /// Membership status (default `member`).
    #[param(value_type = Option<Vec<MembershipStatus>>, style = Form, explode = true)]
    status: Option<Many<MembershipStatus>>,
    /// The level of the widget's heading, 2 to 6 (default 2).
    #[param(minimum = 2, maximum = 6)]
    heading: Option<u8>,
    /// A whole HTML page with the stylesheet, for an iframe.
    standalone: Option<bool>,
}

/// The member list as HTML.
///
/// Current members by default (sorted by name), with the list's filters. A fragment to
/// include server-side; `standalone=true` for an iframe.
#[utoipa::path(tag = "embeds", params(MembersQuery),
    responses((status = 200, description = "An HTML fragment (`section.eng-members`).", content_type = "text/html", body = String),
        NotModified, BadRequest, Unavailable))]
#[get("/embed/v1/members.html")]
pub async fn embed_members(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    query: LenientQuery<MembersQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let layout = Layout::of(query.heading, query.standalone)?;
    let filter = MunicipalityFilter {
        region: query.region,
        kind: query.kind,
        district_id: query.district_id,
        status: query.status.or(Some(Many::one(MembershipStatus::Member))),
        ..MunicipalityFilter::default()
    };
    let members = db.run(move |conn| service::members(conn, &filter)).await?;
    let fragment = views::members(&layout.page(&site), &members);
    respond(&req, &site, &layout, "Mitglieder im Netzwerk", fragment)
}

/// Query of a widget that has no filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LayoutQuery {
    /// The level of the widget's heading, 2 to 6 (default 2).
    #[param(minimum = 2, maximum = 6)]
    heading: Option<u8>,
    /// A whole HTML page with the stylesheet, for an iframe.
    standalone: Option<bool>,
}

/// A municipality's card as HTML.
///
/// Name, kind, region, member since, website, engagement office and the contacts that agreed
/// to be published. 404 for an unknown key, 410 for a deleted municipality: a CMS keeps
/// showing its last copy on 404 only while it investigates, and removes the card on 410.
#[utoipa::path(tag = "embeds",
    params(("key" = String, Path, description = "UUID, AGS or slug."), LayoutQuery),
    responses((status = 200, description = "An HTML fragment (`article.eng-card`).", content_type = "text/html", body = String),
        NotModified, BadRequest, NotFound, Gone, Unavailable))]
#[get("/embed/v1/municipalities/{key}.html")]
pub async fn embed_municipality(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    key: web::Path<String>,
    query: LenientQuery<LayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let layout = Layout::of(query.0.heading, query.0.standalone)?;
    let key = key.into_inner();
    let municipality = db
        .run(move |conn| service::municipality(conn, &key))
        .await?;
    let fragment = views::card(&layout.page(&site), &municipality);
    respond(&req, &site, &layout, &municipality.name, fragment)
}

/// Query of the meetings widget.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeetingsQuery {
    /// Meetings starting at or after this date or RFC 3339 time (default: now).
    #[serde(default, deserialize_with = "crate::meetings::api::lower_bound")]
    #[param(value_type = Option<String>, example = "2026-01-01")]
    from: Option<NaiveDateTime>,
    /// Meetings starting at or before this date or time.
    #[serde(default, deserialize_with = "crate::meetings::api::upper_bound")]
    #[param(value_type = Option<String>, example = "2026-12-31")]
    to: Option<NaiveDateTime>,
    /// One or more kinds, repeated or comma-separated.
    #[param(value_type = Option<Vec<MeetingKind>>, style = Form, explode = true)]
    kind: Option<Many<MeetingKind>>,
    /// How many, 1 to 50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<i64>,
    /// The level of the widget's heading, 2 to 6 (default 2).
    #[param(minimum = 2, maximum = 6)]
    heading: Option<u8>,
    /// A whole HTML page with the stylesheet, for an iframe.
    standalone: Option<bool>,
}

/// The network's meetings as HTML.
///
/// Upcoming meetings by default, the earliest first; cancelled ones stay, marked "Abgesagt".
#[utoipa::path(tag = "embeds", params(MeetingsQuery),
    responses((status = 200, description = "An HTML fragment (`section.eng-meetings`).", content_type = "text/html", body = String),
        NotModified, BadRequest, Unavailable))]
#[get("/embed/v1/meetings.html")]
pub async fn embed_meetings(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    query: LenientQuery<MeetingsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let layout = Layout::of(query.heading, query.standalone)?;
    let limit = limit(query.limit)?;
    let filter = MeetingFilter {
        from: query.from.or_else(|| Some(crate::db::now())),
        to: query.to,
        kind: query.kind,
        ..MeetingFilter::default()
    };
    let meetings = db
        .run(move |conn| service::meetings(conn, &filter, limit))
        .await?;
    let fragment = views::meetings(&layout.page(&site), &meetings);
    respond(&req, &site, &layout, "Termine des Netzwerks", fragment)
}

/// Query of the documents widget.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentsQuery {
    /// One or more kinds, repeated or comma-separated.
    #[param(value_type = Option<Vec<DocumentKind>>, style = Form, explode = true)]
    kind: Option<Many<DocumentKind>>,
    /// Only documents with this topic tag.
    #[param(example = "ehrenamtskarte")]
    topic: Option<String>,
    /// How many, 1 to 50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<i64>,
    /// The level of the widget's heading, 2 to 6 (default 2).
    #[param(minimum = 2, maximum = 6)]
    heading: Option<u8>,
    /// A whole HTML page with the stylesheet, for an iframe.
    standalone: Option<bool>,
}

/// The newest published documents as HTML.
#[utoipa::path(tag = "embeds", params(DocumentsQuery),
    responses((status = 200, description = "An HTML fragment (`section.eng-documents`).", content_type = "text/html", body = String),
        NotModified, BadRequest, Unavailable))]
#[get("/embed/v1/documents.html")]
pub async fn embed_documents(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    query: LenientQuery<DocumentsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let layout = Layout::of(query.heading, query.standalone)?;
    let limit = limit(query.limit)?;
    let filter = DocumentFilter {
        kind: query.kind,
        topic: query.topic,
        ..DocumentFilter::default()
    };
    let documents = db
        .run(move |conn| service::documents(conn, &filter, limit))
        .await?;
    let fragment = views::documents(&layout.page(&site), &documents);
    respond(
        &req,
        &site,
        &layout,
        "Praxisbeispiele und Empfehlungen",
        fragment,
    )
}

/// A document's page as HTML (the Atom feed's human-readable link).
#[utoipa::path(tag = "embeds",
    params(("id" = String, Path, description = "The document's id."), LayoutQuery),
    responses((status = 200, description = "An HTML fragment (`article.eng-document`).", content_type = "text/html", body = String),
        NotModified, BadRequest, NotFound, Gone, Unavailable))]
#[get("/embed/v1/documents/{id}.html")]
pub async fn embed_document(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    id: web::Path<String>,
    query: LenientQuery<LayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let layout = Layout::of(query.0.heading, query.0.standalone)?;
    let id = path_id::<DocumentId>(&id, "document")?;
    let document = db.run(move |conn| service::document(conn, &id)).await?;
    let fragment = views::document(&layout.page(&site), &document);
    respond(&req, &site, &layout, &document.title, fragment)
}

/// A meeting's page as HTML (the calendar's human-readable link).
#[utoipa::path(tag = "embeds",
    params(("id" = String, Path, description = "The meeting's id."), LayoutQuery),
    responses((status = 200, description = "An HTML fragment (`article.eng-meeting`).", content_type = "text/html", body = String),
        NotModified, BadRequest, NotFound, Gone, Unavailable))]
#[get("/embed/v1/meetings/{id}.html")]
pub async fn embed_meeting(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    id: web::Path<String>,
    query: LenientQuery<LayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let layout = Layout::of(query.0.heading, query.0.standalone)?;
    let id = path_id::<MeetingId>(&id, "meeting")?;
    let meeting = db.run(move |conn| service::meeting(conn, &id)).await?;
    let fragment = views::meeting(&layout.page(&site), &meeting);
    respond(&req, &site, &layout, &meeting.title, fragment)
}

/// Members over time as an SVG chart.
///
/// `role="img"`, with a `<title>` and a `<desc>` that carry the figures of
/// `/api/v1/stats/membership` in words. Fetch it server-side and inline it like the fragments.
#[utoipa::path(tag = "embeds",
    responses((status = 200, description = "An SVG image.", content_type = "image/svg+xml", body = String),
        NotModified, Unavailable))]
#[get("/embed/v1/membership.svg")]
pub async fn embed_membership_chart(
    req: HttpRequest,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let stats = db
        .run(|conn| service::membership(conn, crate::db::now()))
        .await?;
    let svg = chart::chart(&stats).into_string();
    Ok(computed(
        &req,
        "image/svg+xml; charset=utf-8",
        None,
        svg.into_bytes(),
    ))
}

/// The embeds' stylesheet.
///
/// Colours and fonts are CSS custom properties (`--eng-*`); copy it onto your site.
#[utoipa::path(tag = "embeds",
    responses((status = 200, description = "CSS.", content_type = "text/css", body = String), NotModified))]
#[get("/embed/v1/engagiert.css")]
pub async fn embed_stylesheet(req: HttpRequest) -> HttpResponse {
    computed(
        &req,
        "text/css; charset=utf-8",
        None,
        page::STYLESHEET.as_bytes().to_vec(),
    )
}

/// The showcase for municipal web teams.
///
/// Every widget live, its parameters, and snippets to copy (a server-side fetch with `curl`
/// in a cron job, PHP, an iframe), with the markup's stability promise.
#[utoipa::path(tag = "embeds",
    responses((status = 200, description = "An HTML page.", content_type = "text/html", body = String), NotModified, Unavailable))]
#[get("/embed/")]
pub async fn embed_showcase(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
) -> Result<HttpResponse, ApiError> {
    let (members, meetings, documents, stats) = db
        .run(|conn| {
            let filter = MunicipalityFilter {
                status: Some(Many::one(MembershipStatus::Member)),
                ..MunicipalityFilter::default()
            };
            let upcoming = MeetingFilter {
                from: Some(crate::db::now()),
                ..MeetingFilter::default()
            };
            Ok((
                service::members(conn, &filter)?,
                service::meetings(conn, &upcoming, 3)?,
                service::documents(conn, &DocumentFilter::default(), 3)?,
                service::membership(conn, crate::db::now())?,
            ))
        })
        .await?;
    let html = page::showcase(&site, &members, &meetings, &documents, &stats).into_string();
    let mut response = computed(&req, HTML, None, html.into_bytes());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(page::SHOWCASE_POLICY),
    );
    Ok(response)
}

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(embed_showcase)
        .service(embed_members)
        .service(embed_municipality)
        .service(embed_meetings)
        .service(embed_documents)
        .service(embed_document)
        .service(embed_meeting)
        .service(embed_membership_chart)
        .service(embed_stylesheet);
}
