//! Personal data: consent decides what anyone but admins and the contact's own municipality
//! sees of a contact, in every output; the catalogue accounts for every column whose name
//! suggests personal data; the record of processing says what is in force.

use actix_web::http::Method;
use diesel::RunQueryDsl;
use engagiert::auth::Role;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::history::town;

const FIELDS: [&str; 4] = ["name", "role", "email", "phone"];

/// A contact with distinctive values, so any of them is found in any output.
fn contact(n: usize, publish: &[&str]) -> Value {
    json!({"name": format!("Person{n} Xq{n}name"), "role": format!("Xq{n}role"),
           "email": format!("xq{n}mail@example.org"), "phone": format!("+49 2303 {n:03}777"),
           "publish": publish})
}

fn distinctive(n: usize) -> [String; 4] {
    [
        format!("Xq{n}name"),
        format!("Xq{n}role"),
        format!("xq{n}mail"),
        format!("{n:03}777"),
    ]
}

/// Every public output a municipality's contacts could reach, as `token` sees it.
async fn outputs(app: &TestApp, id: &str, token: Option<&str>) -> Vec<String> {
    let mut texts = Vec::new();
    for path in [
        format!("/api/v1/municipalities/{id}"),
        "/api/v1/municipalities?limit=200".to_owned(),
        "/api/v1/exports/municipalities.csv".to_owned(),
        "/api/v1/exports/municipalities.geojson".to_owned(),
    ] {
        let mut req = app.req(Method::GET, &path);
        if let Some(token) = token {
            req = req.bearer(token);
        }
        texts.push(req.send().await.expect(200).text());
    }
    texts
}

