//! The root of the OpenAPI document: info, tags, the bearer scheme, and the problem
//! responses every operation lists. Paths are collected from the handlers by
//! `utoipa-actix-web` in `app.rs`, so no route can be left out.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{self, OpenApi as OpenApiDocument};
use utoipa::{Modify, OpenApi};

use crate::error::Problem;
use responses::ProblemResponses;

mod refine;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "engagiert API",
        description = "API of the Kommunen-Netzwerk: engagiert in NRW — the state forum in which cities, \
municipalities and districts of North Rhine-Westphalia exchange strategies for promoting volunteering.\n\n\
Reads of published data need no token; writes need `Authorization: Bearer <JWT>` from `/api/v1/auth/login` \
or an API token. Lists take `limit`, `offset`, `sort`, `updated_since` and `include_deleted`; every single \
resource has an `ETag`, and `PUT`/`PATCH`/`DELETE` honour `If-Match`. Every error is `application/problem+json`.",
        license(name = "MIT"),
        version = "1.0.0"
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "auth", description = "Login, token refresh, logout and the caller."),
        (name = "users", description = "Accounts of the network office (admins) and of member municipalities (editors). Admin only."),
        (name = "municipalities", description = "The member directory: cities, municipalities, districts and authorities, their membership and contacts; membership statistics."),
        (name = "documents", description = "Best-practice documents with a publishing workflow, attachments, search and an Atom feed."),
        (name = "meetings", description = "Network meetings (Netzwerktreffen, Spitzentreffen, workshops, digital short formats): agendas, registrations of member municipalities, single-meeting iCalendar files."),
        (name = "feeds", description = "Feeds for websites and calendar programs: the meetings as iCalendar (RFC 5545)."),
        (name = "surveys", description = "Member surveys (Online-Befragungen): questionnaires from draft to open to closed, one response per member municipality, anonymous surveys, results and the responses CSV."),
        (name = "exports", description = "The member directory as CSV and GeoJSON, with the list's filters, never paginated."),
        (name = "history", description = "What changed, who changed it and how to undo it: each record's revisions and their restore, the audit log, and the change feed integration scripts follow without missing a change."),
        (name = "api-tokens", description = "Long-lived tokens for integration scripts. Admin only."),
        (name = "webhooks", description = "Signed deliveries of every change to the URLs admins register (Standard Webhooks v1): retried on a schedule, logged attempt by attempt, redeliverable. Admin only."),
        (name = "privacy", description = "Personal data (DSGVO): the record of processing, subject access (Art. 15) and erasure (Art. 17)."),
        (name = "embeds", description = "Ready HTML for municipal websites, fetched server-side (no scripts, cookies or third-party requests): the member list, a municipality's card, meetings, documents, pages per meeting and document, the membership chart as SVG and an optional stylesheet. See `/embed/`."),
        (name = "oparl", description = "OParl 1.1 (schema.oparl.org): the network as a Body with its member municipalities (Organization), published contacts (Person, Membership), meetings with their agendas (Meeting, AgendaItem), published documents (Paper, File) and places (Location), read-only, for OParl clients and portals."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
    components(schemas(Problem)),
    modifiers(&Security, &ProblemResponses, &ErrorVocabulary)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut OpenApiDocument) {
        let components = doc.components.get_or_insert_with(openapi::Components::new);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description =
            Some("An access token from `/api/v1/auth/login` or an API token.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let mut metrics = Http::new(HttpAuthScheme::Bearer);
        metrics.description = Some("`ENGAGIERT_METRICS_TOKEN`, when the operator set one.".into());
        components.add_security_scheme("metrics_token", SecurityScheme::Http(metrics));
    }
}

/// The problem types and field error codes, listed in the document's description from the
/// same tables the errors are made of.
struct ErrorVocabulary;

impl Modify for ErrorVocabulary {
    fn modify(&self, doc: &mut OpenApiDocument) {
        let mut text = String::from(
            "\n\n## Errors\n\nEach problem `type` resolves to a page describing it:\n\n",
        );
        for kind in crate::error::PROBLEM_TYPES {
            text.push_str(&format!(
                "- `{}` ({}): {}\n",
                kind.uri(),
                kind.status,
                kind.title
            ));
        }
        text.push_str("\nCodes of `errors[]` items: ");
        let codes: Vec<String> = crate::error::Code::ALL
            .iter()
            .map(|code| format!("`{code}`"))
            .collect();
        text.push_str(&codes.join(", "));
        text.push('.');
        let description = doc.info.description.get_or_insert_with(String::new);
        description.push_str(&text);
    }
}

