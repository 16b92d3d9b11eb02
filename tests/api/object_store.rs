//! Attachments in S3-compatible storage (issue 28, acceptance 1), against a real S3 server:
//! moto in server mode (`.ci/run` installs it into `.venv-moto`; `MOTO_SERVER` names another
//! `moto_server`). Two instances on one database and one bucket: a file uploaded through one
//! is read, whole and by range, through the other; the object is in the bucket and neither
//! instance wrote a local file. Where moto is absent the tests say so and pass, except in CI
//! (`CI` set), where they fail.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use engagiert::config::Settings;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// A file of several multipart parts (object_store uploads 5 MiB parts).
fn large_pdf() -> Vec<u8> {
    let mut content = b"%PDF-1.4\n".to_vec();
    let mut line = 0_u64;
    while content.len() < 11 * 1024 * 1024 {
        content.extend_from_slice(format!("% Zeile {line} des Testdokuments\n").as_bytes());
        line += 1;
    }
    content.extend_from_slice(b"%%EOF\n");
    content
}

/// The address of the moto server this test process started, if moto is installed.
fn moto() -> Option<&'static str> {
    static ENDPOINT: OnceLock<Option<String>> = OnceLock::new();
    let endpoint = ENDPOINT.get_or_init(|| {
        let local = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv-moto/bin/moto_server");
        let program = std::env::var("MOTO_SERVER").ok().or_else(|| {
            std::path::Path::new(local)
                .exists()
                .then(|| local.to_owned())
        })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        // Started from a thread that lives as long as the test process: the server is
        // killed when that thread ends (PR_SET_PDEATHSIG), so no run leaves one behind.
        let (started, ready) = std::sync::mpsc::channel();
        let name = program.clone();
        std::thread::spawn(move || {
            let mut command = Command::new(&name);
            command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            #[cfg(target_os = "linux")]
            unsafe {
                use std::os::unix::process::CommandExt;
                command.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let child = command.spawn();
            let _ = started.send(child.is_ok());
            if let Ok(mut child) = child {
                let _ = child.wait();
            }
        });
        assert!(
            ready.recv().unwrap_or(false),
            "{program} could not be started"
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&endpoint).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(endpoint)
    });
    if endpoint.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the S3 tests: install moto (`.ci/run` does) or set MOTO_SERVER"
        );
        eprintln!(
            "note: moto_server not found (.venv-moto or MOTO_SERVER): the S3 tests are skipped"
        );
    }
    endpoint.as_deref()
}

/// A new bucket on the moto server (an unsigned `PUT /bucket`, as moto accepts).
fn bucket(endpoint: &str) -> String {
    let name = format!("engagiert-{}", uuid::Uuid::now_v7().simple());
    ureq::put(format!("{endpoint}/{name}"))
        .send_empty()
        .expect("bucket created");
    name
}

/// The keys in `bucket`.
fn keys(endpoint: &str, bucket: &str) -> Vec<String> {
    let listing = ureq::get(format!("{endpoint}/{bucket}?list-type=2"))
        .call()
        .expect("listing")
        .body_mut()
        .read_to_string()
        .expect("listing text");
    let document = roxmltree::Document::parse(&listing).expect("listing XML");
    document
        .descendants()
        .filter(|node| node.has_tag_name("Key"))
        .filter_map(|node| node.text().map(str::to_owned))
        .collect()
}

/// Settings of an instance storing in `s3://bucket/attachments` on `endpoint`.
fn on_s3(endpoint: &str, bucket: &str) -> Settings {
    let mut settings = settings();
    settings.attachment_store = format!("s3://{bucket}/attachments");
    settings.aws = Some(
        [
            ("AWS_ENDPOINT", endpoint),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "engagiert-test"),
            ("AWS_SECRET_ACCESS_KEY", "engagiert-test-secret"),
            ("AWS_DEFAULT_REGION", "eu-central-1"),
        ]
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .to_vec(),
    );
    settings
}

