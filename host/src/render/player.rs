//! The player page inside one Chromium page: rrweb's `Replayer` (from the npm package `rrweb`,
//! pinned in `host/player/package-lock.json`) plus this project's `player.js`, injected into a
//! blank page from memory, so no asset is served over any socket. The Rust side calls
//! `rv.load` once with every window's events, then `rv.show` and a screenshot per frame.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::Page;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::browser::Worker;
use super::network::{self, RemoteAssets, RequestGuard};
use super::timeline::WindowEvents;
use super::RenderError;

const PLAYER_JS: &str = include_str!("../../player/player.js");
const PLAYER_CSS: &str = include_str!("../../player/player.css");
/// rrweb's browser bundle and stylesheet inside the player directory, put there by `npm ci`.
const RRWEB_JS: &str = "node_modules/rrweb/dist/rrweb.umd.min.cjs";
const RRWEB_CSS: &str = "node_modules/rrweb/dist/style.css";

/// Returns the player directory of this checkout (`host/player`).
pub fn default_player_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("player")
}

/// The scripts and styles of the player page, read once per renderer.
#[derive(Debug, Clone)]
pub(crate) struct PlayerAssets {
    rrweb_js: String,
    rrweb_css: String,
}

impl PlayerAssets {
    /// Reads rrweb's bundle from `dir/node_modules`.
    pub(crate) fn read(dir: &Path) -> Result<PlayerAssets, RenderError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| {
                RenderError::Player(format!(
                    "cannot read {}: {e}; run `npm ci --prefix {}` to install rrweb",
                    path.display(),
                    dir.display()
                ))
            })
        };
        Ok(PlayerAssets {
            rrweb_js: read(RRWEB_JS)?,
            rrweb_css: read(RRWEB_CSS)?,
        })
    }
}

impl PlayerAssets {
    /// Returns a SHA-256 over the player's code (rrweb and this project's page), so a change
    /// to either gives new cache keys.
    pub(crate) fn fingerprint(&self) -> Vec<u8> {
        let mut hasher = Sha256::new();
        for part in [&self.rrweb_js, &self.rrweb_css, PLAYER_JS, PLAYER_CSS] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.finalize().to_vec()
    }
}

/// Footer contents of one frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Footer {
    /// Whole seconds since the session start.
    pub(crate) rec_t: u64,
    pub(crate) url: Option<String>,
    /// A label naming the window, for sessions with several.
    pub(crate) window: Option<String>,
    /// A badge saying how much idle time was cut before this frame.
    pub(crate) cut: Option<String>,
    /// Whether to draw the click marker at the cursor.
    pub(crate) click: bool,
}

/// Result of `rv.show` for one seek.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SeekResult {
    /// Whether the window's document was rebuilt from a FullSnapshot.
    pub(crate) built: bool,
    /// The exception `pause` threw, if any.
    pub(crate) thrown: Option<String>,
    /// Uncaught errors in the page since the previous call.
    #[serde(default)]
    pub(crate) errors: Vec<String>,
    /// rrweb warnings so far (recoverable replay problems).
    #[serde(default)]
    pub(crate) warnings: u64,
}

/// One page showing the player, with its request guard.
pub(crate) struct PlayerPage {
    page: Page,
    guard: RequestGuard,
    limits: Limits,
}

/// The time limit of one step and the signal that the browser is gone.
#[derive(Clone)]
pub(crate) struct Limits {
    pub(crate) timeout: Duration,
    pub(crate) closed: watch::Receiver<bool>,
}

impl PlayerPage {
    /// Opens a page in `worker`, guards its requests and injects the player.
    pub(crate) async fn open(
        worker: &Worker,
        assets: &PlayerAssets,
        size: (u32, u32),
        remote: RemoteAssets,
        timeout: Duration,
    ) -> Result<PlayerPage, RenderError> {
        let limits = Limits {
            timeout,
            closed: worker.closed(),
        };
        let page = within(&limits, "opening a page", worker.new_page()).await?;
        let guard = within(&limits, "guarding requests", network::guard(&page, remote)).await?;
        let metrics = SetDeviceMetricsOverrideParams::new(size.0 as i64, size.1 as i64, 1.0, false);
        within(&limits, "setting the viewport", async {
            page.execute(metrics).await.map_err(browser_error)
        })
        .await?;
        let player = PlayerPage {
            page,
            guard,
            limits,
        };
        let styles = format!(
            "(() => {{ const s = document.createElement('style'); s.textContent = {}; \
             document.head.appendChild(s); }})()",
            serde_json::to_string(&format!("{}\n{}", assets.rrweb_css, PLAYER_CSS))
                .map_err(|e| RenderError::Player(e.to_string()))?
        );
        player.evaluate(&styles, "injecting styles").await?;
        player.evaluate(&assets.rrweb_js, "injecting rrweb").await?;
        player.evaluate(PLAYER_JS, "injecting the player").await?;
        Ok(player)
    }

