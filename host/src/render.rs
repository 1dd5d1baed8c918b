//! Rendering turns a recording into a short MP4 a vision-language model can watch. rrweb's
//! `Replayer` in headless Chromium is paused at chosen session instants, with inactive
//! stretches cut and extra frames after interactions. Each frame is captured with the cursor,
//! a click marker and a footer naming the URL and `REC_T` (seconds since the session start),
//! and ffmpeg encodes the frames. A [`VideoClock`] saved beside the video maps video time to
//! session time. Render time depends on the number of frames, not on the session's length.
//!
//! ```no_run
//! # async fn demo(session: replay_vision::render::SessionEvents) -> anyhow::Result<()> {
//! use replay_vision::render::{RenderSettings, Renderer};
//!
//! let renderer = Renderer::new(RenderSettings::default())?;
//! let rendered = renderer.render_session(&session, |done, total| {
//!     eprintln!("{done}/{total}");
//! }).await?;
//! println!("{} frames in {}", rendered.clock.frames.len(), rendered.video_path.display());
//! # Ok(()) }
//! ```

mod baseline;
mod browser;
mod cache;
mod capture;
mod clock;
mod encode;
mod network;
mod plan;
mod player;
mod renderer;
mod session;
mod timeline;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use baseline::RealtimeCapture;
pub use cache::{default_cache_dir, RENDERER_VERSION};
pub use clock::{ClockFrame, VideoClock};
pub use network::RemoteAssets;
pub use plan::{plan, FramePolicy, FrameReason, PlannedFrame};
pub use player::default_player_dir;
pub use renderer::Renderer;
pub use timeline::{
    EventInfo, Interaction, InteractionKind, SessionEvents, Span, Timeline, WindowEvents,
    WindowTimeline,
};

/// How to render. The output settings are part of the cache key; the paths and the timeout
/// are not.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RenderSettings {
    /// Frame width in pixels. The default is 1280.
    pub width: u32,
    /// Frame height in pixels, footer included. The default is 720.
    pub height: u32,
    /// Video frames per second. The default is 1, so a model sampling one frame per second
    /// (Gemini's default) gets every frame once.
    pub fps: u32,
    /// JPEG quality of the frames, 1 to 100. The default is 80.
    pub jpeg_quality: u8,
    /// Frame choice: base rate, interaction frames, inactivity threshold and cap.
    pub frames: FramePolicy,
    /// Whether the replayed page may load public remote assets. The default is no.
    pub remote_assets: RemoteAssets,
    /// The Chromium executable. The default is `/usr/bin/chromium`.
    pub chromium: PathBuf,
    /// The ffmpeg executable. The default is `ffmpeg` from `PATH`.
    pub ffmpeg: PathBuf,
    /// The player directory holding `node_modules/rrweb`. The default is `host/player` of
    /// this checkout, or `REPLAY_VISION_PLAYER_DIR` when set.
    pub player_dir: PathBuf,
    /// Directory of the render cache. The default is [`default_cache_dir`].
    pub cache_dir: PathBuf,
    /// Time limit of one browser step (start, load, seek, screenshot), in seconds. The
    /// default is 60.
    pub step_timeout_s: u64,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            width: 1280,
            height: 720,
            fps: 1,
            jpeg_quality: 80,
            frames: FramePolicy::default(),
            remote_assets: RemoteAssets::Blocked,
            chromium: PathBuf::from("/usr/bin/chromium"),
            ffmpeg: PathBuf::from("ffmpeg"),
            player_dir: std::env::var_os("REPLAY_VISION_PLAYER_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(default_player_dir),
            cache_dir: default_cache_dir(),
            step_timeout_s: 60,
        }
    }
}

impl RenderSettings {
    /// Returns the settings that change the rendered output, as JSON for the cache key.
    fn output_key(&self) -> serde_json::Value {
        serde_json::json!({
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "jpeg_quality": self.jpeg_quality,
            "frames": self.frames,
            "remote_assets": self.remote_assets,
        })
    }
}

/// Counts and timings of one render.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderStats {
    /// Frames the plan chose.
    pub planned_frames: usize,
    /// Frames dropped because they looked like the previous one.
    pub duplicate_frames: usize,
    /// Active session time, in ms.
    pub active_ms: u64,
    /// Session length, in ms.
    pub session_ms: u64,
    /// Wall time spent opening the page and loading the recording, in ms.
    pub load_ms: u64,
    /// Wall time spent seeking and capturing, in ms.
    pub capture_ms: u64,
    /// Wall time spent encoding, in ms.
    pub encode_ms: u64,
    /// Requests of the replayed page that were refused.
    pub blocked_requests: u64,
    /// Warnings rrweb printed while replaying (recoverable replay problems).
    pub replay_warnings: u64,
    /// Whether this result came from the cache.
    pub cached: bool,
}

/// A rendered video and what it shows.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The H.264 MP4.
    pub video_path: PathBuf,
    /// The [`VideoClock`] as JSON, beside the video.
    pub clock_path: PathBuf,
    /// The video's frames.
    pub clock: VideoClock,
    /// The JPEG of every video frame, in order, for providers that take images.
    pub frame_paths: Vec<PathBuf>,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Video frames per second.
    pub fps: u32,
    /// Counts and timings.
    pub stats: RenderStats,
}

/// Cause of a failed render. The pipeline records each as the `rendering_failed` failure kind with
/// this message as the cause.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The session has nothing that can be shown: no events, no FullSnapshot, or no instant
    /// after one.
    #[error("nothing to render: {0}")]
    NothingToRender(String),
    /// The player assets are missing or the player page misbehaved.
    #[error("player: {0}")]
    Player(String),
    /// Chromium could not be started or a protocol call failed.
    #[error("browser: {0}")]
    Browser(String),
    /// Chromium exited while rendering.
    #[error("the browser exited during the render: {0}")]
    BrowserDied(String),
    /// A browser step took longer than the step timeout.
    #[error("{step} timed out after {seconds} s")]
    Timeout {
        /// The step that timed out.
        step: String,
        /// The limit, in seconds.
        seconds: f64,
    },
    /// The replayer threw or rebuilt no document.
    #[error("replay failed: {0}")]
    Replay(String),
    /// ffmpeg failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// A file of the render could not be written or read.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
