//! "Something was committed": wakes the requests that wait for new changes (`wait=` of the
//! change feed) without holding a database connection while they wait. Every write
//! transaction of this process announces itself when it commits; on PostgreSQL a listener
//! thread (`LISTEN`, one connection per process, started by the first waiter) also hears
//! the writers of every other instance, which `pg_notify` in the transaction that records
//! a change. A waiter that wakes simply reads again, so a wake-up too many costs one query.
//!
//! The count of commits seen is also the response cache's *generation*: an entry computed
//! at one generation is served only while no commit has been seen since. On PostgreSQL the
//! count is only trusted while the listener is connected (notifications are not replayed
//! after a reconnect): until then [`Commits::generation`] is `None`, and every connection
//! (or loss of one) counts as a commit.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once, Weak};
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use tokio::sync::watch;

/// The channel a PostgreSQL writer notifies when it records a change (by the trigger of the
/// `revisions` table, migration `000009_revisions`).
pub const CHANNEL: &str = "engagiert_changes";

/// How often the listener looks for notifications that arrived (no round trip: it reads
/// what the server already sent), and how often it checks its connection is still there.
const POLL: Duration = Duration::from_millis(50);
const CHECK_EVERY: u32 = 20;

pub struct Commits {
    /// Wakes the waiters (what it carries does not matter: `seen` counts).
    sender: watch::Sender<()>,
    /// Commits seen (the cache's generation).
    seen: AtomicU64,
    /// Whether every commit is seen: always on SQLite, while connected on PostgreSQL.
    listening: AtomicBool,
    /// PostgreSQL's URL, for the listener.
    listen: Option<String>,
    started: Once,
}

impl Commits {
    /// `listen`: the PostgreSQL URL to listen with; `None` on SQLite, whose writers are all
    /// in this process.
    pub fn new(listen: Option<String>) -> Arc<Self> {
        Arc::new(Commits {
            sender: watch::Sender::new(()),
            seen: AtomicU64::new(0),
            listening: AtomicBool::new(listen.is_none()),
            listen,
            started: Once::new(),
        })
    }

    /// Counts a commit and wakes every waiter.
    pub fn announce(&self) {
        self.seen.fetch_add(1, Ordering::AcqRel);
        self.sender.send_replace(());
    }

    /// The commits seen so far, if every commit is seen (see the module's documentation).
    pub fn generation(&self) -> Option<u64> {
        // `listening` first: a generation read while connected stays valid only until the
        // next commit or loss, both of which count.
        self.listening
            .load(Ordering::Acquire)
            .then(|| self.seen.load(Ordering::Acquire))
    }

    /// A receiver that sees every commit after this call (subscribe, then read, then wait:
    /// nothing committed in between is missed).
    pub fn subscribe(self: &Arc<Self>) -> watch::Receiver<()> {
        self.start_listening();
        self.sender.subscribe()
    }

    /// On PostgreSQL: starts the listener thread (once).
    pub fn start_listening(self: &Arc<Self>) {
        if let Some(url) = &self.listen {
            let (url, commits) = (url.clone(), Arc::downgrade(self));
            self.started.call_once(|| {
                let spawned = std::thread::Builder::new()
                    .name("engagiert-listen".into())
                    .spawn(move || listen(&url, &commits));
                if let Err(error) = spawned {
                    tracing::warn!(%error, "cannot start the change listener");
                }
            });
        }
    }

    /// The listener connected (`true`) or lost its connection: either way a commit may have
    /// gone unheard, so it counts as one.
    fn connected(&self, connected: bool) {
        if connected {
            self.announce();
            self.listening.store(true, Ordering::Release);
        } else {
            self.listening.store(false, Ordering::Release);
            self.announce();
        }
    }
}

/// Listens until the service (its `Commits`) is gone, reconnecting after the database went
/// away; each (re)connection announces a commit, since one may have been missed meanwhile.
fn listen(url: &str, commits: &Weak<Commits>) {
    let mut pause = Duration::from_millis(100);
    while commits.strong_count() > 0 {
        let connected = diesel::PgConnection::establish(url).map_err(|e| e.to_string());
        let mut conn = match connected.and_then(|conn| subscribed(conn).map_err(|e| e.to_string()))
        {
            Ok(conn) => conn,
            Err(error) => {
                tracing::debug!(%error, "change listener cannot connect");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        pause = Duration::from_millis(100);
        match commits.upgrade() {
            Some(owner) => owner.connected(true),
            None => return,
        }
        let mut polls = 0u32;
        loop {
            let Some(owner) = commits.upgrade() else {
                return;
            };
            let heard = heard(&mut conn);
            if heard != Some(false) {
                owner.announce();
            }
            drop(owner);
            polls = polls.wrapping_add(1);
            let lost = heard.is_none()
                || (polls.is_multiple_of(CHECK_EVERY)
                    && conn.conn.batch_execute("SELECT 1").is_err());
            if lost {
                if let Some(owner) = commits.upgrade() {
                    owner.connected(false);
                }
                break;
            }
            std::thread::sleep(POLL);
        }
    }
}

/// A listening connection: its schema (writers name theirs in each notification, so
/// services that share a database in separate schemas do not wake each other) and the
/// connection, named apart in `pg_stat_activity` so an operator sees which session listens.
struct Listening {
    schema: String,
    conn: diesel::PgConnection,
}

fn subscribed(mut conn: diesel::PgConnection) -> diesel::QueryResult<Listening> {
    use diesel::RunQueryDsl;
    conn.batch_execute(&format!(
        "SELECT set_config('application_name', \
         left(current_setting('application_name'), 48) || ' listen', false); \
         LISTEN {CHANNEL}"
    ))?;
    let schema = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "current_schema()",
    ))
    .get_result(&mut conn)?;
    Ok(Listening { schema, conn })
}

/// Whether notifications about this schema arrived since the last look (all of them
/// taken); `None` when the connection is gone.
fn heard(listening: &mut Listening) -> Option<bool> {
    let mut any = false;
    for notification in listening.conn.notifications_iter() {
        any |= notification.ok()?.payload == listening.schema;
    }
    Some(any)
}
