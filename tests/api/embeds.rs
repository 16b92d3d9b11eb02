//! The embeds as a municipal website uses them: fetched server-side and parsed as HTML5
//! (html5ever, through scraper), every widget one root element with an `eng-` class and
//! `lang="de"`, nothing active or self-loading, every link absolute; what editors typed
//! appears as text; the chart says its figures; cached and conditional like public JSON.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use scraper::{Html, Selector};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::markdown::assert_safe;
use crate::meetings::{meeting, with};

/// Elements a browser loads something for by itself, or runs.
const LOADING: &[&str] = &[
    "script", "style", "img", "link", "iframe", "frame", "object", "embed", "video", "audio",
    "source", "picture", "base", "meta", "form", "input",
];

/// Checks a fragment the way the contract describes it and returns it parsed.
fn check_fragment(html: &str, widget: &str) -> Html {
    let fragment = Html::parse_fragment(html);
    let roots: Vec<_> = fragment
        .root_element()
        .children()
        .filter_map(scraper::ElementRef::wrap)
        .collect();
    assert_eq!(roots.len(), 1, "one root element: {html}");
    let root = roots[0].value();
    assert!(
        root.classes().any(|c| c == format!("eng-{widget}")),
        "class eng-{widget}: {html}"
    );
    assert_eq!(root.attr("lang"), Some("de"));
    for element in fragment
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let element = element.value();
        assert!(
            !LOADING.contains(&element.name()),
            "<{}> in {html}",
            element.name()
        );
        for (name, value) in element.attrs() {
            assert!(
                !name.starts_with("on") && name != "style",
                "{name} in {html}"
            );
            if matches!(name, "href" | "src") {
                assert!(
                    value.starts_with("https://")
                        || value.starts_with("http://")
                        || value.starts_with("mailto:"),
                    "{name}={value} is not absolute"
                );
            }
        }
    }
    assert_safe(html);
    fragment
}

fn texts(fragment: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap();
    fragment
        .select(&selector)
        .map(|e| e.text().collect::<String>())
        .collect()
}

struct Seeded {
    admin: String,
    unna: String,
    meeting: String,
    document: String,
}

async fn seed(app: &TestApp, name: &str, text: &str) -> Seeded {
    let admin = app.admin().await;
    let unna = app.unna().await;
    let contact = json!({"name": text, "role": text, "email": "kontakt@unna.example", "publish": ["name", "role", "email"]});
    let patch = json!({"name": name, "description": text, "website": "https://www.unna.de", "contacts": [contact,
        {"name": "Nicht Öffentlich", "email": "intern@unna.example", "publish": []}]});
    app.patch(&format!("/api/v1/municipalities/{unna}"))
        .bearer(&admin)
        .json(&patch)
        .send()
        .await
        .expect(200);
    let body = with(&meeting(text, 10), json!({"description": text}));
    let created = app
        .post("/api/v1/meetings")
        .bearer(&admin)
        .json(&body)
        .send()
        .await
        .expect(201)
        .json();
    let document = json!({"kind": "method", "title": text, "summary": text, "body": text, "municipality_ids": [unna]});
    let document = app
        .post("/api/v1/documents")
        .bearer(&admin)
        .json(&document)
        .send()
        .await
        .expect(201)
        .json();
    let id = document["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/documents/{id}/publish"))
        .bearer(&admin)
        .send()
        .await
        .expect(200);
    Seeded {
        admin,
        unna,
        meeting: created["id"].as_str().unwrap().to_owned(),
        document: id,
    }
}

/// Every widget of the seeded network: (path, widget).
fn widgets(s: &Seeded) -> Vec<(String, &'static str)> {
    vec![
        ("/embed/v1/members.html".into(), "members"),
        (format!("/embed/v1/municipalities/{}.html", s.unna), "card"),
        (
            "/embed/v1/municipalities/unna.html?heading=3".into(),
            "card",
        ),
        ("/embed/v1/meetings.html?limit=50".into(), "meetings"),
        ("/embed/v1/documents.html?limit=5".into(), "documents"),
        (
            format!("/embed/v1/documents/{}.html", s.document),
            "document",
        ),
        (format!("/embed/v1/meetings/{}.html", s.meeting), "meeting"),
    ]
}

