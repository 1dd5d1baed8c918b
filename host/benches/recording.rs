//! Load + analyse throughput and peak memory on one large recording.
//!
//! Build the input first (it is not committed), then run the benchmark in release mode:
//!
//! ```text
//! python3 scripts/make-large-recording.py /tmp/large-recording.json --size-mb 200
//! RECORDING_BENCH_FILE=/tmp/large-recording.json cargo bench -p replay-vision --bench recording
//! ```
//!
//! `RECORDING_BENCH_RUNS` sets the number of runs (default 5). The output gives the median
//! load, analyse and total times, the total throughput in MB/s (10^6 bytes of input file per
//! second) and the process's peak resident set size (`VmHWM` from `/proc/self/status`, Linux
//! only) against the file size.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use replay_vision::recording::{self, AnalysisOptions};

fn main() {
    let path = PathBuf::from(
        std::env::var("RECORDING_BENCH_FILE")
            .unwrap_or_else(|_| "/tmp/large-recording.json".to_owned()),
    );
    let runs: usize = std::env::var("RECORDING_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(5);
    let size = match std::fs::metadata(&path) {
        Ok(metadata) => metadata.len(),
        Err(error) => {
            eprintln!(
                "cannot read {}: {error}; build it with scripts/make-large-recording.py",
                path.display()
            );
            std::process::exit(1);
        }
    };
    let options = AnalysisOptions::default();
    let mut load_times = Vec::new();
    let mut analyze_times = Vec::new();
    let mut total_times = Vec::new();
    let mut summary = String::new();
    for _ in 0..runs {
        let started = Instant::now();
        let loaded = recording::load(&path).expect("the benchmark input loads");
        let loaded_at = Instant::now();
        let analysis = recording::analyze(&loaded, &options);
        let finished = Instant::now();
        load_times.push(loaded_at - started);
        analyze_times.push(finished - loaded_at);
        total_times.push(finished - started);
        summary = format!(
            "{} events, {} log entries, active {:.0} s",
            loaded.event_count(),
            analysis.log.len(),
            analysis.active_seconds()
        );
    }
    let megabytes = size as f64 / 1e6;
    let total = median(&mut total_times);
    println!("input: {} ({megabytes:.1} MB; {summary})", path.display());
    println!("runs: {runs}");
    println!(
        "median load:    {:.3} s",
        median(&mut load_times).as_secs_f64()
    );
    println!(
        "median analyse: {:.3} s",
        median(&mut analyze_times).as_secs_f64()
    );
    println!("median total:   {:.3} s", total.as_secs_f64());
    println!(
        "throughput:     {:.1} MB/s",
        megabytes / total.as_secs_f64()
    );
    match peak_rss_bytes() {
        Some(peak) => println!(
            "peak RSS:       {:.1} MB ({:.2}x the file)",
            peak as f64 / 1e6,
            peak as f64 / size as f64
        ),
        None => println!("peak RSS:       unavailable (needs /proc/self/status)"),
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// `VmHWM` of this process in bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}
