//! The standard formats as their readers see them: the Atom feed against the structure of
//! RFC 4287 (with enclosures), and the calendar's local times across the daylight-saving
//! switches of 2024–2030.

use serde_json::json;

use crate::both_backends;
use crate::documents::{PDF, multipart};
use crate::helpers::*;
use crate::meetings::parse_ics;

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |c| c.has_tag_name((ATOM, name)))
}

/// The structural rules of RFC 4287 section 4.1 that a reader relies on.
fn assert_atom_structure(xml: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "the root is atom:feed");
    for name in ["id", "title", "updated"] {
        assert_eq!(
            children(feed, name).count(),
            1,
            "feed has exactly one atom:{name}"
        );
    }
    let feed_has_author = children(feed, "author").count() > 0;
    let self_links: Vec<_> = children(feed, "link")
        .filter(|l| l.attribute("rel") == Some("self"))
        .collect();
    assert_eq!(self_links.len(), 1);
    for entry in children(feed, "entry") {
        for name in ["id", "title", "updated"] {
            assert_eq!(
                children(entry, name).count(),
                1,
                "entry has exactly one atom:{name}"
            );
        }
        assert!(
            feed_has_author || children(entry, "author").count() > 0,
            "every entry has an author"
        );
        assert!(children(entry, "summary").count() <= 1 && children(entry, "content").count() <= 1);
        let alternates: Vec<_> = children(entry, "link")
            .filter(|l| l.attribute("rel").unwrap_or("alternate") == "alternate")
            .collect();
        assert!(!alternates.is_empty() || children(entry, "content").count() == 1);
        for link in children(entry, "link") {
            assert!(
                link.attribute("href")
                    .is_some_and(|h| h.starts_with(PUBLIC_URL)),
                "absolute links"
            );
        }
        for updated in children(entry, "updated").chain(children(entry, "published")) {
            let text = updated.text().unwrap_or_default();
            assert!(
                chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                "RFC 3339 date: {text}"
            );
        }
    }
    doc
}