both_backends! {
    async fn no_output_shows_an_unpublished_field_to_those_without_need_to_know(app) {
        let admin = app.admin().await;
        let mut body = town("Unna", "05978036");
        body["location"] = json!({"lat": 51.53, "lon": 7.69});
        let id = app.post("/api/v1/municipalities").bearer(&admin).json(&body).send().await
            .expect(201).json()["id"].as_str().unwrap().to_owned();
        let other = app.post("/api/v1/municipalities").bearer(&admin).json(&town("Kamen", "05978020"))
            .send().await.expect(201).json()["id"].as_str().unwrap().to_owned();
        let other_editor = app.editor(&other).await;
        let (_, reader) = app.user("reader@engagiert.example", Role::Reader, None).await;
        let own_editor = app.editor(&id).await;

        let strategy = proptest::collection::vec(proptest::sample::subsequence(FIELDS.to_vec(), 0..=4), 1..4);
        let mut runner = TestRunner::new(Config { cases: 12, ..Config::default() });
        for _ in 0..12 {
            let lists = strategy.new_tree(&mut runner).unwrap().current();
            let contacts: Vec<Value> = lists.iter().enumerate().map(|(n, p)| {
                // A list without `name` is refused; such a person is internal only.
                let publish: &[&str] = if p.contains(&"name") { p } else { &[] };
                contact(n, publish)
            }).collect();
            app.patch(&format!("/api/v1/municipalities/{id}")).bearer(&admin)
                .json(&json!({"contacts": contacts})).send().await.expect(200);
            for token in [None, Some(other_editor.as_str()), Some(reader.as_str())] {
                let texts = outputs(&app, &id, token).await.join("\n");
                for (n, p) in lists.iter().enumerate() {
                    let shown = p.contains(&"name");
                    for (field, value) in FIELDS.iter().zip(distinctive(n)) {
                        let visible = shown && p.contains(field);
                        if !visible {
                            assert!(!texts.contains(&value), "{field} of contact {n} ({p:?}) shown");
                        }
                    }
                }
            }
            // Admins and the municipality's own editors see everyone whole.
            for token in [&admin, &own_editor] {
                let record = app.get(&format!("/api/v1/municipalities/{id}")).bearer(token).send().await
                    .expect(200).text();
                for n in 0..lists.len() {
                    for value in distinctive(n) {
                        assert!(record.contains(&value), "{value} missing for a reader who may see it");
                    }
                }
            }
        }
    }

    async fn a_withdrawal_shows_in_the_very_next_anonymous_read(app) {
        let admin = app.admin().await;
        let id = app.post("/api/v1/municipalities").bearer(&admin).json(&town("Unna", "05978036"))
            .send().await.expect(201).json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/municipalities/{id}");
        let record = app.patch(&path).bearer(&admin).json(&json!({"contacts": [contact(1, &FIELDS)]}))
            .send().await.expect(200).json();
        let consent = &record["contacts"][0]["consent"];
        assert!(consent["recorded_at"].is_string(), "{consent}");
        assert_eq!(consent["recorded_by"]["kind"], "user");
        // Read twice: the second is served from the cache.
        for _ in 0..2 {
            let public = app.get(&path).send().await.expect(200).json();
            assert_eq!(public["contacts"][0]["email"], "xq1mail@example.org");
            assert!(public["contacts"][0]["consent"].is_null(), "the consent record is not public");
        }
        let contact_id = record["contacts"][0]["id"].as_str().unwrap();
        let withdrawn = app.patch(&path).bearer(&admin)
            .json(&json!({"contacts": [{"id": contact_id, "name": "Person1 Xq1name", "email": "xq1mail@example.org", "publish": []}]}))
            .send().await.expect(200).json();
        assert!(withdrawn["contacts"][0]["consent"]["withdrawn_at"].is_string());
        let public = app.get(&path).send().await.expect(200).json();
        assert_eq!(public["contacts"], json!([]));
    }

    async fn publish_is_kept_migrated_from_public_and_reset_for_another_person(app) {
        let admin = app.admin().await;
        let id = app.post("/api/v1/municipalities").bearer(&admin).json(&town("Unna", "05978036"))
            .send().await.expect(201).json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/municipalities/{id}");
        // The deprecated flag: `true` for a contact without a list means all four fields.
        let record = app.patch(&path).bearer(&admin)
            .json(&json!({"contacts": [{"name": "Erika", "email": "erika@example.org", "public": true}]}))
            .send().await.expect(200).json();
        assert_eq!(record["contacts"][0]["publish"], json!(FIELDS));
        let contact_id = record["contacts"][0]["id"].as_str().unwrap().to_owned();
        // Without `publish` an existing contact keeps its list; `public: true` keeps it too.
        let kept = app.patch(&path).bearer(&admin)
            .json(&json!({"contacts": [{"id": contact_id, "name": "Erika", "email": "erika@example.org", "role": "Leitung"}]}))
            .send().await.expect(200).json();
        assert_eq!(kept["contacts"][0]["publish"], json!(FIELDS));
        // GET -> PUT unchanged keeps the version.
        let shown = app.get(&path).bearer(&admin).send().await.expect(200).json();
        let again = app.put(&path).bearer(&admin).json(&shown).send().await.expect(200).json();
        assert_eq!(again["version"], shown["version"]);
        // Another person in the role: consent reset.
        let other = app.patch(&path).bearer(&admin)
            .json(&json!({"contacts": [{"id": contact_id, "name": "Max", "email": "max@example.org", "publish": ["name"]}]}))
            .send().await.expect(200).json();
        assert_eq!(other["contacts"][0]["publish"], json!([]));
        // A list without the name is refused, naming the field.
        let problem = app.patch(&path).bearer(&admin)
            .json(&json!({"contacts": [{"name": "Max", "publish": ["email"]}]}))
            .send().await.problem(422);
        assert_eq!(problem["errors"][0]["field"], "contacts[0].publish");
    }

    async fn a_restore_never_widens_what_a_person_agreed_to(app) {
        let admin = app.admin().await;
        let id = app.post("/api/v1/municipalities").bearer(&admin).json(&town("Unna", "05978036"))
            .send().await.expect(201).json()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/municipalities/{id}");
        let published = app.patch(&path).bearer(&admin).json(&json!({"contacts": [contact(1, &FIELDS)]}))
            .send().await.expect(200).json();
        let contact_id = published["contacts"][0]["id"].as_str().unwrap();
        let mut narrowed = contact(1, &["name"]);
        narrowed["id"] = json!(contact_id);
        app.patch(&path).bearer(&admin).json(&json!({"contacts": [narrowed]})).send().await.expect(200);
        let version = published["version"].as_i64().unwrap();
        let restored = app.post(&format!("{path}/revisions/{version}/restore")).bearer(&admin)
            .send().await.expect(200).json();
        assert_eq!(restored["contacts"][0]["publish"], json!(["name"]));
    }

    async fn the_catalogue_accounts_for_every_column_that_suggests_personal_data(app) {
        #[derive(diesel::QueryableByName)]
        struct Column {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            c: String,
        }
        let columns: Vec<(String, String)> = app.db().run(|conn| {
            let query = match conn {
                engagiert::db::DbConnection::Sqlite(_) =>
                    "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '\\_\\_diesel%' ESCAPE '\\'",
                engagiert::db::DbConnection::Postgresql(_) =>
                    "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_\\_diesel%'",
            };
            let rows: Vec<Column> = diesel::sql_query(query).load(conn)?;
            Ok(rows.into_iter().map(|r| (r.t, r.c)).collect())
        }).await.unwrap();
        assert!(columns.iter().any(|(t, c)| t == "municipality_contacts" && c == "email"));
        use engagiert::privacy::catalogue::{accounts_for, suggests_personal_data};
        let missing: Vec<String> = columns.iter()
            .filter(|(t, c)| suggests_personal_data(c) && !accounts_for(t, c))
            .map(|(t, c)| format!("{t}.{c}")).collect();
        assert!(missing.is_empty(), "not in the privacy catalogue: {missing:?}");
        // And the catalogue names no column that does not exist.
        for category in engagiert::privacy::catalogue::CATEGORIES {
            for f in category.fields {
                assert!(columns.iter().any(|(t, c)| t == f.table && c == f.column), "{}.{}", f.table, f.column);
            }
        }
    }
}

