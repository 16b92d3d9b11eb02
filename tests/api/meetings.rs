//! Network meetings: field rules, state changes, who may do what, filters, and the iCalendar
//! output read back by an independent parser; and the helpers the meeting tests share.
//! Registrations: meeting_registrations.rs.

use std::collections::HashMap;
use std::io::BufReader;

use actix_web::http::Method;
use chrono::{Duration, SecondsFormat, Utc};
use diesel::prelude::*;
use engagiert::auth::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const ONLINE: &str = "https://meet.example.org/netzwerk";
pub(crate) const UNKNOWN_ID: &str = "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e";

/// An RFC 3339 timestamp (UTC, whole seconds) `days` and `hours` from now.
pub(crate) fn from_now(days: i64, hours: i64) -> String {
    (Utc::now() + Duration::days(days) + Duration::hours(hours))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The UTC date `days` from now.
fn day(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A hybrid Netzwerktreffen `days` from now, five hours long, with a registration deadline
/// a week before it and room for ten.
pub(crate) fn meeting(title: &str, days: i64) -> Value {
    json!({
        "kind": "network_meeting",
        "title": title,
        "description": "Austausch über lokale Engagementstrategien.",
        "starts_at": from_now(days, 0),
        "ends_at": from_now(days, 5),
        "format": "hybrid",
        "venue": {"name": "Rathaus Unna, Ratssaal", "address": "Rathausplatz 1", "postal_code": "59423", "city": "Unna"},
        "online_url": ONLINE,
        "registration_deadline": from_now(days - 7, 0),
        "capacity": 10,
        "agenda": [
            {"position": 1, "title": "Begrüßung", "speaker": "Netzwerkbüro"},
            {"position": 2, "title": "Ehrenamtskarte NRW"}
        ],
        "topics": ["ehrenamtskarte"]
    })
}

pub(crate) fn with(base: &Value, patch: Value) -> Value {
    let mut body = base.clone();
    engagiert::http::merge_patch::merge(&mut body, &patch);
    body
}

pub(crate) async fn create(app: &TestApp, admin: &str, body: &Value) -> Value {
    app.post("/api/v1/meetings")
        .bearer(admin)
        .json(body)
        .send()
        .await
        .expect(201)
        .json()
}

pub(crate) fn id(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) async fn paderborn(app: &TestApp) -> String {
    app.municipality(
        json!({"name": "Paderborn", "kind": "town", "ags": "05774032",
        "membership": {"status": "member", "joined_on": "2020-09-25"}}),
    )
    .await
}

/// An editor of `municipality_id`; `name` keeps the e-mail addresses apart.
pub(crate) async fn editor(app: &TestApp, municipality_id: &str, name: &str) -> String {
    app.user(
        &format!("editor-{name}@engagiert.example"),
        Role::Editor,
        Some(municipality_id),
    )
    .await
    .1
}

/// A TEXT value of iCalendar with its escapes undone.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A parsed calendar: its properties, the TZIDs of its time zones, and per event each
/// property as (parameters, raw value).
pub(crate) struct Ics {
    pub(crate) properties: HashMap<String, String>,
    pub(crate) timezones: Vec<String>,
    pub(crate) events: Vec<HashMap<String, (String, String)>>,
}

/// Checks the physical form (CRLF, lines of at most 75 octets) and parses `body` with the
/// `ical` crate.
pub(crate) fn parse_ics(body: &[u8]) -> Ics {
    let text = std::str::from_utf8(body).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "the last line ends with CRLF");
    for line in text.trim_end_matches("\r\n").split("\r\n") {
        assert!(
            line.len() <= 75,
            "a line of {} octets: {line:?}",
            line.len()
        );
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "a bare line break in {line:?}"
        );
    }
    let mut parser = ical::IcalParser::new(BufReader::new(body));
    let calendar = parser.next().expect("a calendar").expect("valid iCalendar");
    assert!(parser.next().is_none(), "exactly one calendar");
    let properties = calendar
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect();
    let timezones = calendar
        .timezones
        .iter()
        .flat_map(|tz| tz.properties.iter())
        .filter(|p| p.name == "TZID")
        .filter_map(|p| p.value.clone())
        .collect();
    let events = calendar
        .events
        .iter()
        .map(|event| {
            event
                .properties
                .iter()
                .map(|p| {
                    let params = p
                        .params
                        .as_ref()
                        .map(|params| {
                            params
                                .iter()
                                .map(|(key, values)| format!("{key}={}", values.join(",")))
                                .collect::<Vec<_>>()
                                .join(";")
                        })
                        .unwrap_or_default();
                    (
                        p.name.clone(),
                        (params, p.value.clone().unwrap_or_default()),
                    )
                })
                .collect()
        })
        .collect();
    Ics {
        properties,
        timezones,
        events,
    }
}

