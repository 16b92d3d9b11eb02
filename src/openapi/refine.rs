//! What the document says beyond utoipa's derives, added to its JSON: named list items, the
//! text rules as patterns, the rules that tie one field to another, and the links from each
//! create operation to what it created. Each exists because a client read the document and
//! tripped: a generated client named list items `PageListed…ItemsItemType0`, and a fuzzer
//! sent data the API refuses by rules the document did not state.

use serde_json::{Map, Value, json};

const SCHEMAS: &str = "#/components/schemas/";

/// utoipa inlines the `T` of a generic `Listed<T>`; every inline copy of a named object schema
/// becomes a `$ref` to it, so a generated client reads a meetings page as `Meeting`s.
pub(super) fn with_named_items(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    let named: Vec<(String, Value)> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("properties").is_some())
        .map(|(name, schema)| (name.clone(), schema.clone()))
        .collect();
    if let Some(paths) = doc.get_mut("paths") {
        name_copies(paths, &named);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        // A component's own root is the original, not a copy.
        for schema in schemas.values_mut() {
            name_copies_within(schema, &named);
        }
    }
}

fn name_copies(node: &mut Value, named: &[(String, Value)]) {
    if let Some((name, _)) = named.iter().find(|(_, schema)| schema == node) {
        *node = json!({ "$ref": format!("{SCHEMAS}{name}") });
    } else {
        name_copies_within(node, named);
    }
}

fn name_copies_within(node: &mut Value, named: &[(String, Value)]) {
    match node {
        Value::Object(map) => map.values_mut().for_each(|v| name_copies(v, named)),
        Value::Array(items) => items.iter_mut().for_each(|v| name_copies(v, named)),
        _ => {}
    }
}

/// The control characters and noncharacters `text::clean` refuses (API rule 28), as an
/// ECMA-262 class. Tab, line feed and carriage return pass. Noncharacters beyond the Basic
/// Multilingual Plane are refused too, but left out here: the `\u{…}` escape they need is
/// not understood by every JSON Schema validator.
const REFUSED: &str =
    r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFDD0-\uFDEF\uFFFE\uFFFF";

/// Any text the rules let through.
fn text_pattern() -> String {
    format!("^[^{REFUSED}]*$")
}

/// A text that must also hold more than white space (`Checks::text`: "must not be empty").
fn filled_pattern() -> String {
    format!(r"^[^{REFUSED}]*[^\s{REFUSED}][^{REFUSED}]*$")
}

/// Every string a client sends passes the text rules, so every string of a request body or
/// query without a pattern, format or enum of its own gets the rule's pattern: one that
/// refuses blank text (a name, a title: `minLength: 1`) the filled form, any other the plain.
pub(super) fn with_text_rules(doc: &mut Value) {
    let mut names = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for operation in item.as_object().into_iter().flat_map(Map::values) {
                if let Some(content) = operation
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                {
                    for media in content.values() {
                        collect_refs(media, &mut names);
                    }
                }
            }
        }
    }
    // Query and header parameters pass the same rules (`text::clean` on every value).
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for operation in item.as_object_mut().into_iter().flat_map(Map::values_mut) {
                let parameters = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut);
                for parameter in parameters.into_iter().flatten() {
                    if parameter.get("in") == Some(&json!("query"))
                        && let Some(schema) = parameter.get_mut("schema")
                    {
                        add_text_rules(schema);
                    }
                }
            }
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // Referenced schemas of referenced schemas, until no new name turns up.
    let mut i = 0;
    while i < names.len() {
        if let Some(schema) = schemas.get(&names[i]) {
            let mut found = Vec::new();
            collect_refs(schema, &mut found);
            for name in found {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        i += 1;
    }
    for name in names {
        if let Some(schema) = schemas.get_mut(&name) {
            add_text_rules(schema);
        }
    }
}

fn collect_refs(node: &Value, names: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMAS))
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

