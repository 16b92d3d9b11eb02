//! A property test: arbitrary Unicode in every text field that the feeds and exports carry.
//! Whatever the API accepts must come back, unchanged, through independent parsers of the
//! Atom feed (feed-rs), the iCalendar feed (ical), the CSV export (csv) and the GeoJSON export
//! (geojson); whatever breaks them must be refused with 422 naming the field. Never a 5xx.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::meetings::parse_ics;

/// Characters that break formats, mixed with arbitrary ones.
fn hostile() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '\u{0}',
        '\u{1}',
        '\u{7}',
        '\u{b}',
        '\u{1b}',
        '\u{7f}',
        '\u{85}',
        '\u{FFFE}',
        '\u{FFFF}',
        '\u{FDD0}',
        '\u{1FFFF}',
        '\u{10FFFF}',
        '\u{D7FF}',
        '\u{E000}',
        '\u{FFFD}',
        '\u{2028}',
        '\u{308}',
        '\u{200B}',
        '\u{FEFF}',
        '<',
        '>',
        '&',
        '"',
        '\'',
        ']',
        ';',
        ',',
        '\\',
        '=',
        '+',
        '-',
        '@',
        '\t',
        '\r',
        '\n',
        'ß',
        'Ü',
        '😀',
    ]);
    let one = prop_oneof![3 => special, 2 => any::<char>(), 3 => prop::char::range('a', 'z')];
    prop::collection::vec(one, 1..24)
        .prop_map(|chars| format!("T{}", chars.into_iter().collect::<String>()))
}

/// Line breaks as a text parser hands them back: CRLF and lone CR become LF.
fn lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// An iCalendar TEXT value unescaped (RFC 5545 3.3.11).
fn ics_text(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

both_backends! {
    async fn arbitrary_text_never_breaks_a_feed_or_an_export(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let mut runner = TestRunner::new(Config { cases: 24, ..Config::default() });
        let strategy = hostile();
        let mut accepted = 0;
        for case in 0..24 {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            // Names and titles are single lines (a rule of their own); the rest takes any text.
            let line = text.replace(['\r', '\n', '\t'], " ");
            let clean = engagiert::text::clean(&text).is_ok();
            let expected = if clean { 201 } else { 422 };

            // A municipality (CSV and GeoJSON).
            let created = app.post("/api/v1/municipalities").bearer(&admin)
                .json(&json!({"name": format!("{line} {case}"), "kind": "regional_authority", "region": "arnsberg",
                              "location": {"lat": 51.5, "lon": 7.5}, "description": text,
                              "membership": {"status": "member", "joined_on": "2024-01-15"}}))
                .send().await;
            assert_eq!(created.status.as_u16(), expected, "{text:?}: {}", created.text());
            // A meeting (iCalendar).
            let meeting = app.post("/api/v1/meetings").bearer(&admin)
                .json(&json!({"kind": "workshop", "title": line, "description": text, "format": "in_person",
                              "starts_at": "2031-03-01T09:00:00Z", "ends_at": "2031-03-01T12:00:00Z",
                              "venue": {"name": line, "city": "Unna"}}))
                .send().await;
            assert_eq!(meeting.status.as_u16(), expected, "{text:?}: {}", meeting.text());
            // A published document (Atom).
            let document = app.post("/api/v1/documents").bearer(&admin)
                .json(&json!({"kind": "method", "title": line, "summary": text, "body": text,
                              "topics": [format!("t{case}")], "municipality_ids": [unna]}))
                .send().await;
            assert_eq!(document.status.as_u16(), expected, "{text:?}: {}", document.text());
            if !clean {
                for refused in [created, meeting, document] {
                    let problem = refused.problem(422);
                    assert!(!error_fields(&problem).is_empty(), "{problem}");
                }
                continue;
            }
            accepted += 1;
            let municipality = created.json();
            let meeting = meeting.json();
            let document = document.json();
            app.post(&format!("/api/v1/documents/{}/publish", document["id"].as_str().unwrap()))
                .bearer(&admin).send().await.expect(200);
            check_exports(&app, &municipality).await;
            check_calendar(&app, &meeting).await;
            check_feed(&app, &document).await;
        }
        // The strategy must exercise both sides.
        assert!(accepted > 0 && accepted < 24, "accepted {accepted} of 24");
    }
}

async fn check_exports(app: &TestApp, municipality: &Value) {
    let id = municipality["id"].as_str().unwrap();
    let csv_body = app
        .get("/api/v1/exports/municipalities.csv")
        .send()
        .await
        .expect(200)
        .body;
    let mut reader = csv::Reader::from_reader(csv_body.as_ref());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = reader
        .records()
        .map(|r| r.expect("well-formed CSV"))
        .find(|r| &r[column("id")] == id)
        .expect("the municipality is in the CSV");
    assert_eq!(&row[column("name")], municipality["name"].as_str().unwrap());
    assert_eq!(
        &row[column("description")],
        municipality["description"].as_str().unwrap()
    );

    let geojson_body = app
        .get("/api/v1/exports/municipalities.geojson")
        .send()
        .await
        .expect(200)
        .text();
    let parsed: geojson::GeoJson = geojson_body.parse().expect("valid GeoJSON");
    let geojson::GeoJson::FeatureCollection(collection) = parsed else {
        panic!("a feature collection")
    };
    let names: Vec<String> = collection
        .features
        .iter()
        .filter_map(|f| {
            f.property("name")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n == municipality["name"].as_str().unwrap()),
        "{names:?}"
    );
}

async fn check_calendar(app: &TestApp, meeting: &Value) {
    let body = app
        .get("/api/v1/feeds/meetings.ics")
        .send()
        .await
        .expect(200)
        .body;
    let calendar = parse_ics(&body);
    let uid = format!("{}@engagiert", meeting["id"].as_str().unwrap());
    let event = calendar
        .events
        .iter()
        .find(|e| e["UID"].1 == uid)
        .expect("the meeting is in the calendar");
    assert_eq!(
        ics_text(&event["SUMMARY"].1),
        lines(meeting["title"].as_str().unwrap())
    );
    let single = app
        .get(&format!(
            "/api/v1/meetings/{}/calendar.ics",
            meeting["id"].as_str().unwrap()
        ))
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(parse_ics(&single).events.len(), 1);
}

async fn check_feed(app: &TestApp, document: &Value) {
    let body = app
        .get("/api/v1/feeds/documents.atom")
        .send()
        .await
        .expect(200)
        .body;
    let feed = feed_rs::parser::parse(body.as_ref()).expect("well-formed Atom");
    let link = format!("/api/v1/documents/{}", document["id"].as_str().unwrap());
    let entry = feed
        .entries
        .iter()
        .find(|e| e.links.iter().any(|l| l.href.ends_with(&link)))
        .expect("the document is in the feed");
    let title = entry.title.as_ref().expect("a title");
    assert_eq!(
        lines(&title.content).trim(),
        lines(document["title"].as_str().unwrap()).trim()
    );
    let summary = entry.summary.as_ref().expect("a summary");
    // The summary goes out as its rendered HTML (`markdown`), the same as the JSON shows.
    assert_eq!(
        lines(&summary.content).trim(),
        lines(document["summary_html"].as_str().unwrap()).trim()
    );
}
