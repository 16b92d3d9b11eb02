//! `/problems/{type}`: the page each problem `type` URI resolves to, generated from the
//! table of problem types, so no type can lack its page.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{ApiError, PROBLEM_TYPES, ProblemType};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_problem_types).service(get_problem_type);
}

/// Every problem type, with a link to its page.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "An HTML page listing every problem type.", body = String, content_type = "text/html"))
)]
#[get("/problems")]
async fn list_problem_types() -> HttpResponse {
    let items: String = PROBLEM_TYPES
        .iter()
        .map(|kind| {
            format!(
                "<li><a href=\"/problems/{slug}\"><code>{slug}</code></a> ({status}): {title}</li>\n",
                slug = kind.slug,
                status = kind.status,
                title = escape(kind.title)
            )
        })
        .collect();
    page("Problem types", &format!("<ul>\n{items}</ul>"))
}

/// The page of one problem type: what it means and what a client does about it.
#[utoipa::path(
    tag = "operations",
    params(("type" = String, Path, description = "The problem type's name, as in the `type` URI.")),
    responses(
        (status = 200, description = "An HTML page describing the problem type.", body = String, content_type = "text/html"),
        crate::openapi::responses::NotFound
    )
)]
#[get("/problems/{type}")]
async fn get_problem_type(slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let kind = ProblemType::find(&slug)
        .ok_or_else(|| ApiError::not_found(format!("no problem type is called `{slug}`")))?;
    Ok(page(kind.title, &describe(kind)))
}

fn describe(kind: &ProblemType) -> String {
    format!(
        "<p>Status <strong>{status}</strong>; <code>type</code> is <code>{uri}</code>.</p>\n<p>{text}</p>\n\
         <p>Every problem is <code>application/problem+json</code> (RFC 9457); <code>errors[]</code> items \
         carry <code>field</code>, a stable <code>code</code> and a <code>message</code>. \
         <a href=\"/problems\">All problem types</a>.</p>",
        status = kind.status,
        uri = kind.uri(),
        text = code_spans(&escape(kind.description)),
    )
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title} – engagiert API</title></head>\n\
             <body>\n<h1>{title}</h1>\n{body}\n</body>\n</html>\n",
            title = escape(title)
        ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `like this` → <code>like this</code>.
fn code_spans(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}
