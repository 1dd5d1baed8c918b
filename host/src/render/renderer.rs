//! The [`Renderer`]: one worker with its own Chromium, kept warm between renders and started
//! again when it has died, in front of the shared disk cache. The pipeline runs one renderer
//! per render worker. A single browser renders one page at a time, because background pages
//! do not reliably receive compositor frames.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, MutexGuard};

use super::browser::Worker;
use super::cache::{self, io, CLOCK_FILE, VIDEO_FILE};
use super::capture::{capture, Captured};
use super::clock::VideoClock;
use super::encode::encode;
use super::plan::plan;
use super::player::{PlayerAssets, PlayerPage};
use super::timeline::{SessionEvents, Timeline};
use super::{RenderError, RenderSettings, RenderStats, Rendered};
use crate::recording::Recording;

/// Renders sessions to videos with one warm Chromium.
pub struct Renderer {
    settings: RenderSettings,
    assets: PlayerAssets,
    /// Hash of the player's code, part of the cache key.
    player_hash: Vec<u8>,
    worker: Mutex<Option<Worker>>,
    /// Process id of the running browser, or 0 when none. It is readable while a render runs.
    pid: AtomicU32,
}

impl Renderer {
    /// Creates a renderer. Reads rrweb's bundle from the player directory. Chromium starts on
    /// the first render.
    pub fn new(settings: RenderSettings) -> Result<Renderer, RenderError> {
        let assets = PlayerAssets::read(&settings.player_dir)?;
        let player_hash = assets.fingerprint();
        Ok(Renderer {
            settings,
            assets,
            player_hash,
            worker: Mutex::new(None),
            pid: AtomicU32::new(0),
        })
    }

    /// Returns the settings this renderer was made with.
    pub fn settings(&self) -> &RenderSettings {
        &self.settings
    }

    /// Returns the cache directory of `session`'s video under these settings.
    pub fn cache_entry(&self, session: &SessionEvents) -> PathBuf {
        self.entry_for(&session.content_hash)
    }

    fn entry_for(&self, content_hash: &str) -> PathBuf {
        let key = cache::key(content_hash, &self.settings.output_key(), &self.player_hash);
        self.settings.cache_dir.join(key)
    }

    /// Returns the cached video of the session with `content_hash`, if complete.
    fn cached(&self, content_hash: &str, session_id: &str) -> Option<Rendered> {
        let entry = self.entry_for(content_hash);
        let mut hit = cache::lookup(&entry)?;
        tracing::info!(session_id, entry = %entry.display(), "render cache hit");
        hit.stats.cached = true;
        Some(hit)
    }

    /// Renders a loaded recording, or returns its cached video; see
    /// [`Renderer::render_session`]. The frame plan reads activity from the events with the
    /// same rule as `recording::analyze` (user input sources, 5 s inactivity by default).
    pub async fn render(
        &self,
        recording: &Recording,
        progress: impl Fn(usize, usize) + Send + Sync,
    ) -> Result<Rendered, RenderError> {
        // A cache hit needs only the content hash, not the per-window JSON.
        if let Some(hit) = self.cached(recording.content_hash(), &recording.session_id) {
            return Ok(hit);
        }
        self.render_session(&SessionEvents::from_recording(recording), progress)
            .await
    }

