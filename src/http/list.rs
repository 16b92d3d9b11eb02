//! The list envelope of every collection: `{items, total, limit, offset}`, `Link` headers,
//! typed sorting, `updated_since` and tombstones for sync, and an `ETag` with 304.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use url::form_urlencoded;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::db::query::{Paging, Sort, SortField};
use crate::db::record::Record;
use crate::db::utc;
use crate::error::{ApiError, Code};
use crate::http::conditional;
use crate::http::time;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The paging and sync parameters every list takes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many items to return, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    pub limit: Option<u32>,
    /// How many items to skip.
    #[param(minimum = 0, default = 0, example = 0)]
    pub offset: Option<u64>,
    /// Only items whose `updated_at` is at or after this RFC 3339 timestamp; with
    /// `include_deleted=true` a sync script sees creations, changes and deletions since its
    /// last run.
    #[serde(default, deserialize_with = "time::timestamp")]
    #[param(value_type = Option<DateTime<Utc>>, example = "2024-01-15T09:30:00Z")]
    pub updated_since: Option<NaiveDateTime>,
    /// Also return deleted items, as tombstones `{id, deleted: true, updated_at}`.
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}

impl ListParams {
    pub const NAMES: &'static [&'static str] =
        &["limit", "offset", "updated_since", "include_deleted"];

    pub fn resolve(self) -> Result<Paging, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_parameter(
                "limit",
                Code::OutOfRange,
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        let offset = i64::try_from(offset)
            .map_err(|_| ApiError::bad_parameter("offset", Code::OutOfRange, "is too large"))?;
        Ok(Paging {
            limit: i64::from(limit),
            offset,
            updated_since: self.updated_since,
            include_deleted: self.include_deleted.unwrap_or(false),
        })
    }
}

/// Paging alone, for lists that are not synced (a record's revisions).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    pub limit: Option<u32>,
    /// How many items to skip.
    #[param(minimum = 0, default = 0, example = 0)]
    pub offset: Option<u64>,
}

impl PageParams {
    pub fn resolve(self) -> Result<Paging, ApiError> {
        ListParams {
            limit: self.limit,
            offset: self.offset,
            updated_since: None,
            include_deleted: None,
        }
        .resolve()
    }
}

impl<'de, F: SortField> Deserialize<'de> for Sort<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text.as_str()),
        };
        let field = name.parse::<F>().map_err(|_| {
            serde::de::Error::custom(format!(
                "cannot sort by `{name}`; use one of {} (prefix `-` for descending)",
                F::names().join(", ")
            ))
        })?;
        Ok(Sort { field, descending })
    }
}

impl<F: SortField> Sort<F> {
    /// The schema of a `sort` parameter over `F`: each field, and each with `-`.
    pub fn schema() -> RefOr<Schema> {
        let values: Vec<String> = F::names()
            .into_iter()
            .flat_map(|name| [name.to_owned(), format!("-{name}")])
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .description(Some("A field to sort by; prefix `-` for descending order."))
            .into()
    }
}

/// Declares the sortable fields of a list: a `text_enum` of the fields, and the `sort`
/// parameter type over them (documented with every allowed value).
#[macro_export]
macro_rules! sort_fields {
    ($order:ident over $fields:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $crate::text_enum! {
            pub enum $fields { $($variant = $text),+ }
        }

        impl $crate::db::query::SortField for $fields {
            fn names() -> Vec<&'static str> {
                <$fields>::ALL.iter().map(|field| field.as_str()).collect()
            }
        }

        /// The `sort` parameter of this list.
        #[derive(Debug, Clone, Copy, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $order(pub $crate::db::query::Sort<$fields>);

        impl utoipa::PartialSchema for $order {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $crate::db::query::Sort::<$fields>::schema()
            }
        }
    };
}

/// A page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match the query in all.
    #[schema(example = 1)]
    pub total: i64,
    #[schema(example = 50)]
    pub limit: i64,
    #[schema(example = 0)]
    pub offset: i64,
}

/// An item of a list: the resource, or, with `include_deleted=true`, the tombstone of a
/// deleted one.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Listed<T> {
    Item(T),
    Deleted(Tombstone),
}

/// What remains of a deleted resource in a sync list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tombstone {
    #[schema(example = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e")]
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
    /// When it was deleted.
    pub updated_at: DateTime<Utc>,
}

impl<T> Listed<T> {
    /// A row as a list shows it: a tombstone when deleted, else `show(row)`.
    pub fn from_row<R: Record>(row: R, show: impl FnOnce(R) -> T) -> Self {
        if row.deleted_at().is_some() {
            Listed::Deleted(Tombstone {
                id: row.id().to_owned(),
                deleted: true,
                updated_at: utc(row.updated_at()),
            })
        } else {
            Listed::Item(show(row))
        }
    }
}

impl<T: Serialize> Page<T> {
    pub fn new(items: Vec<T>, total: i64, paging: &super::list::Paging) -> Self {
        Self {
            items,
            total,
            limit: paging.limit,
            offset: paging.offset,
        }
    }

    /// The page as a response, with `Link`, an `ETag` over its content, and 304 when the
    /// client already has it.
    pub fn respond(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let body = serde_json::to_vec(self).map_err(ApiError::internal)?;
        let mut response = conditional::computed(req, "application/json", None, body);
        if let Some(links) = link_header(req, self.limit, self.offset, self.total) {
            let links = header::HeaderValue::from_str(&links).map_err(ApiError::internal)?;
            response.headers_mut().insert(header::LINK, links);
        }
        Ok(response)
    }
}

impl<T: Serialize> actix_web::Responder for Page<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        self.respond(req)
            .unwrap_or_else(|error| actix_web::ResponseError::error_response(&error))
    }
}

/// `first`, `prev`, `next` and `last` links that keep every other parameter of the request.
fn link_header(req: &HttpRequest, limit: i64, offset: i64, total: i64) -> Option<String> {
    let kept: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(key, _)| key != "offset" && key != "limit")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let link = |offset: i64, rel: &str| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &kept {
            query.append_pair(key, value);
        }
        query.append_pair("limit", &limit.to_string());
        query.append_pair("offset", &offset.to_string());
        format!("<{}?{}>; rel=\"{rel}\"", req.path(), query.finish())
    };
    let last = if total == 0 {
        0
    } else {
        ((total - 1) / limit) * limit
    };
    let mut links = vec![link(0, "first")];
    if offset > 0 {
        links.push(link((offset - limit).max(0), "prev"));
    }
    // Saturating: an offset near i64::MAX is a valid (empty) page, not an overflow.
    let next = offset.saturating_add(limit);
    if next < total {
        links.push(link(next, "next"));
    }
    links.push(link(last, "last"));
    Some(links.join(", "))
}
