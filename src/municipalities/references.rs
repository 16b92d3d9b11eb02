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
use crate::ids::MunicipalityId;

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

/// A municipality named by a query filter (`host_municipality_id`, `municipality_id`,
/// `district_id`): its UUID, AGS or slug, as in paths and bodies (rule 32). Resolved to the
/// id once, before the list is read (`resolve`); a name that fits no municipality selects
/// nothing, as an unknown UUID always did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityRef {
    key: String,
    id: Option<MunicipalityId>,
}

impl MunicipalityRef {
    /// Looks the key up (a UUID needs no lookup).
    pub fn resolve(&mut self, conn: &mut DbConnection) -> diesel::QueryResult<()> {
        self.id = match MunicipalityId::parse(&self.key) {
            Some(id) => Some(id),
            None => model::resolve(conn, &self.key)?.map(|row| row.id),
        };
        Ok(())
    }

    /// The id to filter by: the one resolved, or one no municipality has.
    pub fn id(&self) -> MunicipalityId {
        self.id
            .clone()
            .or_else(|| MunicipalityId::parse(&self.key))
            .unwrap_or_else(|| MunicipalityId::from(uuid::Uuid::nil()))
    }
}

impl<'de> serde::Deserialize<'de> for MunicipalityRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?.trim().to_owned();
        let fits = !key.is_empty()
            && key.len() <= 100
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !fits {
            return Err(serde::de::Error::custom(
                "must be a municipality's UUID, AGS or slug",
            ));
        }
        Ok(MunicipalityRef { key, id: None })
    }
}

/// Resolves a filter's reference in place, if it has one.
pub fn resolve_filter(
    conn: &mut DbConnection,
    reference: &mut Option<MunicipalityRef>,
) -> diesel::QueryResult<()> {
    match reference {
        Some(reference) => reference.resolve(conn),
        None => Ok(()),
    }
}
