//! The frame plan: which session instants become video frames. Inactive stretches are cut.
//! Each activity span gets a frame shortly after it starts and at least one every base
//! interval, and every click, input, navigation and
//! viewport change gets a frame shortly after it; the last instant of each activity span gets
//! one so the video shows the state the user left the page in. A cap bounds the total, dropping
//! base frames before interaction frames.

use serde::{Deserialize, Serialize};

use super::timeline::{InteractionKind, Timeline};

/// Settings of the frame plan. Part of the render settings, so of the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct FramePolicy {
    /// Maximum stretch of active time without a frame, in ms. The default is 8000, one frame
    /// per 8 s of active time, the sampling rate of PostHog's hosted Replay Vision.
    pub base_interval_ms: u64,
    /// Delay from an interaction to its frame, in ms, so the frame shows its result. The
    /// default is 500.
    pub interaction_delay_ms: u64,
    /// An interaction already has its frame when one lies at most this many ms after it. The
    /// default is 1000.
    pub coverage_ms: u64,
    /// A gap without user input longer than this, in ms, is inactive and cut. The default is
    /// 5000.
    pub inactivity_ms: u64,
    /// Maximum number of frames in one video. The default is 900 (15 minutes at 1 frame/s).
    pub max_frames: usize,
}

impl Default for FramePolicy {
    fn default() -> Self {
        FramePolicy {
            base_interval_ms: 8000,
            interaction_delay_ms: 500,
            coverage_ms: 1000,
            inactivity_ms: 5000,
            max_frames: 900,
        }
    }
}

/// Reason a frame was planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "interaction")]
pub enum FrameReason {
    /// The base rate over active time.
    Base,
    /// The last instant of an activity span.
    SpanEnd,
    /// Shortly after an interaction of this kind.
    After(InteractionKind),
}

/// One planned frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedFrame {
    /// Session instant, in ms since the session start.
    pub at_ms: u64,
    /// Index of the window shown.
    pub window: usize,
    /// Reason for the frame.
    pub reason: FrameReason,
    /// Inactive time cut between the previous frame and this one, in ms (0 when none).
    pub idle_before_ms: u64,
}

/// Plans the frames of a session: increasing instants, each in a window that has a
/// FullSnapshot by then. Returns an empty plan when no window can be shown.
pub fn plan(timeline: &Timeline, policy: &FramePolicy) -> Vec<PlannedFrame> {
    let mut chosen: Vec<(u64, FrameReason)> = interaction_frames(timeline, policy);
    for span in &timeline.spans {
        let covered = chosen
            .iter()
            .any(|(t, _)| *t <= span.end_ms && span.end_ms - *t < policy.coverage_ms);
        if !covered {
            chosen.push((span.end_ms, FrameReason::SpanEnd));
        }
    }
    chosen.sort_by_key(|(t, _)| *t);
    chosen.extend(base_frames(timeline, policy, &chosen));
    chosen.sort_by_key(|(t, _)| *t);
    chosen.dedup_by_key(|(t, _)| *t);

    let shown: Vec<PlannedFrame> = chosen
        .into_iter()
        .filter_map(|(at_ms, reason)| {
            let window = timeline.window_at(at_ms)?;
            let snapshot = timeline.windows[window].first_full_snapshot_ms?;
            (snapshot <= at_ms).then_some(PlannedFrame {
                at_ms,
                window,
                reason,
                idle_before_ms: 0,
            })
        })
        .collect();
    let mut kept = cap(shown, policy.max_frames);
    mark_cuts(timeline, &mut kept);
    kept
}

fn interaction_frames(timeline: &Timeline, policy: &FramePolicy) -> Vec<(u64, FrameReason)> {
    let mut frames: Vec<(u64, FrameReason)> = Vec::new();
    for interaction in &timeline.interactions {
        let covered = frames.last().is_some_and(|(t, _)| {
            *t > interaction.at_ms && *t - interaction.at_ms <= policy.coverage_ms
        });
        if covered {
            continue;
        }
        // An interaction at the very end of the session gets its frame at that last instant.
        let delay = policy.interaction_delay_ms.max(1);
        let at_ms = (interaction.at_ms + delay).min(timeline.duration_ms);
        frames.push((at_ms, FrameReason::After(interaction.kind)));
    }
    frames
}

/// Fills each span so that no stretch of it longer than the base interval lacks a frame.
fn base_frames(
    timeline: &Timeline,
    policy: &FramePolicy,
    chosen: &[(u64, FrameReason)],
) -> Vec<(u64, FrameReason)> {
    let interval = policy.base_interval_ms.max(1);
    let mut added = Vec::new();
    for span in &timeline.spans {
        let mut points: Vec<u64> = chosen
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| (span.start_ms..=span.end_ms).contains(t))
            .collect();
        // The first frame of a span shows the page shortly after activity resumes, so a
        // cut is followed by the state the user came back to.
        let first = (span.start_ms + policy.interaction_delay_ms).min(span.end_ms);
        if points
            .first()
            .is_none_or(|t| *t > first + policy.coverage_ms)
        {
            added.push((first, FrameReason::Base));
            points.insert(0, first);
        }
        points.push(span.end_ms);
        for pair in points.windows(2) {
            let gap = pair[1] - pair[0];
            let parts = gap.div_ceil(interval);
            for k in 1..parts {
                added.push((pair[0] + gap * k / parts, FrameReason::Base));
            }
        }
    }
    added
}

