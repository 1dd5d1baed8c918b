//! The daemon's metrics in Prometheus' text format. Counters of renders and model runs cover
//! this process since its start. Totals (observations by state and kind, tokens, cost, queue
//! depth) are read from the store at each scrape, so daemons sharing a database report the same.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::{Store, StoreError};

/// Counters of one daemon process.
#[derive(Debug, Default)]
pub struct Metrics {
    renders: AtomicU64,
    render_cache_hits: AtomicU64,
    render_ms: AtomicU64,
    model_runs: AtomicU64,
    model_ms: AtomicU64,
    sweeps: AtomicU64,
    queued: AtomicU64,
}

/// A snapshot of the render counters, for reports and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderCounts {
    /// Render requests, cache hits included.
    pub requests: u64,
    /// Requests served from the cache (a render shared with another scanner or run).
    pub cache_hits: u64,
}

impl Metrics {
    /// Records one render request and how long it took.
    pub fn record_render(&self, cached: bool, elapsed_ms: u64) {
        self.renders.fetch_add(1, Ordering::Relaxed);
        if cached {
            self.render_cache_hits.fetch_add(1, Ordering::Relaxed);
        }
        self.render_ms.fetch_add(elapsed_ms, Ordering::Relaxed);
    }

    /// Records one observation run (model calls included) and how long it took.
    pub fn record_model_run(&self, elapsed_ms: u64) {
        self.model_runs.fetch_add(1, Ordering::Relaxed);
        self.model_ms.fetch_add(elapsed_ms, Ordering::Relaxed);
    }

    /// Records one sweep and the pairs it queued.
    pub fn record_sweep(&self, queued: u64) {
        self.sweeps.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_add(queued, Ordering::Relaxed);
    }

    /// Returns the render counters so far.
    pub fn render_counts(&self) -> RenderCounts {
        RenderCounts {
            requests: self.renders.load(Ordering::Relaxed),
            cache_hits: self.render_cache_hits.load(Ordering::Relaxed),
        }
    }

    /// Renders every metric as Prometheus text.
    pub async fn render_text(&self, store: &Store) -> Result<String, StoreError> {
        let mut text = String::new();
        self.write_counters(&mut text);
        let (depth, taken) = store.queue_depth().await?;
        gauge(
            &mut text,
            "replay_vision_queue_depth",
            "Pairs waiting in the work queue, taken ones included.",
            depth,
        );
        gauge(
            &mut text,
            "replay_vision_queue_taken",
            "Queued pairs a worker holds now.",
            taken,
        );

        let totals = store.observation_totals().await?;
        let _ = writeln!(
            text,
            "# HELP replay_vision_observations Observations by state and kind."
        );
        let _ = writeln!(text, "# TYPE replay_vision_observations gauge");
        for total in &totals {
            let _ = writeln!(
                text,
                "replay_vision_observations{{state=\"{}\",kind=\"{}\"}} {}",
                total.state, total.kind, total.count
            );
        }
        let input: i64 = totals.iter().map(|total| total.input_tokens).sum();
        let output: i64 = totals.iter().map(|total| total.output_tokens).sum();
        let cost: f64 = totals.iter().map(|total| total.cost_usd).sum();
        let _ = writeln!(
            text,
            "# HELP replay_vision_tokens Model tokens of every stored observation."
        );
        let _ = writeln!(text, "# TYPE replay_vision_tokens gauge");
        let _ = writeln!(text, "replay_vision_tokens{{direction=\"input\"}} {input}");
        let _ = writeln!(
            text,
            "replay_vision_tokens{{direction=\"output\"}} {output}"
        );
        let _ = writeln!(
            text,
            "# HELP replay_vision_cost_usd Model cost of every stored observation, in US dollars."
        );
        let _ = writeln!(text, "# TYPE replay_vision_cost_usd gauge");
        let _ = writeln!(text, "replay_vision_cost_usd {cost}");
        Ok(text)
    }

    fn write_counters(&self, text: &mut String) {
        let counters = [
            (
                "replay_vision_renders_total",
                "Render requests of this process, cache hits included.",
                &self.renders,
            ),
            (
                "replay_vision_render_cache_hits_total",
                "Render requests served from the cache.",
                &self.render_cache_hits,
            ),
            (
                "replay_vision_render_seconds_sum",
                "Seconds spent in render requests.",
                &self.render_ms,
            ),
            (
                "replay_vision_model_runs_total",
                "Observation runs of this process (prompts, model calls, parsing).",
                &self.model_runs,
            ),
            (
                "replay_vision_model_seconds_sum",
                "Seconds spent in observation runs.",
                &self.model_ms,
            ),
            (
                "replay_vision_sweeps_total",
                "Sweeps of this process.",
                &self.sweeps,
            ),
            (
                "replay_vision_swept_pairs_total",
                "Pairs the sweeps of this process queued.",
                &self.queued,
            ),
        ];
        for (name, help, counter) in counters {
            let value = counter.load(Ordering::Relaxed);
            let _ = writeln!(text, "# HELP {name} {help}");
            let _ = writeln!(text, "# TYPE {name} counter");
            if name.ends_with("_seconds_sum") {
                let _ = writeln!(text, "{name} {}", value as f64 / 1000.0);
            } else {
                let _ = writeln!(text, "{name} {value}");
            }
        }
    }
}

fn gauge(text: &mut String, name: &str, help: &str, value: i64) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
    let _ = writeln!(text, "{name} {value}");
}
