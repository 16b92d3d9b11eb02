//! Spawns the real application on a fresh database per test: SQLite always, PostgreSQL
//! (a schema of its own in `TEST_DATABASE_URL`) when that is set.

use std::net::TcpListener;

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web::Bytes;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use engagiert::app::{self, Context};
use engagiert::auth::Role;
use engagiert::auth::jwt::{Grant, TokenUse};
use engagiert::config::Settings;
use engagiert::db::{Backend, Db, DbTarget, PoolOptions};
use engagiert::types::Email;
use engagiert::users::{self, api::NewUser};
use serde_json::Value;

pub const SECRET: &[u8] = b"a test secret that is long enough for HS256";
pub const PASSWORD: &str = "ein sicheres Passwort";
/// `ENGAGIERT_PUBLIC_URL` of every test app: the base of absolute links.
pub const PUBLIC_URL: &str = "https://api.engagiert.example";

/// Generates one test per backend from one body: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident) $body:block)+) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::helpers::TestApp::sqlite().await;
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                let Some($app) = $crate::helpers::TestApp::postgres().await else {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL skipped");
                    return;
                };
                $body
            }
        }
    )+};
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { base_url: String, schema: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Postgres { base_url, schema } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(base_url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Connects to the test database, creating it first when it does not exist yet, so the
/// README's test command works on a machine where only the server runs.
fn connect_creating(base_url: &str) -> diesel::PgConnection {
    static CREATED: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Ok(conn) = diesel::PgConnection::establish(base_url) {
        return conn;
    }
    let _once = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    if let Ok(conn) = diesel::PgConnection::establish(base_url) {
        return conn;
    }
    let mut url = url::Url::parse(base_url).expect("TEST_DATABASE_URL is a URL");
    let name = url.path().trim_start_matches('/').to_owned();
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "TEST_DATABASE_URL must name a database of letters, digits and _"
    );
    url.set_path("/postgres");
    let mut admin = diesel::PgConnection::establish(url.as_str())
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but unreachable: {e}"));
    // Another test binary may create it at the same moment: a duplicate is fine.
    let _ = admin.batch_execute(&format!("CREATE DATABASE {name}"));
    diesel::PgConnection::establish(base_url)
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but unreachable: {e}"))
}

pub struct TestApp {
    pub backend: Backend,
    pub ctx: Context,
    /// The database URL, for another instance on the same database.
    url: String,
    /// The attachment directory of this app.
    pub files: tempfile::TempDir,
    _cleanup: Cleanup,
}

pub fn settings() -> Settings {
    let mut settings = Settings::defaults();
    settings.cors_origins = vec!["https://admin.engagiert.example".into()];
    settings.public_url = Some(PUBLIC_URL.into());
    // The tests' webhook receivers listen on loopback.
    settings.webhook_allow_private = true;
    // Instances started beside a test app store their files apart from the working tree.
    settings.attachment_store = std::env::temp_dir()
        .join("engagiert-test-attachments")
        .display()
        .to_string();
    // `ENGAGIERT_CACHE_BYTES=0 cargo test` runs every test with the response cache off.
    if let Some(bytes) = std::env::var("ENGAGIERT_CACHE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        settings.cache_bytes = bytes;
    }
    settings
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(settings()).await
    }

    pub async fn sqlite_with(settings: Settings) -> Self {
        Self::sqlite_prepared(settings, |_| ()).await
    }

    /// On a fresh SQLite database that `prepare` gets (by URL) before the app migrates it.
    pub async fn sqlite_prepared(settings: Settings, prepare: impl FnOnce(&str)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        let url = format!("sqlite://{}", path.display());
        prepare(&url);
        Self::start(&url, Cleanup::Sqlite(dir), settings).await
    }

    pub async fn postgres() -> Option<Self> {
        Self::postgres_prepared(|_| ()).await
    }

    /// On a fresh PostgreSQL schema that `prepare` gets (by URL) before the app migrates it.
    pub async fn postgres_prepared(prepare: impl FnOnce(&str)) -> Option<Self> {
        Self::postgres_with(settings(), prepare).await
    }

    /// On a fresh PostgreSQL schema (see `postgres_prepared`), started with `settings`.
    pub async fn postgres_with(settings: Settings, prepare: impl FnOnce(&str)) -> Option<Self> {
        let base_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let mut conn = connect_creating(&base_url);
        conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let separator = if base_url.contains('?') { '&' } else { '?' };
        // The application name lets a test find (and terminate) this app's sessions only.
        let url = format!(
            "{base_url}{separator}options=-c%20search_path%3D{schema}&application_name={schema}"
        );
        prepare(&url);
        Some(Self::start(&url, Cleanup::Postgres { base_url, schema }, settings).await)
    }

    async fn start(url: &str, cleanup: Cleanup, mut settings: Settings) -> Self {
        let files = tempfile::tempdir().expect("attachment dir");
        if !settings.attachment_store.starts_with("s3://") {
            settings.attachment_store = files.path().display().to_string();
        }
        let target = DbTarget::parse(url).expect("database url");
        let backend = target.backend;
        let db = Db::new(
            target,
            &PoolOptions {
                max_size: 4,
                connection_timeout: std::time::Duration::from_secs(10),
            },
        );
        let migrating = db.clone();
        actix_web::web::block(move || migrating.migrate())
            .await
            .expect("block")
            .expect("migrate");
        let ctx = Context::new(&settings, db, SECRET).expect("context");
        Self {
            backend,
            ctx,
            url: url.to_owned(),
            files,
            _cleanup: cleanup,
        }
    }

    /// This app's database URL, for a service process on the same database.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// Another instance of the service on this app's database: its own pool, cache and
    /// listener, as a second instance behind the load balancer would have.
    pub fn another_instance(&self) -> Context {
        self.another_instance_with(settings())
    }

    /// Another instance (see `another_instance`) started with `settings`.
    pub fn another_instance_with(&self, settings: Settings) -> Context {
        let db = Db::new(
            DbTarget::parse(&self.url).expect("database url"),
            &PoolOptions {
                max_size: 4,
                connection_timeout: std::time::Duration::from_secs(10),
            },
        );
        Context::new(&settings, db, SECRET).expect("context")
    }

    /// A request to another instance (see `another_instance`).
    pub fn req_to(ctx: &Context, method: Method, path: &str) -> Req {
        Req {
            ctx: ctx.clone(),
            inner: TestRequest::default().method(method).uri(path),
        }
    }

    /// An app whose database cannot be reached.
    pub fn unreachable(backend: Backend) -> Context {
        let url = match backend {
            Backend::Sqlite => "/nonexistent-directory/engagiert.db",
            Backend::Postgres => "postgres://postgres@127.0.0.1:1/nowhere",
        };
        let db = Db::new(
            DbTarget::parse(url).expect("url"),
            &PoolOptions {
                max_size: 1,
                connection_timeout: std::time::Duration::from_millis(500),
            },
        );
        Context::new(&settings(), db, SECRET).expect("context")
    }

    /// An app on `url` with the pool the service itself uses (its 5 s checkout timeout).
    pub fn on_database(url: &str) -> Context {
        let settings = settings();
        let db = Db::new(DbTarget::parse(url).expect("url"), &settings.pool_options());
        Context::new(&settings, db, SECRET).expect("context")
    }

    /// Ends every PostgreSQL session of this app's pool from outside, as a database restart
    /// or a failover would; returns how many there were (0 on SQLite).
    pub fn terminate_sessions(&self) -> usize {
        self.terminate("")
    }

    /// Ends the PostgreSQL sessions of this app's database that listen for changes, as a
    /// network hiccup would; returns how many there were (0 on SQLite).
    pub fn terminate_listeners(&self) -> usize {
        self.terminate(" listen")
    }

    /// Ends the sessions named after this app's schema and `suffix`.
    fn terminate(&self, suffix: &str) -> usize {
        let Cleanup::Postgres { base_url, schema } = &self._cleanup else {
            return 0;
        };
        #[derive(diesel::QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ended: bool,
        }
        let mut conn = diesel::PgConnection::establish(base_url).expect("connect");
        let ended: Vec<Ended> = diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
             WHERE application_name = '{schema}{suffix}' AND pid <> pg_backend_pid()"
        ))
        .load(&mut conn)
        .expect("terminate");
        ended.iter().filter(|e| e.ended).count()
    }

    /// The PostgreSQL data types of this app's columns as `table.column` → type (empty on
    /// SQLite), for tests of what is stored.
    pub fn column_types(&self) -> Vec<(String, String)> {
        let Cleanup::Postgres { base_url, schema } = &self._cleanup else {
            return Vec::new();
        };
        #[derive(diesel::QueryableByName)]
        struct Column {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            data_type: String,
        }
        let mut conn = diesel::PgConnection::establish(base_url).expect("connect");
        let columns: Vec<Column> = diesel::sql_query(format!(
            "SELECT table_name || '.' || column_name AS name, data_type FROM information_schema.columns \
             WHERE table_schema = '{schema}' AND table_name NOT LIKE '\\_\\_diesel%'"
        ))
        .load(&mut conn)
        .expect("columns");
        columns.into_iter().map(|c| (c.name, c.data_type)).collect()
    }

    /// This app with another idle timeout for request bodies.
    pub fn with_body_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.ctx.limits = actix_web::web::Data::new(engagiert::config::Limits {
            body_idle_timeout: timeout,
            ..**self.ctx.limits
        });
        self
    }

    pub fn db(&self) -> &Db {
        &self.ctx.db
    }

    pub fn req(&self, method: Method, path: &str) -> Req {
        Req {
            ctx: self.ctx.clone(),
            inner: TestRequest::default().method(method).uri(path),
        }
    }

    /// A request to this app with a smaller attachment limit.
    pub fn with_attachment_limit(&self, bytes: usize, method: Method, path: &str) -> Req {
        let mut ctx = self.ctx.clone();
        ctx.limits = actix_web::web::Data::new(engagiert::config::Limits {
            attachment_bytes: bytes,
            ..**ctx.limits
        });
        Req {
            ctx,
            inner: TestRequest::default().method(method).uri(path),
        }
    }

    /// The files in the attachment directory (temporary files included).
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out)
                } else {
                    out.push(path)
                }
            }
        }
        let mut out = Vec::new();
        walk(self.files.path(), &mut out);
        out
    }

    pub fn get(&self, path: &str) -> Req {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Req {
        self.req(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Req {
        self.req(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> Req {
        self.req(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Req {
        self.req(Method::DELETE, path)
    }

    /// Creates a user directly in the database and returns it with an access token.
    pub async fn user(
        &self,
        email: &str,
        role: Role,
        municipality_id: Option<&str>,
    ) -> (String, String) {
        let new = NewUser {
            email: Email::parse(email).expect("email"),
            name: format!("Test {email}"),
            role,
            municipality_id: municipality_id.map(|id| id.parse().expect("uuid")),
            password: PASSWORD.into(),
            active: true,
        };
        let row = self
            .db()
            .run(move |conn| users::create_account(conn, new))
            .await
            .expect("create user");
        let token = self
            .token_for(&row.id, role, row.municipality_id.clone().map(Into::into))
            .await;
        (row.id.into_string(), token)
    }

    /// An access token of a new session of the user `id`, as a login would issue it.
    pub async fn token_for(&self, id: &str, role: Role, municipality_id: Option<String>) -> String {
        let user = engagiert::ids::UserId::parse(id).expect("user id");
        let session = self
            .db()
            .run(move |conn| Ok(engagiert::accounts::sessions::start(conn, &user)?))
            .await
            .expect("session");
        let expires = chrono::Utc::now().timestamp() + 600;
        self.ctx
            .keys
            .issue(Grant {
                sub: id.to_owned(),
                role,
                municipality_id,
                token_use: TokenUse::Access,
                jti: uuid::Uuid::now_v7().to_string(),
                sid: Some(session.to_string()),
                expires,
            })
            .expect("token")
    }

    /// A token of the test admin (created on first use).
    pub async fn admin(&self) -> String {
        let existing = self
            .db()
            .run(|conn| {
                Ok(users::model::find_active_by_email(
                    conn,
                    "admin@engagiert.example",
                )?)
            })
            .await
            .expect("look up admin");
        match existing {
            Some(row) => self.token_for(&row.id, Role::Admin, None).await,
            None => {
                self.user("admin@engagiert.example", Role::Admin, None)
                    .await
                    .1
            }
        }
    }

    /// Stores a municipality straight through the model and returns its id.
    pub async fn municipality(&self, body: Value) -> String {
        let input: engagiert::municipalities::api::MunicipalityInput =
            serde_json::from_value(body).expect("municipality input");
        self.db()
            .run(move |conn| {
                engagiert::municipalities::service::create(
                    conn,
                    &input,
                    &engagiert::history::revisions::Actor::system(),
                )
            })
            .await
            .expect("create municipality")
            .id
            .into_string()
    }

    /// A small member municipality (Unna), for tests of other resources; created once.
    pub async fn unna(&self) -> String {
        let existing = self
            .db()
            .run(|conn| Ok(engagiert::municipalities::model::resolve(conn, "unna")?))
            .await
            .expect("look up unna");
        if let Some(row) = existing {
            return row.id.into_string();
        }
        self.municipality(
            serde_json::json!({"name": "Unna", "kind": "town", "ags": "05978036",
            "membership": {"status": "member", "joined_on": "2024-01-15"}}),
        )
        .await
    }

    pub async fn editor(&self, municipality_id: &str) -> String {
        let email = format!("editor-{municipality_id}@engagiert.example");
        self.user(&email, Role::Editor, Some(municipality_id))
            .await
            .1
    }

    /// Serves the app on a real TCP port; the returned base URL reaches it.
    pub fn serve(&self) -> (String, actix_web::dev::ServerHandle) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = app::start(self.ctx.clone(), listener, Some(1)).expect("server");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (format!("http://127.0.0.1:{port}"), handle)
    }
}

pub struct Req {
    ctx: Context,
    inner: TestRequest,
}

impl Req {
    pub fn bearer(mut self, token: &str) -> Self {
        self.inner = self
            .inner
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self
            .inner
            .insert_header((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.inner = self
            .inner
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(body.to_string());
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.inner = self
            .inner
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body.into());
        self
    }

    pub fn peer(mut self, address: &str) -> Self {
        self.inner = self
            .inner
            .peer_addr(address.parse().expect("socket address"));
        self
    }

    pub async fn send(self) -> Resp {
        let service = test::init_service(app::build(self.ctx)).await;
        let response = test::call_service(&service, self.inner.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await;
        Resp {
            status,
            headers,
            body,
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the status and returns self, printing the body on failure.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }

    /// Asserts a problem document of `status` and returns it.
    #[track_caller]
    pub fn problem(self, status: u16) -> Value {
        let this = self.expect(status);
        assert_eq!(
            this.header("content-type").as_deref(),
            Some("application/problem+json"),
            "not a problem document"
        );
        let problem = this.json();
        assert_eq!(problem["status"], status);
        assert!(
            problem["type"].is_string() && problem["title"].is_string(),
            "{problem}"
        );
        check_problem_words(&problem);
        problem
    }
}

/// The codes the contract lists for `errors[]` items.
pub const ERROR_CODES: [&str; 11] = [
    "required",
    "unknown_field",
    "invalid_type",
    "invalid_format",
    "invalid_value",
    "out_of_range",
    "too_long",
    "too_short",
    "not_found",
    "duplicate",
    "read_only",
];

/// Words of Rust that no client should read: type names, `struct`/`enum`/variant talk.
pub fn rust_words(text: &str) -> Vec<String> {
    const TYPES: [&str; 16] = [
        "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize", "f32", "f64",
        "bool", "String", "Vec", "Option",
    ];
    const PHRASES: [&str; 7] = [
        "struct ",
        "enum ",
        "variant",
        "Uuid",
        "NaiveDate",
        "DateTime<",
        "identifier",
    ];
    let mut found: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|word| TYPES.contains(word))
        .map(str::to_owned)
        .collect();
    found.extend(
        PHRASES
            .iter()
            .filter(|phrase| text.contains(*phrase))
            .map(|phrase| (*phrase).to_owned()),
    );
    // A path (`serde_json::Value`), but not an IPv6 address (`::1`, `fe80::1`).
    let path = text
        .as_bytes()
        .windows(3)
        .any(|w| (w[0].is_ascii_alphabetic() || w[0] == b'_') && w[1] == b':' && w[2] == b':');
    if path {
        found.push("::".to_owned());
    }
    found
}

/// Every problem's `errors[]` items carry a contract code, and no message speaks Rust.
#[track_caller]
pub fn check_problem_words(problem: &Value) {
    let detail = problem["detail"].as_str().unwrap_or("");
    assert!(rust_words(detail).is_empty(), "Rust words in {problem}");
    for error in problem["errors"].as_array().into_iter().flatten() {
        let code = error["code"].as_str().unwrap_or("");
        assert!(ERROR_CODES.contains(&code), "no contract code in {error}");
        let message = error["message"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "no message in {error}");
        assert!(rust_words(message).is_empty(), "Rust words in {error}");
    }
}

/// The `field`s of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