/// Keeps at most `max` frames: all interaction frames if they fit, spread evenly otherwise,
/// then the other frames spread evenly over what is left.
fn cap(frames: Vec<PlannedFrame>, max: usize) -> Vec<PlannedFrame> {
    if frames.len() <= max {
        return frames;
    }
    let (after, other): (Vec<_>, Vec<_>) = frames
        .into_iter()
        .partition(|f| matches!(f.reason, FrameReason::After(_)));
    let mut kept = spread(after, max);
    let room = max - kept.len();
    kept.extend(spread(other, room));
    kept.sort_by_key(|f| f.at_ms);
    kept
}

fn spread(frames: Vec<PlannedFrame>, max: usize) -> Vec<PlannedFrame> {
    if frames.len() <= max {
        return frames;
    }
    let n = frames.len();
    (0..max).map(|k| frames[k * n / max]).collect()
}

/// Records on each frame how much inactive time lies between it and the previous frame.
fn mark_cuts(timeline: &Timeline, frames: &mut [PlannedFrame]) {
    let mut gaps = Vec::new();
    let mut last_end = 0;
    for span in &timeline.spans {
        if span.start_ms > last_end {
            gaps.push((last_end, span.start_ms));
        }
        last_end = span.end_ms;
    }
    let mut previous = 0;
    for frame in frames.iter_mut() {
        frame.idle_before_ms = gaps
            .iter()
            .map(|(from, to)| (*to).min(frame.at_ms).saturating_sub((*from).max(previous)))
            .sum();
        previous = frame.at_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::timeline::SessionEvents;
    use serde_json::{json, Value};

    fn timeline(events: Vec<Value>) -> Timeline {
        let session = SessionEvents::from_events("s", events);
        Timeline::build(&session, 5000).unwrap()
    }

    fn mouse_move(at: i64) -> Value {
        json!({"type": 3, "timestamp": at, "data": {"source": 1}})
    }

    fn click(at: i64) -> Value {
        json!({"type": 3, "timestamp": at, "data": {"source": 2, "type": 2}})
    }

    fn start() -> Vec<Value> {
        vec![
            json!({"type": 4, "timestamp": 0, "data": {"href": "https://a.example/"}}),
            json!({"type": 2, "timestamp": 0, "data": {}}),
        ]
    }

    #[test]
    fn click_gets_frame_after() {
        let mut events = start();
        events.push(click(3000));
        events.push(mouse_move(5000));
        let frames = plan(&timeline(events), &FramePolicy::default());
        assert!(frames.iter().any(|f| f.at_ms > 3000 && f.at_ms <= 4000));
    }

    #[test]
    fn base_rate_fills_span() {
        let mut events = start();
        events.extend((1..=40).map(|k| mouse_move(k * 1000)));
        let frames = plan(&timeline(events), &FramePolicy::default());
        let largest_gap = frames.windows(2).map(|p| p[1].at_ms - p[0].at_ms).max();
        assert!(largest_gap.unwrap() <= 8000, "{largest_gap:?}");
        assert!(frames.len() >= 5, "{} frames", frames.len());
    }

    #[test]
    fn idle_gap_is_cut() {
        let mut events = start();
        events.push(click(1000));
        events.push(click(600_000));
        events.push(mouse_move(602_000));
        let frames = plan(&timeline(events), &FramePolicy::default());
        let first_after_gap = frames.iter().find(|f| f.at_ms >= 600_000).unwrap();
        // From the frame 500 ms after the first click to the start of the next span.
        assert_eq!(first_after_gap.idle_before_ms, 598_500);
    }

    #[test]
    fn idle_gap_has_no_frames() {
        let mut events = start();
        events.push(click(1000));
        events.push(click(600_000));
        let frames = plan(&timeline(events), &FramePolicy::default());
        assert!(frames.iter().all(|f| f.at_ms <= 2000 || f.at_ms >= 600_000));
    }

    #[test]
    fn cap_keeps_interactions() {
        let mut events = start();
        events.extend((1..=100).map(|k| click(k * 2000)));
        let policy = FramePolicy {
            max_frames: 10,
            base_interval_ms: 1000,
            ..FramePolicy::default()
        };
        let frames = plan(&timeline(events), &policy);
        assert_eq!(frames.len(), 10);
        assert!(frames
            .iter()
            .all(|f| matches!(f.reason, FrameReason::After(_))));
    }

    #[test]
    fn before_snapshot_not_shown() {
        let events = vec![
            click(0),
            json!({"type": 4, "timestamp": 3000, "data": {"href": "https://a.example/"}}),
            json!({"type": 2, "timestamp": 3000, "data": {}}),
            mouse_move(4000),
        ];
        let frames = plan(&timeline(events), &FramePolicy::default());
        assert!(frames.iter().all(|f| f.at_ms >= 3000));
    }
}