/// One `IntoResponses` type per problem status, each a `$ref` to a shared response, so a
/// handler lists its errors as `responses(..., NotFound, Gone)`.
pub mod responses {
    use std::collections::BTreeMap;

    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::response::{Response, ResponseBuilder};
    use utoipa::openapi::schema::{Object, Type};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr};
    use utoipa::{IntoResponses, Modify};

    macro_rules! problem_responses {
        ($($name:ident = $status:literal, $description:literal;)+) => {
            $(
                pub struct $name;
                impl IntoResponses for $name {
                    fn responses() -> BTreeMap<String, RefOr<Response>> {
                        BTreeMap::from([(
                            $status.to_string(),
                            RefOr::Ref(Ref::from_response_name(stringify!($name))),
                        )])
                    }
                }
            )+

            pub(crate) struct ProblemResponses;
            impl Modify for ProblemResponses {
                fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
                    let components = doc.components.get_or_insert_with(utoipa::openapi::Components::new);
                    $(
                        components.responses.insert(
                            stringify!($name).to_string(),
                            RefOr::T(problem($status, $description)),
                        );
                    )+
                    components.responses.insert("NotModified".into(), RefOr::T(not_modified()));
                }
            }
        };
    }

    problem_responses! {
        BadRequest = 400, "Malformed JSON, or a query parameter that is unknown or out of range.";
        Unauthorized = 401, "No bearer token, or one that is expired, forged or revoked.";
        Forbidden = 403, "Authenticated, but the role or municipality does not allow this.";
        NotFound = 404, "No such resource.";
        Conflict = 409, "A duplicate unique value, or a change the resource's state does not allow.";
        Gone = 410, "The resource has been deleted.";
        PreconditionFailed = 412, "`If-Match` names a version that is no longer current; nothing was changed.";
        PayloadTooLarge = 413, "The body exceeds the size limit.";
        UnsupportedMediaType = 415, "The body is not of a media type this operation takes.";
        RangeNotSatisfiable = 416, "The `Range` lies outside the file; `Content-Range` gives its size.";
        Unprocessable = 422, "Well-formed JSON that fails validation; `errors` names each field.";
        TooManyRequests = 429, "Too many failed attempts; `Retry-After` says when to try again.";
        Unavailable = 503, "The database cannot be reached.";
    }

    /// 304: the client's copy is current.
    pub struct NotModified;
    impl IntoResponses for NotModified {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            BTreeMap::from([(
                "304".to_string(),
                RefOr::Ref(Ref::from_response_name("NotModified")),
            )])
        }
    }

    fn string_header(description: &str) -> utoipa::openapi::header::Header {
        HeaderBuilder::new()
            .schema(Some(Object::with_type(Type::String)))
            .description(Some(description))
            .build()
    }

    fn problem(status: u16, description: &str) -> Response {
        let mut response = ResponseBuilder::new().description(description).content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
        if status == 401 {
            response = response.header(
                "WWW-Authenticate",
                string_header("`Bearer realm=\"engagiert\"`"),
            );
        }
        if status == 429 || status == 503 {
            response = response.header(
                "Retry-After",
                string_header("Seconds to wait before trying again."),
            );
        }
        response.build()
    }

    fn not_modified() -> Response {
        ResponseBuilder::new()
            .description(
                "Not modified: the `If-None-Match` (or `If-Modified-Since`) copy is current.",
            )
            .header("ETag", string_header("The current entity tag."))
            .build()
    }
}

/// The document as the service serves it and as `openapi/openapi.json` holds it.
/// Gives every `PATCH` body a schema of its own in which every field is optional (rule 22),
/// derived here from the `PUT` body's schema rather than written per resource: a merge patch
/// carries only the fields it changes, at any depth, so `required` goes everywhere except
/// inside arrays (which a merge patch replaces whole). `XInput`/`XUpdate` get `XPatch`.
fn with_patch_schemas(value: &mut serde_json::Value) {
    let Some(mut schemas) = value
        .pointer_mut("/components/schemas")
        .map(serde_json::Value::take)
    else {
        return;
    };
    if let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            let Some(content) = item
                .pointer_mut("/patch/requestBody/content")
                .and_then(|c| c.as_object_mut())
            else {
                continue;
            };
            for media in content.values_mut() {
                if let Some(reference) = media.pointer_mut("/schema/$ref") {
                    let patched = patch_ref(reference.as_str().unwrap_or_default(), &mut schemas);
                    *reference = serde_json::Value::String(patched);
                }
            }
        }
    }
    if let Some(slot) = value.pointer_mut("/components/schemas") {
        *slot = schemas;
    }
}

const SCHEMAS: &str = "#/components/schemas/";