both_backends! {
    async fn meeting_is_stored_in_utc_and_changed_by_put_and_patch(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let body = with(&meeting("47. Netzwerktreffen", 30), json!({
            "starts_at": "2030-06-15T10:00:00+02:00", "ends_at": "2030-06-15T16:30:00.750+02:00",
            "registration_deadline": "2030-06-01T23:59:00+02:00", "host_municipality_id": unna}));
        let response = app.post("/api/v1/meetings").bearer(&admin).json(&body).send().await.expect(201);
        let location = response.header("location").unwrap();
        let created = response.json();
        assert_eq!(location, format!("{PUBLIC_URL}/api/v1/meetings/{}", id(&created)));
        assert_eq!(created["starts_at"], "2030-06-15T08:00:00Z");
        assert_eq!(created["ends_at"], "2030-06-15T14:30:00Z", "UTC, to the second");
        assert_eq!(created["registration_deadline"], "2030-06-01T21:59:00Z");
        assert_eq!(created["status"], "planned");
        assert_eq!(created["version"], 1);
        assert_eq!(created["host_municipality_id"], unna);
        assert_eq!(created["online_url"], ONLINE);
        assert_eq!(created["venue"]["postal_code"], "59423");
        assert_eq!(created["agenda"][1]["position"], 2);
        assert_eq!(created["agenda"][0]["speaker"], "Netzwerkbüro");
        assert_eq!(created["topics"], json!(["ehrenamtskarte"]));
        assert_eq!(
            (created["registration_count"].as_i64(), created["attendee_count"].as_i64(), created["places_left"].as_i64()),
            (Some(0), Some(0), Some(10))
        );
        let read = app.get(&location).bearer(&admin).send().await.expect(200).json();
        assert_eq!(read, created);

        let patched = app.patch(&location).bearer(&admin)
            .json(&json!({"title": "48. Netzwerktreffen", "agenda": [{"title": "Neu"}], "document_ids": [UNKNOWN_ID]}))
            .send().await.expect(200).json();
        assert_eq!(patched["title"], "48. Netzwerktreffen");
        assert_eq!(patched["agenda"], json!([{"position": 1, "title": "Neu", "description": null, "speaker": null}]));
        assert_eq!(patched["document_ids"], json!([UNKNOWN_ID]));
        assert_eq!(patched["starts_at"], "2030-06-15T08:00:00Z");
        assert_eq!(patched["version"], 2);

        let replaced = app.put(&location).bearer(&admin)
            .json(&with(&body, json!({"format": "online", "venue": null, "capacity": null})))
            .send().await.expect(200).json();
        assert_eq!(replaced["format"], "online");
        assert!(replaced["venue"].is_null() && replaced["capacity"].is_null() && replaced["places_left"].is_null());
        assert_eq!(replaced["title"], "47. Netzwerktreffen");
        assert_eq!(replaced["document_ids"], json!([]));
        assert_eq!(replaced["version"], 3);
        // A whole number written with a fraction is an integer, as JSON Schema (and the
        // clients generated from the document) count it; a real fraction is not.
        let capacity = app.patch(&location).bearer(&admin)
            .json(&json!({"capacity": 80.0, "agenda": [{"position": 2.0, "title": "B"}, {"position": 1e0, "title": "A"}]}))
            .send().await.expect(200).json();
        assert_eq!((&capacity["capacity"], &capacity["agenda"][0]["title"]), (&json!(80), &json!("A")));
        let problem = app.patch(&location).bearer(&admin).json(&json!({"capacity": 80.5}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), vec!["capacity"]);

        app.patch(&location).bearer(&admin).header("if-match", &format!("\"{}.v1\"", id(&created)))
            .json(&json!({"title": "veraltet"})).send().await.problem(412);
        app.delete(&location).bearer(&admin).send().await.expect(204);
        app.get(&location).send().await.problem(410);
        app.get("/api/v1/meetings/kein-treffen").send().await.problem(404);
        app.get(&format!("/api/v1/meetings/{UNKNOWN_ID}")).send().await.problem(404);
    }

    async fn meeting_validation_names_each_field(app) {
        let admin = app.admin().await;
        let base = meeting("Netzwerktreffen", 30);
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"kind": "party"}), vec!["kind"]),
            (json!({"kind": null}), vec!["kind"]),
            (json!({"title": " "}), vec!["title"]),
            (json!({"title": "x".repeat(201)}), vec!["title"]),
            (json!({"title": "Zeile\nzwei"}), vec!["title"]),
            (json!({"description": "x".repeat(20_001)}), vec!["description"]),
            (json!({"starts_at": "morgen"}), vec!["starts_at"]),
            (json!({"starts_at": "2030-01-01T10:00:00"}), vec!["starts_at"]),
            (json!({"starts_at": "1999-12-31T10:00:00Z", "registration_deadline": null}), vec!["starts_at"]),
            (json!({"ends_at": from_now(29, 0)}), vec!["ends_at"]),
            (json!({"ends_at": base["starts_at"]}), vec!["ends_at"]),
            (json!({"format": "telepathy"}), vec!["format"]),
            (json!({"format": "in_person"}), vec!["online_url"]),
            (json!({"format": "online"}), vec!["venue"]),
            (json!({"venue": null}), vec!["venue"]),
            (json!({"online_url": null}), vec!["online_url"]),
            (json!({"online_url": "ftp://meet.example.org"}), vec!["online_url"]),
            (json!({"venue": {"name": ""}}), vec!["venue.name"]),
            (json!({"venue": {"city": null}}), vec!["venue.city"]),
            (json!({"venue": {"postal_code": "5942"}}), vec!["venue.postal_code"]),
            (json!({"venue": {"floor": 2}}), vec!["venue.floor"]),
            (json!({"host_municipality_id": "unna"}), vec!["host_municipality_id"]),
            (json!({"host_municipality_id": UNKNOWN_ID}), vec!["host_municipality_id"]),
            (json!({"registration_deadline": from_now(31, 0)}), vec!["registration_deadline"]),
            (json!({"registration_deadline": "bald"}), vec!["registration_deadline"]),
            (json!({"capacity": 0}), vec!["capacity"]),
            (json!({"capacity": -3}), vec!["capacity"]),
            (json!({"capacity": 100_001}), vec!["capacity"]),
            (json!({"agenda": [{"title": ""}]}), vec!["agenda[0].title"]),
            (json!({"agenda": [{"position": 1, "title": "a"}, {"position": 1, "title": "b"}]}), vec!["agenda[1].position"]),
            (json!({"agenda": [{"position": 0, "title": "a"}]}), vec!["agenda[0].position"]),
            (json!({"agenda": [{"title": "a", "room": "B 12"}]}), vec!["agenda[0].room"]),
            (json!({"topics": ["quartier", "quartier"]}), vec!["topics[1]"]),
            (json!({"document_ids": ["kein-uuid"]}), vec!["document_ids[0]"]),
            (json!({"document_ids": [UNKNOWN_ID, UNKNOWN_ID]}), vec!["document_ids[1]"]),
            (json!({"status": "held"}), vec!["status"]),
            (json!({"registration_count": 3}), vec!["registration_count"]),
        ];
        for (patch, fields) in cases {
            let body = with(&base, patch.clone());
            let problem = app.post("/api/v1/meetings").bearer(&admin).json(&body).send().await.problem(422);
            let mut got = error_fields(&problem);
            got.sort();
            let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{patch}: {problem}");
        }
        let list = app.get("/api/v1/meetings").send().await.expect(200).json();
        assert_eq!(list["total"], 0, "nothing was stored");

        // A change obeys the same rules, and status changes only through an action (409 naming it).
        let created = create(&app, &admin, &base).await;
        let path = format!("/api/v1/meetings/{}", id(&created));
        let problem = app.patch(&path).bearer(&admin).json(&json!({"ends_at": from_now(1, 0)})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["ends_at"]);
        let problem = app.patch(&path).bearer(&admin).json(&json!({"status": "cancelled"})).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["status"]);
        assert!(problem["detail"].as_str().unwrap().contains("/cancel"), "{problem}");
        assert_eq!(app.get(&path).send().await.expect(200).json()["version"], 1);
    }

    async fn only_admins_write_meetings(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let unna_editor = editor(&app, &unna, "unna").await;
        let body = meeting("Netzwerktreffen", 30);
        let created = create(&app, &admin, &body).await;
        let path = format!("/api/v1/meetings/{}", id(&created));
        let writes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::POST, "/api/v1/meetings".into(), Some(body.clone())),
            (Method::PUT, path.clone(), Some(body.clone())),
            (Method::PATCH, path.clone(), Some(json!({"title": "Geändert"}))),
            (Method::DELETE, path.clone(), None),
            (Method::POST, format!("{path}/cancel"), None),
            (Method::POST, format!("{path}/hold"), None),
        ];
        for (method, target, payload) in &writes {
            for (token, status) in [(None, 401), (Some(unna_editor.as_str()), 403)] {
                let mut request = app.req(method.clone(), target);
                if let Some(token) = token {
                    request = request.bearer(token);
                }
                if let Some(payload) = payload {
                    request = request.json(payload);
                }
                request.send().await.problem(status);
            }
        }
        let unchanged = app.get(&path).send().await.expect(200).json();
        assert_eq!((unchanged["version"].as_i64(), unchanged["status"].as_str()), (Some(1), Some("planned")));
        assert_eq!(app.get("/api/v1/meetings").send().await.expect(200).json()["total"], 1);
        // The admin may do each of them.
        app.patch(&path).bearer(&admin).json(&json!({"title": "Geändert"})).send().await.expect(200);
        app.post(&format!("{path}/cancel")).bearer(&admin).send().await.expect(200);
        app.delete(&path).bearer(&admin).send().await.expect(204);
    }

    async fn cancelling_and_holding_are_state_changes(app) {
        let admin = app.admin().await;
        let upcoming = create(&app, &admin, &meeting("Demnächst", 30)).await;
        let begun = create(&app, &admin, &meeting("Begonnen", -2)).await;
        let upcoming = format!("/api/v1/meetings/{}", id(&upcoming));
        let begun = format!("/api/v1/meetings/{}", id(&begun));

        let problem = app.post(&format!("{upcoming}/hold")).bearer(&admin).send().await.problem(409);
        assert!(problem["detail"].as_str().unwrap().contains("started"), "{problem}");
        let cancelled = app.post(&format!("{upcoming}/cancel")).bearer(&admin).send().await.expect(200).json();
        assert_eq!((cancelled["status"].as_str(), cancelled["version"].as_i64()), (Some("cancelled"), Some(2)));
        app.post(&format!("{upcoming}/cancel")).bearer(&admin).send().await.problem(409);
        app.post(&format!("{upcoming}/hold")).bearer(&admin).send().await.problem(409);
        // Cancelled is not deleted.
        assert_eq!(app.get(&upcoming).send().await.expect(200).json()["status"], "cancelled");

        let held = app.post(&format!("{begun}/hold")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(held["status"], "held");
        app.post(&format!("{begun}/hold")).bearer(&admin).send().await.problem(409);
        app.post(&format!("{begun}/cancel")).bearer(&admin).send().await.problem(409);
        app.post(&format!("{begun}/cancel")).bearer(&admin).header("if-match", "\"x.v1\"").send().await.problem(412);
        app.post(&format!("/api/v1/meetings/{UNKNOWN_ID}/cancel")).bearer(&admin).send().await.problem(404);
    }

    async fn online_link_is_shown_to_members_only(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let unna_editor = editor(&app, &unna, "unna").await;
        let created = create(&app, &admin, &meeting("Hybrid", 30)).await;
        let path = format!("/api/v1/meetings/{}", id(&created));

        let anonymous = app.get(&path).send().await.expect(200);
        let body = anonymous.json();
        assert!(body.get("online_url").is_none(), "left out entirely: {body}");
        for token in [&admin, &unna_editor] {
            let member = app.get(&path).bearer(token).send().await.expect(200);
            assert_ne!(member.header("etag"), anonymous.header("etag"), "another representation, another tag");
            assert_eq!(member.json()["online_url"], ONLINE);
        }
        let list = app.get("/api/v1/meetings").send().await.expect(200).json();
        assert!(list["items"][0].get("online_url").is_none(), "{list}");
        let list = app.get("/api/v1/meetings").bearer(&unna_editor).send().await.expect(200).json();
        assert_eq!(list["items"][0]["online_url"], ONLINE);

        let single = format!("{path}/calendar.ics");
        for calendar in ["/api/v1/feeds/meetings.ics", single.as_str()] {
            let public = app.get(calendar).send().await.expect(200).text();
            assert!(!public.contains("meet.example.org"), "{calendar}: {public}");
            let members = app.get(calendar).bearer(&unna_editor).send().await.expect(200).text();
            assert!(members.contains(&format!("\r\nURL:{ONLINE}\r\n")), "{calendar}: {members}");
        }
    }

    async fn every_filter_and_sort(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let paderborn = paderborn(&app).await;
        create(&app, &admin, &with(&meeting("A", 10), json!({"host_municipality_id": unna}))).await;
        create(&app, &admin, &with(&meeting("B", 20), json!({"kind": "workshop", "format": "online", "venue": null, "topics": ["digitalisierung"]}))).await;
        let c = create(&app, &admin, &with(&meeting("C", 40), json!({"kind": "summit", "format": "in_person", "online_url": null,
            "host_municipality_id": paderborn, "topics": ["ehrenamtskarte", "gemeinsame-erklaerung"]}))).await;
        let d = create(&app, &admin, &with(&meeting("D", -5), json!({"kind": "digital_short_format", "format": "online", "venue": null, "topics": []}))).await;
        app.post(&format!("/api/v1/meetings/{}/cancel", id(&c))).bearer(&admin).send().await.expect(200);
        app.post(&format!("/api/v1/meetings/{}/hold", id(&d))).bearer(&admin).send().await.expect(200);

        let cases: Vec<(String, Vec<&str>)> = vec![
            ("".into(), vec!["D", "A", "B", "C"]),
            ("sort=starts_at".into(), vec!["D", "A", "B", "C"]),
            ("sort=-starts_at".into(), vec!["C", "B", "A", "D"]),
            ("sort=updated_at".into(), vec!["A", "B", "C", "D"]),
            ("sort=-updated_at".into(), vec!["D", "C", "B", "A"]),
            ("status=planned".into(), vec!["A", "B"]),
            ("status=cancelled".into(), vec!["C"]),
            ("status=held".into(), vec!["D"]),
            ("kind=workshop".into(), vec!["B"]),
            ("kind=network_meeting".into(), vec!["A"]),
            ("format=online".into(), vec!["D", "B"]),
            ("format=in_person".into(), vec!["C"]),
            ("format=hybrid".into(), vec!["A"]),
            (format!("host_municipality_id={unna}"), vec!["A"]),
            (format!("host_municipality_id={paderborn}"), vec!["C"]),
            ("topic=ehrenamtskarte".into(), vec!["A", "C"]),
            ("topic=unbekannt".into(), vec![]),
            (format!("from={}", day(15)), vec!["B", "C"]),
            // A date as `to` includes its whole day.
            (format!("to={}", day(10)), vec!["D", "A"]),
            (format!("from={}&to={}", day(-6), day(20)), vec!["D", "A", "B"]),
            (format!("from={}&to={}", from_now(-6, 0), from_now(11, 0)), vec!["D", "A"]),
            (format!("from={}&status=planned&sort=-starts_at", day(0)), vec!["B", "A"]),
        ];
        for (query, expected) in cases {
            let list = app.get(&format!("/api/v1/meetings?{query}")).send().await.expect(200).json();
            assert_eq!(titles(&list), expected, "{query}");
            assert_eq!(list["total"], expected.len(), "{query}");
        }
        for query in ["kind=party", "status=maybe", "format=paper", "host_municipality_id=unna%20city", "from=gestern",
                      "to=2030-13-01", "sort=title", "colour=blue"] {
            app.get(&format!("/api/v1/meetings?{query}")).send().await.problem(400);
        }
        let problem = app.get(&format!("/api/v1/meetings?from={}&to={}", day(5), day(1))).send().await.problem(400);
        assert_eq!(error_fields(&problem), ["to"]);
    }

    async fn calendar_feed_matches_the_meetings(app) {
        let admin = app.admin().await;
        let summer_title = "Netzwerktreffen; Köln, \"Ehrenamt\" \\ Sommer";
        let description = format!("Zeile eins\nZeile zwei: {}Ende.", "Bürgerschaftliches Engagement, Ehrenamt; ".repeat(8));
        let summer = create(&app, &admin, &with(&meeting(summer_title, 30), json!({
            "starts_at": "2030-06-15T08:00:00Z", "ends_at": "2030-06-15T14:30:00Z",
            "registration_deadline": null, "description": description}))).await;
        let winter = create(&app, &admin, &with(&meeting("Winterforum", 30), json!({
            "starts_at": "2030-12-02T09:00:00Z", "ends_at": "2030-12-02T12:00:00Z", "registration_deadline": null}))).await;
        app.post(&format!("/api/v1/meetings/{}/cancel", id(&winter))).bearer(&admin).send().await.expect(200);
        create(&app, &admin, &meeting("Vor kurzem", -10)).await;
        // Started before the window: left out.
        let old = create(&app, &admin, &meeting("Lange her", -40)).await;
        // Cancelled more than 30 days ago: left out.
        let gone = create(&app, &admin, &meeting("Längst abgesagt", 60)).await;
        app.post(&format!("/api/v1/meetings/{}/cancel", id(&gone))).bearer(&admin).send().await.expect(200);
        let gone_id = engagiert::ids::MeetingId::parse(&id(&gone)).unwrap();
        app.db().run(move |conn| {
            use engagiert::db::schema::meetings;
            diesel::update(meetings::table.find(gone_id))
                .set(meetings::updated_at.eq(Utc::now().naive_utc() - Duration::days(40)))
                .execute(conn)?;
            Ok(())
        }).await.unwrap();

        let response = app.get("/api/v1/feeds/meetings.ics").send().await.expect(200);
        assert_eq!(response.header("content-type").as_deref(), Some("text/calendar; charset=utf-8"));
        let etag = response.header("etag").unwrap();
        app.get("/api/v1/feeds/meetings.ics").header("if-none-match", &etag).send().await.expect(304);
        let ics = parse_ics(&response.body);
        assert_eq!(ics.properties["VERSION"], "2.0");
        assert_eq!(ics.properties["METHOD"], "PUBLISH");
        assert!(!ics.properties["PRODID"].is_empty());
        assert_eq!(ics.timezones, ["Europe/Berlin"]);

        let listed = app.get(&format!("/api/v1/meetings?from={}", from_now(-30, 0))).send().await.expect(200).json();
        let expected: Vec<&Value> = listed["items"].as_array().unwrap().iter().filter(|m| m["id"] != gone["id"]).collect();
        assert_eq!(ics.events.len(), expected.len());
        assert_eq!(ics.events.len(), 3, "recent, summer and winter");
        for (event, meeting) in ics.events.iter().zip(&expected) {
            assert_eq!(event["UID"].1, format!("{}@engagiert", id(meeting)));
            assert_eq!(unescape(&event["SUMMARY"].1), meeting["title"].as_str().unwrap());
            let status = if meeting["status"] == "cancelled" { "CANCELLED" } else { "CONFIRMED" };
            assert_eq!(event["STATUS"].1, status, "{}", meeting["title"]);
            assert_eq!(event["SEQUENCE"].1, (meeting["version"].as_i64().unwrap() - 1).to_string());
            assert_eq!(event["DTSTART"].0, "TZID=Europe/Berlin");
            assert_eq!(event["DTEND"].0, "TZID=Europe/Berlin");
            assert!(event.contains_key("DTSTAMP") && event.contains_key("LAST-MODIFIED"));
        }
        let by_uid = |meeting: &Value| {
            let uid = format!("{}@engagiert", id(meeting));
            ics.events.iter().find(|e| e["UID"].1 == uid).cloned()
        };
        let summer_event = by_uid(&summer).expect("the summer meeting");
        assert_eq!(summer_event["DTSTART"].1, "20300615T100000", "CEST");
        assert_eq!(summer_event["DTEND"].1, "20300615T163000");
        assert!(unescape(&summer_event["DESCRIPTION"].1).starts_with(&description), "folded and escaped text reads back");
        let winter_event = by_uid(&winter).expect("the winter meeting");
        assert_eq!(winter_event["DTSTART"].1, "20301202T100000", "CET");
        assert_eq!(winter_event["STATUS"].1, "CANCELLED");
        assert!(by_uid(&old).is_none() && by_uid(&gone).is_none());

        // A change shows in SUMMARY and raises SEQUENCE.
        let summer_path = format!("/api/v1/meetings/{}", id(&summer));
        app.patch(&summer_path).bearer(&admin).json(&json!({"title": "Sommertreffen"})).send().await.expect(200);
        let changed = app.get("/api/v1/feeds/meetings.ics").header("if-none-match", &etag).send().await.expect(200);
        let changed = parse_ics(&changed.body);
        let uid = format!("{}@engagiert", id(&summer));
        let event = changed.events.iter().find(|e| e["UID"].1 == uid).unwrap();
        assert_eq!((event["SUMMARY"].1.as_str(), event["SEQUENCE"].1.as_str()), ("Sommertreffen", "1"));

        // The feed takes the list's filters.
        let cancelled = parse_ics(&app.get("/api/v1/feeds/meetings.ics?status=cancelled").send().await.expect(200).body);
        assert_eq!(cancelled.events.len(), 1);
        assert_eq!(cancelled.events[0]["UID"].1, format!("{}@engagiert", id(&winter)));
        let none = parse_ics(&app.get("/api/v1/feeds/meetings.ics?kind=summit").send().await.expect(200).body);
        assert!(none.events.is_empty());
        // Parameters a feed does not define are ignored (calendar apps add their own).
        app.get("/api/v1/feeds/meetings.ics?limit=5&_=123&utm_source=x").send().await.expect(200);
        app.get("/api/v1/feeds/meetings.ics?kind=party").send().await.problem(400);

        // A single meeting's calendar answers for every live meeting, cancelled ones included.
        let single = app.get(&format!("/api/v1/meetings/{}/calendar.ics", id(&gone))).send().await.expect(200);
        let single = parse_ics(&single.body);
        assert_eq!(single.events.len(), 1);
        assert_eq!(single.events[0]["UID"].1, format!("{}@engagiert", id(&gone)));
        assert_eq!(single.events[0]["STATUS"].1, "CANCELLED");
        app.delete(&format!("/api/v1/meetings/{}", id(&old))).bearer(&admin).send().await.expect(204);
        app.get(&format!("/api/v1/meetings/{}/calendar.ics", id(&old))).send().await.problem(410);
        app.get(&format!("/api/v1/meetings/{UNKNOWN_ID}/calendar.ics")).send().await.problem(404);
    }
}
