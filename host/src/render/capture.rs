//! The capture loop: for each planned frame, in increasing session time, seek the window's
//! replayer there, write the footer, take a screenshot, and keep it unless the page area
//! (everything above the footer) is pixel-identical to the previous kept frame.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::clock::ClockFrame;
use super::encode::frame_name;
use super::plan::{FrameReason, PlannedFrame};
use super::player::{Footer, PlayerPage};
use super::timeline::{InteractionKind, SessionEvents, Timeline};
use super::RenderError;

/// Height of the footer in device pixels; `player.css` sets the same.
pub(crate) const FOOTER_HEIGHT: usize = 32;

/// The frames a capture kept.
pub(crate) struct Captured {
    pub(crate) frames: Vec<ClockFrame>,
    pub(crate) paths: Vec<PathBuf>,
    pub(crate) duplicates: usize,
    pub(crate) warnings: u64,
}

/// Captures `plan` into `dir`, calling `progress(done, total)` after each planned frame.
pub(crate) async fn capture(
    page: &PlayerPage,
    session: &SessionEvents,
    timeline: &Timeline,
    plan: &[PlannedFrame],
    quality: u8,
    dir: &Path,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<Captured, RenderError> {
    let mut captured = Captured {
        frames: Vec::new(),
        paths: Vec::new(),
        duplicates: 0,
        warnings: 0,
    };
    let mut previous_hash = None;
    let mut spent = [Duration::ZERO; 3];
    for (done, planned) in plan.iter().enumerate() {
        let step = Instant::now();
        let window = &timeline.windows[planned.window];
        // rrweb's `pause(t)` applies the events before `t`; one more millisecond makes a
        // frame at `t` show every event at or before `t`.
        let offset = (planned.at_ms as i64)
            .saturating_add(1)
            .saturating_add(timeline.session_start)
            .saturating_sub(window.first_timestamp);
        let url = timeline
            .href_at(planned.window, planned.at_ms)
            .map(str::to_owned);
        let footer = footer(session, planned, url.clone());
        let shown = page
            .show(planned.window, offset.max(0) as u64, &footer)
            .await?;
        spent[0] += step.elapsed();
        captured.warnings = shown.warnings;
        if let Some(thrown) = shown.thrown.or_else(|| shown.errors.first().cloned()) {
            return Err(replay_failed(window, planned, &thrown));
        }
        if !shown.built {
            return Err(replay_failed(
                window,
                planned,
                "the replayer built no document",
            ));
        }

        let step = Instant::now();
        let jpeg = page.capture(quality).await?;
        spent[1] += step.elapsed();
        let step = Instant::now();
        let hash = page_hash(&jpeg)?;
        spent[2] += step.elapsed();
        if previous_hash.as_ref() == Some(&hash) && !is_interaction(planned.reason) {
            captured.duplicates += 1;
            progress(done + 1, plan.len());
            continue;
        }
        previous_hash = Some(hash);
        let path = dir.join(frame_name(captured.frames.len() + 1));
        tokio::fs::write(&path, &jpeg)
            .await
            .map_err(|source| RenderError::Io {
                path: path.clone(),
                source,
            })?;
        captured.paths.push(path);
        captured.frames.push(ClockFrame {
            session_ms: planned.at_ms,
            window_id: window.window_id.clone(),
            url,
            reason: planned.reason,
            idle_before_ms: planned.idle_before_ms,
        });
        progress(done + 1, plan.len());
    }
    tracing::debug!(
        frames = plan.len(),
        seek_ms = spent[0].as_millis() as u64,
        screenshot_ms = spent[1].as_millis() as u64,
        hash_ms = spent[2].as_millis() as u64,
        "capture timings"
    );
    Ok(captured)
}

/// Interaction frames are kept even when they look like the previous frame, so every
/// interaction keeps a frame shortly after it in the clock.
fn is_interaction(reason: FrameReason) -> bool {
    matches!(reason, FrameReason::After(_))
}

fn footer(session: &SessionEvents, planned: &PlannedFrame, url: Option<String>) -> Footer {
    let window = (session.windows.len() > 1).then(|| {
        format!(
            "[window {} of {}]",
            planned.window + 1,
            session.windows.len()
        )
    });
    let cut = (planned.idle_before_ms > 0).then(|| {
        format!(
            "CUT: {} idle skipped",
            human_duration(planned.idle_before_ms)
        )
    });
    Footer {
        rec_t: planned.at_ms / 1000,
        url,
        window,
        cut,
        click: planned.reason == FrameReason::After(InteractionKind::Click),
    }
}

/// Formats milliseconds as `1h 02m 03s`, `2m 03s` or `3s`.
fn human_duration(ms: u64) -> String {
    let seconds = ms / 1000;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m {s:02}s"),
    }
}

/// Hashes the decoded pixels above the footer, so that two frames of the same page state
/// compare equal although their footers show different times.
fn page_hash(jpeg: &[u8]) -> Result<[u8; 32], RenderError> {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder
        .decode()
        .map_err(|e| RenderError::Browser(format!("invalid screenshot JPEG: {e}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| RenderError::Browser("screenshot JPEG without a header".into()))?;
    let row = usize::from(info.width) * info.pixel_format.pixel_bytes();
    let rows = usize::from(info.height).saturating_sub(FOOTER_HEIGHT);
    let page_area = &pixels[..(row * rows).min(pixels.len())];
    Ok(Sha256::digest(page_area).into())
}

fn replay_failed(
    window: &super::timeline::WindowTimeline,
    planned: &PlannedFrame,
    cause: &str,
) -> RenderError {
    RenderError::Replay(format!(
        "window {} at {} ms: {cause}",
        window.window_id, planned.at_ms
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_minutes() {
        assert_eq!(human_duration(123_000), "2m 03s");
    }

    #[test]
    fn human_duration_hours() {
        assert_eq!(human_duration(3_723_000), "1h 02m 03s");
    }
}
