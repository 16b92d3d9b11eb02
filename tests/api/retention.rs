//! Retention (API: "Personal data (DSGVO)", *Retention*): rows made old on purpose are
//! removed or kept as the settings say, a second sweep changes nothing, and two instances
//! sweeping one database at once both succeed and end with the same result.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use engagiert::auth::Role;
use engagiert::config::Retention;
use engagiert::db::schema::{
    attachments, idempotency_keys, login_failures, refresh_tokens, revisions, sessions,
    webhook_attempts, webhook_deliveries, webhooks,
};
use engagiert::db::{Db, DbConnection, now};
use engagiert::ids::{AttachmentId, DeliveryId, RefreshTokenId, SessionId, UserId, WebhookId};
use engagiert::privacy::retention::{Janitor, Swept};

use crate::both_backends;
use crate::documents::{PDF, multipart};
use crate::helpers::*;
use crate::history::create_town;

const A_MONTH: Retention = Retention {
    login_attempts: 1,
    sessions: 30,
    deliveries: 30,
    revision_data: 30,
    deleted_files: 30,
};

/// `days` ago (a negative number: in the future).
fn ago(days: i64) -> NaiveDateTime {
    now() - chrono::Duration::days(days)
}

fn janitor(app: &TestApp, db: Db, retention: Retention) -> Janitor {
    let mut settings = settings();
    settings.attachment_store = app.files.path().display().to_string();
    settings.retention = retention;
    Janitor::from_settings(db, &settings).expect("the attachment store opens")
}

/// What `seed` made.
struct Seeded {
    admin: String,
    /// A municipality whose three revisions are 40 days old.
    town: String,
    /// Ended 40 days ago; expired 40 days ago; live (one old, one valid token); ended 5
    /// days ago.
    sessions: Vec<SessionId>,
    /// Finished 40 days ago (2 attempts); finished 10 days ago (1); pending since long ago.
    deliveries: Vec<DeliveryId>,
    /// Contents: of an attachment deleted 40 days ago; of one deleted 40 days ago and a
    /// live one; of one deleted 10 days ago.
    files: Vec<String>,
    live_attachment: String,
}

