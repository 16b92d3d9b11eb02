//! The handlers of `/oparl/v1/...`: the System, the lists (filters, pages and the links
//! that keep them) and each object's own URL. Public, the same for every caller, cached and
//! conditional like the JSON reads; unknown query parameters are ignored, as by feeds.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime, Timelike};
use serde::Deserialize;
use url::form_urlencoded;
use utoipa::{IntoParams, ToSchema};

use super::api::{Kind, Links, ListPage, Pagination, timestamp};
use super::service::{self, Entry, Site};
use crate::db::Db;
use crate::error::ApiError;
use crate::http::LenientQuery;
use crate::http::conditional::computed;
use crate::openapi::responses::*;

const JSON: &str = "application/json; charset=utf-8";
/// Objects per page unless `limit` says otherwise, and the most a page holds.
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;

/// The lists of the interface (the path segment after `/oparl/v1/`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "kebab-case")]
enum OParlList {
    Bodies,
    Organizations,
    Persons,
    Memberships,
    Meetings,
    AgendaItems,
    Papers,
    Files,
    Locations,
    LegislativeTerms,
}

/// The filters and the page of a list (OParl 1.1, "Filter"); each is kept in the `links`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Objects per page, 1 to 1000 (default 100; beyond that range, the nearest).
    #[param(example = 20)]
    limit: Option<u64>,
    /// The page, from 1.
    #[param(example = 1)]
    page: Option<u64>,
    /// Only objects created at or after this time (RFC 3339, e.g. `2025-01-01T00:00:00+01:00`).
    #[param(value_type = Option<String>, format = DateTime)]
    created_since: Option<String>,
    /// Only objects created at or before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    created_until: Option<String>,
    /// Only objects changed at or after this time; deleted and unpublished objects then
    /// appear as `{id, type, created, modified, deleted: true}`.
    #[param(value_type = Option<String>, format = DateTime)]
    modified_since: Option<String>,
    /// Only objects changed at or before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    modified_until: Option<String>,
    /// Leave out the objects embedded in others (a meeting's agenda and location, a
    /// paper's files, a person's memberships, an organization's location).
    omit_internal: Option<bool>,
}

