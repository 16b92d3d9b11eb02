//! JSON merge patch (RFC 7396). A `PATCH` is applied to the resource's writable
//! representation and the result is checked exactly like a `PUT` body.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

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
}
