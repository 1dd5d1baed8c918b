//! The wall-clock baseline the renderer is measured against: play a window at 1x and take
//! screenshots in a loop for a slice of session time, the way rrvideo records a replay. Its
//! speed is real time by construction. The benchmark runs it to report how many frames such a
//! capture gets and to compare wall times on the same machine.

use std::time::{Duration, Instant};

use super::player::PlayerPage;
use super::renderer::Renderer;
use super::timeline::{SessionEvents, Timeline};
use super::RenderError;

/// Counts and timings of a wall-clock capture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RealtimeCapture {
    /// Screenshots taken.
    pub frames: usize,
    /// Session time played, in ms.
    pub session_ms: u64,
    /// Wall time of the playback and capture loop, in ms (page setup excluded).
    pub wall_ms: u64,
}

impl Renderer {
    /// Plays the first window with a FullSnapshot at 1x from that snapshot and screenshots
    /// in a loop until `slice_ms` of wall time has passed. The screenshots are discarded.
    /// Meant for benchmarks only.
    pub async fn capture_realtime(
        &self,
        session: &SessionEvents,
        slice_ms: u64,
    ) -> Result<RealtimeCapture, RenderError> {
        let timeline = Timeline::build(session, self.settings().frames.inactivity_ms)
            .ok_or_else(|| RenderError::NothingToRender("the recording has no events".into()))?;
        let (index, snapshot_ms) = timeline
            .windows
            .iter()
            .enumerate()
            .find_map(|(i, w)| Some((i, w.first_full_snapshot_ms?)))
            .ok_or_else(|| RenderError::NothingToRender("no window has a FullSnapshot".into()))?;
        let window = &timeline.windows[index];
        let offset = snapshot_ms as i64 + timeline.session_start - window.first_timestamp;

        let timeout = self.step_timeout();
        let mut slot = self.ready_slot().await?;
        let worker = slot.as_mut().expect("ready_slot starts a worker");
        let size = (self.settings().width, self.settings().height);
        let remote = self.settings().remote_assets;
        let page = PlayerPage::open(worker, self.assets(), size, remote, timeout).await?;
        page.load(&session.windows).await?;
        let started = Instant::now();
        page.play(index, offset.max(0) as u64).await?;
        let mut frames = 0;
        while started.elapsed() < Duration::from_millis(slice_ms) {
            page.capture(self.settings().jpeg_quality).await?;
            frames += 1;
        }
        let wall_ms = started.elapsed().as_millis() as u64;
        page.close().await;
        // At 1x, the session time played equals the wall time.
        Ok(RealtimeCapture {
            frames,
            session_ms: wall_ms,
            wall_ms,
        })
    }
}