/// A session of `user` with a refresh token per expiry.
fn session(
    conn: &mut DbConnection,
    user: &UserId,
    created: NaiveDateTime,
    ended: Option<NaiveDateTime>,
    expiries: &[NaiveDateTime],
) -> QueryResult<SessionId> {
    let id = SessionId::new();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(user),
            sessions::created_at.eq(created),
            sessions::ended_at.eq(ended),
        ))
        .execute(conn)?;
    for expires in expiries {
        let token = RefreshTokenId::new();
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::id.eq(&token),
                refresh_tokens::family_id.eq(&id),
                refresh_tokens::user_id.eq(user),
                refresh_tokens::token_hash.eq(token.to_string()),
                refresh_tokens::expires_at.eq(*expires),
                refresh_tokens::created_at.eq(created),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// A webhook with three deliveries (see `Seeded`).
fn deliveries(conn: &mut DbConnection) -> QueryResult<Vec<DeliveryId>> {
    let webhook = WebhookId::new();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(&webhook),
            webhooks::url.eq("https://hooks.example/retention"),
            webhooks::events.eq("[\"*\"]"),
            webhooks::secret.eq("whsec_cmV0ZW50aW9uLXRlc3Qtc2VjcmV0LTI0Ynk="),
            webhooks::created_at.eq(ago(100)),
            webhooks::updated_at.eq(ago(100)),
        ))
        .execute(conn)?;
    let mut ids = Vec::new();
    let kinds = [
        (Some(ago(40)), 2, "delivered"),
        (Some(ago(10)), 1, "delivered"),
        (None, 0, "pending"),
    ];
    for (seq, (finished, attempts, state)) in kinds.into_iter().enumerate() {
        let id = DeliveryId::new();
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::id.eq(&id),
                webhook_deliveries::webhook_id.eq(&webhook),
                webhook_deliveries::seq.eq(seq as i64 + 1),
                webhook_deliveries::event.eq("municipalities.updated"),
                webhook_deliveries::body.eq("{}"),
                webhook_deliveries::state.eq(state),
                webhook_deliveries::attempts.eq(attempts),
                webhook_deliveries::next_attempt_at.eq(ago(-1)),
                webhook_deliveries::created_at.eq(ago(100)),
                webhook_deliveries::finished_at.eq(finished),
            ))
            .execute(conn)?;
        for _ in 0..attempts {
            diesel::insert_into(webhook_attempts::table)
                .values((
                    webhook_attempts::delivery_id.eq(&id),
                    webhook_attempts::at.eq(ago(50)),
                    webhook_attempts::status_code.eq(Some(200)),
                    webhook_attempts::duration_ms.eq(12),
                    webhook_attempts::excerpt.eq("ok"),
                ))
                .execute(conn)?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Uploads `content` to the document at `path`: the attachment's id and SHA-256.
async fn upload(
    app: &TestApp,
    admin: &str,
    path: &str,
    name: &str,
    content: &[u8],
) -> (String, String) {
    let (content_type, body) = multipart(name, content);
    let request = app.post(path).bearer(admin).raw(&content_type, body);
    let uploaded = request.send().await.expect(201).json();
    let text = |key: &str| uploaded[key].as_str().unwrap().to_owned();
    (text("id"), text("sha256"))
}

async fn seed(app: &TestApp) -> Seeded {
    let admin = app.admin().await;
    let (user, _) = app
        .user("vergangen@engagiert.example", Role::Reader, None)
        .await;
    let user = UserId::parse(&user).unwrap();
    let (session_ids, delivery_ids) = app
        .db()
        .run(move |conn| {
            for (key, at) in [
                ("retention:old", ago(2)),
                ("retention:older", ago(3)),
                ("retention:new", now()),
            ] {
                diesel::insert_into(login_failures::table)
                    .values((login_failures::key.eq(key), login_failures::at.eq(at)))
                    .execute(conn)?;
            }
            let session_ids = vec![
                session(conn, &user, ago(100), Some(ago(40)), &[ago(60)])?,
                session(conn, &user, ago(100), None, &[ago(40)])?,
                session(conn, &user, ago(100), None, &[ago(70), ago(-10)])?,
                session(conn, &user, ago(10), Some(ago(5)), &[ago(-20)])?,
            ];
            let a_day_and_more = now() - chrono::Duration::hours(25);
            for (key, at) in [("retention-old", a_day_and_more), ("retention-new", now())] {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::caller.eq("user:retention"),
                        idempotency_keys::key.eq(key),
                        idempotency_keys::request_hash.eq("hash"),
                        idempotency_keys::created_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            Ok((session_ids, deliveries(conn)?))
        })
        .await
        .unwrap();
    // Three revisions, then made old.
    let town = create_town(app, &admin, "Kamen", "05978020").await;
    let path = format!("/api/v1/municipalities/{town}");
    for change in [
        json!({"population": 43000}),
        json!({"description": "Stadt"}),
    ] {
        let patched = app.patch(&path).bearer(&admin).json(&change).send().await;
        patched.expect(200);
    }
    // Attachments: deleted, then made old.
    let unna = app.unna().await;
    let document = app.post("/api/v1/documents").bearer(&admin)
        .json(&json!({"kind": "practice_example", "title": "Anhänge", "summary": "Kurz", "body": "Text",
                      "topics": ["ehrenamt"], "municipality_ids": [unna]}))
        .send().await.expect(201).json();
    let document = document["id"].as_str().unwrap();
    let uploads = format!("/api/v1/documents/{document}/attachments");
    let shared = b"Geteilter Inhalt\n";
    let (old, pdf) = upload(app, &admin, &uploads, "alt.pdf", PDF).await;
    let (old_copy, shared_sha) = upload(app, &admin, &uploads, "kopie.txt", shared).await;
    let (live_attachment, _) = upload(app, &admin, &uploads, "original.txt", shared).await;
    let (lately, lately_sha) =
        upload(app, &admin, &uploads, "neulich.txt", b"Neulich geloescht\n").await;
    for id in [&old, &old_copy, &lately] {
        app.delete(&format!("/api/v1/attachments/{id}"))
            .bearer(&admin)
            .send()
            .await
            .expect(204);
    }
    let record = town.clone();
    let aged = [(old, ago(40)), (old_copy, ago(40)), (lately, ago(10))];
    app.db()
        .run(move |conn| {
            diesel::update(revisions::table.filter(revisions::record_id.eq(record)))
                .set(revisions::at.eq(ago(40)))
                .execute(conn)?;
            for (id, at) in aged {
                diesel::update(attachments::table.find(AttachmentId::parse(&id).unwrap()))
                    .set(attachments::deleted_at.eq(Some(at)))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    Seeded {
        admin,
        town,
        sessions: session_ids,
        deliveries: delivery_ids,
        files: vec![pdf, shared_sha, lately_sha],
        live_attachment,
    }
}

/// What is left of the seeded data, in a form to compare.
#[derive(Debug, PartialEq)]
struct Left {
    login_failures: Vec<String>,
    sessions: Vec<SessionId>,
    refresh_tokens: i64,
    deliveries: Vec<DeliveryId>,
    attempts: i64,
    /// The town's revisions, oldest first: version, has a patch, has a snapshot.
    revisions: Vec<(i32, bool, bool)>,
    idempotency_keys: Vec<String>,
    /// Whether each seeded content is still stored.
    files: Vec<bool>,
}

async fn left(app: &TestApp, seeded: &Seeded) -> Left {
    let (session_ids, delivery_ids) = (seeded.sessions.clone(), seeded.deliveries.clone());
    let town = seeded.town.clone();
    let mut left = app
        .db()
        .run(move |conn| {
            let history: Vec<(i32, Option<String>, Option<String>)> = revisions::table
                .filter(revisions::record_id.eq(town))
                .order(revisions::seq)
                .select((revisions::version, revisions::patch, revisions::snapshot))
                .load(conn)?;
            Ok(Left {
                login_failures: login_failures::table
                    .filter(login_failures::key.like("retention:%"))
                    .order(login_failures::key)
                    .select(login_failures::key)
                    .load(conn)?,
                sessions: sessions::table
                    .filter(sessions::id.eq_any(session_ids.clone()))
                    .order(sessions::id)
                    .select(sessions::id)
                    .load(conn)?,
                refresh_tokens: refresh_tokens::table
                    .filter(refresh_tokens::family_id.eq_any(session_ids))
                    .count()
                    .get_result(conn)?,
                deliveries: webhook_deliveries::table
                    .filter(webhook_deliveries::id.eq_any(delivery_ids.clone()))
                    .order(webhook_deliveries::id)
                    .select(webhook_deliveries::id)
                    .load(conn)?,
                attempts: webhook_attempts::table
                    .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
                    .count()
                    .get_result(conn)?,
                revisions: history
                    .into_iter()
                    .map(|(version, patch, snapshot)| {
                        (version, patch.is_some(), snapshot.is_some())
                    })
                    .collect(),
                idempotency_keys: idempotency_keys::table
                    .filter(idempotency_keys::caller.eq("user:retention"))
                    .order(idempotency_keys::key)
                    .select(idempotency_keys::key)
                    .load(conn)?,
                files: Vec::new(),
            })
        })
        .await
        .unwrap();
    // Files are stored under their SHA-256, in a folder named after its first two digits.
    left.files = seeded
        .files
        .iter()
        .map(|sha| app.files.path().join(&sha[..2]).join(sha).exists())
        .collect();
    left
}

/// What a month's retention leaves of the seed.
fn after_a_month(seeded: &Seeded) -> Left {
    let mut sessions = vec![seeded.sessions[2].clone(), seeded.sessions[3].clone()];
    sessions.sort();
    let mut deliveries = vec![seeded.deliveries[1].clone(), seeded.deliveries[2].clone()];
    deliveries.sort();
    Left {
        login_failures: vec!["retention:new".into()],
        sessions,
        refresh_tokens: 3,
        deliveries,
        attempts: 1,
        revisions: vec![(1, false, false), (2, false, false), (3, false, true)],
        idempotency_keys: vec!["retention-new".into()],
        files: vec![false, true, true],
    }
}

both_backends! {
    async fn old_data_goes_or_stays_as_the_settings_say(app) {
        let seeded = seed(&app).await;
        let all = left(&app, &seeded).await;
        assert_eq!((all.sessions.len(), all.refresh_tokens, all.deliveries.len(), all.attempts), (4, 5, 3, 3));
        assert_eq!(all.revisions, vec![(1, true, true), (2, true, true), (3, true, true)]);
        assert_eq!((all.login_failures.len(), all.idempotency_keys.len(), all.files.clone()), (3, 2, vec![true; 3]));
        // `0` keeps for ever; idempotency records go after their 24 hours all the same.
        let for_ever = Retention { login_attempts: 0, sessions: 0, deliveries: 0, revision_data: 0, deleted_files: 0 };
        let swept = janitor(&app, app.db().clone(), for_ever).sweep().await.unwrap();
        assert_eq!(swept, Swept { idempotency_records: 1, ..Swept::default() });
        assert_eq!(left(&app, &seeded).await, Left { idempotency_keys: vec!["retention-new".into()], ..all });
        let month = janitor(&app, app.db().clone(), A_MONTH);
        let swept = month.sweep().await.unwrap();
        let removed = Swept { login_failures: 2, sessions: 2, refresh_tokens: 2, deliveries: 1, delivery_attempts: 2, revision_patches: 3, revision_snapshots: 2, idempotency_records: 0, files: 1 };
        assert_eq!(swept, removed);
        assert_eq!(left(&app, &seeded).await, after_a_month(&seeded));
        // Operators see the sweep in /metrics (recorded in the database: every instance).
        let gauge = |text: &str, name: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{name} ")).map(|v| v.trim().parse::<f64>().unwrap()));
        let before = app.get("/metrics").send().await.expect(200).text();
        assert_eq!(gauge(&before, "engagiert_retention_last_run_timestamp_seconds"), Some(0.0), "never: {before}");
        assert_eq!(gauge(&before, "engagiert_backup_age_seconds"), Some(f64::INFINITY), "no backup yet");
        month.record(swept).await.unwrap();
        let after = app.get("/metrics").send().await.expect(200).text();
        assert_eq!(gauge(&after, "engagiert_retention_last_run_removed"), Some(swept.total() as f64));
        assert!(gauge(&after, "engagiert_retention_last_run_timestamp_seconds").unwrap() > 1.7e9, "{after}");
        assert!(gauge(&after, "engagiert_webhook_backlog").is_some(), "{after}");
        assert_eq!(month.sweep().await.unwrap(), Swept::default(), "a second sweep changes nothing");
        // The latest revision keeps its record; the older ones stay listed (who, when, what)
        // and their own URL says their data is gone.
        let path = format!("/api/v1/municipalities/{}", seeded.town);
        let latest = app.get(&format!("{path}/revisions/3")).bearer(&seeded.admin).send().await.expect(200).json();
        assert_eq!((latest["record"]["name"].as_str(), latest["record"]["description"].as_str()), (Some("Kamen"), Some("Stadt")));
        app.get(&format!("{path}/revisions/1")).bearer(&seeded.admin).send().await.problem(410);
        let listed = app.get(&format!("{path}/revisions")).bearer(&seeded.admin).send().await.expect(200).json();
        let versions: Vec<i64> = listed["items"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, [3, 2, 1]);
        assert!(listed["items"][2]["changes"].is_null());
        app.get("/api/v1/audit").bearer(&seeded.admin).send().await.expect(200);
        // The content a live attachment shares stays downloadable.
        let live = app.get(&format!("/api/v1/attachments/{}", seeded.live_attachment)).bearer(&seeded.admin).send().await.expect(200);
        assert_eq!(live.body.as_ref(), b"Geteilter Inhalt\n");
    }

    async fn two_instances_sweeping_at_once_agree(app) {
        let seeded = seed(&app).await;
        // More than a batch, so that the two meet inside a kind.
        app.db()
            .transaction(|conn| {
                for _ in 0..1200 {
                    diesel::insert_into(login_failures::table)
                        .values((login_failures::key.eq("retention:old"), login_failures::at.eq(ago(2))))
                        .execute(conn)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let other = app.another_instance();
        let first = janitor(&app, app.db().clone(), A_MONTH);
        let second = janitor(&app, other.db.get_ref().clone(), A_MONTH);
        let (a, b) = futures_util::future::join(first.sweep(), second.sweep()).await;
        let (a, b) = (a.unwrap(), b.unwrap());
        // Each row went once: what one removed, the other did not find.
        let both = |count: fn(&Swept) -> usize| count(&a) + count(&b);
        assert_eq!(both(|s| s.login_failures), 1202, "{a:?} {b:?}");
        assert_eq!((both(|s| s.sessions), both(|s| s.refresh_tokens), both(|s| s.delivery_attempts)), (2, 2, 2));
        assert_eq!((both(|s| s.revision_patches), both(|s| s.revision_snapshots), both(|s| s.files)), (3, 2, 1));
        assert_eq!(left(&app, &seeded).await, after_a_month(&seeded));
        let (a, b) = futures_util::future::join(first.sweep(), second.sweep()).await;
        assert_eq!((a.unwrap(), b.unwrap()), (Swept::default(), Swept::default()));
    }
}
