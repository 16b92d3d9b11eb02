//! "Something was committed": wakes the requests that wait for new changes (`wait=` of the
//! change feed) without holding a database connection while they wait. Every write
//! transaction of this process announces itself when it commits; on PostgreSQL a listener
//! thread (`LISTEN`, one connection per process, started by the first waiter) also hears
//! the writers of every other instance, which `pg_notify` in the transaction that records
//! a change. A waiter that wakes simply reads again, so a wake-up too many costs one query.

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
const CHECK_EVERY: u32 = 200;

pub struct Commits {
    sender: watch::Sender<u64>,
    /// PostgreSQL's URL, for the listener.
    listen: Option<String>,
    started: Once,
}

impl Commits {
    /// `listen`: the PostgreSQL URL to listen with; `None` on SQLite, whose writers are all
    /// in this process.
    pub fn new(listen: Option<String>) -> Arc<Self> {
        Arc::new(Commits {
            sender: watch::Sender::new(0),
            listen,
            started: Once::new(),
        })
    }

    /// Wakes every waiter.
    pub fn announce(&self) {
        self.sender
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver that sees every commit after this call (subscribe, then read, then wait:
    /// nothing committed in between is missed).
    pub fn subscribe(self: &Arc<Self>) -> watch::Receiver<u64> {
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
        self.sender.subscribe()
    }
}

/// Listens until the service (its `Commits`) is gone, reconnecting after the database went
/// away; each (re)connection announces a commit, since one may have been missed meanwhile.
fn listen(url: &str, commits: &Weak<Commits>) {
    let mut pause = Duration::from_millis(100);
    while commits.strong_count() > 0 {
        let connected = diesel::PgConnection::establish(url).map_err(|e| e.to_string());
        let mut conn = match connected.and_then(|mut conn| {
            conn.batch_execute(&format!("LISTEN {CHANNEL}"))
                .map(|()| conn)
                .map_err(|e| e.to_string())
        }) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::debug!(%error, "change listener cannot connect");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        pause = Duration::from_millis(100);
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
                || (polls.is_multiple_of(CHECK_EVERY) && conn.batch_execute("SELECT 1").is_err());
            if lost {
                break;
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Whether notifications arrived since the last look (all of them taken); `None` when the
/// connection is gone.
fn heard(conn: &mut diesel::PgConnection) -> Option<bool> {
    let mut any = false;
    for notification in conn.notifications_iter() {
        notification.ok()?;
        any = true;
    }
    Some(any)
}