    /// Creates one replayer per window. Returns, per window, the error its creation threw.
    pub(crate) async fn load(
        &self,
        windows: &[WindowEvents],
    ) -> Result<Vec<Option<String>>, RenderError> {
        let mut expression = String::from("rv.load([");
        for (index, window) in windows.iter().enumerate() {
            if index > 0 {
                expression.push(',');
            }
            expression.push_str(&window.rrweb_json);
        }
        expression.push_str("])");
        let value = self.evaluate(&expression, "loading the recording").await?;
        serde_json::from_value(value)
            .map_err(|e| RenderError::Player(format!("unexpected rv.load result: {e}")))
    }

    /// Seeks `window`'s replayer to `offset_ms` (relative to its first event) and shows it.
    pub(crate) async fn show(
        &self,
        window: usize,
        offset_ms: u64,
        footer: &Footer,
    ) -> Result<SeekResult, RenderError> {
        let footer =
            serde_json::to_string(footer).map_err(|e| RenderError::Player(e.to_string()))?;
        let expression = format!("rv.show({window}, {offset_ms}, {footer})");
        let value = self.evaluate(&expression, "seeking").await?;
        serde_json::from_value(value)
            .map_err(|e| RenderError::Player(format!("unexpected rv.show result: {e}")))
    }

    /// Starts playing `window` at 1x from `offset_ms` (relative to its first event).
    pub(crate) async fn play(&self, window: usize, offset_ms: u64) -> Result<(), RenderError> {
        let expression = format!("rv.play({window}, {offset_ms})");
        self.evaluate(&expression, "starting playback")
            .await
            .map(drop)
    }

    /// Takes a JPEG screenshot of the viewport.
    pub(crate) async fn capture(&self, quality: u8) -> Result<Vec<u8>, RenderError> {
        let params = CaptureScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Jpeg)
            .quality(i64::from(quality))
            .build();
        let shot = within(&self.limits, "capturing a screenshot", async {
            self.page.execute(params).await.map_err(browser_error)
        })
        .await?;
        let data: &str = shot.result.data.as_ref();
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| RenderError::Browser(format!("invalid screenshot data: {e}")))
    }

    /// Returns how many requests of the replayed page were blocked and fetched.
    pub(crate) fn request_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering;
        let counts = &self.guard.counts;
        (
            counts.blocked.load(Ordering::Relaxed),
            counts.fetched.load(Ordering::Relaxed),
        )
    }

    /// Closes the page.
    pub(crate) async fn close(self) {
        let _ = within(&self.limits, "closing the page", async {
            self.page.close().await.map_err(browser_error)
        })
        .await;
    }

    async fn evaluate(
        &self,
        expression: &str,
        step: &str,
    ) -> Result<serde_json::Value, RenderError> {
        let params = EvaluateParams::builder()
            .expression(expression)
            .return_by_value(true)
            .build()
            .map_err(RenderError::Player)?;
        let returns = within(&self.limits, step, async {
            self.page.execute(params).await.map_err(browser_error)
        })
        .await?;
        if let Some(exception) = &returns.result.exception_details {
            let detail = exception
                .exception
                .as_ref()
                .and_then(|e| e.description.clone())
                .unwrap_or_else(|| exception.text.clone());
            return Err(RenderError::Replay(format!("{step} threw: {detail}")));
        }
        Ok(returns.result.result.value.clone().unwrap_or_default())
    }
}

/// Runs one browser step with a time limit, so a dead or stuck browser ends in an error
/// rather than a hang. A closed connection ends the step at once.
pub(crate) async fn within<T>(
    limits: &Limits,
    step: &str,
    future: impl std::future::Future<Output = Result<T, RenderError>>,
) -> Result<T, RenderError> {
    let mut closed = limits.closed.clone();
    tokio::select! {
        result = tokio::time::timeout(limits.timeout, future) => match result {
            Ok(result) => result,
            Err(_) => Err(RenderError::Timeout {
                step: step.to_owned(),
                seconds: limits.timeout.as_secs_f64(),
            }),
        },
        _ = closed.wait_for(|closed| *closed) => {
            Err(RenderError::BrowserDied(format!("the connection closed while {step}")))
        }
    }
}

fn browser_error(error: chromiumoxide::error::CdpError) -> RenderError {
    RenderError::Browser(error.to_string())
}
