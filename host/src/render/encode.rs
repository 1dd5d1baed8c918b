//! Encoding the captured JPEG frames to an H.264 MP4 with ffmpeg: `yuv420p` so every player
//! and model API decodes it, dimensions padded to even numbers as `yuv420p` requires, and the
//! index at the front (`+faststart`) so a reader can start before the whole file arrives. The
//! input and output frame rates are equal, so every captured frame is one video frame.

use std::path::Path;

use tokio::process::Command;

use super::RenderError;

/// The file name pattern of captured frames, numbered from 1.
pub(crate) const FRAME_PATTERN: &str = "frame-%06d.jpg";

/// Returns the file name of frame `number` (counted from 1).
pub(crate) fn frame_name(number: usize) -> String {
    format!("frame-{number:06}.jpg")
}

/// Encodes `dir/frame-000001.jpg`... into `output` at `fps` frames per second.
pub(crate) async fn encode(
    ffmpeg: &Path,
    dir: &Path,
    fps: u32,
    output: &Path,
) -> Result<(), RenderError> {
    let rate = fps.to_string();
    let result = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-framerate", &rate, "-start_number", "1", "-i"])
        .arg(dir.join(FRAME_PATTERN))
        .args(["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23"])
        .args(["-pix_fmt", "yuv420p", "-r", &rate])
        .args(["-movflags", "+faststart", "-threads", "2"])
        .arg(output)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| RenderError::Encode(format!("cannot run {}: {e}", ffmpeg.display())))?;
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        return Err(RenderError::Encode(format!(
            "{} exited with {}: {}",
            ffmpeg.display(),
            result.status,
            stderr.trim()
        )));
    }
    Ok(())
}
