//! The `render` command: renders one recording to an MP4 with the idle parts cut, writes the
//! `VideoClock` (`NAME.clock.json`) and the frame JPEGs (`NAME.frames/`) beside it, and prints
//! the frame count, the video length and the render speed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::recording;
use crate::render::{RemoteAssets, RenderSettings, Rendered, Renderer};

/// Arguments of `replay-vision render`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The recording file (any supported format).
    pub file: PathBuf,
    /// Output path of the MP4. The clock goes to `NAME.clock.json` and the frames to
    /// `NAME.frames/`.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Print a JSON summary on standard output instead of text.
    #[arg(long)]
    pub json: bool,
    /// Maximum number of frames in the video. The default comes from `[render.frames]`
    /// (900).
    #[arg(long)]
    pub max_frames: Option<usize>,
    /// Maximum stretch of active time without a frame, in seconds. The default comes from
    /// `[render.frames]` (8).
    #[arg(long)]
    pub base_interval: Option<f64>,
    /// Let the replayed page load assets from public internet addresses (loopback, private
    /// and link-local addresses stay refused).
    #[arg(long)]
    pub remote_assets: bool,
    /// The render cache directory. The default is `$XDG_CACHE_HOME/replay-vision/renders`.
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// The Chromium executable. The default comes from `[render]` (`/usr/bin/chromium`).
    #[arg(long)]
    pub chromium: Option<PathBuf>,
}

/// Runs the command. The `[render]` section of the configuration gives the settings; flags
/// override them.
pub async fn run(args: Args, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    if same_file(&args.file, &args.output) {
        anyhow::bail!(
            "the output {} is the recording itself; choose another path with -o",
            args.output.display()
        );
    }
    let recording = recording::load(&args.file)
        .with_context(|| format!("cannot load recording {}", args.file.display()))?;
    let mut settings: RenderSettings = crate::config::Config::load(config)?.render;
    if let Some(chromium) = &args.chromium {
        settings.chromium = chromium.clone();
    }
    if let Some(max_frames) = args.max_frames {
        settings.frames.max_frames = max_frames;
    }
    if let Some(interval) = args.base_interval {
        settings.frames.base_interval_ms = (interval * 1000.0).round().max(1.0) as u64;
    }
    if args.remote_assets {
        settings.remote_assets = RemoteAssets::Public;
    }
    if let Some(dir) = &args.cache_dir {
        settings.cache_dir = dir.clone();
    }
    let renderer = Renderer::new(settings).context("cannot set up the renderer")?;

    let bar = progress_bar(args.json);
    let started = Instant::now();
    let result = renderer
        .render(&recording, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await;
    bar.finish_and_clear();
    renderer.shutdown().await;
    let rendered =
        result.with_context(|| format!("cannot render recording {}", args.file.display()))?;
    let seconds = started.elapsed().as_secs_f64();

    let outputs = copy_outputs(&rendered, &args.output)?;
    let summary = summary(&rendered, &outputs, seconds);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_text(&rendered, &outputs, seconds);
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("rendering {bar:40} {pos}/{len} frames {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Paths of the copied outputs.
struct Outputs {
    video: PathBuf,
    clock: PathBuf,
    frames: PathBuf,
}

fn copy_outputs(rendered: &Rendered, video: &Path) -> anyhow::Result<Outputs> {
    let stem = video.with_extension("");
    let outputs = Outputs {
        video: video.to_owned(),
        clock: stem.with_extension("clock.json"),
        frames: stem.with_extension("frames"),
    };
    if let Some(parent) = video.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::copy(&rendered.video_path, &outputs.video)
        .with_context(|| format!("cannot write {}", outputs.video.display()))?;
    std::fs::copy(&rendered.clock_path, &outputs.clock)
        .with_context(|| format!("cannot write {}", outputs.clock.display()))?;
    std::fs::create_dir_all(&outputs.frames)
        .with_context(|| format!("cannot create {}", outputs.frames.display()))?;
    for frame in &rendered.frame_paths {
        let name = frame
            .file_name()
            .context("frame path without a file name")?;
        let target = outputs.frames.join(name);
        std::fs::copy(frame, &target)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(outputs)
}

fn summary(rendered: &Rendered, outputs: &Outputs, seconds: f64) -> serde_json::Value {
    let active_s = rendered.stats.active_ms as f64 / 1000.0;
    serde_json::json!({
        "video": outputs.video,
        "clock": outputs.clock,
        "frames_dir": outputs.frames,
        "frames": rendered.clock.frames.len(),
        "video_seconds": rendered.clock.video_duration_s(),
        "width": rendered.width,
        "height": rendered.height,
        "fps": rendered.fps,
        "active_seconds": active_s,
        "session_seconds": rendered.stats.session_ms as f64 / 1000.0,
        "wall_seconds": seconds,
        "active_seconds_per_wall_second": active_s / seconds.max(1e-9),
        "stats": rendered.stats,
    })
}

fn print_text(rendered: &Rendered, outputs: &Outputs, seconds: f64) {
    let active_s = rendered.stats.active_ms as f64 / 1000.0;
    let cached = if rendered.stats.cached {
        " (cached)"
    } else {
        ""
    };
    println!("video   {}{cached}", outputs.video.display());
    println!("clock   {}", outputs.clock.display());
    println!(
        "frames  {} in {}",
        rendered.clock.frames.len(),
        outputs.frames.display()
    );
    println!(
        "length  {:.0} s of video for {:.0} s active of a {:.0} s session",
        rendered.clock.video_duration_s(),
        active_s,
        rendered.stats.session_ms as f64 / 1000.0
    );
    println!(
        "speed   {:.1} s wall, {:.0}x real time over active time",
        seconds,
        active_s / seconds.max(1e-9)
    );
}

/// Whether two paths name the same existing file.
fn same_file(first: &Path, second: &Path) -> bool {
    match (first.canonicalize(), second.canonicalize()) {
        (Ok(first), Ok(second)) => first == second,
        _ => false,
    }
}
