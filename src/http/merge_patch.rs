//! JSON merge patch (RFC 7396). A `PATCH` is applied to the resource's writable
//! representation and the result is checked exactly like a `PUT` body.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::http::json::from_value;

/// RFC 7396 merge of `patch` into `target`, by the `json-patch` crate.
pub fn merge(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// Applies `patch` to `current` (the writable fields as a `PUT` would send them) and parses
/// the result as the `PUT` body type, so a patch obeys the same rules as a replacement.
pub fn apply<C: Serialize, T: DeserializeOwned>(current: &C, patch: &Value) -> Result<T, ApiError> {
    let mut document = serde_json::to_value(current).map_err(ApiError::internal)?;
    merge(&mut document, patch);
    from_value(document).map_err(ApiError::validation)
}

/// The merge patch that turns `from` into `to` (RFC 7396, the other way round): members
/// that changed, members removed as `null`, objects compared member by member, arrays and
/// everything else replaced whole. `merge(from, diff(from, to))` gives `to` up to members
/// that are `null` in `to`, which a merge patch cannot tell from absent ones.
pub fn diff(from: &Value, to: &Value) -> Value {
    let (Value::Object(from), Value::Object(to)) = (from, to) else {
        return to.clone();
    };
    let mut patch = Map::new();
    for key in from.keys().filter(|key| !to.contains_key(*key)) {
        patch.insert(key.clone(), Value::Null);
    }
    for (key, value) in to {
        match from.get(key) {
            Some(old) if old == value => {}
            Some(old @ Value::Object(_)) if value.is_object() => {
                patch.insert(key.clone(), diff(old, value));
            }
            _ => {
                patch.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7396_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!(["a"]), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
        ];
        for (mut target, patch, expected) in cases {
            merge(&mut target, &patch);
            assert_eq!(target, expected);
        }
    }

    #[test]
    fn diff_is_the_patch_that_merges_back() {
        let from = json!({"name": "Unna", "population": 58000, "office": {"name": "A", "email": "a@x"},
                          "topics": ["a", "b"], "note": "weg"});
        let to = json!({"name": "Unna", "population": 58500, "office": {"name": "B", "email": "a@x"},
                        "topics": ["b"], "new": true});
        let patch = diff(&from, &to);
        assert_eq!(
            patch,
            json!({"note": null, "population": 58500, "office": {"name": "B"}, "topics": ["b"], "new": true})
        );
        let mut merged = from.clone();
        merge(&mut merged, &patch);
        assert_eq!(merged, to);
        assert_eq!(diff(&to, &to), json!({}));
        assert_eq!(diff(&Value::Null, &to), to);
    }
}
