//! Failed-login throttling, in the database so that every instance behind the load balancer
//! counts the same failures. Failures count per account and client address together (10 in
//! 15 minutes lock that pair), per address (100) and per account (50): one person's typos
//! lock out neither the colleagues behind the same proxy nor their own account elsewhere,
//! while a guesser spreading over accounts or addresses still meets a limit.
//!
//! The client address is the TCP peer, or, when the peer is a trusted proxy
//! (`ENGAGIERT_TRUSTED_PROXIES`), the last `X-Forwarded-For` entry that no trusted proxy
//! added; from anyone else `X-Forwarded-For` is ignored, since anyone can send it.
//!
//! The stored keys hold neither the e-mail nor the address in clear (data minimisation: a
//! failed login of a stranger's address must not put that address on record): each is an
//! HMAC-SHA256 under a key derived from the JWT secret, so whoever reads the table cannot
//! test guesses against it without the secret. The scope prefix stays readable, and a
//! pair's key starts with its account's hash, so subject access and erasure find an
//! account's rows (`pair_key_prefix`, `account_key`).

use std::net::IpAddr;
use std::time::Duration;

use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::digest::InvalidLength;
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha2::Sha256;

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

/// The keys one login attempt counts against (made by `LoginLimiter::login_attempt` and
/// `LoginLimiter::account_attempt`, which know the hashing key).
pub struct Attempt {
    keys: Vec<(Scope, String)>,
}

/// Separates this key's use from every other use of the JWT secret.
const KEY_PURPOSE: &[u8] = b"engagiert login throttle";

pub struct LoginLimiter {
    window: Duration,
    trusted: Vec<IpNet>,
    /// HMAC-SHA256 keyed with the derived key, cloned for each value hashed.
    mac: Hmac<Sha256>,
}

impl LoginLimiter {
    /// A limiter hashing its keys under a key derived from `secret` (the JWT secret) and
    /// believing `X-Forwarded-For` only from `trusted` proxies. (HMAC takes keys of any
    /// length; the error case exists only in the crate's general signature.)
    pub fn new(secret: &[u8], trusted: Vec<IpNet>) -> Result<Self, InvalidLength> {
        let mut derive = Hmac::<Sha256>::new_from_slice(secret)?;
        derive.update(KEY_PURPOSE);
        let key = derive.finalize().into_bytes();
        Ok(Self {
            window: Duration::from_secs(15 * 60),
            trusted,
            mac: Hmac::<Sha256>::new_from_slice(&key)?,
        })
    }

    /// Hex HMAC of `value`; `kind` keeps an e-mail and an address with the same text apart.
    fn hash(&self, kind: &str, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        crate::auth::tokens::hex(&mac.finalize().into_bytes())
    }

    /// The hash of an e-mail as every key stores it: trimmed and lower-cased first, as the
    /// login looks accounts up, so any spelling of one address finds the same rows.
    fn account_hash(&self, email: &str) -> String {
        self.hash("email", &email.trim().to_lowercase())
    }

    /// The stored key of `account:` scope for `email`.
    pub fn account_key(&self, email: &str) -> String {
        format!("account:{}", self.account_hash(email))
    }

    /// The start of every stored `pair:` key of `email`, whatever the address
    /// (`LIKE '<prefix>%'` finds them; the hex digits hold no wildcard).
    pub fn pair_key_prefix(&self, email: &str) -> String {
        format!("pair:{}:", self.account_hash(email))
    }

    /// A login of `email` (as given) from `address`.
    pub fn login_attempt(&self, email: &str, address: &str) -> Attempt {
        let address = self.hash("address", address);
        Attempt {
            keys: vec![
                (
                    Scope::Pair,
                    format!("{}{address}", self.pair_key_prefix(email)),
                ),
                (Scope::Address, format!("address:{address}")),
                (Scope::Account, self.account_key(email)),
            ],
        }
    }

    /// A password check of a signed-in account (changing the password): the account's own
    /// limit.
    pub fn account_attempt(&self, email: &str) -> Attempt {
        Attempt {
            keys: vec![(Scope::Account, self.account_key(email))],
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

    fn limiter(secret: &[u8]) -> LoginLimiter {
        LoginLimiter::new(secret, Vec::new()).unwrap()
    }

    #[test]
    fn keys_hold_no_email_or_address() {
        let limiter = limiter(b"a secret of at least thirty-two bytes");
        let attempt = limiter.login_attempt(" Nobody@Example.org ", "127.0.0.1");
        for (_, key) in &attempt.keys {
            assert!(!key.to_lowercase().contains("nobody"), "{key}");
            assert!(!key.contains("example"), "{key}");
            assert!(!key.contains("127.0.0.1"), "{key}");
        }
        let scopes: Vec<&str> = attempt
            .keys
            .iter()
            .filter_map(|(_, key)| key.split(':').next())
            .collect();
        assert_eq!(scopes, ["pair", "address", "account"]);
    }

    #[test]
    fn an_accounts_keys_are_found_by_its_email() {
        let limiter = limiter(b"a secret of at least thirty-two bytes");
        let attempt = limiter.login_attempt("nobody@example.org", "127.0.0.1");
        let prefix = limiter.pair_key_prefix("NOBODY@example.org");
        let account = limiter.account_key(" nobody@EXAMPLE.org");
        assert!(attempt.keys[0].1.starts_with(&prefix));
        assert_eq!(attempt.keys[2].1, account);
        assert_eq!(
            limiter.account_attempt("nobody@example.org").keys[0].1,
            account
        );
        // Another account from the same address shares only the address key.
        let other = limiter.login_attempt("somebody@example.org", "127.0.0.1");
        assert_ne!(other.keys[0].1, attempt.keys[0].1);
        assert_eq!(other.keys[1].1, attempt.keys[1].1);
        assert_ne!(other.keys[2].1, attempt.keys[2].1);
    }

    #[test]
    fn keys_depend_on_the_secret() {
        let one = limiter(b"a secret of at least thirty-two bytes");
        let two = limiter(b"another secret of thirty-two bytes!!");
        assert_ne!(
            one.account_key("nobody@example.org"),
            two.account_key("nobody@example.org")
        );
    }
}