/// The `$ref` of the all-optional form of the object schema `reference` names (made on first
/// use); any other reference (an enum, a scalar) is returned as it is.
fn patch_ref(reference: &str, schemas: &mut serde_json::Value) -> String {
    let Some(name) = reference.strip_prefix(SCHEMAS) else {
        return reference.to_owned();
    };
    let Some(original) = schemas.get(name).cloned() else {
        return reference.to_owned();
    };
    if original.get("properties").is_none() {
        return reference.to_owned();
    }
    let base = name
        .strip_suffix("Input")
        .or_else(|| name.strip_suffix("Update"))
        .unwrap_or(name);
    let patch_name = format!("{base}Patch");
    if schemas.get(&patch_name).is_none() {
        // Inserted before recursing, so a schema that refers to itself ends.
        schemas[&patch_name] = serde_json::Value::Null;
        let mut patch = original;
        optional(&mut patch, schemas);
        patch["description"] = serde_json::Value::String(format!(
            "A JSON merge patch (RFC 7396) of `{name}`: every field is optional, and only \
             the fields sent change; `null` removes an optional field."
        ));
        schemas[&patch_name] = patch;
    }
    format!("{SCHEMAS}{patch_name}")
}

fn optional(schema: &mut serde_json::Value, schemas: &mut serde_json::Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    object.remove("required");
    if let Some(reference) = object
        .get("$ref")
        .and_then(|r| r.as_str())
        .map(str::to_owned)
    {
        object.insert("$ref".into(), patch_ref(&reference, schemas).into());
    }
    for key in ["properties"] {
        if let Some(properties) = object.get_mut(key).and_then(|p| p.as_object_mut()) {
            for property in properties.values_mut() {
                optional(property, schemas);
            }
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(variants) = object.get_mut(key).and_then(|v| v.as_array_mut()) {
            for variant in variants {
                optional(variant, schemas);
            }
        }
    }
}

/// The document as served and committed, with the `PATCH` schemas of `with_patch_schemas`
/// (done on the JSON: utoipa's types do not read their own output back).
/// Every `POST` takes an `Idempotency-Key` (`history::idempotency`, a middleware, so no
/// handler declares it): one shared parameter, referenced from each operation.
fn with_idempotency_keys(value: &mut serde_json::Value) {
    let parameter = serde_json::json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "Makes a retry safe: for 24 hours, the same caller sending the same request with the same key gets the first answer again (with `Idempotent-Replayed: true`) instead of a second record. The same key with another request is 422; a repeat while the first still runs is 409. Answers of 5xx and answers with `Cache-Control: no-store` (tokens) are not kept.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255}
    });
    if let Some(components) = value.get_mut("components").and_then(|c| c.as_object_mut()) {
        let parameters = components
            .entry("parameters")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(parameters) = parameters.as_object_mut() {
            parameters.insert("IdempotencyKey".into(), parameter);
        }
    }
    let reference = serde_json::json!({"$ref": "#/components/parameters/IdempotencyKey"});
    if let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            let Some(post) = item.get_mut("post").and_then(|p| p.as_object_mut()) else {
                continue;
            };
            let parameters = post
                .entry("parameters")
                .or_insert_with(|| serde_json::json!([]));
            if let Some(parameters) = parameters.as_array_mut() {
                parameters.push(reference.clone());
            }
            // What a key itself can answer: malformed (400), still running (409), used for
            // another request (422).
            if let Some(responses) = post.get_mut("responses").and_then(|r| r.as_object_mut()) {
                for (status, name) in [
                    ("400", "BadRequest"),
                    ("409", "Conflict"),
                    ("422", "Unprocessable"),
                ] {
                    let response = responses.entry(status).or_insert_with(
                        || serde_json::json!({"$ref": format!("#/components/responses/{name}")}),
                    );
                    // An operation with its own body for the status (the import's report)
                    // answers the key's refusal as a problem document next to it.
                    if let Some(content) =
                        response.get_mut("content").and_then(|c| c.as_object_mut())
                    {
                        content
                            .entry("application/problem+json")
                            .or_insert_with(|| {
                                serde_json::json!({"schema": {"$ref": "#/components/schemas/Problem"}})
                            });
                    }
                }
            }
        }
    }
}

pub fn to_json(doc: &OpenApiDocument) -> String {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    refine::with_named_items(&mut value);
    // Before the patch schemas are derived, so that a patched field keeps its text rule.
    refine::with_text_rules(&mut value);
    with_patch_schemas(&mut value);
    // After them: a patch leaves out what the rules tie together.
    refine::with_field_rules(&mut value);
    with_idempotency_keys(&mut value);
    refine::with_links(&mut value);
    let mut json = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    json.push('\n');
    json
}