/// Adds the patterns to `schema` and the schemas inline in it.
fn add_text_rules(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let kind = object.get("type");
    let is_string = kind == Some(&json!("string"))
        || kind
            .and_then(Value::as_array)
            .is_some_and(|kinds| kinds.contains(&json!("string")));
    let has_rule = ["pattern", "format", "enum", "const", "contentMediaType"]
        .iter()
        .any(|key| object.contains_key(*key));
    if is_string && !has_rule {
        // `minLength: 1` is how a field says it refuses blank text (`Checks::text`).
        let filled = object.get("minLength") == Some(&json!(1));
        let pattern = if filled {
            filled_pattern()
        } else {
            text_pattern()
        };
        object.insert("pattern".into(), pattern.into());
    }
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(add_text_rules);
    }
    if let Some(items) = object.get_mut("items") {
        add_text_rules(items);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(variants) = object.get_mut(key).and_then(Value::as_array_mut) {
            variants.iter_mut().for_each(add_text_rules);
        }
    }
}

/// Rules that tie one field to another, as `if`/`then` (JSON Schema 2020-12, which OpenAPI
/// 3.1 speaks): the same checks the inputs make, stated where a client reads them.
pub(super) fn with_field_rules(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // Admins and readers belong to no municipality; an editor names one.
    let role = json!([
        {
            "if": {"required": ["role"], "properties": {"role": {"enum": ["admin", "reader"]}}},
            "then": {"properties": {"municipality_id": {"type": "null"}}}
        },
        {
            "if": {"required": ["role"], "properties": {"role": {"const": "editor"}}},
            "then": {"required": ["municipality_id"], "properties": {"municipality_id": {"type": "string"}}}
        }
    ]);
    // Without an AGS the region cannot be derived, so it must be given; the kind decides the
    // AGS's length and whether there is a district.
    let municipality = json!([
        {
            "if": {"properties": {"ags": {"type": "null"}}},
            "then": {"required": ["region"], "properties": {"region": {"not": {"type": "null"}}}}
        },
        {
            "if": {"required": ["kind"], "properties": {"kind": {"enum": ["independent_city", "town", "municipality"]}}},
            "then": {"properties": {"ags": {"pattern": "^[0-9]{8}$"}}}
        },
        {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "district"}}},
            "then": {"properties": {"ags": {"pattern": "^[0-9]{5}$"}}}
        },
        {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "regional_authority"}}},
            "then": {"properties": {"ags": {"type": "null"}}}
        },
        {
            "if": {"required": ["kind"], "properties": {"kind": {"not": {"enum": ["town", "municipality"]}}}},
            "then": {"properties": {"district_id": {"type": "null"}}}
        }
    ]);
    // The format decides which of venue and online link a meeting has.
    let place = json!([
        {
            "if": {"required": ["format"], "properties": {"format": {"const": "in_person"}}},
            "then": {"required": ["venue"], "properties": {"venue": {"not": {"type": "null"}}, "online_url": {"type": "null"}}}
        },
        {
            "if": {"required": ["format"], "properties": {"format": {"const": "online"}}},
            "then": {"required": ["online_url"], "properties": {"online_url": {"not": {"type": "null"}}, "venue": {"type": "null"}}}
        },
        {
            "if": {"required": ["format"], "properties": {"format": {"const": "hybrid"}}},
            "then": {"required": ["venue", "online_url"], "properties": {"venue": {"not": {"type": "null"}}, "online_url": {"not": {"type": "null"}}}}
        }
    ]);
    // The kind of a question decides which of options, scale and range it has.
    let question = json!([
        {
            "if": {"required": ["kind"], "properties": {"kind": {"enum": ["single_choice", "multiple_choice"]}}},
            "then": {"required": ["options"], "properties": {"options": {"minItems": 2}}},
            "else": {"properties": {"options": {"maxItems": 0}}}
        },
        {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "scale"}}},
            "then": {"required": ["scale"], "properties": {"scale": {"not": {"type": "null"}}}},
            "else": {"properties": {"scale": {"type": "null"}}}
        },
        {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "number"}}},
            "else": {"properties": {"range": {"type": "null"}}}
        }
    ]);
    for (name, rules) in [
        ("NewUser", &role),
        ("UserUpdate", &role),
        ("NewApiToken", &role),
        ("MunicipalityInput", &municipality),
        ("MeetingInput", &place),
        ("QuestionInput", &question),
    ] {
        if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
            schema.insert("allOf".into(), rules.clone());
        }
    }
}