async fn fetch(app: &TestApp, path: &str) -> String {
    let answer = app
        .get(path)
        .header("Origin", "https://www.unna.de")
        .send()
        .await
        .expect(200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(answer.header("set-cookie").is_none(), "no cookie");
    answer.text()
}

both_backends! {
    async fn every_widget_is_one_safe_german_element_with_absolute_links(app) {
        let s = seed(&app, "Unna", "Ehrenamt **stärken**").await;
        for (path, widget) in widgets(&s) {
            check_fragment(&fetch(&app, &path).await, widget);
        }
        let card = Html::parse_fragment(&fetch(&app, "/embed/v1/municipalities/unna.html?heading=3").await);
        assert_eq!(texts(&card, "h3.eng-card__title"), ["Unna"], "the heading at the level asked for");
        assert_eq!(texts(&card, "h4").len(), 1, "sub-headings one level below");
        let everything = texts(&card, "article").concat();
        assert!(everything.contains("kontakt@unna.example"), "a published contact: {everything}");
        assert!(!everything.contains("Nicht Öffentlich") && !everything.contains("intern@"), "{everything}");
        assert!(everything.contains("Mitglied seit15. Januar 2024"), "a German date: {everything}");
        let meetings = Html::parse_fragment(&fetch(&app, "/embed/v1/meetings.html").await);
        let when = texts(&meetings, "time");
        assert!(when[0].ends_with(" Uhr") && when[0].contains(". "), "{when:?}");
        app.get("/embed/v1/meetings.html?heading=7").send().await.problem(400);
        app.get("/embed/v1/meetings.html?limit=0").send().await.problem(400);
        app.get("/embed/v1/municipalities/nirgendwo.html").send().await.problem(404);
        app.get(&format!("/embed/v1/meetings.html?utm_source=cms&_={}", 1)).send().await.expect(200);
    }

    async fn what_editors_type_appears_as_text_in_every_widget(app) {
        let mut runner = TestRunner::deterministic();
        let hostile = proptest::string::string_regex("[<>\"'&a-zA-Zäß\\u{202E}\\u{1F600} =/]{1,24}").unwrap();
        let mut samples = vec![
            "<script>alert(1)</script>".to_owned(), "\"><img src=x onerror=alert(1)>".to_owned(),
            "Tom & Jerry &amp; &lt;b&gt;".to_owned(), "\u{202E}gnuhcsabierhcS \u{1F600}".to_owned(),
            "' onmouseover='alert(1)".to_owned(),
        ];
        samples.extend((0..5).map(|_| hostile.new_tree(&mut runner).unwrap().current()));
        let mut seeded = None;
        for text in samples {
            let text = text.trim().to_owned();
            if text.is_empty() { continue; }
            let s = seed(&app, &format!("Unna {text}"), &text).await;
            for (path, widget) in widgets(&s) {
                let html = fetch(&app, &path).await;
                let fragment = check_fragment(&html, widget);
                let shown = fragment.root_element().text().collect::<String>();
                assert!(shown.contains(&text), "{text:?} appears as text in {path}: {html}");
            }
            seeded = Some(s);
        }
        assert!(seeded.is_some());
    }

    async fn the_chart_says_the_figures_of_the_statistics(app) {
        app.unna().await;
        app.municipality(json!({"name": "Kamen", "kind": "town", "ags": "05978020",
            "membership": {"status": "member", "joined_on": "2020-09-25"}})).await;
        let stats: Value = app.get("/api/v1/stats/membership").send().await.expect(200).json();
        let answer = app.get("/embed/v1/membership.svg").send().await.expect(200);
        assert!(answer.header("content-type").unwrap().starts_with("image/svg+xml"));
        let text = answer.text();
        let svg = roxmltree::Document::parse(&text).expect("well-formed SVG");
        let root = svg.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        let child = |name: &str| root.children().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).unwrap().to_owned();
        assert!(child("title").contains(&stats["members"].to_string()), "{}", child("title"));
        let desc = child("desc");
        assert!(desc.starts_with(&format!("{} Mitgliedskommunen am ", stats["members"])), "{desc}");
        assert!(desc.contains("25. September 2020: 1") && desc.contains("15. Januar 2024: 2"), "{desc}");
    }

    async fn embeds_are_cached_and_conditional_and_show_an_edit_at_once(app) {
        let s = seed(&app, "Unna", "Beschreibung").await;
        let path = "/embed/v1/municipalities/unna.html";
        let first = app.get(path).send().await.expect(200);
        // On PostgreSQL the cache serves once this instance listens for the others' writes.
        let hits = crate::cache::metric(&app, "engagiert_cache_hits_total").await;
        let started = std::time::Instant::now();
        while settings().cache_bytes > 0 {
            let second = app.get(path).send().await.expect(200);
            assert_eq!(second.body, first.body);
            if crate::cache::metric(&app, "engagiert_cache_hits_total").await - hits >= 1.0 {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(3), "no hit");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let etag = first.header("etag").unwrap();
        app.get(path).header("If-None-Match", &etag).send().await.expect(304);
        app.patch(&format!("/api/v1/municipalities/{}", s.unna)).bearer(&s.admin)
            .json(&json!({"name": "Kreisstadt Unna"})).send().await.expect(200);
        let after = app.get(path).send().await.expect(200).text();
        assert!(after.contains("Kreisstadt Unna"), "{after}");
    }

    async fn a_standalone_widget_is_a_whole_page_that_may_be_framed(app) {
        let s = seed(&app, "Unna", "Text").await;
        let answer = app.get("/embed/v1/members.html?standalone=true").send().await.expect(200);
        let policy = answer.header("content-security-policy").unwrap();
        assert!(policy.contains("frame-ancestors *") && policy.contains("style-src 'self'"), "{policy}");
        let page = Html::parse_document(&answer.text());
        assert_eq!(texts(&page, "title"), ["Mitglieder im Netzwerk"]);
        let stylesheet = page.select(&Selector::parse("link[rel=stylesheet]").unwrap()).next().unwrap();
        assert_eq!(stylesheet.value().attr("href"), Some(format!("{PUBLIC_URL}/embed/v1/engagiert.css").as_str()));
        assert_eq!(page.select(&Selector::parse("script").unwrap()).count(), 0);
        let css = app.get("/embed/v1/engagiert.css").send().await.expect(200);
        assert!(css.text().contains("--eng-accent"));
        let showcase = app.get("/embed/").send().await.expect(200).text();
        let showcase = Html::parse_document(&showcase);
        let all = showcase.root_element().text().collect::<String>();
        for promise in ["/embed/v2", "404 oder 410", "curl", "file_get_contents", "<iframe"] {
            assert!(all.contains(promise), "the showcase names {promise}");
        }
        let framed = app.get(&format!("/embed/v1/documents/{}.html?standalone=true", s.document)).send().await.expect(200);
        assert!(framed.header("content-security-policy").unwrap().contains("frame-ancestors"));
    }

    async fn calendars_link_to_the_meeting_page(app) {
        let s = seed(&app, "Unna", "Treffen").await;
        let body = app.get(&format!("/api/v1/meetings/{}/calendar.ics", s.meeting)).send().await.expect(200).body;
        let calendar = crate::meetings::parse_ics(&body);
        let page = format!("{PUBLIC_URL}/embed/v1/meetings/{}.html?standalone=true", s.meeting);
        assert_eq!(calendar.events[0]["URL"].1, page);
        let html = fetch(&app, page.strip_prefix(PUBLIC_URL).unwrap()).await;
        assert!(html.contains("<title>Treffen</title>"), "{html}");
    }
}