/// A time filter: RFC 3339 (a `+` that a client forgot to encode arrives as a space and is
/// read as `+`), compared in whole seconds as objects show their times.
fn time(name: &str, value: &Option<String>) -> Result<Option<NaiveDateTime>, ApiError> {
    let Some(text) = value else { return Ok(None) };
    DateTime::parse_from_rfc3339(&text.trim().replace(' ', "+"))
        .map(|at| Some(seconds(at.naive_utc())))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{name}` must be a date and time with offset (RFC 3339), e.g. 2025-01-01T00:00:00+01:00"
            ))
        })
}

fn seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

/// The checked filters of a list.
struct Filters {
    created_since: Option<NaiveDateTime>,
    created_until: Option<NaiveDateTime>,
    modified_since: Option<NaiveDateTime>,
    modified_until: Option<NaiveDateTime>,
    omit_internal: bool,
    limit: u64,
    page: u64,
}

impl Filters {
    fn of(query: &ListQuery) -> Result<Self, ApiError> {
        Ok(Filters {
            created_since: time("created_since", &query.created_since)?,
            created_until: time("created_until", &query.created_until)?,
            modified_since: time("modified_since", &query.modified_since)?,
            modified_until: time("modified_until", &query.modified_until)?,
            omit_internal: query.omit_internal.unwrap_or(false),
            limit: query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
            page: query.page.unwrap_or(1).max(1),
        })
    }

    fn admits(&self, entry: &Entry) -> bool {
        let (created, modified) = (seconds(entry.created), seconds(entry.modified));
        // Without `modified_since` a client keeps no copy that a marker would correct.
        (!entry.deleted || self.modified_since.is_some())
            && self.created_since.is_none_or(|at| created >= at)
            && self.created_until.is_none_or(|at| created <= at)
            && self.modified_since.is_none_or(|at| modified >= at)
            && self.modified_until.is_none_or(|at| modified <= at)
    }

    /// The list's URL with these filters and `page`.
    fn link(&self, list: &str, page: u64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("created_since", self.created_since),
            ("created_until", self.created_until),
            ("modified_since", self.modified_since),
            ("modified_until", self.modified_until),
        ] {
            if let Some(at) = value {
                query.append_pair(name, &timestamp(at));
            }
        }
        if self.omit_internal {
            query.append_pair("omit_internal", "true");
        }
        query.append_pair("limit", &self.limit.to_string());
        query.append_pair("page", &page.to_string());
        format!("{list}?{}", query.finish())
    }
}

fn respond(req: &HttpRequest, value: &impl serde::Serialize) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Ok(computed(req, JSON, None, body))
}

fn kind_of(list: &str) -> Result<Kind, ApiError> {
    Kind::from_segment(list).ok_or_else(|| ApiError::not_found(format!("no OParl list `{list}`")))
}

/// The OParl System: the entry point of the OParl 1.1 interface.
///
/// `/oparl/v1/system` names the one Body (the network) and its lists. Every object's `id`
/// is its URL under `ENGAGIERT_PUBLIC_URL`. See the README's "OParl" section for the mapping.
#[utoipa::path(
    tag = "oparl",
    responses(
        (status = 200, description = "The OParl System (schema.oparl.org/1.1/System).", content_type = "application/json", body = Object),
        NotModified, Unavailable
    )
)]
#[get("/oparl/v1/system")]
pub async fn oparl_system(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
) -> Result<HttpResponse, ApiError> {
    let site = site.get_ref().clone();
    let system = db.run(move |conn| service::system(conn, &site)).await?;
    respond(&req, &system)
}

/// An OParl list, one page.
///
/// `{data, pagination: {totalElements, elementsPerPage, currentPage, totalPages}, links:
/// {first, prev, next, last, self}}`, ordered by creation (then id). With `modified_since`,
/// deleted and unpublished objects appear as deletion markers; without it they are left
/// out. `legislative-terms` is always empty.
#[utoipa::path(
    tag = "oparl",
    params(("list" = inline(OParlList), Path, description = "The list."), ListQuery),
    responses(
        (status = 200, description = "A page of the list.", content_type = "application/json", body = Object),
        NotModified, BadRequest, NotFound, Unavailable
    )
)]
#[get("/oparl/v1/{list}")]
pub async fn oparl_list(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    list: web::Path<String>,
    query: LenientQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind_of(&list)?;
    let filters = Filters::of(&query.0)?;
    let site = site.get_ref().clone();
    let list_url = site.list(kind);
    let entries = db
        .run(move |conn| service::entries(conn, &site, kind))
        .await?;
    let selected: Vec<Entry> = entries.into_iter().filter(|e| filters.admits(e)).collect();
    let total = selected.len() as u64;
    let pages = total.div_ceil(filters.limit).max(1);
    let skip =
        usize::try_from((filters.page - 1).saturating_mul(filters.limit)).unwrap_or(usize::MAX);
    let data = selected
        .into_iter()
        .skip(skip)
        .take(filters.limit as usize)
        .map(|entry| shown(kind, entry, filters.omit_internal))
        .collect();
    let page = ListPage {
        data,
        pagination: Pagination {
            total_elements: total,
            elements_per_page: filters.limit,
            current_page: filters.page,
            total_pages: pages,
        },
        links: Links {
            first: filters.link(&list_url, 1),
            prev: (filters.page > 1)
                .then(|| filters.link(&list_url, (filters.page - 1).min(pages))),
            next: (filters.page < pages).then(|| filters.link(&list_url, filters.page + 1)),
            last: filters.link(&list_url, pages),
            this: filters.link(&list_url, filters.page),
        },
    };
    respond(&req, &page)
}

/// An entry as a list shows it: without its embedded objects when `omit_internal` asks.
fn shown(kind: Kind, entry: Entry, omit_internal: bool) -> serde_json::Value {
    let mut object = entry.object;
    if omit_internal && let Some(fields) = object.as_object_mut() {
        for name in service::embedded(kind) {
            fields.remove(*name);
        }
    }
    object
}

/// One OParl object at its own URL (its `id`).
///
/// A deleted or unpublished object answers its deletion marker `{id, type, created,
/// modified, deleted: true}`.
#[utoipa::path(
    tag = "oparl",
    params(("list" = inline(OParlList), Path, description = "The object's list."), ("id" = String, Path, description = "The object's key (the last segment of its `id`).")),
    responses(
        (status = 200, description = "The object, or its deletion marker.", content_type = "application/json", body = Object),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/oparl/v1/{list}/{id}")]
pub async fn oparl_object(
    req: HttpRequest,
    db: web::Data<Db>,
    site: web::Data<Site>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (list, key) = path.into_inner();
    let kind = kind_of(&list)?;
    let site = site.get_ref().clone();
    let wanted = site.object(kind, &key);
    let entries = db
        .run(move |conn| service::entries(conn, &site, kind))
        .await?;
    let entry = entries
        .into_iter()
        .find(|entry| entry.id == wanted)
        .ok_or_else(|| ApiError::not_found(format!("no such OParl object: {wanted}")))?;
    respond(&req, &entry.object)
}

pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(oparl_system)
        .service(oparl_list)
        .service(oparl_object);
}