    /// Renders `session`, or returns its cached video. `progress(done, total)` is called after
    /// each planned frame. One call renders at a time, and concurrent calls wait.
    pub async fn render_session(
        &self,
        session: &SessionEvents,
        progress: impl Fn(usize, usize) + Send + Sync,
    ) -> Result<Rendered, RenderError> {
        let entry = self.cache_entry(session);
        if let Some(hit) = self.cached(&session.content_hash, &session.session_id) {
            return Ok(hit);
        }
        let timeline = Timeline::build(session, self.settings.frames.inactivity_ms)
            .ok_or_else(|| RenderError::NothingToRender("the recording has no events".into()))?;
        if timeline
            .windows
            .iter()
            .all(|w| w.first_full_snapshot_ms.is_none())
        {
            return Err(RenderError::NothingToRender(
                "no window has a FullSnapshot, so there is no page to show".into(),
            ));
        }
        let planned = plan(&timeline, &self.settings.frames);
        if planned.is_empty() {
            return Err(RenderError::NothingToRender(
                "no active instant follows a FullSnapshot".into(),
            ));
        }

        std::fs::create_dir_all(&self.settings.cache_dir)
            .map_err(|e| io(&self.settings.cache_dir, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.settings.cache_dir)
            .map_err(|e| io(&self.settings.cache_dir, e))?;

        let mut stats = RenderStats {
            planned_frames: planned.len(),
            active_ms: timeline.active_ms(),
            session_ms: timeline.duration_ms,
            ..RenderStats::default()
        };
        let captured = self
            .capture_frames(
                session,
                &timeline,
                &planned,
                staging.path(),
                &mut stats,
                &progress,
            )
            .await?;
        stats.duplicate_frames = captured.duplicates;
        stats.replay_warnings = captured.warnings;

        let started = Instant::now();
        let video = staging.path().join(VIDEO_FILE);
        encode(
            &self.settings.ffmpeg,
            staging.path(),
            self.settings.fps,
            &video,
        )
        .await?;
        stats.encode_ms = started.elapsed().as_millis() as u64;

        let clock = VideoClock {
            fps: f64::from(self.settings.fps),
            session_start_unix_ms: timeline.session_start,
            session_duration_ms: timeline.duration_ms,
            frames: captured.frames,
        };
        let clock_path = staging.path().join(CLOCK_FILE);
        clock.save(&clock_path).map_err(|e| io(&clock_path, e))?;
        let size = (self.settings.width, self.settings.height);
        let staging = staging.keep();
        let rendered = cache::publish(&staging, &entry, clock, size, self.settings.fps, stats)?;
        tracing::info!(
            session_id = %session.session_id,
            frames = rendered.clock.frames.len(),
            capture_ms = rendered.stats.capture_ms,
            "rendered session"
        );
        Ok(rendered)
    }

    async fn capture_frames(
        &self,
        session: &SessionEvents,
        timeline: &Timeline,
        planned: &[super::plan::PlannedFrame],
        dir: &std::path::Path,
        stats: &mut RenderStats,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<Captured, RenderError> {
        let mut slot = self.worker.lock().await;
        let timeout = self.step_timeout();
        let worker = self.ready_worker(&mut slot, timeout).await?;

        let started = Instant::now();
        let size = (self.settings.width, self.settings.height);
        let result = async {
            let page = PlayerPage::open(
                worker,
                &self.assets,
                size,
                self.settings.remote_assets,
                timeout,
            )
            .await?;
            let captured = async {
                let failures = page.load(&session.windows).await?;
                let failed = failures
                    .iter()
                    .enumerate()
                    .find_map(|(i, f)| Some((i, f.as_ref()?)));
                if let Some((index, cause)) = failed {
                    let id = &session.windows[index].window_id;
                    let message = format!("window {id}: creating the replayer threw: {cause}");
                    return Err(RenderError::Replay(message));
                }
                stats.load_ms = started.elapsed().as_millis() as u64;
                let quality = self.settings.jpeg_quality;
                capture(&page, session, timeline, planned, quality, dir, progress).await
            }
            .await;
            stats.blocked_requests = page.request_counts().0;
            page.close().await;
            captured
        }
        .await;
        stats.capture_ms = (started.elapsed().as_millis() as u64).saturating_sub(stats.load_ms);

        match result {
            Err(error) if matches!(error, RenderError::BrowserDied(_)) || !worker.is_alive() => {
                tracing::warn!(session_id = %session.session_id, %error, "Chromium died during a render");
                if let Some(dead) = slot.take() {
                    dead.shutdown().await;
                }
                match error {
                    RenderError::BrowserDied(_) => Err(error),
                    other => Err(RenderError::BrowserDied(other.to_string())),
                }
            }
            Err(error @ (RenderError::Timeout { .. } | RenderError::Browser(_))) => {
                // A browser that timed out or failed a protocol call is not reused.
                if let Some(stuck) = slot.take() {
                    stuck.shutdown().await;
                }
                Err(error)
            }
            other => other,
        }
    }

    /// Returns the worker's browser, starting it when there is none or it has died.
    async fn ready_worker<'a>(
        &self,
        slot: &'a mut Option<Worker>,
        timeout: Duration,
    ) -> Result<&'a mut Worker, RenderError> {
        if let Some(worker) = slot.as_mut() {
            if !worker.is_alive() {
                tracing::warn!("Chromium has died; starting it again");
                if let Some(dead) = slot.take() {
                    dead.shutdown().await;
                }
            }
        }
        if slot.is_none() {
            let (width, height) = (self.settings.width, self.settings.height);
            let mut worker =
                Worker::launch(&self.settings.chromium, width, height, timeout).await?;
            self.pid.store(worker.pid().unwrap_or(0), Ordering::Relaxed);
            *slot = Some(worker);
        }
        Ok(slot.as_mut().expect("the worker was just started"))
    }

    /// Starts the browser now, so that the first render does not pay for it.
    pub async fn warm_up(&self) -> Result<(), RenderError> {
        self.ready_slot().await.map(drop)
    }

    /// Locks the worker slot with a running browser in it.
    pub(super) async fn ready_slot(&self) -> Result<MutexGuard<'_, Option<Worker>>, RenderError> {
        let mut slot = self.worker.lock().await;
        self.ready_worker(&mut slot, self.step_timeout()).await?;
        Ok(slot)
    }

    pub(super) fn step_timeout(&self) -> Duration {
        Duration::from_secs(self.settings.step_timeout_s.max(1))
    }

    pub(super) fn assets(&self) -> &PlayerAssets {
        &self.assets
    }

    /// Returns the process id of the worker's last started browser, if any. It does not wait
    /// for a render in progress.
    pub fn browser_pid(&self) -> Option<u32> {
        let pid = self.pid.load(Ordering::Relaxed);
        (pid != 0).then_some(pid)
    }

    /// Stops the worker's browser.
    pub async fn shutdown(&self) {
        if let Some(worker) = self.worker.lock().await.take() {
            worker.shutdown().await;
        }
    }
}
