//! Markdown as about a hundred editors write it (descriptions, summaries, bodies), rendered in
//! one place into HTML that any municipal website may include as it is: CommonMark with
//! tables (`pulldown-cmark`), then sanitized (`ammonia`). Raw HTML is shown as the text that
//! was typed, never passed through; an image becomes its description (a picture from another
//! host is a request the reader's browser would make to a third party); links keep only
//! `http`, `https` and `mailto` targets, absolute ones, and open with `rel="noopener
//! nofollow"`. The JSON reads carry the result beside the Markdown (`…_html`), the Atom feed
//! as `type="html"` content, the embeds as their text.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// What every `…_html` field's documentation says about the dialect.
pub const DIALECT: &str = "Markdown (CommonMark with tables); raw HTML is shown as text, an \
                           image as its description, links only to http(s) and mailto targets.";

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener nofollow"))
        .rm_tags(["img"]);
    builder
});

/// The safe HTML of `markdown`.
pub fn to_html(markdown: &str) -> String {
    let events =
        Parser::new_ext(markdown, Options::ENABLE_TABLES).filter_map(|event| match event {
            // What an editor typed as HTML is shown as they typed it.
            Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
            // An image's description stays (the events between start and end), the image goes.
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            other => Some(other),
        });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    SANITIZER.clean(&html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html_with_tables_and_safe_links() {
        let html = to_html(
            "# Titel\n\n*Ehrenamt* in [Unna](https://www.unna.de)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Titel</h1>"), "{html}");
        assert!(html.contains("<em>Ehrenamt</em>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://www.unna.de" rel="noopener nofollow">Unna</a>"#),
            "{html}"
        );
        assert!(
            html.contains("<table>") && html.contains("<td>2</td>"),
            "{html}"
        );
    }

    #[test]
    fn raw_html_scripts_and_foreign_images_never_come_through() {
        let html = to_html(
            "<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> \
             [klick](javascript:alert(1)) ![Logo](https://tracker.example/p.gif) \
             <a href=\"https://evil.example\" onclick=\"x()\">a</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("tracker.example"), "{html}");
        assert!(!html.contains("<a href=\"https://evil"), "{html}");
        assert!(
            html.contains("Logo"),
            "the image's description stays: {html}"
        );
        assert!(
            html.contains("&lt;script&gt;"),
            "typed HTML shows as text: {html}"
        );
    }
}
