//! Retries of transient provider failures: exponential backoff with jitter, the server's own
//! delay (`Retry-After`, Gemini's `RetryInfo.retryDelay`) honoured, and bounds on both the number
//! of attempts and the total time waited. Time comes from a [`Clock`], so tests run the same code
//! with a [`FastClock`] that never sleeps and records what it was asked to wait.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::ProviderError;

/// Bounds and shape of the backoff. The defaults follow google-genai's policy (5 attempts,
/// 1 s doubling to a 60 s cap, up to 1 s of jitter), with 5 minutes of total waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included. The default is 5.
    pub max_attempts: u32,
    /// Delay after the first failure, in milliseconds. The default is 1000.
    pub initial_delay_ms: u64,
    /// Factor applied to the delay after each failure. The default is 2.
    pub multiplier: f64,
    /// Cap on one computed backoff delay, in milliseconds. The default is 60000. A longer delay
    /// requested by the server is still honoured while the total budget allows it.
    pub max_delay_ms: u64,
    /// Upper bound of the random delay added to each backoff, in milliseconds. The default is 1000.
    pub jitter_ms: u64,
    /// Total time that may be spent waiting between attempts, in milliseconds. A retry whose
    /// delay would exceed it is not made. The default is 300000 (5 minutes).
    pub max_total_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_delay_ms: 1_000,
            multiplier: 2.0,
            max_delay_ms: 60_000,
            jitter_ms: 1_000,
            max_total_wait_ms: 300_000,
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `failed + 1` after `failed` failures, without jitter.
    pub fn backoff(&self, failed: u32) -> Duration {
        let exponent = failed.saturating_sub(1).min(63) as i32;
        let millis = self.initial_delay_ms as f64 * self.multiplier.powi(exponent);
        Duration::from_millis(millis.min(self.max_delay_ms as f64) as u64)
    }

    fn jitter(&self) -> Duration {
        if self.jitter_ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::thread_rng().gen_range(0..=self.jitter_ms))
    }
}

/// A source of time for retries and polling.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `Instant` and `tokio::time::sleep`.
#[derive(Debug, Clone)]
pub struct TokioClock {
    origin: Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A test clock: sleeping returns at once and advances the clock by the requested time. Time
/// spent in requests is not counted, so `now()` is exactly the time waited.
#[derive(Debug, Clone, Default)]
pub struct FastClock {
    sleeps: Arc<Mutex<Vec<Duration>>>,
}

impl FastClock {
    /// Returns every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("clock lock").clone()
    }

    /// Returns the sum of all sleeps.
    pub fn total(&self) -> Duration {
        self.sleeps().iter().sum()
    }
}

impl Clock for FastClock {
    fn now(&self) -> Duration {
        self.total()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.sleeps.lock().expect("clock lock").push(duration);
        Box::pin(tokio::task::yield_now())
    }
}

/// A value produced after retries, with the attempts it took.
#[derive(Debug)]
pub struct Retried<T> {
    /// The successful result.
    pub value: T,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// Time waited between attempts.
    pub waited: Duration,
}

/// Runs `attempt` until it succeeds, fails with a rejected error, or the policy's attempts or
/// total wait are used up. `operation` names the step in logs. The returned error carries the
/// attempt count and the time waited.
pub async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    operation: &str,
    mut attempt: F,
) -> Result<Retried<T>, ProviderError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let max_attempts = policy.max_attempts.max(1);
    let budget = Duration::from_millis(policy.max_total_wait_ms);
    let mut waited = Duration::ZERO;
    let mut number = 0;
    loop {
        number += 1;
        let mut error = match attempt(number).await {
            Ok(value) => {
                return Ok(Retried {
                    value,
                    attempts: number,
                    waited,
                })
            }
            Err(error) => error,
        };
        error.attempts = number;
        error.waited = waited;
        if !error.is_transient() || number >= max_attempts {
            return Err(error);
        }
        let backoff = policy.backoff(number) + policy.jitter();
        let delay = error
            .retry_after
            .map_or(backoff, |server| server.max(backoff));
        if waited + delay > budget {
            error.message = format!(
                "{}; not retried because a further {delay:?} would exceed the retry budget of {budget:?}",
                error.message
            );
            return Err(error);
        }
        tracing::warn!(
            operation,
            attempt = number,
            status = error.status,
            error.kind = ?error.cause,
            delay_ms = delay.as_millis() as u64,
            "provider request failed; retrying"
        );
        clock.sleep(delay).await;
        waited += delay;
    }
}

/// Parses a protobuf `Duration` string such as `"22s"` or `"1.5s"`.
pub fn parse_proto_duration(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Parses a `Retry-After` header: delay seconds, or an HTTP date measured from `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_cap() {
        let policy = RetryPolicy {
            max_delay_ms: 5_000,
            ..RetryPolicy::default()
        };
        let delays: Vec<u64> = (1..=5)
            .map(|n| policy.backoff(n).as_millis() as u64)
            .collect();
        assert_eq!(delays, vec![1_000, 2_000, 4_000, 5_000, 5_000]);
    }

    #[test]
    fn proto_duration_fraction() {
        assert_eq!(
            parse_proto_duration("1.5s"),
            Some(Duration::from_millis(1_500))
        );
    }

    #[test]
    fn proto_duration_without_unit() {
        assert_eq!(parse_proto_duration("22"), None);
    }

    #[test]
    fn retry_after_seconds() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:30 GMT").unwrap();
        let delay = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
        assert_eq!(delay, Some(Duration::from_secs(7)));
    }
}
