//! The disk cache of rendered videos. An entry is a directory named by the cache key, a hash of
//! (session content hash, render settings that change the output, renderer version, player
//! code), holding `video.mp4`, `clock.json`, the frame JPEGs and `manifest.json`. Every scanner
//! that looks at a session reads the same entry. An entry is built in a staging directory and
//! renamed into place, so a reader never sees half of one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::clock::VideoClock;
use super::encode::frame_name;
use super::{RenderError, RenderStats, Rendered};

/// Version of the render output. Raise it whenever the same settings would render different
/// frames, so old cache entries stop matching.
pub const RENDERER_VERSION: &str = "1";

pub(crate) const VIDEO_FILE: &str = "video.mp4";
pub(crate) const CLOCK_FILE: &str = "clock.json";
const MANIFEST_FILE: &str = "manifest.json";

/// What an entry stores beside the video and the clock.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    width: u32,
    height: u32,
    fps: u32,
    frame_count: usize,
    stats: RenderStats,
}

/// Computes the cache key from its parts; `settings` is the JSON of the settings that change
/// the output and `player` a hash of the player's code.
pub(crate) fn key(content_hash: &str, settings: &serde_json::Value, player: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [
        RENDERER_VERSION.as_bytes(),
        content_hash.as_bytes(),
        settings.to_string().as_bytes(),
        player,
    ] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// Returns the entry in `dir` if it is complete.
pub(crate) fn lookup(dir: &Path) -> Option<Rendered> {
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE)).ok()?).ok()?;
    let clock = VideoClock::load(&dir.join(CLOCK_FILE)).ok()?;
    let rendered = rendered(dir, clock, manifest);
    let complete =
        rendered.video_path.is_file() && rendered.frame_paths.iter().all(|p| p.is_file());
    complete.then_some(rendered)
}

/// Writes the manifest into `staging` and moves it to `entry`. When another worker published
/// the same entry first, keeps theirs.
pub(crate) fn publish(
    staging: &Path,
    entry: &Path,
    clock: VideoClock,
    size: (u32, u32),
    fps: u32,
    stats: RenderStats,
) -> Result<Rendered, RenderError> {
    let manifest = Manifest {
        width: size.0,
        height: size.1,
        fps,
        frame_count: clock.frames.len(),
        stats,
    };
    let manifest_path = staging.join(MANIFEST_FILE);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| io(&manifest_path, e.into()))?;
    std::fs::write(&manifest_path, json).map_err(|e| io(&manifest_path, e))?;
    if let Err(error) = std::fs::rename(staging, entry) {
        if let Some(existing) = lookup(entry) {
            let _ = std::fs::remove_dir_all(staging);
            return Ok(existing);
        }
        return Err(io(entry, error));
    }
    Ok(rendered(entry, clock, manifest))
}

fn rendered(dir: &Path, clock: VideoClock, manifest: Manifest) -> Rendered {
    Rendered {
        video_path: dir.join(VIDEO_FILE),
        clock_path: dir.join(CLOCK_FILE),
        frame_paths: (1..=manifest.frame_count)
            .map(|n| dir.join(frame_name(n)))
            .collect(),
        clock,
        width: manifest.width,
        height: manifest.height,
        fps: manifest.fps,
        stats: manifest.stats,
    }
}

/// Returns the default cache directory: `$XDG_CACHE_HOME/replay-vision/renders`, else
/// `$HOME/.cache/replay-vision/renders`, else one under the system temporary directory.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("replay-vision").join("renders")
}

pub(crate) fn io(path: &Path, source: std::io::Error) -> RenderError {
    RenderError::Io {
        path: path.to_owned(),
        source,
    }
}
