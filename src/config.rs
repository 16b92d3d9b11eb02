//! Settings from flags and environment. Secrets are wrapped so that no `Debug` output or
//! log line can show them.

use std::fmt;
use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Everything `engagiert serve` can be told.
#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// PostgreSQL URL (postgres://…) or SQLite file (a path or sqlite://PATH).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "engagiert.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Address and port to listen on.
    #[arg(long, env = "ENGAGIERT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Secret for signing tokens (HS256), at least 32 bytes. Required unless --dev.
    #[arg(long, env = "ENGAGIERT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// Development mode: generates a throw-away JWT secret if none is given and loads demo
    /// data (with a demo admin) into an empty database.
    #[arg(long, env = "ENGAGIERT_DEV")]
    pub dev: bool,
    /// Load the demo data into an empty database (implied by --dev).
    #[arg(long, env = "ENGAGIERT_DEMO_DATA")]
    pub demo_data: bool,
    /// E-mail of the first admin, created at start when no user exists.
    #[arg(long, env = "ENGAGIERT_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password of the first admin.
    #[arg(long, env = "ENGAGIERT_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
    /// Origins (comma-separated) allowed to write through CORS, e.g. the admin frontend.
    #[arg(long, env = "ENGAGIERT_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Log format.
    #[arg(long, env = "ENGAGIERT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Lifetime of access tokens in seconds.
    #[arg(long, env = "ENGAGIERT_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: u64,
    /// Lifetime of refresh tokens in days.
    #[arg(long, env = "ENGAGIERT_REFRESH_TOKEN_DAYS", default_value_t = 30)]
    pub refresh_token_days: u64,
    /// Largest accepted JSON body in bytes.
    #[arg(long, env = "ENGAGIERT_JSON_LIMIT", default_value_t = 1024 * 1024)]
    pub json_limit: usize,
    /// Largest accepted attachment in bytes.
    #[arg(long, env = "ENGAGIERT_ATTACHMENT_LIMIT", default_value_t = 25 * 1024 * 1024)]
    pub attachment_limit: usize,
    /// Where attachment files are stored: a directory (created if missing) or
    /// `s3://bucket/prefix` (endpoint and credentials from the `AWS_*` variables).
    #[arg(
        long,
        env = "ENGAGIERT_ATTACHMENT_STORE",
        default_value = "data/attachments"
    )]
    pub attachment_store: String,
    /// The `AWS_*` settings of an S3 store; `None` reads them from the environment (tests
    /// give them here, as one process runs several instances).
    #[arg(skip)]
    pub aws: Option<Vec<(String, String)>>,
    /// Database connections in the pool.
    #[arg(long, env = "ENGAGIERT_DB_POOL_SIZE", default_value_t = 4)]
    pub db_pool_size: u32,
    /// Seconds a request body may send nothing before it is answered 408 (rule 30).
    #[arg(long, env = "ENGAGIERT_BODY_TIMEOUT", default_value_t = 30)]
    pub body_timeout: u64,
    /// Seconds a change-feed request with `wait=` is held at most (the API allows 30): keep
    /// it below the timeout of the proxies in front of the service.
    #[arg(long, env = "ENGAGIERT_CHANGES_MAX_WAIT", default_value_t = 30)]
    pub changes_max_wait: u64,
    /// Bytes the response cache of public reads may hold; 0 turns it off.
    #[arg(long, env = "ENGAGIERT_CACHE_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub cache_bytes: u64,
    /// Seconds proxies and CDNs may keep public answers (`Cache-Control: public,
    /// max-age=N`); 0 keeps `no-cache`, so they revalidate each time.
    #[arg(long, env = "ENGAGIERT_PUBLIC_MAX_AGE", default_value_t = 0)]
    pub public_max_age: u64,
    /// The license of the published data, as a URL (OParl's System and Body `license`).
    #[arg(
        long,
        env = "ENGAGIERT_DATA_LICENSE",
        default_value = "https://www.govdata.de/dl-de/by-2-0"
    )]
    pub data_license: String,
    /// Sites that may frame a standalone embed (`frame-ancestors`, space-separated origins).
    #[arg(long, env = "ENGAGIERT_EMBED_ANCESTORS", default_value = "*")]
    pub embed_ancestors: String,

    /// Proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` names the
    /// client; from anyone else that header is ignored.
    #[arg(long, env = "ENGAGIERT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Bearer token `/metrics` asks for; without it `/metrics` is open (keep it then behind
    /// the proxy).
    #[arg(long, env = "ENGAGIERT_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// The address clients reach the service at (`https://api.engagiert.nrw`): the only
    /// source of absolute links in feeds and `Location` headers (default: http:// + bind).
    #[arg(long, env = "ENGAGIERT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ENGAGIERT_WORKERS")]
    pub workers: Option<usize>,

    /// Seconds to wait before each retry of a failed webhook delivery (comma-separated);
    /// after the last one the delivery is given up and the webhook disabled.
    #[arg(
        long,
        env = "ENGAGIERT_WEBHOOK_RETRY_SCHEDULE",
        default_value = DEFAULT_RETRY_SCHEDULE
    )]
    pub webhook_retry_schedule: String,
    /// Let webhooks deliver over `http` and to loopback and private addresses (development
    /// and tests only).
    #[arg(long, env = "ENGAGIERT_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "ENGAGIERT_WEBHOOK_TIMEOUT", default_value_t = 15)]
    pub webhook_timeout: u64,
    /// Webhook deliveries this instance sends at once.
    #[arg(long, env = "ENGAGIERT_WEBHOOK_CONCURRENCY", default_value_t = 8)]
    pub webhook_concurrency: usize,

    /// How much of a client's address log lines show: `none`, `truncated` (IPv4 /24, IPv6
    /// /48) or `full`.
    #[arg(long, env = "ENGAGIERT_LOG_CLIENT_ADDRESS", value_enum, default_value_t = ClientAddressLog::Truncated)]
    pub log_client_address: ClientAddressLog,

    #[command(flatten)]
    pub retention: Retention,
}

