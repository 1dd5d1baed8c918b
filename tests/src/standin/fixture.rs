//! A small real video for provider tests: ffmpeg's `testsrc` pattern encoded as H.264 MP4
//! (yuv420p, faststart) with its frames extracted as JPEG files. It takes a fraction of a second,
//! so the many failure tests use it; one test checks a real render of a recording instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use replay_vision::provider::retry::RetryPolicy;
use replay_vision::provider::{
    FrameRef, GenerateRequest, MediaResolution, MediaSettings, Turn, Video,
};

/// A generated video and the directory holding it.
#[derive(Debug, Clone)]
pub struct TestVideo {
    /// The MP4, its frames and the session instant of each frame.
    pub video: Video,
    /// Every file created.
    pub files: Vec<PathBuf>,
}

/// Writes `seconds` of a `width`x`height` test pattern at `fps` into `dir` as `video.mp4` plus
/// one JPEG per frame. The frames get session instants 2 s apart, as if idle parts were cut.
pub fn test_video(
    dir: &Path,
    seconds: u32,
    fps: u32,
    size: (u32, u32),
) -> anyhow::Result<TestVideo> {
    let mp4 = dir.join("video.mp4");
    let source = format!(
        "testsrc=duration={seconds}:size={}x{}:rate={fps}",
        size.0, size.1
    );
    run_ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &source,
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        mp4.to_str().context("UTF-8 temp path")?,
    ])?;
    let pattern = dir.join("frame-%04d.jpg");
    run_ffmpeg(&[
        "-i",
        mp4.to_str().context("UTF-8 temp path")?,
        "-q:v",
        "4",
        pattern.to_str().context("UTF-8 temp path")?,
    ])?;
    let mut frames: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "jpg"))
        .collect();
    frames.sort();
    let frame_refs = frames
        .iter()
        .enumerate()
        .map(|(index, path)| FrameRef {
            path: path.clone(),
            session_ms: index as u64 * 2_000,
        })
        .collect();
    let mut files = frames;
    files.push(mp4.clone());
    Ok(TestVideo {
        video: Video {
            mp4,
            frames: frame_refs,
            fps: f64::from(fps),
        },
        files,
    })
}

fn run_ffmpeg(args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .context("cannot run ffmpeg; is it installed?")?;
    if !output.status.success() {
        bail!("ffmpeg failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// The answer schema the provider tests send: a monitor-like verdict with reasoning first.
pub fn sample_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "reasoning": {"type": "string"},
            "verdict": {"type": "string", "enum": ["yes", "no", "inconclusive"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1}
        },
        "required": ["reasoning", "verdict", "confidence"],
        "additionalProperties": false
    })
}

/// A request with `video`, a short event log and [`sample_schema`].
pub fn sample_request(model: &str, video: Option<Video>) -> GenerateRequest {
    GenerateRequest {
        model: model.to_string(),
        system: "You review recorded web sessions. Reply only in the given schema.".to_string(),
        turns: vec![Turn::User(
            "Did the user finish the checkout? Cite moments as (t N).".to_string(),
        )],
        video,
        event_log: "00:03 click #login\n00:07 input #email".to_string(),
        response_schema: sample_schema(),
        media: MediaSettings {
            fps: 1.0,
            resolution: MediaResolution::High,
        },
        display_name: "session-42".to_string(),
    }
}

/// A retry policy without jitter, so that the time waited is exact.
pub fn exact_retry_policy() -> RetryPolicy {
    RetryPolicy {
        jitter_ms: 0,
        ..RetryPolicy::default()
    }
}
