//! The JSON body extractor: content type checked (415), size limited (413), syntax checked
//! (400), then deserialised strictly into the request type (422 naming every bad field).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::body::DeferredBody;
use super::refusal::Refusal;
use crate::error::{ApiError, Code, FieldError};

/// A JSON (or JSON merge patch) request body, read and checked only when the handler asks
/// (`parse`), after it has checked who is asking: a caller who may not write learns 401 or
/// 403, not what was wrong with the body.
pub struct ApiJson(DeferredBody);

impl FromRequest for ApiJson {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = DeferredBody::new(req, payload, check_content_type(req));
        std::future::ready(Ok(Self(body)))
    }
}

impl ApiJson {
    /// The body as `T`: 415 for another media type, 413 when too large, 400 when not JSON,
    /// 422 naming every field that does not fit `T`.
    pub async fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let body = self.0.bytes().await?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
        // Every body of this API is an object; serde would take an array for a struct
        // (`["admin@example.org", "…"]` as a login), so anything else is refused here.
        if !value.is_object() {
            return Err(ApiError::invalid(
                "body",
                Code::InvalidType,
                "must be a JSON object",
            ));
        }
        from_value(value).map_err(ApiError::validation)
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Err(ApiError::unsupported_media_type(
            "send the body as application/json (Content-Type is missing)",
        ));
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(format!(
            "send the body as application/json or application/merge-patch+json, not {essence}"
        )))
    }
}

/// Deserialises `value` into `T`, collecting one error per offending field: after each
/// failure the offending value is removed and the rest tried again, so a body with three bad
/// fields is answered with three errors rather than one at a time.
pub fn from_value<T: DeserializeOwned>(mut value: Value) -> Result<T, Vec<FieldError>> {
    // Every string of every body follows the text rules (NFC, no control characters or
    // noncharacters): checked here once, so no field can be forgotten.
    let mut errors: Vec<FieldError> = Vec::new();
    clean_strings(&mut value, &mut Vec::new(), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    for _ in 0..64 {
        let error = match serde_path_to_error::deserialize::<_, T>(super::strict::Strict(&value)) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => return Err(errors),
            Err(error) => error,
        };
        let mut path: Vec<Segment> = error.path().iter().map(Segment::from).collect();
        let refusal = Refusal::of(&error.inner().to_string());
        let removable = refusal.code != Code::Required;
        if let Some(name) = &refusal.field
            && !matches!(path.last(), Some(Segment::Key(key)) if key == name)
        {
            path.push(Segment::Key(name.clone()));
        }
        let field = render(&path);
        let field = if field.is_empty() {
            "body".to_owned()
        } else {
            field
        };
        if errors.iter().any(|e| e.field == field) {
            break;
        }
        errors.push(FieldError::new(field, refusal.code, refusal.message));
        if !removable || !remove(&mut value, &path) {
            break;
        }
    }
    Err(errors)
}

fn clean_strings(value: &mut Value, path: &mut Vec<Segment>, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(text) => match crate::text::clean(text) {
            Ok(std::borrow::Cow::Borrowed(_)) => {}
            Ok(std::borrow::Cow::Owned(normalised)) => *text = normalised,
            Err(refused) => {
                let field = render(path);
                let field = if field.is_empty() {
                    "body".to_owned()
                } else {
                    field
                };
                errors.push(FieldError::new(
                    field,
                    Code::InvalidFormat,
                    refused.message(),
                ));
            }
        },
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                path.push(Segment::Index(index));
                clean_strings(item, path, errors);
                path.pop();
            }
        }
        Value::Object(map) => {
            // Keys are field names: an unknown one is refused by the schema anyway.
            for (key, item) in map.iter_mut() {
                path.push(Segment::Key(key.clone()));
                clean_strings(item, path, errors);
                path.pop();
            }
        }
        _ => {}
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

impl From<&serde_path_to_error::Segment> for Segment {
    fn from(segment: &serde_path_to_error::Segment) -> Self {
        match segment {
            serde_path_to_error::Segment::Seq { index } => Segment::Index(*index),
            serde_path_to_error::Segment::Map { key } => Segment::Key(key.clone()),
            serde_path_to_error::Segment::Enum { variant } => Segment::Key(variant.clone()),
            serde_path_to_error::Segment::Unknown => Segment::Key("?".into()),
        }
    }
}

fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Removes the value at `path`; false when there is nothing left to remove.
fn remove(value: &mut Value, path: &[Segment]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut current = value;
    for segment in parents {
        current = match (segment, current) {
            (Segment::Key(key), Value::Object(map)) => match map.get_mut(key) {
                Some(next) => next,
                None => return false,
            },
            (Segment::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, current) {
        (Segment::Key(key), Value::Object(map)) => map.remove(key).is_some(),
        // An array element cannot be removed without renumbering the rest; replace it.
        (Segment::Index(index), Value::Array(items)) if *index < items.len() => {
            items[*index] = Value::Null;
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        count: u8,
        inner: Option<Inner>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        flag: bool,
    }

    fn fields(value: Value) -> Vec<String> {
        let mut fields: Vec<String> = from_value::<Sample>(value)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        fields
    }

    #[test]
    fn names_every_bad_field() {
        assert_eq!(
            fields(json!({"name": 1, "count": 300, "extra": true})),
            ["count", "extra", "name"]
        );
        assert_eq!(fields(json!({"count": 1})), ["name"]);
        assert_eq!(
            fields(json!({"name": "x", "count": 1, "inner": {"flag": "no"}})),
            ["inner.flag"]
        );
        assert_eq!(
            fields(json!({"name": "x", "count": 1, "inner": {"flag": true, "x": 1}})),
            ["inner.x"]
        );
        assert_eq!(fields(json!("text")), ["body"]);
    }
}
