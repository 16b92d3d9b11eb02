//! Strict query strings: an unknown parameter or a value of the wrong shape is a 400 naming
//! the parameter, never a silent default.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use url::form_urlencoded;

use crate::db::query::Paging;
use crate::error::ApiError;
use crate::error::Code;
use crate::http::list::ListParams;
use crate::http::refusal::{Refusal, backticked};

/// Query parameters deserialised strictly into `T` (which denies unknown fields).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(ApiQuery))
    }
}

/// No query parameters at all: a single read is strict (rule 26), so a misspelt or
/// tracking parameter is a 400 rather than silently ignored.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// The query of a list: the paging and sync parameters every list shares, and the
/// resource's own filters (`F`, which denies unknown fields and carries `sort`).
pub struct ListQuery<F> {
    pub paging: Paging,
    pub filter: F,
}

impl<F: DeserializeOwned> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(split_list_query(req.query_string()))
    }
}

fn split_list_query<F: DeserializeOwned>(query: &str) -> Result<ListQuery<F>, ApiError> {
    let mut common = form_urlencoded::Serializer::new(String::new());
    let mut own = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if ListParams::NAMES.contains(&key.as_ref()) {
            common.append_pair(&key, &value);
        } else {
            own.append_pair(&key, &value);
        }
    }
    let params: ListParams = parse(&common.finish())?;
    let filter: F = parse(&own.finish())?;
    Ok(ListQuery {
        paging: params.resolve()?,
        filter,
    })
}

pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    deserialize(&clean_pairs(joined(decoded(query)?))?).map_err(refusal)
}

/// Query parameters of a feed or an export (rule 26): calendar apps, feed readers and
/// newsletter tools add their own (`_=123`, `utm_source=`), so parameters `T` does not define
/// are ignored; the ones it defines are as strict as everywhere.
pub struct LenientQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for LenientQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_lenient(req.query_string()).map(LenientQuery))
    }
}

pub fn parse_lenient<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut pairs = joined(decoded(query)?);
    // `T` denies unknown fields and names the first one: drop it and ask again (bounded by
    // the number of parameters, itself bounded by `MAX_PARAMETERS`).
    for _ in 0..=pairs.len() {
        let unknown = match deserialize::<T>(&pairs) {
            Err(error) => backticked(&error.inner().to_string(), "unknown field `"),
            Ok(_) => None,
        };
        match unknown {
            Some(name) => pairs.retain(|(key, _)| *key != name),
            None => break,
        }
    }
    deserialize(&clean_pairs(pairs)?).map_err(refusal)
}

/// More parameters than any endpoint defines: refused before any work is done on them.
const MAX_PARAMETERS: usize = 64;

/// The decoded pairs of a query, at most `MAX_PARAMETERS` of them.
fn decoded(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .take(MAX_PARAMETERS + 1)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.len() > MAX_PARAMETERS {
        return Err(ApiError::bad_request(format!(
            "a query takes at most {MAX_PARAMETERS} parameters"
        )));
    }
    Ok(pairs)
}

/// A parameter given more than once, joined with commas (rule 25: `region=a&region=b` is
/// `region=a,b`), which a `Many` filter reads as its values and any other parameter refuses.
fn joined(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut joined: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        match joined.iter_mut().find(|(known, _)| *known == name) {
            Some((_, values)) => {
                values.push(',');
                values.push_str(&value);
            }
            None => joined.push((name, value)),
        }
    }
    joined
}

type QueryError = serde_path_to_error::Error<serde_urlencoded::de::Error>;

fn deserialize<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, QueryError> {
    // serde_urlencoded reads only an encoded query: encode the (cleaned) pairs again.
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    encoded.extend_pairs(pairs);
    let encoded = encoded.finish();
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer)
}

fn refusal(error: QueryError) -> ApiError {
    let refusal = Refusal::of(&error.inner().to_string());
    let message = if refusal.code == Code::UnknownField {
        "is not a parameter of this endpoint".to_owned()
    } else {
        refusal.message
    };
    let name = refusal.field.unwrap_or_else(|| error.path().to_string());
    ApiError::bad_parameter(name, refusal.code, message)
}

/// The pairs of a query with every value following the text rules as bodies do (NFC; no
/// control characters, so no NUL that PostgreSQL could not compare with).
fn clean_pairs(pairs: Vec<(String, String)>) -> Result<Vec<(String, String)>, ApiError> {
    pairs
        .into_iter()
        .map(|(name, value)| match crate::text::clean(&value) {
            Ok(clean) => Ok((name, clean.into_owned())),
            Err(refused) => Err(ApiError::bad_parameter(
                name,
                Code::InvalidFormat,
                refused.message(),
            )),
        })
        .collect()
}

/// The values of an enum filter (rule 25): one or more, repeated (`region=arnsberg&region=detmold`)
/// or comma-separated (`region=arnsberg,detmold`); a record matches any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Many<T>(pub Vec<T>);

impl<T> Many<T> {
    pub fn one(value: T) -> Self {
        Self(vec![value])
    }
}

impl<'de, T: std::str::FromStr<Err = String>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let values = text
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(T::from_str)
            .collect::<Result<Vec<T>, String>>()
            .map_err(serde::de::Error::custom)?;
        if values.is_empty() {
            return Err(serde::de::Error::custom("must name at least one value"));
        }
        Ok(Self(values))
    }
}

// Documented at each filter as `value_type = Option<Vec<T>>` with `explode`: an array of the
// enum's values, sent as repeated parameters.
