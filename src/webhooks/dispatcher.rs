//! The dispatcher: derives deliveries from the change feed, claims the due ones, sends them
//! signed with a bounded number at once, and records each attempt with what follows from it
//! (delivered; retried after the schedule's next delay, with jitter, or the receiver's
//! `Retry-After` if longer; given up after a 410 or the last retry, which disables the
//! webhook).

use std::time::Duration;

use futures_util::StreamExt;

use super::outbox::{self, AttemptRecord, DeliveryRow, Outcome, Target, Work};
use super::sender::{Attempt, Sender};
use super::signing::{self, Secret};
use crate::config::Settings;
use crate::db::{Db, now};
use crate::error::ApiError;

/// The longest delay the retry schedule may name (a week).
const MAX_DELAY: u64 = 7 * 24 * 3600;

pub struct Dispatcher {
    db: Db,
    sender: Sender,
    /// Seconds to wait before each retry; after the last one the delivery is given up.
    schedule: Vec<u64>,
    /// Deliveries sent at once.
    concurrency: usize,
    /// How long a claimed delivery is this instance's: longer than a send can take.
    lease: chrono::Duration,
    /// When the cursor last moved with no webhook listening.
    cursor_moves: Every,
}

/// Lets something happen at most once per period.
struct Every {
    period: Duration,
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Every {
    fn new(period: Duration) -> Self {
        Self {
            period,
            last: std::sync::Mutex::new(None),
        }
    }

    /// Whether a period has passed since the last time this answered `true`.
    fn due(&self) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        let now = std::time::Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.period) {
            return false;
        }
        *last = Some(now);
        true
    }
}

impl Dispatcher {
    pub fn new(db: Db, sender: Sender, schedule: Vec<u64>, concurrency: usize) -> Self {
        Self {
            db,
            sender,
            schedule,
            concurrency: concurrency.max(1),
            lease: chrono::Duration::seconds(60),
            cursor_moves: Every::new(Duration::from_secs(1)),
        }
    }

    /// The dispatcher `settings` describe; a claimed delivery's lease outlasts the timeout.
    pub fn from_settings(db: Db, settings: &Settings) -> Result<Self, String> {
        let schedule = Self::parse_schedule(&settings.webhook_retry_schedule)?;
        let timeout = Duration::from_secs(settings.webhook_timeout.max(1));
        let sender = Sender::new(timeout, settings.webhook_allow_private)
            .map_err(|error| format!("cannot build the webhook client: {error}"))?;
        let mut dispatcher = Self::new(db, sender, schedule, settings.webhook_concurrency);
        dispatcher.lease = chrono::Duration::from_std(timeout * 2 + Duration::from_secs(5))
            .unwrap_or(dispatcher.lease);
        Ok(dispatcher)
    }

    /// Works the outbox off until the service stops: a round after each commit this
    /// instance sees (at most every `PAUSE`) and at least once a second, for the commits of
    /// other instances and the retries that fall due. An idle round reads and writes nothing.
    pub async fn run(self) {
        const PAUSE: Duration = Duration::from_millis(100);
        let mut commits = self.db.commits();
        loop {
            let busy = match self.run_once().await {
                Ok(attempts) => attempts > 0,
                Err(error) => {
                    tracing::warn!(%error, "webhook dispatcher round failed");
                    false
                }
            };
            actix_web::rt::time::sleep(PAUSE).await;
            if !busy {
                let waited = Duration::from_secs(1).saturating_sub(PAUSE);
                let _ = actix_web::rt::time::timeout(waited, commits.changed()).await;
            }
        }
    }