#[actix_web::test]
async fn the_record_of_processing_is_generated_from_the_catalogue_and_the_settings() {
    let mut settings = crate::helpers::settings();
    settings.retention.sessions = 7;
    settings.retention.revision_data = 0;
    let app = TestApp::sqlite_with(settings).await;
    let record = app.get("/api/v1/privacy").send().await.expect(200).json();
    let categories = record["categories"].as_array().unwrap();
    assert_eq!(
        categories.len(),
        engagiert::privacy::catalogue::CATEGORIES.len()
    );
    let sessions = categories.iter().find(|c| c["key"] == "sessions").unwrap();
    assert_eq!(
        sessions["retention"]["setting"],
        "ENGAGIERT_RETAIN_SESSIONS"
    );
    assert_eq!(sessions["retention"]["days"], 7);
    let history = categories.iter().find(|c| c["key"] == "history").unwrap();
    assert_eq!(history["retention"]["days"], 0);
    let contacts = categories.iter().find(|c| c["key"] == "contacts").unwrap();
    assert!(
        contacts["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("municipality_contacts.email"))
    );
    assert_eq!(record["log_client_address"], "truncated");
}

/// The database of the release before consent: the migrations up to `000012_webhooks`, a
/// municipality with a public and an internal contact, as that release stored them.
fn previous_release(url: &str) {
    use diesel::Connection;
    use diesel_migrations::FileBasedMigrations;
    let (dir, sqlite) = if url.starts_with("postgres") {
        ("postgres", false)
    } else {
        ("sqlite", true)
    };
    let path = format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
    let rows = "INSERT INTO municipalities (id, slug, name, official_name, kind, ags, region, membership_status, \
                joined_on, search_name, version, created_at, updated_at) VALUES \
                ('01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d60', 'unna', 'Unna', 'Kreisstadt Unna', 'town', '05978036', \
                 'arnsberg', 'member', '2024-01-15', 'unna', 1, '2024-01-15 09:30:00', '2024-01-15 09:30:00');
                INSERT INTO municipality_contacts (id, municipality_id, position, name, role, email, phone, public) VALUES
                ('01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d61', '01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d60', 0, 'Erika Öffentlich', 'Leitung', 'erika@unna.example', '+49 2303 1', TRUE),
                ('01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d62', '01932c4e-7a4b-7cc2-9d1e-1f2a3b4c5d60', 1, 'Max Intern', NULL, 'max@unna.example', NULL, FALSE);";
    let source = FileBasedMigrations::from_path(&path).unwrap();
    if sqlite {
        let url = url.trim_start_matches("sqlite://");
        until_webhooks(
            diesel::SqliteConnection::establish(url).unwrap(),
            source,
            rows,
        );
    } else {
        until_webhooks(diesel::PgConnection::establish(url).unwrap(), source, rows);
    }
}

/// Runs the migrations up to `000012_webhooks` on `conn`, then `rows`.
fn until_webhooks<C>(mut conn: C, source: diesel_migrations::FileBasedMigrations, rows: &str)
where
    C: diesel_migrations::MigrationHarness<C::Backend>
        + diesel::connection::SimpleConnection
        + diesel::Connection,
{
    loop {
        let version = conn.run_next_migration(source.clone()).unwrap().to_string();
        if version.ends_with("000012") {
            break;
        }
    }
    conn.batch_execute(rows).unwrap();
}

async fn public_contacts_become_published_with_a_consent_by_the_system(app: TestApp) {
    let public = app
        .get("/api/v1/municipalities/unna")
        .send()
        .await
        .expect(200)
        .json();
    let contacts = public["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0]["name"], "Erika Öffentlich");
    assert_eq!(contacts[0]["email"], "erika@unna.example");
    assert_eq!(contacts[0]["publish"], json!(FIELDS));
    let admin = app.admin().await;
    let whole = app
        .get("/api/v1/municipalities/unna")
        .bearer(&admin)
        .send()
        .await
        .expect(200)
        .json();
    assert_eq!(
        whole["contacts"][0]["consent"]["recorded_by"],
        json!({"kind": "system"})
    );
    assert!(whole["contacts"][0]["consent"]["recorded_at"].is_string());
    assert_eq!(whole["contacts"][1]["publish"], json!([]));
    assert!(whole["contacts"][1]["consent"]["recorded_at"].is_null());
}

#[actix_web::test]
async fn a_database_of_the_previous_release_is_migrated_sqlite() {
    let app = TestApp::sqlite_prepared(crate::helpers::settings(), previous_release).await;
    public_contacts_become_published_with_a_consent_by_the_system(app).await;
}

#[actix_web::test]
async fn a_database_of_the_previous_release_is_migrated_postgres() {
    let Some(app) = TestApp::postgres_prepared(previous_release).await else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
        return;
    };
    public_contacts_become_published_with_a_consent_by_the_system(app).await;
}

both_backends! {
    async fn subject_access_finds_every_place_and_only_an_admin_with_a_password_may_ask(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        // The person: a contact, a user who changed a record and failed a login, a speaker,
        // and named in a registration note.
        let path = format!("/api/v1/municipalities/{unna}");
        app.patch(&path).bearer(&admin).json(&json!({"contacts": [
            {"name": "Zora Quellmann", "email": "zora.quellmann@unna.example", "phone": "+49 2303 555 1234"}]}))
            .send().await.expect(200);
        let (user_id, zora) = app.user("zora.quellmann@unna.example", Role::Editor, Some(&unna)).await;
        app.patch(&format!("/api/v1/users/{user_id}")).bearer(&admin).json(&json!({"name": "Zora Quellmann"}))
            .send().await.expect(200);
        app.patch(&path).bearer(&zora).json(&json!({"description": "Geändert von Zora."})).send().await.expect(200);
        app.post("/api/v1/auth/login").json(&json!({"email": "zora.quellmann@unna.example", "password": "falsch"}))
            .send().await.problem(401);
        let meeting = crate::meetings::with(&crate::meetings::meeting("Treffen", 20),
            json!({"agenda": [{"title": "Grußwort", "speaker": "Zora Quellmann"}]}));
        let meeting_id = app.post("/api/v1/meetings").bearer(&admin).json(&meeting).send().await.expect(201)
            .json()["id"].as_str().unwrap().to_owned();
        app.post(&format!("/api/v1/meetings/{meeting_id}/registrations")).bearer(&admin)
            .json(&json!({"municipality_id": unna, "attendees": 2, "note": "Mit zora.quellmann@unna.example"}))
            .send().await.expect(201);

        let ask = "/api/v1/privacy/subjects?email=zora.quellmann@unna.example&name=Zora%20Quellmann";
        let data = app.get(ask).bearer(&admin).send().await.expect(200).json();
        assert_eq!(data["contacts"][0]["phone"], "+49 2303 555 1234");
        assert_eq!(data["users"][0]["id"], user_id.as_str());
        assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
        let revisions = data["revisions"].as_array().unwrap();
        assert!(revisions.iter().any(|r| r["as_actor"] == true), "{revisions:?}");
        assert!(revisions.iter().any(|r| r["mentioned"] == true && r["collection"] == "municipalities"));
        assert!(revisions.iter().any(|r| r["collection"] == "meetings"));
        assert_eq!(data["speakers"][0]["meeting_id"], meeting_id.as_str());
        assert_eq!(data["registration_notes"].as_array().unwrap().len(), 1);
        assert_eq!(data["login_attempts"]["count"], 2, "the pair and the account key of the one failure");
        assert_eq!(data["places"]["meeting_agenda_items.speaker"], 1);
        // Every place the catalogue names is looked at (and said, if only as 0).
        for category in engagiert::privacy::catalogue::CATEGORIES {
            for field in category.fields {
                let place = format!("{}.{}", field.table, field.column);
                assert!(data["places"][&place].is_u64(), "{place} not reported: {}", data["places"]);
            }
        }
        for place in ["municipality_contacts.email", "users.email", "sessions.user_id", "revisions.actor_id",
                      "revisions.patch", "login_failures.key", "municipality_contacts.phone"] {
            assert!(data["places"][place].as_u64().unwrap_or(0) >= 1, "{place}: {}", data["places"]);
        }
        // By name alone, too.
        let by_name = app.get("/api/v1/privacy/subjects?name=zora%20QUELLMANN").bearer(&admin).send().await
            .expect(200).json();
        assert_eq!(by_name["contacts"].as_array().unwrap().len(), 1);
        // Nobody else may ask.
        let (_, reader) = app.user("leser@engagiert.example", Role::Reader, None).await;
        let expires = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        let admin_token = app.post("/api/v1/api-tokens").bearer(&admin)
            .json(&json!({"name": "Skript", "role": "admin", "expires_at": expires}))
            .send().await.expect(201).json()["token"].as_str().unwrap().to_owned();
        for token in [&zora, &reader, &admin_token] {
            app.get(ask).bearer(token).send().await.problem(403);
        }
        app.get(ask).send().await.problem(401);
        app.get("/api/v1/privacy/subjects").bearer(&admin).send().await.problem(422);
        // Oneself.
        let own = app.get("/api/v1/auth/me/data").bearer(&zora).send().await.expect(200).json();
        assert_eq!(own["users"][0]["id"], user_id.as_str());
        assert_eq!(own["contacts"].as_array().unwrap().len(), 1);
        app.get("/api/v1/auth/me/data").bearer(&admin_token).send().await.problem(403);
    }
}