/// Uploads through one instance, downloads through another, on `app`'s database.
async fn two_instances_share_one_bucket(app: TestApp, endpoint: &str, bucket: &str) {
    let admin = app.admin().await;
    let other = app.another_instance_with(on_s3(endpoint, bucket));
    let document = app
        .post("/api/v1/documents")
        .bearer(&admin)
        .json(
            &json!({"kind": "publication", "title": "Geteilter Speicher", "summary": "Kurz",
                      "body": "Text", "topics": [], "municipality_ids": []}),
        )
        .send()
        .await
        .expect(201)
        .json();
    let id = document["id"].as_str().unwrap();
    let content = large_pdf();
    let sha = format!("{:x}", Sha256::digest(&content));
    let (content_type, body) = crate::documents::multipart("bericht.pdf", &content);
    let uploaded = app
        .post(&format!("/api/v1/documents/{id}/attachments"))
        .bearer(&admin)
        .raw(&content_type, body)
        .send()
        .await
        .expect(201)
        .json();
    assert_eq!(uploaded["sha256"], sha);
    let url = uploaded["url"].as_str().unwrap();

    // The other instance has the file at once: whole, then a range, then the tail.
    let whole = TestApp::req_to(&other, Method::GET, url)
        .bearer(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(
        whole.header("content-length"),
        Some(content.len().to_string())
    );
    assert_eq!(format!("{:x}", Sha256::digest(&whole.body)), sha);
    let part = TestApp::req_to(&other, Method::GET, url)
        .bearer(&admin)
        .header("range", "bytes=6000000-6000099")
        .send()
        .await
        .expect(206);
    assert_eq!(part.body.as_ref(), &content[6_000_000..6_000_100]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 6000000-6000099/{}", content.len()))
    );
    let tail = TestApp::req_to(&other, Method::GET, url)
        .bearer(&admin)
        .header("range", "bytes=-6")
        .send()
        .await
        .expect(206);
    assert_eq!(tail.body.as_ref(), b"%%EOF\n");
    let beyond = TestApp::req_to(&other, Method::GET, url)
        .bearer(&admin)
        .header("range", format!("bytes={}-", content.len() + 10).as_str())
        .send()
        .await;
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{}", content.len()))
    );
    beyond.problem(416);

    // One object under its hash (no temporary object left), nothing on either local disk.
    assert_eq!(
        keys(endpoint, bucket),
        [format!("attachments/{}/{sha}", &sha[..2])]
    );
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    let default_directory = std::path::Path::new(&settings().attachment_store).join(&sha[..2]);
    assert!(!default_directory.join(&sha).exists());

    // A refused upload leaves nothing in the bucket either.
    let (content_type, body) = crate::documents::multipart("tool.pdf", b"MZ\x90\x00executable");
    TestApp::req_to(
        &other,
        Method::POST,
        &format!("/api/v1/documents/{id}/attachments"),
    )
    .bearer(&admin)
    .raw(&content_type, body)
    .send()
    .await
    .problem(415);
    assert_eq!(keys(endpoint, bucket).len(), 1);

    // An object lost outside the service: 404 naming the attachment, never a 500.
    let store =
        engagiert::storage::attachments::AttachmentStore::from_settings(&on_s3(endpoint, bucket))
            .unwrap();
    assert!(store.remove(&sha).await.unwrap());
    let attachment = uploaded["id"].as_str().unwrap();
    let missing = TestApp::req_to(&other, Method::GET, url)
        .bearer(&admin)
        .send()
        .await
        .problem(404);
    assert!(
        missing["detail"].as_str().unwrap().contains(attachment),
        "{missing}"
    );
    // A store that does not answer: 503 with Retry-After, counted in the metrics.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable =
        app.another_instance_with(on_s3(&format!("http://127.0.0.1:{closed}"), bucket));
    let down = TestApp::req_to(&unreachable, Method::GET, url)
        .bearer(&admin)
        .send()
        .await;
    assert!(down.header("retry-after").is_some());
    down.problem(503);
    let metrics = TestApp::req_to(&unreachable, Method::GET, "/metrics")
        .send()
        .await
        .expect(200)
        .text();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("engagiert_object_store_errors_total{operation=\"get\"}")),
        "{metrics}"
    );
}

mod attachments_in_s3 {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        let Some(endpoint) = moto() else { return };
        let bucket = bucket(endpoint);
        let app = TestApp::sqlite_with(on_s3(endpoint, &bucket)).await;
        two_instances_share_one_bucket(app, endpoint, &bucket).await;
    }

    #[actix_web::test]
    async fn postgres() {
        let Some(endpoint) = moto() else { return };
        let bucket = bucket(endpoint);
        let Some(app) = TestApp::postgres_with(on_s3(endpoint, &bucket), |_| ()).await else {
            eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
            return;
        };
        two_instances_share_one_bucket(app, endpoint, &bucket).await;
    }
}
