//! Failed-login throttling, in the database so that every instance behind the load balancer
//! counts the same failures. Failures count per account and client address together (10 in
//! 15 minutes lock that pair), per address (100) and per account (50): one person's typos
//! lock out neither the colleagues behind the same proxy nor their own account elsewhere,
//! while a guesser spreading over accounts or addresses still meets a limit.
//!
//! The client address is the TCP peer, or, when the peer is a trusted proxy
//! (`ENGAGIERT_TRUSTED_PROXIES`), the last `X-Forwarded-For` entry that no trusted proxy
//! added; from anyone else `X-Forwarded-For` is ignored, since anyone can send it.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use ipnet::IpNet;

use crate::db::schema::login_failures;
use crate::db::{Db, now};
use crate::error::ApiError;

/// What a failure counts against, and how many failures it may collect in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Pair,
    Address,
    Account,
}

impl Scope {
    fn limit(self) -> i64 {
        match self {
            Scope::Pair => 10,
            Scope::Address => 100,
            Scope::Account => 50,
        }
    }
}

/// The keys one login attempt counts against.
pub struct Attempt {
    keys: Vec<(Scope, String)>,
}

impl Attempt {
    /// A login of `account` (the e-mail as given, normalised) from `address`.
    pub fn login(account: &str, address: &str) -> Self {
        Self {
            keys: vec![
                (Scope::Pair, format!("pair:{account} {address}")),
                (Scope::Address, format!("address:{address}")),
                (Scope::Account, format!("account:{account}")),
            ],
        }
    }

    /// A password check of a signed-in `account` (changing the password): the account's
    /// own limit.
    pub fn account(account: &str) -> Self {
        Self {
            keys: vec![(Scope::Account, format!("account:{account}"))],
        }
    }
}

pub struct LoginLimiter {
    window: Duration,
    trusted: Vec<IpNet>,
}

impl LoginLimiter {
    /// A limiter believing `X-Forwarded-For` only from `trusted` proxies.
    pub fn new(trusted: Vec<IpNet>) -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            trusted,
        }
    }

    /// Parses `ENGAGIERT_TRUSTED_PROXIES` entries: addresses or CIDR ranges.
    pub fn parse_proxies(entries: &[String]) -> Result<Vec<IpNet>, String> {
        entries
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("ENGAGIERT_TRUSTED_PROXIES: `{entry}` is no address or CIDR range")
                    })
            })
            .collect()
    }

    fn trusts(&self, address: &IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(address))
    }

    /// The client's address (see the module's documentation).
    pub fn client_address(&self, req: &HttpRequest) -> String {
        let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
            return "unknown".into();
        };
        if !self.trusts(&peer) {
            return peer.to_string();
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map_while(|entry| entry.trim().parse::<IpAddr>().ok())
            .collect();
        // Right to left: each trusted proxy appended the address it was reached from.
        forwarded
            .iter()
            .rev()
            .find(|address| !self.trusts(address))
            .or(forwarded.first())
            .unwrap_or(&peer)
            .to_string()
    }

    fn since(&self) -> Result<NaiveDateTime, ApiError> {
        let window = chrono::Duration::from_std(self.window).map_err(ApiError::internal)?;
        Ok(now() - window)
    }

    /// 429 with `Retry-After` when any key of `attempt` has used up its failures.
    pub async fn check(&self, db: &Db, attempt: &Attempt) -> Result<(), ApiError> {
        let since = self.since()?;
        let window = self.window;
        let keys = attempt.keys.clone();
        let wait = db
            .run(move |conn| {
                let names: Vec<&String> = keys.iter().map(|(_, key)| key).collect();
                // Per key of the attempt: its failures in the window and the oldest of them.
                let counted: Vec<(String, i64, Option<NaiveDateTime>)> = login_failures::table
                    .filter(login_failures::key.eq_any(names))
                    .filter(login_failures::at.gt(since))
                    .group_by(login_failures::key)
                    .select((
                        login_failures::key,
                        diesel::dsl::count_star(),
                        diesel::dsl::min(login_failures::at),
                    ))
                    .load(conn)?;
                let mut wait = Duration::ZERO;
                for (key, count, oldest) in counted {
                    let exhausted = keys
                        .iter()
                        .any(|(scope, name)| *name == key && count >= scope.limit());
                    if exhausted && let Some(oldest) = oldest {
                        let age = (now() - oldest).to_std().unwrap_or_default();
                        wait = wait.max(window.saturating_sub(age));
                    }
                }
                Ok(wait)
            })
            .await?;
        if wait.is_zero() {
            Ok(())
        } else {
            Err(ApiError::too_many_requests(wait.as_secs() + 1))
        }
    }

    /// Counts a failure against every key of `attempt`, and forgets failures older than
    /// the window.
    pub async fn record_failure(&self, db: &Db, attempt: &Attempt) -> Result<(), ApiError> {
        let since = self.since()?;
        let keys = attempt.keys.clone();
        db.run(move |conn| {
            let at = now();
            // One statement per key: diesel's multi-backend connection takes no multi-row
            // insert.
            for (_, key) in &keys {
                diesel::insert_into(login_failures::table)
                    .values((login_failures::key.eq(key), login_failures::at.eq(at)))
                    .execute(conn)?;
            }
            diesel::delete(login_failures::table.filter(login_failures::at.le(since)))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// A successful login forgets the failures of its pair (one's own typos), not those
    /// counted against the address or the account by others.
    pub async fn forget_pair(&self, db: &Db, attempt: &Attempt) -> Result<(), ApiError> {
        let pairs: Vec<String> = attempt
            .keys
            .iter()
            .filter(|(scope, _)| *scope == Scope::Pair)
            .map(|(_, key)| key.clone())
            .collect();
        db.run(move |conn| {
            diesel::delete(login_failures::table.filter(login_failures::key.eq_any(pairs)))
                .execute(conn)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_addresses_or_ranges() {
        let parsed =
            LoginLimiter::parse_proxies(&["10.0.0.0/8".into(), "::1".into(), " ".into()]).unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(LoginLimiter::parse_proxies(&["10.0.0.0/33".into()]).is_err());
        assert!(LoginLimiter::parse_proxies(&["proxy.example".into()]).is_err());
    }
}
