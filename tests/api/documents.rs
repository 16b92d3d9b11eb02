use actix_web::http::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::both_backends;
use crate::helpers::*;

pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

pub(crate) fn multipart(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "engagiert-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn document(title: &str, authors: &[&str]) -> Value {
    json!({"kind": "practice_example", "title": title, "summary": "Kurzfassung", "body": "Text",
           "topics": ["ehrenamtsagentur"], "municipality_ids": authors})
}

struct Network {
    admin: String,
    unna: String,
    paderborn: String,
    unna_editor: String,
    paderborn_editor: String,
}

async fn network(app: &TestApp) -> Network {
    let admin = app.admin().await;
    let unna = app.unna().await;
    let paderborn = app
        .municipality(
            json!({"name": "Paderborn", "kind": "town", "ags": "05774032",
        "membership": {"status": "member", "joined_on": "2020-09-25"}}),
        )
        .await;
    let unna_editor = app.editor(&unna).await;
    let paderborn_editor = app.editor(&paderborn).await;
    Network {
        admin,
        unna,
        paderborn,
        unna_editor,
        paderborn_editor,
    }
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    app.post("/api/v1/documents")
        .bearer(token)
        .json(body)
        .send()
        .await
        .expect(201)
        .json()
}

async fn publish(app: &TestApp, admin: &str, id: &str) -> Value {
    app.post(&format!("/api/v1/documents/{id}/publish"))
        .bearer(admin)
        .send()
        .await
        .expect(200)
        .json()
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn drafts_show_only_to_admins_and_author_editors(app) {
        let n = network(&app).await;
        let draft = create(&app, &n.unna_editor, &document("Ehrenamtsagentur Unna", &[&n.unna])).await;
        assert_eq!(draft["status"], "draft");
        assert!(draft["published_at"].is_null());
        let path = format!("/api/v1/documents/{}", draft["id"].as_str().unwrap());
        app.get(&path).send().await.problem(404);
        app.get(&path).bearer(&n.paderborn_editor).send().await.problem(404);
        app.get(&path).bearer(&n.unna_editor).send().await.expect(200);
        app.get(&path).bearer(&n.admin).send().await.expect(200);
        let anonymous = app.get("/api/v1/documents").send().await.expect(200).json();
        assert_eq!(anonymous["total"], 0);
        let drafts = app.get("/api/v1/documents?status=draft").bearer(&n.paderborn_editor).send().await.expect(200).json();
        assert_eq!(drafts["total"], 0);
        let own = app.get("/api/v1/documents?status=draft").bearer(&n.unna_editor).send().await.expect(200).json();
        assert_eq!(own["total"], 1);
        // Publishing is the office's.
        app.post(&format!("{path}/publish")).bearer(&n.unna_editor).send().await.problem(403);
        let published = publish(&app, &n.admin, draft["id"].as_str().unwrap()).await;
        assert_eq!(published["status"], "published");
        let published_at = published["published_at"].as_str().unwrap().to_owned();
        app.get(&path).send().await.expect(200);
        app.post(&format!("{path}/publish")).bearer(&n.admin).send().await.problem(409);
        let archived = app.post(&format!("{path}/archive")).bearer(&n.admin).send().await.expect(200).json();
        assert_eq!(archived["status"], "archived");
        app.post(&format!("{path}/archive")).bearer(&n.admin).send().await.problem(409);
        let again = publish(&app, &n.admin, draft["id"].as_str().unwrap()).await;
        assert_eq!(again["published_at"].as_str().unwrap(), published_at, "published_at is kept");
        // status changes only through the actions (409).
        let problem = app.patch(&path).bearer(&n.admin).json(&json!({"status": "draft"})).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["status"]);
    }

    async fn editors_write_only_documents_of_their_municipality(app) {
        let n = network(&app).await;
        app.post("/api/v1/documents").bearer(&n.unna_editor).json(&document("Fremd", &[&n.paderborn])).send().await.problem(403);
        app.post("/api/v1/documents").json(&document("Anonym", &[&n.unna])).send().await.problem(401);
        let theirs = create(&app, &n.paderborn_editor, &document("Paderborn", &[&n.paderborn])).await;
        let theirs_path = format!("/api/v1/documents/{}", theirs["id"].as_str().unwrap());
        publish(&app, &n.admin, theirs["id"].as_str().unwrap()).await;
        app.patch(&theirs_path).bearer(&n.unna_editor).json(&json!({"title": "Übernommen"})).send().await.problem(403);
        let ours = create(&app, &n.unna_editor, &document("Gemeinsam", &[&n.unna, &n.paderborn])).await;
        let ours_path = format!("/api/v1/documents/{}", ours["id"].as_str().unwrap());
        app.patch(&ours_path).bearer(&n.paderborn_editor).json(&json!({"title": "Gemeinsam 2"})).send().await.expect(200);
        app.patch(&ours_path).bearer(&n.unna_editor).json(&json!({"municipality_ids": [n.paderborn]})).send().await.problem(403);
        // Shape first (a URL that is none), then the rules (every field at once).
        let problem = app.patch(&ours_path).bearer(&n.unna_editor)
            .json(&json!({"title": "", "language": "deutsch", "links": [{"title": "x", "url": "ftp://x"}]}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["links[0].url"]);
        let problem = app.patch(&ours_path).bearer(&n.unna_editor)
            .json(&json!({"title": "", "language": "deutsch", "topics": ["a", "a"]}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["title", "language", "topics[1]"]);
        let problem = app.post("/api/v1/documents").bearer(&n.admin)
            .json(&json!({"kind": "essay", "title": "x", "municipality_ids": ["01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"]}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["kind"]);
        let problem = app.post("/api/v1/documents").bearer(&n.admin)
            .json(&json!({"kind": "method", "title": "x", "municipality_ids": ["01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d6e"]}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["municipality_ids[0]"]);
        app.delete(&ours_path).bearer(&n.unna_editor).send().await.expect(204);
        app.delete(&theirs_path).bearer(&n.paderborn_editor).send().await.problem(403);
        app.delete(&theirs_path).bearer(&n.admin).send().await.expect(204);
        app.get(&theirs_path).send().await.problem(410);
    }

    async fn search_folds_umlauts_requires_every_word_and_ranks(app) {
        let n = network(&app).await;
        let docs = [
            json!({"kind": "method", "title": "Bürgerschaftliches Engagement stärken", "body": "Ein Leitfaden."}),
            json!({"kind": "method", "title": "Leitfaden Ehrenamtskarte", "summary": "Zum bürgerschaftlichen Engagement in der Straße."}),
            json!({"kind": "method", "title": "Quartiersarbeit", "body": "Bürgerschaft im Quartier, Hauptstraße 1."}),
            json!({"kind": "method", "title": "Sport", "topics": ["buergerschaft"], "body": "Vereine."}),
        ];
        for body in &docs {
            let created = create(&app, &n.admin, body).await;
            publish(&app, &n.admin, created["id"].as_str().unwrap()).await;
        }
        let cases: Vec<(&str, Vec<&str>)> = vec![
            ("buergerschaft", vec!["Bürgerschaftliches Engagement stärken", "Sport", "Leitfaden Ehrenamtskarte", "Quartiersarbeit"]),
            ("BÜRGERSCHAFT", vec!["Bürgerschaftliches Engagement stärken", "Sport", "Leitfaden Ehrenamtskarte", "Quartiersarbeit"]),
            ("strasse", vec!["Leitfaden Ehrenamtskarte", "Quartiersarbeit"]),
            ("Straße quartier", vec!["Quartiersarbeit"]),
            ("leitfaden", vec!["Leitfaden Ehrenamtskarte", "Bürgerschaftliches Engagement stärken"]),
            // Title "leitfaden" (8) + summary "engagement" (2) beats title "engagement" (8) + body "leitfaden" (1).
            ("leitfaden engagement", vec!["Leitfaden Ehrenamtskarte", "Bürgerschaftliches Engagement stärken"]),
            ("nichtvorhanden", vec![]),
            ("100%", vec![]),
        ];
        for (q, expected) in cases {
            let list = app.get(&format!("/api/v1/documents?q={}", url_encode(q))).send().await.expect(200).json();
            assert_eq!(titles(&list), expected, "q={q}");
            assert_eq!(list["total"], expected.len(), "q={q}");
        }
        let paged = app.get("/api/v1/documents?q=buergerschaft&limit=2&offset=1").send().await.expect(200).json();
        assert_eq!(titles(&paged), ["Sport", "Leitfaden Ehrenamtskarte"]);
        assert_eq!(paged["total"], 4);
        let by_title = app.get("/api/v1/documents?q=buergerschaft&sort=title").send().await.expect(200).json();
        assert_eq!(titles(&by_title)[0], "Bürgerschaftliches Engagement stärken");
    }

    async fn every_document_filter(app) {
        let n = network(&app).await;
        let problem = app.post("/api/v1/documents").bearer(&n.admin)
            .json(&json!({"kind": "recommendation", "title": "X", "meeting_id": "01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d99"}))
            .send().await.problem(422);
        assert_eq!(error_fields(&problem), ["meeting_id"]);
        let meeting = app.post("/api/v1/meetings").bearer(&n.admin).json(&json!({
            "kind": "network_meeting", "title": "Netzwerktreffen", "format": "online",
            "online_url": "https://meet.example.org/treffen",
            "starts_at": "2030-05-04T08:00:00Z", "ends_at": "2030-05-04T12:00:00Z"
        })).send().await.expect(201).json();
        let meeting = meeting["id"].as_str().unwrap().to_owned();
        let a = create(&app, &n.admin, &json!({"kind": "recommendation", "title": "A", "topics": ["digitalisierung"], "municipality_ids": [n.unna], "meeting_id": meeting})).await;
        let b = create(&app, &n.admin, &json!({"kind": "method", "title": "B", "topics": ["quartier"], "municipality_ids": [n.paderborn]})).await;
        create(&app, &n.admin, &json!({"kind": "method", "title": "C (Entwurf)"})).await;
        publish(&app, &n.admin, a["id"].as_str().unwrap()).await;
        let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        publish(&app, &n.admin, b["id"].as_str().unwrap()).await;
        let cases: Vec<(String, Vec<&str>)> = vec![
            ("".into(), vec!["B", "A", "C (Entwurf)"]),
            ("kind=method".into(), vec!["B", "C (Entwurf)"]),
            ("topic=digitalisierung".into(), vec!["A"]),
            (format!("municipality_id={}", n.unna), vec!["A"]),
            (format!("meeting_id={meeting}"), vec!["A"]),
            ("status=draft".into(), vec!["C (Entwurf)"]),
            ("status=published".into(), vec!["B", "A"]),
            (format!("published_since={}", url_encode(&since)), vec!["B"]),
            ("published_since=2000-01-01".into(), vec!["B", "A"]),
            ("sort=title".into(), vec!["A", "B", "C (Entwurf)"]),
        ];
        for (query, expected) in cases {
            let list = app.get(&format!("/api/v1/documents?{query}")).bearer(&n.admin).send().await.expect(200).json();
            assert_eq!(titles(&list), expected, "{query}");
        }
        for query in ["kind=essay", "status=secret", "published_since=gestern", "municipality_id=%3Cunna%3E", "sort=kind"] {
            app.get(&format!("/api/v1/documents?{query}")).send().await.problem(400);
        }
    }

    async fn attachments_round_trip_and_stay_as_hidden_as_their_draft(app) {
        let n = network(&app).await;
        let draft = create(&app, &n.unna_editor, &document("Mit Anhang", &[&n.unna])).await;
        let id = draft["id"].as_str().unwrap();
        let (content_type, body) = multipart("../../etc/Leitfaden final.pdf", PDF);
        let uploaded = app.post(&format!("/api/v1/documents/{id}/attachments")).bearer(&n.unna_editor)
            .raw(&content_type, body).send().await.expect(201).json();
        let sha = format!("{:x}", Sha256::digest(PDF));
        assert_eq!(uploaded["sha256"], sha);
        assert_eq!(uploaded["media_type"], "application/pdf");
        assert_eq!(uploaded["size_bytes"], PDF.len());
        assert_eq!(uploaded["filename"], "Leitfaden final.pdf", "no directories");
        let url = uploaded["url"].as_str().unwrap();
        // Hidden like the draft.
        app.get(url).send().await.problem(404);
        app.get(url).bearer(&n.paderborn_editor).send().await.problem(404);
        let file = app.get(url).bearer(&n.unna_editor).send().await.expect(200);
        assert_eq!(file.body.as_ref(), PDF);
        assert_eq!(format!("{:x}", Sha256::digest(&file.body)), sha);
        assert_eq!(file.header("content-type").as_deref(), Some("application/pdf"));
        assert_eq!(file.header("etag"), Some(format!("\"{sha}\"")));
        let disposition = file.header("content-disposition").unwrap();
        assert!(disposition.starts_with("attachment") && !disposition.contains('/') && !disposition.contains(".."), "{disposition}");
        let range = app.get(url).bearer(&n.unna_editor).header("range", "bytes=0-3").send().await.expect(206);
        assert_eq!(range.body.as_ref(), b"%PDF");
        app.get(url).bearer(&n.unna_editor).header("if-none-match", &format!("\"{sha}\"")).send().await.expect(304);
        let with_file = app.get(&format!("/api/v1/documents/{id}")).bearer(&n.admin).send().await.expect(200).json();
        assert_eq!(with_file["attachments"][0]["id"], uploaded["id"]);
        assert_eq!(with_file["version"], 1, "an attachment does not change the document's version");
        publish(&app, &n.admin, id).await;
        app.get(url).send().await.expect(200);
        // Stored under its hash, nowhere near the client's name.
        let stored = app.stored_files();
        assert!(stored.iter().all(|p| !p.to_string_lossy().contains("Leitfaden")), "{stored:?}");
        assert!(stored.iter().any(|p| p.ends_with(&sha)), "{stored:?}");
        // Over real TCP: the length is announced and ranges are served.
        let (base, handle) = app.serve();
        let full_url = format!("{base}{url}");
        let checked = actix_web::rt::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            let mut full = agent.get(&full_url).call().unwrap();
            assert_eq!(full.status(), 200);
            assert_eq!(full.headers().get("content-length").unwrap().to_str().unwrap(), PDF.len().to_string());
            assert_eq!(full.body_mut().read_to_vec().unwrap(), PDF);
            let mut tail = agent.get(&full_url).header("Range", "bytes=-6").call().unwrap();
            assert_eq!(tail.status(), 206);
            assert_eq!(tail.body_mut().read_to_vec().unwrap(), b"%%EOF\n");
        })
        .await;
        handle.stop(true).await;
        checked.unwrap();
        app.delete(url).bearer(&n.paderborn_editor).send().await.problem(403);
        app.delete(url).bearer(&n.unna_editor).send().await.expect(204);
        app.get(url).send().await.problem(410);
    }

    async fn refused_uploads_store_nothing(app) {
        let n = network(&app).await;
        let doc = create(&app, &n.admin, &document("Uploads", &[&n.unna])).await;
        let path = format!("/api/v1/documents/{}/attachments", doc["id"].as_str().unwrap());
        let (content_type, body) = multipart("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00executable");
        app.post(&path).bearer(&n.admin).raw(&content_type, body).send().await.problem(415);
        let (content_type, body) = multipart("archive.zip", b"PK\x03\x04zipped");
        app.post(&path).bearer(&n.admin).raw(&content_type, body).send().await.problem(415);
        let big = vec![b'a'; 4096];
        let (content_type, body) = multipart("big.txt", &big);
        app.with_attachment_limit(1024, Method::POST, &path).bearer(&n.admin).raw(&content_type, body).send().await.problem(413);
        app.post(&path).bearer(&n.admin).json(&json!({"file": "x"})).send().await.problem(415);
        let (content_type, body) = multipart("", b"");
        app.post(&path).bearer(&n.admin).raw(&content_type, body).send().await.problem(415);
        assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
        let listed = app.get(&format!("/api/v1/documents/{}", doc["id"].as_str().unwrap())).bearer(&n.admin).send().await.expect(200).json();
        assert_eq!(listed["attachments"], json!([]));
        // A text file is fine.
        let (content_type, body) = multipart("notiz.txt", "Grüße aus Unna\n".as_bytes());
        let text = app.post(&path).bearer(&n.admin).raw(&content_type, body).send().await.expect(201).json();
        assert_eq!(text["media_type"], "text/plain; charset=utf-8");
    }

    async fn atom_feed_parses_and_lists_published_documents_newest_first(app) {
        let n = network(&app).await;
        let first = create(&app, &n.admin, &json!({"kind": "recommendation", "title": "Empfehlung <1> & mehr", "summary": "Zusammenfassung", "body": "**Markdown**", "topics": ["ehrenamtskarte"]})).await;
        let second = create(&app, &n.admin, &json!({"kind": "method", "title": "Methode 2"})).await;
        create(&app, &n.admin, &json!({"kind": "method", "title": "Entwurf"})).await;
        publish(&app, &n.admin, first["id"].as_str().unwrap()).await;
        publish(&app, &n.admin, second["id"].as_str().unwrap()).await;
        let response = app.get("/api/v1/feeds/documents.atom").send().await.expect(200);
        assert!(response.header("content-type").unwrap().starts_with("application/atom+xml"));
        let feed = feed_rs::parser::parse(response.body.as_ref()).expect("a valid feed");
        let titles: Vec<String> = feed.entries.iter().map(|e| e.title.as_ref().unwrap().content.clone()).collect();
        assert_eq!(titles, ["Methode 2", "Empfehlung <1> & mehr"]);
        let entry = &feed.entries[1];
        assert_eq!(entry.id, format!("urn:uuid:{}", first["id"].as_str().unwrap()));
        // Markdown goes out rendered, as HTML content (`markdown`).
        assert_eq!(entry.summary.as_ref().unwrap().content.trim(), "<p>Zusammenfassung</p>");
        let content = entry.content.as_ref().unwrap();
        assert_eq!(content.content_type.to_string(), "text/html");
        assert_eq!(content.body.as_deref().unwrap().trim(), "<p><strong>Markdown</strong></p>");
        assert!(entry.published.is_some() && entry.updated.is_some());
        let id = first["id"].as_str().unwrap();
        assert!(entry.links[0].href.ends_with(&format!("/embed/v1/documents/{id}.html?standalone=true")), "the page first");
        assert_eq!(entry.links[0].media_type.as_deref(), Some("text/html"));
        let page = entry.links[0].href.strip_prefix(PUBLIC_URL).unwrap();
        assert!(app.get(page).send().await.expect(200).text().contains("Empfehlung &lt;1&gt; &amp; mehr"));
        assert!(entry.links[1].href.ends_with(&format!("/api/v1/documents/{id}")));
        let filtered = app.get("/api/v1/feeds/documents.atom?kind=recommendation").send().await.expect(200);
        let feed = feed_rs::parser::parse(filtered.body.as_ref()).unwrap();
        assert_eq!(feed.entries.len(), 1);
        let etag = response.header("etag").unwrap();
        app.get("/api/v1/feeds/documents.atom").header("if-none-match", &etag).send().await.expect(304);
    }
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

both_backends! {
    async fn a_lost_stored_file_is_a_404_naming_the_attachment_and_a_lost_store_a_503(app) {
        let admin = app.admin().await;
        let doc = app.post("/api/v1/documents").bearer(&admin)
            .json(&document("Mit verlorener Datei", &[])).send().await.expect(201).json();
        let id = doc["id"].as_str().unwrap();
        let (content_type, body) = multipart("bericht.pdf", PDF);
        let attachment = app.post(&format!("/api/v1/documents/{id}/attachments")).bearer(&admin)
            .raw(&content_type, body).send().await.expect(201).json();
        let url = format!("/api/v1/attachments/{}", attachment["id"].as_str().unwrap());
        app.get(&url).bearer(&admin).send().await.expect(200);

        let stored = app.stored_files();
        assert_eq!(stored.len(), 1, "{stored:?}");
        std::fs::remove_file(&stored[0]).unwrap();
        let problem = app.get(&url).bearer(&admin).send().await.problem(404);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(attachment["id"].as_str().unwrap()) && !detail.contains("No such file"), "{problem}");

        // The whole store gone (an unmounted volume): unavailable, to be retried.
        let store = stored[0].parent().unwrap().parent().unwrap().to_owned();
        std::fs::remove_dir_all(&store).unwrap();
        let problem = app.get(&url).bearer(&admin).send().await.problem(503);
        assert_eq!(problem["type"], "/problems/unavailable", "{problem}");
        std::fs::create_dir_all(&store).unwrap();
    }
}