/// OpenAPI `links` from each create operation (`POST` answering 201) to the operations on
/// what it created — the paths below the collection with its id — so that a client, or a
/// stateful tester, can follow a new record the way the `Location` header points. A path's
/// own parameters before the new id come from the request; `version` and `If-Match` from
/// the answer.
pub(super) fn with_links(doc: &mut Value) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    let mut links: Vec<(String, Map<String, Value>)> = Vec::new();
    for (collection, item) in paths {
        if item.pointer("/post/responses/201").is_none() {
            continue;
        }
        let mut found = Map::new();
        let prefix = format!("{collection}/{{");
        for (path, target) in paths.iter().filter(|(p, _)| p.starts_with(&prefix)) {
            let Some(id_name) = path[prefix.len()..].split('}').next() else {
                continue;
            };
            for (method, operation) in target.as_object().into_iter().flatten() {
                let Some(operation_id) = operation.get("operationId").and_then(Value::as_str)
                else {
                    continue;
                };
                let mut parameters = Map::new();
                for name in path_parameters(collection) {
                    parameters.insert(name.clone(), format!("$request.path.{name}").into());
                }
                let field = if id_name == "id" { "id" } else { id_name };
                parameters.insert(id_name.into(), format!("$response.body#/{field}").into());
                if path.contains("{version}") {
                    parameters.insert("version".into(), "$response.body#/version".into());
                }
                let takes = |name: &str| {
                    operation
                        .get("parameters")
                        .and_then(Value::as_array)
                        .is_some_and(|ps| ps.iter().any(|p| p.get("name") == Some(&json!(name))))
                };
                if takes("If-Match") {
                    parameters.insert("header.If-Match".into(), "$response.header.ETag".into());
                }
                found.insert(
                    link_name(operation_id),
                    json!({
                        "operationId": operation_id,
                        "parameters": parameters,
                        "description": format!("`{}` on the record just created.", method.to_uppercase()),
                    }),
                );
            }
        }
        if !found.is_empty() {
            links.push((collection.clone(), found));
        }
    }
    for (collection, found) in links {
        let pointer = format!("/paths/{}/post/responses/201", escape(&collection));
        if let Some(response) = doc.pointer_mut(&pointer).and_then(Value::as_object_mut) {
            response.insert("links".into(), Value::Object(found));
        }
    }
}

/// The names of a path's `{parameters}`.
fn path_parameters(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|part| part.split('}').next())
        .map(str::to_owned)
        .collect()
}

/// `update_meeting` → `UpdateMeeting`: link names are keys (`^[a-zA-Z0-9.\-_]+$`).
fn link_name(operation_id: &str) -> String {
    operation_id
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// A JSON pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_are_the_text_rules() {
        let text = regex::Regex::new(&text_pattern()).unwrap();
        let filled = regex::Regex::new(&filled_pattern()).unwrap();
        for ok in ["", "Unna", "zwei\nZeilen\tund Tab", "Grüße 🙂"] {
            assert!(text.is_match(ok), "{ok:?}");
            assert!(crate::text::clean(ok).is_ok());
        }
        for refused in ["a\u{0}b", "\u{1b}[31m", "x\u{85}", "\u{fdd0}", "\u{fffe}"] {
            assert!(!text.is_match(refused), "{refused:?}");
            assert!(crate::text::clean(refused).is_err(), "{refused:?}");
        }
        assert!(filled.is_match(" Unna "));
        assert!(!filled.is_match(" \t "));
        assert!(!filled.is_match(""));
    }

    #[test]
    fn link_names_are_keys() {
        assert_eq!(link_name("update_meeting"), "UpdateMeeting");
        assert_eq!(path_parameters("/a/{id}/b/{version}"), ["id", "version"]);
    }
}
