//! What the service logs holds no personal data (issue 23, acceptance 6): the built binary
//! runs on the test's database from start-up (the first admin is created from the
//! environment), answers failed and successful logins, a refresh, a user creation and a
//! contact edit over real TCP, and is stopped; everything it wrote must hold no e-mail
//! address, password, token or request body, and client addresses only as
//! `ENGAGIERT_LOG_CLIENT_ADDRESS` says (truncated by default). Once with JSON lines, once
//! with text lines, once with the addresses left out.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const ADMIN_EMAIL: &str = "leitung@netzwerk-buero.example";
const ADMIN_PASSWORD: &str = "Admin-Passwort-geheim-4711";
const EDITOR_PASSWORD: &str = "Redaktion-Passwort-0815";
const WRONG_PASSWORD: &str = "Falsches-Passwort-1234";
/// Text that only request bodies carry.
const BODY_MARK: &str = "Koerpertext-Kennung-7319";
const CONTACT_NAME: &str = "Kontaktperson Zeisig";
const CONTACT_PHONE: &str = "+49 2303 999-17";

/// The service process; killed when dropped, so no test leaves one behind.
struct Service {
    child: Child,
    base: String,
}

impl Service {
    /// `engagiert serve` on `database_url`, its standard output and error appended to `log`.
    /// A free port is picked and handed over, so another process may take it in between:
    /// then the service stops at once and is started again on another (its lines stay in
    /// the log, they are checked too).
    fn start(
        database_url: &str,
        dir: &Path,
        log: &Path,
        format: &str,
        client: Option<&str>,
    ) -> Service {
        for _ in 0..5 {
            if let Some(service) = Self::try_start(database_url, dir, log, format, client) {
                return service;
            }
        }
        panic!(
            "the service did not start:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    fn try_start(
        database_url: &str,
        dir: &Path,
        log: &Path,
        format: &str,
        client: Option<&str>,
    ) -> Option<Service> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let err = out.try_clone().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_engagiert"));
        command
            .env("DATABASE_URL", database_url)
            .env("ENGAGIERT_JWT_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("ENGAGIERT_BIND", format!("127.0.0.1:{port}"))
            .env("ENGAGIERT_ATTACHMENT_STORE", dir.join("attachments"))
            .env("ENGAGIERT_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ENGAGIERT_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("ENGAGIERT_LOG_FORMAT", format)
            .env("ENGAGIERT_WORKERS", "1")
            // Everything the service itself writes, debug lines included.
            .env("RUST_LOG", "info,engagiert=debug")
            .env_remove("ENGAGIERT_LOG_CLIENT_ADDRESS")
            .stdout(out)
            .stderr(err);
        if let Some(setting) = client {
            command.env("ENGAGIERT_LOG_CLIENT_ADDRESS", setting);
        }
        let child = command.spawn().expect("the service binary starts");
        let mut service = Service {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let agent = agent();
        let started = Instant::now();
        loop {
            if service.child.try_wait().unwrap().is_some() {
                return None;
            }
            let ready = agent.get(format!("{}/readyz", service.base)).call();
            if ready.is_ok_and(|answer| answer.status() == 200) {
                return Some(service);
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the service did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, as an orchestrator stops it: the service finishes and writes out its log.
    fn stop(mut self) {
        // Log lines reach a file within 100 ms; this waits for them even if the signal fails.
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none()
            && started.elapsed() < Duration::from_secs(40)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn answer(result: Result<http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = result.expect("the service answers");
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_json().unwrap_or(Value::Null),
    )
}

fn post(agent: &ureq::Agent, url: String, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = agent.post(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    answer(request.send_json(body))
}

fn get(agent: &ureq::Agent, url: String, token: &str) -> u16 {
    answer(
        agent
            .get(url)
            .header("Authorization", format!("Bearer {token}"))
            .call(),
    )
    .0
}

/// The tokens of a successful login or refresh.
fn tokens(answer: (u16, Value)) -> (String, String) {
    assert_eq!(answer.0, 200, "{}", answer.1);
    (
        answer.1["access_token"].as_str().unwrap().to_owned(),
        answer.1["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// Run `run` of the scenario against `base`; returns the tokens it was given.
fn exercise(base: &str, run: usize) -> Vec<String> {
    let agent = agent();
    let login = format!("{base}/api/v1/auth/login");
    let failed = post(
        &agent,
        login.clone(),
        None,
        &json!({"email": ADMIN_EMAIL, "password": WRONG_PASSWORD}),
    );
    assert_eq!(failed.0, 401, "{}", failed.1);
    let unknown = format!("niemand-{run}@unbekannt.example");
    let failed = post(
        &agent,
        login.clone(),
        None,
        &json!({"email": unknown, "password": WRONG_PASSWORD}),
    );
    assert_eq!(failed.0, 401, "{}", failed.1);
    let (access, refresh) = tokens(post(
        &agent,
        login.clone(),
        None,
        &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
    ));
    let (admin, refreshed) = tokens(post(
        &agent,
        format!("{base}/api/v1/auth/refresh"),
        None,
        &json!({"refresh_token": refresh}),
    ));

    let created = post(
        &agent,
        format!("{base}/api/v1/municipalities"),
        Some(&admin),
        &json!({
        "name": format!("Protokollprobe {run}"), "kind": "regional_authority", "region": "arnsberg",
        "membership": {"status": "member", "joined_on": "2024-01-15"}, "description": BODY_MARK}),
    );
    assert_eq!(created.0, 201, "{}", created.1);
    let municipality = created.1["id"].as_str().unwrap().to_owned();
    let editor_email = format!("redaktion-{run}@kommune.example");
    let user = post(
        &agent,
        format!("{base}/api/v1/users"),
        Some(&admin),
        &json!({
        "email": editor_email, "name": "Redakteurin Zeisig", "role": "editor",
        "municipality_id": municipality, "password": EDITOR_PASSWORD}),
    );
    assert_eq!(user.0, 201, "{}", user.1);
    let (editor, editor_refresh) = tokens(post(
        &agent,
        login,
        None,
        &json!({"email": editor_email, "password": EDITOR_PASSWORD}),
    ));

    // Contacts without `public` or `publish`: valid before and after consent is introduced.
    let contacts = json!({"contacts": [{"name": CONTACT_NAME, "role": "Ehrenamtskoordination",
                                        "email": format!("kontakt-{run}@kommune.example"), "phone": CONTACT_PHONE}]});
    let mut edited = agent
        .patch(format!("{base}/api/v1/municipalities/{municipality}"))
        .header("Authorization", format!("Bearer {editor}"))
        .header("Content-Type", "application/merge-patch+json")
        .send(serde_json::to_vec(&contacts).unwrap())
        .unwrap();
    assert_eq!(
        edited.status(),
        200,
        "{:?}",
        edited.body_mut().read_to_string()
    );

    // An e-mail in the query and in the path: whatever the answer, the log must not show it.
    get(
        &agent,
        format!("{base}/api/v1/users?email={ADMIN_EMAIL}"),
        &admin,
    );
    get(
        &agent,
        format!("{base}/api/v1/users/{editor_email}"),
        &admin,
    );
    vec![access, refresh, admin, refreshed, editor, editor_refresh]
}

/// Tokens in `text` that look like e-mail addresses: an `@` with a `.` after it.
fn addresses(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || "\"'`,;:()[]{}<>=\\".contains(c))
        .filter(|token| {
            token
                .split_once('@')
                .is_some_and(|(_, domain)| domain.contains('.'))
        })
        .collect()
}

/// The `client` field of each request line (`None` where the line has none).
fn request_clients(log: &str, format: &str) -> Vec<Option<String>> {
    log.lines()
        .filter_map(|line| match format {
            "json" => {
                let line: Value = serde_json::from_str(line).ok()?;
                (line["message"] == "request").then(|| {
                    line.get("client")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
            }
            _ => line.contains(" request method=").then(|| {
                line.split(' ')
                    .find_map(|field| field.strip_prefix("client="))
                    .map(|v| v.trim_matches('"').to_owned())
            }),
        })
        .collect()
}

/// Runs the scenario once on a service of its own and checks all it logged.
fn logged_run(database_url: &str, dir: &Path, run: usize, format: &str, client: Option<&str>) {
    let log = dir.join(format!("run-{run}.log"));
    let service = Service::start(database_url, dir, &log, format, client);
    let tokens = exercise(&service.base, run);
    service.stop();
    let text = std::fs::read_to_string(&log).unwrap();
    let tail = || text.lines().rev().take(40).collect::<Vec<_>>().join("\n");

    if run == 0 {
        assert!(
            text.contains("created the first admin"),
            "from start-up:\n{}",
            tail()
        );
    }
    assert_eq!(
        addresses(&text),
        Vec::<&str>::new(),
        "e-mail addresses in the log"
    );
    for secret in [
        ADMIN_PASSWORD,
        EDITOR_PASSWORD,
        WRONG_PASSWORD,
        BODY_MARK,
        CONTACT_NAME,
        CONTACT_PHONE,
    ] {
        assert!(!text.contains(secret), "`{secret}` in the log:\n{}", tail());
    }
    for token in &tokens {
        assert!(
            !text.contains(token.as_str()),
            "a token in the log:\n{}",
            tail()
        );
    }

    let clients = request_clients(&text, format);
    assert!(clients.len() >= 10, "every request is logged:\n{}", tail());
    match client {
        Some("none") => assert!(clients.iter().all(Option::is_none), "{clients:?}"),
        _ => assert!(
            clients.iter().all(|c| c.as_deref() == Some("127.0.0.0/24")),
            "{clients:?}"
        ),
    }
    for line in text.lines().filter(|line| line.contains("request")) {
        assert!(
            !line.contains("127.0.0.1"),
            "a whole client address: {line}"
        );
    }
}

both_backends! {
    async fn logs_hold_no_personal_data(app) {
        let database_url = app.database_url().to_owned();
        let result = actix_web::rt::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            logged_run(&database_url, dir.path(), 0, "json", None);
            logged_run(&database_url, dir.path(), 1, "text", None);
            logged_run(&database_url, dir.path(), 2, "json", Some("none"));
        })
        .await;
        result.unwrap();
    }
}
