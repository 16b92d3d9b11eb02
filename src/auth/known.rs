//! Callers verified a moment ago. Every signed-in request used to ask the database whether
//! its session (or API token) is still active and what role it has: one query before any
//! work, and most of the cost of a signed-in read. The verdict is now kept exactly as long
//! as a response-cache entry (`http::cache`): while no commit has been seen since it was
//! read, and at most [`MAX_AGE`](crate::http::cache::MAX_AGE). Ending a session, revoking a
//! token or changing a user's role or activity is a commit, and on PostgreSQL every write to
//! `sessions`, `api_tokens` and `users` notifies the other instances (migration
//! `000018_caller_changes`): a logout through one instance reaches every other as fast as
//! their response caches learn of a write. The token's signature and expiry are
//! still checked on every request; only the database's answer is kept.

use std::time::Instant;

use super::extractor::AuthUser;
use super::jwt::{Claims, TokenUse};
use crate::http::cache::MAX_AGE;

#[derive(Clone)]
struct Known {
    caller: AuthUser,
    generation: u64,
    at: Instant,
}

pub struct KnownCallers {
    /// `None` when the response cache is off: then every request asks the database.
    entries: Option<quick_cache::sync::Cache<String, Known>>,
}

impl KnownCallers {
    pub fn new(enabled: bool) -> Self {
        Self {
            entries: enabled.then(|| quick_cache::sync::Cache::new(10_000)),
        }
    }

    /// The caller kept under `key`, if the database's verdict on it is still current at
    /// `generation`.
    pub fn get(&self, key: &str, generation: Option<u64>) -> Option<AuthUser> {
        let (entries, generation) = (self.entries.as_ref()?, generation?);
        let known = entries.get(key)?;
        (known.generation == generation && known.at.elapsed() < MAX_AGE).then_some(known.caller)
    }

    /// Keeps the verdict under `key`, read from the database at `generation` (read before
    /// the query, so that a commit during it retires the verdict).
    pub fn remember(&self, key: String, caller: &AuthUser, generation: Option<u64>) {
        if let (Some(entries), Some(generation)) = (&self.entries, generation) {
            let known = Known {
                caller: caller.clone(),
                generation,
                at: Instant::now(),
            };
            entries.insert(key, known);
        }
    }

    /// The key of verified claims: a session's access tokens share one verdict, an API
    /// token has its own.
    pub fn key(claims: &Claims) -> String {
        match claims.token_use {
            TokenUse::Access => format!(
                "session {} {}",
                claims.sub,
                claims.sid.as_deref().unwrap_or_default()
            ),
            TokenUse::Api => format!("token {}", claims.jti),
        }
    }
}
