//! The admin frontend's round trip (API rule 21): what `GET` returns, `PUT` accepts back,
//! unchanged or edited. The fields a resource shows but does not take (`id`, `version`,
//! timestamps, `status`, histories, computed fields) are found from the resource's input
//! schema — every field the `GET` representation has and the input has not — so no resource
//! keeps a list of them, and one written later cannot be forgotten.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::PartialSchema;

use crate::error::{ApiError, Code, FieldError};
use crate::http::json::from_value;
use crate::http::merge_patch;

/// A change of a versioned resource as a client sends it: a `PUT` (the whole writable
/// representation, as `GET` returned it or edited) or a `PATCH` (a JSON merge patch of it).
/// Either way the result is parsed and checked as the resource's input type, so a patch
/// obeys the same rules as a replacement.
#[derive(Debug, Clone)]
pub enum Change {
    Replace(Value),
    Patch(Value),
}

impl Change {
    /// The new input, from the current one (`current`) and its representation (`shown`,
    /// what `GET` returns), with the round-trip rule applied to the body.
    pub fn input<I>(&self, current: &I, shown: &Value, action: StatusAction) -> Result<I, ApiError>
    where
        I: Serialize + DeserializeOwned + PartialSchema,
    {
        match self {
            Change::Replace(body) => {
                from_value(accept::<I>(body.clone(), shown, action)?).map_err(ApiError::validation)
            }
            Change::Patch(patch) => {
                merge_patch::apply(current, &accept::<I>(patch.clone(), shown, action)?)
            }
        }
    }
}

/// The state-changing action that moves a resource from one `status` to another, for the
/// 409 that names it (rule 3: `status` changes only through actions).
pub type StatusAction = fn(&str) -> Option<&'static str>;

/// No `status` of its own.
pub fn no_status(_: &str) -> Option<&'static str> {
    None
}

/// The top-level field names `T` (an input type) accepts, read from its schema.
pub fn writable_fields<T: PartialSchema>() -> Vec<String> {
    let schema = serde_json::to_value(T::schema()).unwrap_or_default();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// A `PUT` body or merge patch with the read-only fields of the current representation
/// taken out. Three of them say something and are checked: a `version` other than the
/// current one is 412 (a stale `If-Match` in the body), an `id` other than the resource's
/// 422, a `status` other than the current one 409 naming the action. The others (timestamps,
/// histories, counts, attachments) are ignored whatever they hold: some change without the
/// record's version (a registration changes a meeting's counts, an upload a document's
/// attachments), and a frontend saving what it loaded a moment ago must not fail for that.
/// Fields the resource does not have at all are left for the input type to refuse.
pub fn accept<T: PartialSchema>(
    body: Value,
    current: &Value,
    action: StatusAction,
) -> Result<Value, ApiError> {
    let Value::Object(body) = body else {
        return Ok(body);
    };
    let writable = writable_fields::<T>();
    let mut kept = Map::new();
    for (key, value) in body {
        let shown = current.get(&key);
        if writable.contains(&key) || shown.is_none() {
            kept.insert(key, value);
            continue;
        }
        if shown == Some(&value) {
            continue;
        }
        match key.as_str() {
            "version" => return Err(ApiError::precondition_failed().with_detail(
                "`version` is not the current one: the resource has changed since it was read; fetch it again",
            )),
            "status" => {
                let Some(wanted) = value.as_str() else {
                    return Err(ApiError::invalid("status", Code::InvalidType, "must be a string"));
                };
                let detail = match action(wanted) {
                    Some(action) => format!("`status` changes only through an action: use {action}"),
                    None => format!(
                        "`status` cannot be set to `{wanted}`; it changes only through the resource's actions"
                    ),
                };
                return Err(ApiError::conflict(detail)
                    .with_errors(vec![FieldError::new("status", Code::ReadOnly, "is read-only")]));
            }
            "id" => {
                return Err(ApiError::invalid("id", Code::InvalidValue, "does not match the resource addressed"));
            }
            _ => {}
        }
    }
    Ok(Value::Object(kept))
}

/// A `POST` body with a `status` equal to the initial state taken out (rule 21: a client may
/// send the state a new resource starts in); any other `status` is refused.
pub fn creation(body: Value, initial: &str) -> Result<Value, ApiError> {
    let Value::Object(mut body) = body else {
        return Ok(body);
    };
    match body.remove("status") {
        None => {}
        Some(Value::String(status)) if status == initial => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                Code::InvalidValue,
                format!(
                    "a new resource starts as `{initial}`; other states are reached through its actions"
                ),
            ));
        }
    }
    Ok(Value::Object(body))
}

/// Whether a write changes nothing: then it answers 200 and keeps `version` and
/// `updated_at` (rule 21). Compared as JSON, as the client sees the fields.
pub fn unchanged<T: serde::Serialize>(current: &T, new: &T) -> bool {
    match (serde_json::to_value(current), serde_json::to_value(new)) {
        (Ok(current), Ok(new)) => current == new,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use utoipa::ToSchema;

    #[allow(dead_code)]
    #[derive(Deserialize, ToSchema)]
    struct Input {
        name: String,
        population: Option<u32>,
    }

    fn action(status: &str) -> Option<&'static str> {
        (status == "cancelled").then_some("POST /things/{id}/cancel")
    }

    fn current() -> Value {
        json!({"id": "a", "version": 3, "status": "planned", "name": "Unna", "population": 1,
               "created_at": "2024-01-15T09:30:00Z", "history": [1, 2]})
    }

    #[test]
    fn unchanged_read_only_fields_are_ignored() {
        let accepted = accept::<Input>(current(), &current(), action).unwrap();
        assert_eq!(accepted, json!({"name": "Unna", "population": 1}));
    }

    #[test]
    fn changed_read_only_fields_are_refused_as_the_contract_says() {
        let with = |key: &str, value: Value| {
            let mut body = current();
            body[key] = value;
            accept::<Input>(body, &current(), action).unwrap_err()
        };
        assert_eq!(with("version", json!(2)).status().as_u16(), 412);
        assert_eq!(with("id", json!("b")).status().as_u16(), 422);
        assert_eq!(with("status", json!("cancelled")).status().as_u16(), 409);
        // Computed fields are ignored whatever they hold.
        let mut body = current();
        body["history"] = json!([]);
        assert!(accept::<Input>(body, &current(), action).is_ok());
        // A field no representation has is left for the input type to refuse.
        let mut body = current();
        body["colour"] = json!("red");
        assert_eq!(
            accept::<Input>(body, &current(), action).unwrap()["colour"],
            "red"
        );
    }

    #[test]
    fn creation_takes_the_initial_status_only() {
        assert_eq!(
            creation(json!({"status": "planned", "name": "x"}), "planned").unwrap(),
            json!({"name": "x"})
        );
        assert_eq!(
            creation(json!({"status": "held"}), "planned")
                .unwrap_err()
                .status()
                .as_u16(),
            422
        );
    }
}