    /// Parses `ENGAGIERT_WEBHOOK_RETRY_SCHEDULE` (seconds, comma-separated).
    pub fn parse_schedule(text: &str) -> Result<Vec<u64>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                match part.parse::<u64>() {
                    Ok(seconds) if seconds <= MAX_DELAY => Ok(seconds),
                    _ => Err(format!(
                        "ENGAGIERT_WEBHOOK_RETRY_SCHEDULE: `{part}` is not a number of seconds up to {MAX_DELAY} (a week)"
                    )),
                }
            })
            .collect()
    }

    /// One round: derive, claim, send, record. Answers how many attempts were made.
    pub async fn run_once(&self) -> Result<usize, ApiError> {
        let work = self.db.run(outbox::pending_work).await?;
        // Without a webhook to hear of them, changes only move the cursor: at most once a
        // second, so that writers do not share SQLite's write lock with it at every commit.
        let derive = match work {
            Work::Nothing => false,
            Work::Changes { listening: true } => true,
            Work::Changes { listening: false } => self.cursor_moves.due(),
        };
        if derive {
            self.db.transaction(outbox::derive).await?;
        }
        // No more than are sent at once, so that each is sent well within its lease.
        let (limit, lease) = (self.concurrency as i64, self.lease);
        let claimed = self
            .db
            .run(move |conn| outbox::claim(conn, limit, lease))
            .await?;
        let attempts = claimed.len();
        let results: Vec<Result<(), ApiError>> = futures_util::stream::iter(claimed)
            .map(|(delivery, target)| self.attempt(delivery, target))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(attempts)
    }

    async fn attempt(&self, delivery: DeliveryRow, target: Target) -> Result<(), ApiError> {
        let attempt = match secrets(&target) {
            Some(secrets) => {
                let refs: Vec<&Secret> = secrets.iter().collect();
                let timestamp = chrono::Utc::now().timestamp();
                let id = delivery.id.to_string();
                match signing::headers(&id, timestamp, delivery.body.as_bytes(), &refs) {
                    Ok(headers) => {
                        self.sender
                            .send(&target.url, &headers, delivery.body.clone().into_bytes())
                            .await
                    }
                    Err(_) => unsigned("the webhook's secret cannot sign"),
                }
            }
            None => unsigned("the webhook's secret is unreadable"),
        };
        let outcome = self.outcome(&delivery, &attempt);
        let duration_ms = i32::try_from(attempt.duration.as_millis()).unwrap_or(i32::MAX);
        self.db
            .transaction(move |conn| {
                let record = AttemptRecord {
                    status: attempt.status,
                    duration_ms,
                    excerpt: &attempt.excerpt,
                    error: attempt.error.as_deref(),
                };
                let kept = outbox::record(conn, &delivery, &record, &outcome)?;
                if let (true, Outcome::GiveUp(reason)) = (kept, &outcome) {
                    super::service::disable(conn, &delivery.webhook_id, reason)?;
                }
                Ok(())
            })
            .await
    }

    fn outcome(&self, delivery: &DeliveryRow, attempt: &Attempt) -> Outcome {
        if attempt.delivered() {
            return Outcome::Delivered;
        }
        if attempt.gone() {
            return Outcome::GiveUp("the receiver answered 410 Gone".into());
        }
        let made = usize::try_from(delivery.attempts).unwrap_or(0) + 1;
        let Some(delay) = self.schedule.get(made - 1) else {
            let why = match (attempt.status, &attempt.error) {
                (Some(status), _) => format!("answered {status}"),
                (None, Some(error)) => error.clone(),
                (None, None) => "failed".into(),
            };
            return Outcome::GiveUp(format!("the last of {made} attempts failed ({why})"));
        };
        let delay = jittered(*delay).max(Duration::from_secs(attempt.retry_after.unwrap_or(0)));
        let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::days(1));
        let at = now();
        Outcome::Retry(at.checked_add_signed(delay).unwrap_or(at))
    }
}

/// The current secret, and the previous one while its grace period lasts.
fn secrets(target: &Target) -> Option<Vec<Secret>> {
    let mut secrets = vec![Secret::parse(&target.secret)?];
    if let (Some(previous), Some(until)) = (&target.previous_secret, target.previous_secret_until)
        && until > now()
    {
        secrets.push(Secret::parse(previous)?);
    }
    Some(secrets)
}

fn unsigned(error: &str) -> Attempt {
    Attempt {
        status: None,
        duration: Duration::ZERO,
        excerpt: String::new(),
        error: Some(error.to_owned()),
        retry_after: None,
    }
}

/// `seconds` ± 10 %, so receivers that failed together are not retried in one burst.
fn jittered(seconds: u64) -> Duration {
    let mut bytes = [0u8; 4];
    let unit = match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    };
    Duration::from_secs_f64(seconds as f64 * (0.9 + 0.2 * unit))
}
