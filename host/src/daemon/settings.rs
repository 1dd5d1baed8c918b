//! The `[daemon]` section of `replay-vision.toml`: how often the daemon sweeps, when a session
//! counts as settled, how much work runs at once, leases, budgets and the HTTP API.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// Settings of `replay-vision daemon`. Every value has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// The name stored as the lease owner of claimed work. The default is `daemon-<pid>`,
    /// suffixed with a random part so that a restarted daemon never reuses a dead one's leases.
    pub worker_name: Option<String>,
    /// Seconds between sweeps that queue settled sessions for enabled scanners. The default is
    /// 300 (5 minutes).
    pub sweep_interval_s: f64,
    /// Seconds between polls of the sources. The default is 30.
    pub poll_interval_s: f64,
    /// A session is settled, and so a candidate, once its last event is this many seconds old.
    /// The default is 2100 (35 minutes: a 30-minute inactivity timeout plus 5 minutes of lag).
    pub settle_s: f64,
    /// Sessions rendered at the same time; each slot runs its own Chromium. The default is 1.
    pub render_concurrency: usize,
    /// Model calls in flight at the same time. The default is 4.
    pub model_concurrency: usize,
    /// Seconds a claim lasts without a heartbeat. The default is 600.
    pub lease_s: f64,
    /// Seconds between heartbeats that extend the leases of running work. The default is 60.
    pub heartbeat_s: f64,
    /// Expired leases after which an observation ends `failed` with kind `orphaned`. The
    /// default is 3.
    pub max_lease_expiries: i64,
    /// Candidates queued per scanner and sweep at most. The default is 5000.
    pub max_candidates_per_sweep: i64,
    /// Seconds between deliveries of queued `$recording_observed` events. The default is 10.
    pub delivery_interval_s: f64,
    /// Seconds a SIGTERM waits for in-flight work to finish before releasing it. The default
    /// is 30.
    pub drain_timeout_s: f64,
    /// Daily budgets that pause a scanner until the next UTC day.
    pub budgets: BudgetsConfig,
    /// The HTTP API.
    pub api: ApiConfig,
}

impl Default for DaemonConfig {
    fn default() -> DaemonConfig {
        DaemonConfig {
            worker_name: None,
            sweep_interval_s: 300.0,
            poll_interval_s: 30.0,
            settle_s: 2100.0,
            render_concurrency: 1,
            model_concurrency: 4,
            lease_s: 600.0,
            heartbeat_s: 60.0,
            max_lease_expiries: 3,
            max_candidates_per_sweep: 5000,
            delivery_interval_s: 10.0,
            drain_timeout_s: 30.0,
            budgets: BudgetsConfig::default(),
            api: ApiConfig::default(),
        }
    }
}

/// Daily limits of one scanner. `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Observations started per UTC day (pending, running and succeeded ones count).
    pub observations_per_day: Option<i64>,
    /// Model cost per UTC day, in US dollars.
    pub cost_usd_per_day: Option<f64>,
}

/// The budget every scanner gets, and overrides by scanner id.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetsConfig {
    /// Applies to every scanner without an override. The default has no limits.
    pub default: Budget,
    /// Budgets by scanner id (the scanner's name as a slug).
    pub scanners: BTreeMap<String, Budget>,
}

impl BudgetsConfig {
    /// Returns the budget of one scanner.
    pub fn for_scanner(&self, scanner_id: &str) -> Budget {
        self.scanners
            .get(scanner_id)
            .copied()
            .unwrap_or(self.default)
    }
}

/// The HTTP API's address and token.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Serve the API at all. The default is on.
    pub enabled: bool,
    /// The socket address to listen on. The default is `127.0.0.1:8787`. Without a token it
    /// must be a loopback address.
    pub listen: String,
    /// The environment variable holding the bearer token. The default is
    /// `REPLAY_VISION_API_TOKEN`; when it is unset or empty the API takes no token and binds to
    /// loopback only.
    pub token_env: String,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            enabled: true,
            listen: "127.0.0.1:8787".into(),
            token_env: "REPLAY_VISION_API_TOKEN".into(),
        }
    }
}

impl DaemonConfig {
    /// Checks values that parse but cannot work; returns one message per problem.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let positive = [
            ("sweep_interval_s", self.sweep_interval_s),
            ("poll_interval_s", self.poll_interval_s),
            ("lease_s", self.lease_s),
            ("heartbeat_s", self.heartbeat_s),
            ("delivery_interval_s", self.delivery_interval_s),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                problems.push(format!("[daemon] {name} is {value}; it must be above 0"));
            }
        }
        if !(self.settle_s.is_finite() && self.settle_s >= 0.0) {
            problems.push(format!(
                "[daemon] settle_s is {}; it must be 0 or more",
                self.settle_s
            ));
        }
        if self.heartbeat_s >= self.lease_s {
            problems.push(format!(
                "[daemon] heartbeat_s ({}) must be shorter than lease_s ({}), or leases expire \
                 while work is still running",
                self.heartbeat_s, self.lease_s
            ));
        }
        if self.render_concurrency == 0 || self.model_concurrency == 0 {
            problems
                .push("[daemon] render_concurrency and model_concurrency must be 1 or more".into());
        }
        if self.max_lease_expiries < 1 {
            problems.push("[daemon] max_lease_expiries must be 1 or more".into());
        }
        if self.api.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "[daemon.api] listen is {:?}; expected an address such as 127.0.0.1:8787",
                self.api.listen
            ));
        }
        problems
    }

    /// Converts `seconds` to a duration of at least one millisecond.
    pub fn duration(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds.max(0.001))
    }

    /// Returns the lease length in milliseconds.
    pub fn lease_ms(&self) -> i64 {
        (self.lease_s * 1000.0) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_schedule_rules() {
        let config: DaemonConfig = toml::from_str("").unwrap();
        assert_eq!(config.sweep_interval_s, 300.0);
        assert_eq!(config.settle_s, 2100.0);
        assert!(config.problems().is_empty(), "{:?}", config.problems());
    }

    #[test]
    fn budget_override_wins() {
        let config: DaemonConfig = toml::from_str(
            "[budgets.default]\nobservations_per_day = 10\n\
             [budgets.scanners.dead-ends]\ncost_usd_per_day = 1.5\n",
        )
        .unwrap();
        assert_eq!(
            config.budgets.for_scanner("other").observations_per_day,
            Some(10)
        );
        assert_eq!(
            config.budgets.for_scanner("dead-ends").cost_usd_per_day,
            Some(1.5)
        );
    }

    #[test]
    fn heartbeat_longer_than_lease() {
        let config: DaemonConfig = toml::from_str("lease_s = 10\nheartbeat_s = 20\n").unwrap();
        assert_eq!(config.problems().len(), 1, "{:?}", config.problems());
    }
}
