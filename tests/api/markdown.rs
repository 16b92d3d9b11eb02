//! Markdown written by a hundred editors reaches websites only as safe HTML: a corpus of XSS
//! payloads (after OWASP's XSS filter evasion cheat sheet) and arbitrary markup, stored
//! through the API, come back in `…_html` without a script, an event handler, a
//! `javascript:` URL or anything a browser would load by itself.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PAYLOADS: &[&str] = &[
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<a href=\"javascript:alert(1)\">klick</a>",
    "[klick](javascript:alert(1))",
    "[klick](JAVASCRIPT:alert(1))",
    "[klick]( javascript:alert(1) )",
    "[klick](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[klick](vbscript:msgbox(1))",
    "![tracker](https://tracker.example/pixel.gif)",
    "![x](javascript:alert(1))",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<style>body{background:url(https://evil.example/x)}</style>",
    "<div style=\"background-image: url(javascript:alert('XSS'))\">x</div>",
    "<object data=\"https://evil.example/x.swf\"></object>",
    "<embed src=\"https://evil.example/x.swf\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "[a](https://ok.example \"title\" onmouseover=alert(1))",
    "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">hover</a>",
    "`<script>alert(1)</script>`\n\n    <script>alert(2)</script>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "<!-- <script>alert(1)</script> -->",
    "<base href=\"https://evil.example/\">",
    "<video><source onerror=\"alert(1)\"></video>",
];

/// The rendered HTML, parsed as a browser would, holds nothing active or self-loading.
pub(crate) fn assert_safe(html: &str) {
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        let name = element.name();
        assert!(
            !matches!(
                name,
                "script"
                    | "style"
                    | "img"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "link"
                    | "meta"
                    | "base"
                    | "form"
                    | "input"
                    | "svg"
                    | "math"
                    | "video"
                    | "audio"
                    | "source"
            ),
            "<{name}> in {html}"
        );
        for (attribute, value) in element.attrs() {
            assert!(
                !attribute.to_ascii_lowercase().starts_with("on"),
                "{attribute} in {html}"
            );
            assert_ne!(attribute, "style", "style in {html}");
            let value = value.trim().to_ascii_lowercase();
            if matches!(attribute, "href" | "src" | "action") {
                assert!(
                    value.starts_with("http://")
                        || value.starts_with("https://")
                        || value.starts_with("mailto:"),
                    "{attribute}={value} in {html}"
                );
            }
        }
    }
}

async fn rendered(app: &TestApp, admin: &str, markdown: &str) -> Value {
    let body =
        json!({"kind": "method", "title": "Nutzlast", "summary": markdown, "body": markdown});
    let created = app
        .post("/api/v1/documents")
        .bearer(admin)
        .json(&body)
        .send()
        .await
        .expect(201)
        .json();
    assert_eq!(created["body"], markdown, "the Markdown is kept as written");
    created
}

both_backends! {
    async fn hostile_markdown_comes_back_as_harmless_html(app) {
        let admin = app.admin().await;
        for payload in PAYLOADS {
            let document = rendered(&app, &admin, payload).await;
            for field in ["summary_html", "body_html"] {
                let html = document[field].as_str().unwrap();
                assert_safe(html);
            }
        }
        let meeting = crate::meetings::with(&crate::meetings::meeting("Treffen", 10), json!({"description": PAYLOADS.join("\n\n")}));
        let meeting = app.post("/api/v1/meetings").bearer(&admin).json(&meeting).send().await.expect(201).json();
        assert_safe(meeting["description_html"].as_str().unwrap());
    }

    async fn markdown_renders_as_commonmark_with_tables(app) {
        let admin = app.admin().await;
        let document = rendered(&app, &admin, "## Ziele\n\n- **Anerkennung**\n- [Ehrenamtskarte](https://www.ehrenamtskarte.nrw.de)\n\n| Jahr | Kommunen |\n|---|---|\n| 2025 | 100 |").await;
        let html = document["body_html"].as_str().unwrap();
        let fragment = scraper::Html::parse_fragment(html);
        let select = |css: &str| fragment.select(&scraper::Selector::parse(css).unwrap()).count();
        assert_eq!((select("h2"), select("li"), select("strong"), select("table td")), (1, 2, 1, 2), "{html}");
        let link = fragment.select(&scraper::Selector::parse("a").unwrap()).next().unwrap();
        assert_eq!(link.value().attr("rel"), Some("noopener nofollow"));
        let read = app.get(&format!("/api/v1/documents/{}", document["id"].as_str().unwrap())).bearer(&admin).send().await.expect(200).json();
        assert_eq!(read["body_html"], document["body_html"]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Arbitrary text made of markup pieces never renders into anything active.
    #[test]
    fn arbitrary_markup_renders_harmless(pieces in proptest::collection::vec(prop_oneof![
        Just("<".to_owned()), Just(">".to_owned()), Just("\"".to_owned()), Just("'".to_owned()), Just("javascript:".to_owned()), Just("onerror=".to_owned()), Just("<script>".to_owned()),
        Just("<img src=x ".to_owned()), Just("](".to_owned()), Just("![".to_owned()), Just("[".to_owned()), Just(")".to_owned()), Just("&#x6A;".to_owned()), Just("\n\n".to_owned()),
        Just("| a |\n|---|\n".to_owned()), Just("`".to_owned()), Just("*".to_owned()), Just("https://x.example/".to_owned()), Just("data:".to_owned()), Just(" ".to_owned()),
        "[a-zA-Z0-9 ]{0,4}", "\\PC{0,3}"
    ], 0..40)) {
        let markdown: String = pieces.concat();
        assert_safe(&engagiert::markdown::to_html(&markdown));
    }
}
