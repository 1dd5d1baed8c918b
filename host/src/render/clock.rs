//! The `VideoClock` maps the rendered video's time to the session's time and back. Each video
//! frame shows one session instant for `1 / fps` seconds. The instants increase but skip the
//! cut (inactive) stretches, so video time is a compressed, piecewise view of session time.
//! The clock is saved as JSON beside the video so any later reader can map a citation.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::plan::FrameReason;

/// One video frame: the session instant it shows and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockFrame {
    /// Session instant shown, in ms since the session start. The frame shows the page after
    /// every event at or before this instant.
    pub session_ms: u64,
    /// The rrweb `windowId` of the window shown.
    pub window_id: String,
    /// The Meta `href` of that window at that instant, if recorded.
    pub url: Option<String>,
    /// Reason the frame was chosen.
    pub reason: FrameReason,
    /// Inactive session time cut just before this frame, in ms (0 when none).
    pub idle_before_ms: u64,
}

/// The map between video time and session time of one rendered video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoClock {
    /// Video frames per second. Every frame is shown for `1 / fps` seconds.
    pub fps: f64,
    /// Timestamp of the session start, in ms since the Unix epoch.
    pub session_start_unix_ms: i64,
    /// Session length, in ms from the first to the last event.
    pub session_duration_ms: u64,
    /// The video's frames in order.
    pub frames: Vec<ClockFrame>,
}

impl VideoClock {
    /// Returns the video length in seconds.
    pub fn video_duration_s(&self) -> f64 {
        self.frames.len() as f64 / self.fps
    }

    /// Returns the index of the frame shown at `video_s` seconds into the video, or `None`
    /// outside the video (negative, not finite, or at or past its end).
    pub fn frame_at(&self, video_s: f64) -> Option<usize> {
        if !video_s.is_finite() || video_s < 0.0 {
            return None;
        }
        let index = (video_s * self.fps + 1e-9).floor() as usize;
        (index < self.frames.len()).then_some(index)
    }

    /// Maps video time (seconds) to the session instant (ms since the session start) the
    /// video shows then. Returns `None` outside the video.
    pub fn video_to_session(&self, video_s: f64) -> Option<u64> {
        Some(self.frames[self.frame_at(video_s)?].session_ms)
    }

    /// Maps a session instant (ms since the session start) to the video time (seconds) of the
    /// frame that shows the session's state at that instant: the last frame at or before it,
    /// or the first frame for an instant before it. An instant inside a cut maps to the last
    /// frame before the cut. Returns `None` outside the session or for an empty video.
    pub fn session_to_video(&self, session_ms: u64) -> Option<f64> {
        if session_ms > self.session_duration_ms || self.frames.is_empty() {
            return None;
        }
        let after = self.frames.partition_point(|f| f.session_ms <= session_ms);
        let index = after.saturating_sub(1);
        Some(index as f64 / self.fps)
    }

    /// Snaps a session instant to the nearest rendered one, so that a citation inside a cut
    /// lands on a moment the video shows. Ties go to the earlier frame. Returns `None` outside
    /// the session or for an empty video.
    pub fn snap(&self, session_ms: u64) -> Option<u64> {
        if session_ms > self.session_duration_ms {
            return None;
        }
        let after = self.frames.partition_point(|f| f.session_ms < session_ms);
        let next = self.frames.get(after).map(|f| f.session_ms);
        let previous = after
            .checked_sub(1)
            .map(|index| self.frames[index].session_ms);
        match (previous, next) {
            (Some(p), Some(n)) if n - session_ms < session_ms - p => Some(n),
            (Some(p), _) => Some(p),
            (None, n) => n,
        }
    }

    /// Writes the clock as pretty JSON.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, json)
    }

    /// Reads a clock written by [`VideoClock::save`].
    pub fn load(path: &Path) -> std::io::Result<VideoClock> {
        let bytes = std::fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> VideoClock {
        let frame = |session_ms| ClockFrame {
            session_ms,
            window_id: "w".into(),
            url: None,
            reason: FrameReason::Base,
            idle_before_ms: 0,
        };
        VideoClock {
            fps: 1.0,
            session_start_unix_ms: 0,
            session_duration_ms: 100_000,
            frames: vec![frame(1000), frame(9000), frame(60_000)],
        }
    }

    #[test]
    fn video_to_session_maps_frames() {
        assert_eq!(clock().video_to_session(1.5), Some(9000));
    }

    #[test]
    fn video_past_end_is_none() {
        assert_eq!(clock().video_to_session(3.0), None);
    }

    #[test]
    fn session_to_video_inside_cut() {
        assert_eq!(clock().session_to_video(30_000), Some(1.0));
    }

    #[test]
    fn session_to_video_outside_session() {
        assert_eq!(clock().session_to_video(100_001), None);
    }

    #[test]
    fn snap_picks_nearest() {
        assert_eq!(clock().snap(40_000), Some(60_000));
    }

    #[test]
    fn snap_before_first_frame() {
        assert_eq!(clock().snap(0), Some(1000));
    }

    #[test]
    fn round_trip_through_video() {
        let clock = clock();
        for frame in &clock.frames {
            let video_s = clock.session_to_video(frame.session_ms).unwrap();
            assert_eq!(clock.video_to_session(video_s), Some(frame.session_ms));
        }
    }
}
