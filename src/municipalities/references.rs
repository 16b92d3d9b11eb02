//! Body fields that name a municipality (`municipality_id`, `municipality_ids`,
//! `host_municipality_id`, `district_id`) accept its UUID, AGS or slug, as path segments do
//! (API rule 24). They are turned into the UUID here, before the body is parsed, so every
//! input type keeps a plain `Uuid` and every response carries the UUID.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model;
use crate::db::{Db, DbConnection};
use crate::error::{ApiError, Code, FieldError};
use crate::http::ApiJson;
use crate::http::json::from_value;

const FIELDS: [&str; 4] = [
    "municipality_id",
    "municipality_ids",
    "host_municipality_id",
    "district_id",
];

/// The body of a write as `T`, its municipality references resolved; `initial` is the
/// state a created resource starts in (a `status` equal to it is accepted, rule 21).
pub async fn parse<T: DeserializeOwned>(
    db: &Db,
    body: ApiJson,
    initial: Option<&str>,
) -> Result<T, ApiError> {
    let mut value = body.parse::<Value>().await?;
    if let Some(initial) = initial {
        value = crate::http::round_trip::creation(value, initial)?;
    }
    from_value(resolved(db, value).await?).map_err(ApiError::validation)
}

/// `body` with every municipality reference that is not a UUID replaced by the UUID of the
/// live municipality with that AGS or slug; 422 naming each one that names none. Asks the
/// database only when there is such a reference.
pub async fn resolved(db: &Db, mut body: Value) -> Result<Value, ApiError> {
    if !has_keys(&body) {
        return Ok(body);
    }
    db.run(move |conn| {
        resolve(conn, &mut body)?;
        Ok(body)
    })
    .await
}

fn is_key(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| uuid::Uuid::parse_str(text).is_err())
}

fn has_keys(body: &Value) -> bool {
    FIELDS.iter().any(|field| match body.get(field) {
        Some(Value::Array(items)) => items.iter().any(is_key),
        Some(value) => is_key(value),
        None => false,
    })
}

pub fn resolve(conn: &mut DbConnection, body: &mut Value) -> Result<(), ApiError> {
    let Some(object) = body.as_object_mut() else {
        return Ok(());
    };
    let mut errors = Vec::new();
    for field in FIELDS {
        match object.get_mut(field) {
            Some(Value::Array(items)) => {
                for (index, item) in items.iter_mut().enumerate() {
                    replace(conn, &format!("{field}[{index}]"), item, &mut errors)?;
                }
            }
            Some(value) => replace(conn, field, value, &mut errors)?,
            None => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn replace(
    conn: &mut DbConnection,
    field: &str,
    value: &mut Value,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    if !is_key(value) {
        return Ok(());
    }
    let key = value.as_str().unwrap_or_default().trim().to_owned();
    match model::resolve(conn, &key)? {
        Some(row) if row.deleted_at.is_none() => *value = Value::String(row.id.into()),
        _ => errors.push(FieldError::new(
            field,
            Code::NotFound,
            format!("`{key}` names no municipality (give its UUID, AGS or slug)"),
        )),
    }
    Ok(())
}
