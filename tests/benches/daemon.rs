//! Daemon throughput: observations per hour when the model replies at once, so the number
//! measures the daemon itself (loading, real Chromium renders, ffmpeg, the scanner types in
//! the sandbox, the SQLite store), and the share of render requests the cache served because
//! several scanners looked at one session.
//!
//! Each run starts from an empty store and an empty video cache: SESSIONS copies of one short
//! real recording, each moved in time by a few milliseconds so that its content (and so its
//! render) differs, times SCANNERS monitor scanners. The default concurrency applies (one render
//! slot, four model calls). Run with
//! `cargo bench -p replay-vision-tests --bench daemon`; `DAEMON_BENCH_RUNS` sets the runs
//! (default 3) and the median is printed.

#[path = "../tests/daemon/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::Instant;

use support::{monitor, Fixture};

const SESSIONS: usize = 6;
const SCANNERS: usize = 3;

/// One run's numbers.
struct Run {
    seconds: f64,
    observations: usize,
    render_requests: u64,
    cache_hits: u64,
}

async fn run_once() -> Run {
    let fixture = Fixture::sqlite().await;
    for index in 0..SCANNERS {
        let name = format!("Scanner {index}");
        fixture.add_scanner(&format!("s{index}.toml"), &monitor(&name, 1.0));
    }
    for index in 0..SESSIONS {
        // Moving the whole recording by `index` ms changes its content hash, not its frames.
        fixture.add_session_ended_ago(&format!("bench-{index}"), 3_600_000 + index as i64);
    }
    let daemon = fixture.daemon().await;
    daemon.poll_sources().await.expect("poll");
    daemon.sweep().await.expect("sweep");

    let started = Instant::now();
    daemon.work_until_idle().await.expect("work");
    let seconds = started.elapsed().as_secs_f64();

    let observations = support::observed_pairs(daemon.store())
        .await
        .iter()
        .filter(|(_, _, state)| state == "succeeded")
        .count();
    let renders = daemon.shared().metrics.render_counts();
    Run {
        seconds,
        observations,
        render_requests: renders.requests,
        cache_hits: renders.cache_hits,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that does not name this bench skips it.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.is_some_and(|filter| !"daemon".contains(filter.as_str())) {
        return;
    }
    let runs: usize = std::env::var("DAEMON_BENCH_RUNS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut per_hour = Vec::new();
    let mut saved = Vec::new();
    for run in 0..runs {
        let result = runtime.block_on(run_once());
        assert_eq!(
            result.observations,
            SESSIONS * SCANNERS,
            "every pair succeeds"
        );
        let rate = result.observations as f64 / result.seconds * 3600.0;
        // Scanner runs that found the video cached, out of all scanner runs: each scanner
        // run would render on its own without sharing.
        let scanner_runs = (SESSIONS * SCANNERS) as f64;
        let renders_done = (result.render_requests - result.cache_hits) as f64;
        let share_saved = 1.0 - renders_done / scanner_runs;
        println!(
            "run {run}: {} observations in {:.1} s = {rate:.0} per hour; {} renders for {} \
             scanner runs ({:.0}% saved by sharing)",
            result.observations,
            result.seconds,
            renders_done,
            scanner_runs,
            share_saved * 100.0
        );
        per_hour.push(rate);
        saved.push(share_saved);
    }
    println!(
        "daemon: median {:.0} observations per hour, median {:.0}% of renders saved by sharing \
         ({SESSIONS} sessions x {SCANNERS} scanners, {runs} runs)",
        median(per_hour),
        median(saved) * 100.0
    );
}
