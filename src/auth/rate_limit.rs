//! Failed-login throttling: at most `max` failures per client address and per account in a
//! sliding window; while either is exhausted, login answers 429 with `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

pub struct LoginLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(10, Duration::from_secs(15 * 60))
    }
}

impl LoginLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// 429 when any of `keys` has used up its attempts.
    pub fn check(&self, keys: &[String]) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = failures.get_mut(key) {
                self.prune(times, now);
                if times.len() >= self.max
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window.saturating_sub(now - *oldest));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(ApiError::too_many_requests(wait.as_secs() + 1))
        }
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > 100_000 {
            let window = self.window;
            failures.retain(|_, times| times.back().is_some_and(|last| now - *last < window));
        }
        for key in keys {
            let times = failures.entry(key.clone()).or_default();
            self.prune(times, now);
            times.push_back(now);
        }
    }

    pub fn forget(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    fn prune(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_per_key() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        let keys = ["ip:1".to_owned(), "account:a".to_owned()];
        limiter.record_failure(&keys);
        assert!(limiter.check(&keys).is_ok());
        limiter.record_failure(&keys);
        assert_eq!(
            limiter
                .check(&["account:a".to_owned()])
                .unwrap_err()
                .status()
                .as_u16(),
            429
        );
        assert!(limiter.check(&["account:b".to_owned()]).is_ok());
        limiter.forget("account:a");
        assert!(limiter.check(&["account:a".to_owned()]).is_ok());
        assert!(
            limiter.check(&keys).is_err(),
            "the address is still blocked"
        );
    }
}
