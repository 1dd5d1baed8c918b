//! Render benchmark. It renders each test fixture with a warm browser and no cache hits, and
//! reports wall time, speed in active session seconds per wall second and frames per active
//! minute. Interaction coverage is the share of clicks, inputs and navigations with a frame at
//! most 1 s after them, compared with a fixed sampling of one frame per 8 s of active time.
//! The speed is compared with a wall-clock capture (play at 1x, screenshot in a loop) of a
//! slice of one fixture.
//!
//! Run: `cargo bench -p replay-vision --bench render`. `RENDER_BENCH_RUNS` (default 3) sets
//! the renders per fixture (the median is reported); `RENDER_BENCH_SLICE_S` (default 60) sets
//! the baseline's slice of session time.

use std::path::Path;
use std::time::Instant;

use replay_vision::recording;
use replay_vision::render::{
    InteractionKind, RenderSettings, Renderer, SessionEvents, Span, Timeline,
};

const FIXTURES: [&str; 8] = [
    "rrweb-player-demoit-react-hooks.json",
    "chalk-ci-automated-todo-entry.json",
    "posthog-com-homepage-desktop-scroll.json",
    "posthog-com-docs-2-snapshots-short.json",
    "posthog-com-docs-9-pages.json",
    "chalk-todo-1h43m-long-idle.json",
    "rrweb-sizer-smartx-mobile-touch.json",
    "posthog-docs-local-pageview-custom-events.json",
];
const BASELINE_FIXTURE: &str = "posthog-com-homepage-desktop-scroll.json";
/// The fixed sampling compared against: one frame per 8 s of active time.
const FIXED_INTERVAL_MS: u64 = 8000;
/// An interaction is covered by a frame at most this long after it. A frame at the
/// interaction's own instant counts, because a frame shows every event up to its instant.
const COVERAGE_MS: u64 = 1000;

struct Row {
    name: String,
    active_s: f64,
    wall_ms: Vec<u64>,
    frames: usize,
    interactions: usize,
    ours_covered: usize,
    fixed_frames: usize,
    fixed_covered: usize,
}

fn main() -> anyhow::Result<()> {
    let runs: usize = env_number("RENDER_BENCH_RUNS", 3);
    let slice_s: u64 = env_number("RENDER_BENCH_SLICE_S", 60);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/recordings");
    let cache = tempfile::tempdir()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let settings = RenderSettings {
            cache_dir: cache.path().to_owned(),
            ..RenderSettings::default()
        };
        let renderer = Renderer::new(settings.clone())?;
        renderer.warm_up().await?;

        let mut rows = Vec::new();
        for name in FIXTURES {
            rows.push(measure(&renderer, &settings, &data.join(name), runs).await?);
        }
        let baseline_session = load(&data.join(BASELINE_FIXTURE))?;
        let baseline = renderer
            .capture_realtime(&baseline_session, slice_s * 1000)
            .await?;
        renderer.shutdown().await;
        report(
            &rows,
            baseline.session_ms,
            baseline.wall_ms,
            baseline.frames,
            runs,
        );
        anyhow::Ok(())
    })
}

async fn measure(
    renderer: &Renderer,
    settings: &RenderSettings,
    path: &Path,
    runs: usize,
) -> anyhow::Result<Row> {
    let session = load(path)?;
    let mut wall_ms = Vec::new();
    let mut clock = None;
    for run in 0..runs {
        // A new content hash per run makes every run miss the cache.
        let mut fresh = session.clone();
        fresh.content_hash = format!(
            "{}-bench-{run}-{}",
            session.content_hash,
            std::process::id()
        );
        let started = Instant::now();
        let rendered = renderer.render_session(&fresh, |_, _| {}).await?;
        wall_ms.push(started.elapsed().as_millis() as u64);
        clock = Some(rendered.clock);
    }
    let clock = clock.expect("at least one run");
    let timeline = Timeline::build(&session, settings.frames.inactivity_ms)
        .ok_or_else(|| anyhow::anyhow!("{} has no events", path.display()))?;
    let interactions: Vec<u64> = timeline
        .interactions
        .iter()
        .filter(|i| i.kind != InteractionKind::ViewportResize)
        .map(|i| i.at_ms)
        .collect();
    let fixed = fixed_sampling(&timeline.spans);
    let ours: Vec<u64> = clock.frames.iter().map(|f| f.session_ms).collect();
    Ok(Row {
        name: path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        active_s: timeline.active_ms() as f64 / 1000.0,
        wall_ms,
        frames: clock.frames.len(),
        interactions: interactions.len(),
        ours_covered: covered(&interactions, &ours),
        fixed_frames: fixed.len(),
        fixed_covered: covered(&interactions, &fixed),
    })
}

/// Instants one frame per 8 s of active time apart, counted over the spans joined end to end.
fn fixed_sampling(spans: &[Span]) -> Vec<u64> {
    let mut instants = Vec::new();
    let mut next = 0;
    let mut before = 0;
    for span in spans {
        let length = span.end_ms - span.start_ms;
        while next <= before + length {
            instants.push(span.start_ms + (next - before));
            next += FIXED_INTERVAL_MS;
        }
        before += length;
    }
    instants
}

fn covered(interactions: &[u64], frames: &[u64]) -> usize {
    interactions
        .iter()
        .filter(|t| frames.iter().any(|f| *f >= **t && *f - **t <= COVERAGE_MS))
        .count()
}

fn load(path: &Path) -> anyhow::Result<SessionEvents> {
    let recording = recording::load(path)?;
    Ok(SessionEvents::from_recording(&recording))
}

fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

fn report(rows: &[Row], slice_ms: u64, slice_wall_ms: u64, slice_frames: usize, runs: usize) {
    println!("runs per fixture: {runs} (median wall time)\n");
    println!("| fixture | active s | frames | frames/active min | wall s | active s per wall s | coverage ours | coverage 1/8 s | frames 1/8 s | frame ratio |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let (mut active, mut wall) = (0.0, 0.0);
    for row in rows {
        let wall_s = median(&row.wall_ms) as f64 / 1000.0;
        active += row.active_s;
        wall += wall_s;
        println!(
            "| {} | {:.0} | {} | {:.1} | {:.2} | {:.0} | {} | {} | {} | {:.2} |",
            row.name,
            row.active_s,
            row.frames,
            row.frames as f64 / (row.active_s / 60.0).max(1e-9),
            wall_s,
            row.active_s / wall_s,
            share(row.ours_covered, row.interactions),
            share(row.fixed_covered, row.interactions),
            row.fixed_frames,
            row.frames as f64 / row.fixed_frames.max(1) as f64,
        );
    }
    let baseline_speed = slice_ms as f64 / slice_wall_ms.max(1) as f64;
    println!(
        "\nall fixtures: {active:.0} active s in {wall:.1} wall s = {:.0} active s per wall s",
        active / wall
    );
    println!(
        "wall-clock baseline ({BASELINE_FIXTURE}, {:.0} s slice): {:.2} session s per wall s, {} screenshots ({:.1} per s)",
        slice_ms as f64 / 1000.0,
        baseline_speed,
        slice_frames,
        slice_frames as f64 / (slice_wall_ms as f64 / 1000.0)
    );
    println!(
        "speed ratio vs the baseline: {:.0}x",
        active / wall / baseline_speed
    );
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    format!(
        "{:.0}% ({part}/{whole})",
        part as f64 * 100.0 / whole as f64
    )
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