both_backends! {
    async fn atom_feed_follows_rfc_4287_with_enclosures(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&json!({"kind": "recommendation", "title": "Leitfaden <Ehrenamt> & mehr", "summary": "Kurz",
                          "body": "Text", "municipality_ids": [unna]}))
            .send().await.expect(201).json();
        let id = doc["id"].as_str().unwrap();
        let (content_type, body) = multipart("leitfaden.pdf", PDF);
        let attachment = app.post(&format!("/api/v1/documents/{id}/attachments")).bearer(&admin)
            .raw(&content_type, body).send().await.expect(201).json();
        app.post(&format!("/api/v1/documents/{id}/publish")).bearer(&admin).send().await.expect(200);

        // A change within the last second gets no date yet (HTTP dates have whole seconds).
        let fresh = app.get("/api/v1/feeds/documents.atom").send().await.expect(200);
        assert!(fresh.header("last-modified").is_none());
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
        let response = app.get("/api/v1/feeds/documents.atom").send().await.expect(200);
        assert_eq!(response.body, fresh.body);
        let xml = response.text();
        let doc = assert_atom_structure(&xml);
        let entry = doc.descendants().find(|n| n.has_tag_name((ATOM, "entry"))).unwrap();
        let title = children(entry, "title").next().unwrap().text().unwrap();
        assert_eq!(title, "Leitfaden <Ehrenamt> & mehr");
        let enclosure = children(entry, "link").find(|l| l.attribute("rel") == Some("enclosure")).expect("an enclosure");
        assert_eq!(enclosure.attribute("type"), Some("application/pdf"));
        assert_eq!(enclosure.attribute("length"), Some(PDF.len().to_string().as_str()));
        assert_eq!(enclosure.attribute("href").unwrap(), format!("{PUBLIC_URL}{}", attachment["url"].as_str().unwrap()));
        // feed-rs reads the same.
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("feed-rs parses it");
        assert_eq!(feed.entries.len(), 1);

        // Feed readers that keep only the date get 304 until something changes.
        let last_modified = response.header("last-modified").expect("Last-Modified");
        app.get("/api/v1/feeds/documents.atom").header("if-modified-since", &last_modified).send().await.expect(304);
        let etag = response.header("etag").unwrap();
        app.get("/api/v1/feeds/documents.atom").header("if-none-match", &etag).send().await.expect(304);
        // A later change answers 200 again (HTTP dates have whole seconds).
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
        app.patch(&format!("/api/v1/documents/{id}")).bearer(&admin).json(&json!({"summary": "Neu"})).send().await.expect(200);
        let changed = app.get("/api/v1/feeds/documents.atom").header("if-modified-since", &last_modified).send().await.expect(200);
        assert!(changed.text().contains("Neu"));
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
        let settled = app.get("/api/v1/feeds/documents.atom").send().await.expect(200);
        assert_ne!(settled.header("last-modified").unwrap(), last_modified);
    }

    async fn calendar_times_follow_daylight_saving_2024_to_2030(app) {
        let admin = app.admin().await;
        // (last Sunday of March, last Sunday of October) — the switches happen at 01:00 UTC.
        let switches = [
            (2024, "03-31", "10-27"), (2025, "03-30", "10-26"), (2026, "03-29", "10-25"),
            (2027, "03-28", "10-31"), (2028, "03-26", "10-29"), (2029, "03-25", "10-28"),
            (2030, "03-31", "10-27"),
        ];
        for (year, march, october) in switches {
            // (starts UTC, ends UTC, expected DTSTART, expected DTEND): local with TZID, or
            // UTC (`Z`) for the second pass through October's repeated hour.
            let cases = [
                // Spans the spring switch: 01:30 CET to 03:30 CEST.
                (format!("{year}-{march}T00:30:00Z"), format!("{year}-{march}T01:30:00Z"),
                 format!("{year}{}T013000", march.replace('-', "")), format!("{year}{}T033000", march.replace('-', ""))),
                // Spans the autumn switch: 02:30 CEST (first pass) to 02:30 CET (second pass).
                (format!("{year}-{october}T00:30:00Z"), format!("{year}-{october}T01:30:00Z"),
                 format!("{year}{}T023000", october.replace('-', "")), format!("{year}{}T013000Z", october.replace('-', ""))),
                // A summer and a winter day.
                (format!("{year}-07-01T08:00:00Z"), format!("{year}-07-01T10:00:00Z"),
                 format!("{year}0701T100000"), format!("{year}0701T120000")),
                (format!("{year}-12-01T08:00:00Z"), format!("{year}-12-01T10:00:00Z"),
                 format!("{year}1201T090000"), format!("{year}1201T110000")),
            ];
            for (starts, ends, local_start, local_end) in cases {
                let meeting = app.post("/api/v1/meetings").bearer(&admin)
                    .json(&json!({"kind": "workshop", "title": "Zeitumstellung", "format": "online", "online_url": "https://meet.example.org/zeit",
                                  "starts_at": starts, "ends_at": ends}))
                    .send().await.expect(201).json();
                let body = app.get(&format!("/api/v1/meetings/{}/calendar.ics", meeting["id"].as_str().unwrap()))
                    .send().await.expect(200).body;
                let calendar = parse_ics(&body);
                assert_eq!(calendar.timezones, ["Europe/Berlin"]);
                let event = &calendar.events[0];
                for (property, expected) in [("DTSTART", &local_start), ("DTEND", &local_end)] {
                    let (params, value) = &event[property];
                    assert_eq!(value, expected, "{property} of {starts}");
                    let expected_params = if expected.ends_with('Z') { "" } else { "TZID=Europe/Berlin" };
                    assert_eq!(params, expected_params, "{property} of {starts}");
                }
                // The VTIMEZONE holds the switches around the event, read off the tz database.
                let text = String::from_utf8_lossy(&body).replace("\r\n ", "");
                assert!(text.contains(&format!("DTSTART:{year}{}T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST",
                                               march.replace('-', ""))), "{text}");
            }
        }
    }
}