/// How much of a client's address a log line shows (data protection: an address is
/// personal data; its network is enough to trace abuse).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ClientAddressLog {
    None,
    #[default]
    Truncated,
    Full,
}

/// How long personal and technical data is kept, in days (`0` keeps it for ever). The
/// retention janitor of every instance enforces these.
#[derive(Args, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Days failed login attempts are kept (they throttle logins for 15 minutes).
    #[arg(long, env = "ENGAGIERT_RETAIN_LOGIN_ATTEMPTS", default_value_t = 1)]
    pub login_attempts: u32,
    /// Days ended or expired sessions (and their refresh tokens) are kept.
    #[arg(long, env = "ENGAGIERT_RETAIN_SESSIONS", default_value_t = 30)]
    pub sessions: u32,
    /// Days finished webhook deliveries and their attempts are kept.
    #[arg(long, env = "ENGAGIERT_RETAIN_DELIVERIES", default_value_t = 30)]
    pub deliveries: u32,
    /// Days revisions keep their data (patch and snapshot); who, when and what stay, and a
    /// record's latest revision keeps its snapshot. `0` (the default) keeps it for ever.
    #[arg(long, env = "ENGAGIERT_RETAIN_REVISION_DATA", default_value_t = 0)]
    pub revision_data: u32,
    /// Days the stored file of a deleted attachment is kept (unless a live attachment has
    /// the same content).
    #[arg(long, env = "ENGAGIERT_RETAIN_DELETED_FILES", default_value_t = 30)]
    pub deleted_files: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            login_attempts: 1,
            sessions: 30,
            deliveries: 30,
            revision_data: 0,
            deleted_files: 30,
        }
    }
}

/// The contract's retry schedule of webhook deliveries, in seconds.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5,300,1800,7200,18000,36000,36000";

impl Settings {
    /// The defaults, as if started with no flags and no environment.
    pub fn defaults() -> Self {
        Self {
            database_url: "engagiert.db".into(),
            bind: "127.0.0.1:8080".into(),
            jwt_secret: None,
            dev: false,
            demo_data: false,
            admin_email: None,
            admin_password: None,
            cors_origins: Vec::new(),
            log_format: LogFormat::Text,
            access_token_ttl: 900,
            refresh_token_days: 30,
            json_limit: 1024 * 1024,
            attachment_limit: 25 * 1024 * 1024,
            attachment_store: "data/attachments".into(),
            aws: None,
            db_pool_size: 4,
            body_timeout: 30,
            changes_max_wait: 30,
            cache_bytes: 32 * 1024 * 1024,
            public_max_age: 0,
            data_license: "https://www.govdata.de/dl-de/by-2-0".into(),
            embed_ancestors: "*".into(),
            metrics_token: None,
            trusted_proxies: Vec::new(),
            public_url: None,
            workers: None,
            webhook_retry_schedule: DEFAULT_RETRY_SCHEDULE.into(),
            webhook_allow_private: false,
            webhook_timeout: 15,
            webhook_concurrency: 8,
            log_client_address: ClientAddressLog::Truncated,
            retention: Retention::default(),
        }
    }

    /// What writes check against this deployment's settings.
    pub fn policy(&self) -> Policy {
        Policy {
            webhook_private_addresses: self.webhook_allow_private,
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            json_body_bytes: self.json_limit,
            attachment_bytes: self.attachment_limit,
            body_idle_timeout: Duration::from_secs(self.body_timeout.max(1)),
            changes_wait: Duration::from_secs(self.changes_max_wait.min(30)),
        }
    }

    pub fn pool_options(&self) -> crate::db::PoolOptions {
        crate::db::PoolOptions {
            max_size: self.db_pool_size.max(1),
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// The base of every absolute link the service writes (rule 29): from configuration, never
/// from the request's `Host` or `X-Forwarded-*` headers, which any client can set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// An `http`/`https` URL without query or fragment; a trailing `/` is dropped.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text.trim())
            .map_err(|e| format!("ENGAGIERT_PUBLIC_URL {text:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(format!(
                "ENGAGIERT_PUBLIC_URL {text:?} must be an http(s) URL without query or fragment"
            ));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// The absolute URL of an absolute path (`/api/v1/...`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Settings {
    /// `ENGAGIERT_PUBLIC_URL`, or `http://` and the bind address.
    pub fn public_url(&self) -> Result<PublicUrl, String> {
        match &self.public_url {
            Some(url) => PublicUrl::parse(url),
            None => PublicUrl::parse(&format!("http://{}", self.bind)),
        }
    }
}

/// What this deployment allows that a write checks before its transaction (passed to
/// `Resource::prepare`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy {
    /// `ENGAGIERT_WEBHOOK_ALLOW_PRIVATE`: webhooks may use `http` and reach private addresses.
    pub webhook_private_addresses: bool,
}

/// Body size limits, shared with the extractors through app data.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub json_body_bytes: usize,
    pub attachment_bytes: usize,
    /// How long a request body may send nothing before it is answered 408.
    pub body_idle_timeout: Duration,
    /// The longest a change-feed request is held waiting for news.
    pub changes_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Settings::defaults().limits()
    }
}
