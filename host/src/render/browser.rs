//! One headless Chromium process per render worker. The process gets a fresh profile directory
//! and flags that stop its own network use (background networking, component updates, sync,
//! QUIC). Every host name resolves to nothing, so the only way out is a request the renderer
//! fetches itself (see `network`). Pages in one browser do not all receive
//! compositor frames, so a worker renders one page at a time.

use std::path::PathBuf;
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use chromiumoxide::error::CdpError;
use chromiumoxide::Page;
use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::RenderError;

/// Chromium's flags, besides `--headless`, `--hide-scrollbars` and `--mute-audio` that
/// chromiumoxide adds itself. `--host-resolver-rules` makes every host name unresolvable, a second wall
/// behind request interception. Site isolation is off, so every frame of the replayed page
/// lives in the page's own process, where its requests are intercepted.
const FLAGS: [&str; 11] = [
    "no-sandbox",
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-default-apps",
    "disable-breakpad",
    "disable-dev-shm-usage",
    "disable-site-isolation-trials",
];

/// Flags with a value, as (name, value).
const VALUED_FLAGS: [(&str, &str); 3] = [
    ("force-color-profile", "srgb"),
    ("host-resolver-rules", "MAP * ~NOTFOUND"),
    (
        "disable-features",
        "site-per-process,IsolateOrigins,Translate,MediaRouter,OptimizationHints",
    ),
];

/// A running Chromium with its protocol handler and profile directory.
pub(crate) struct Worker {
    browser: Browser,
    handler: JoinHandle<()>,
    /// Turns true when the protocol connection ends, which is how a killed browser shows.
    closed: watch::Receiver<bool>,
    /// Removed when the worker is dropped, after the browser is gone.
    _profile: tempfile::TempDir,
}

impl Worker {
    /// Starts Chromium from `executable` with a window of `width` x `height` CSS pixels.
    pub(crate) async fn launch(
        executable: &PathBuf,
        width: u32,
        height: u32,
        timeout: Duration,
    ) -> Result<Worker, RenderError> {
        let profile = tempfile::Builder::new()
            .prefix("replay-vision-chromium-")
            .tempdir()
            .map_err(|e| RenderError::Browser(format!("cannot create a profile directory: {e}")))?;
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .disable_default_args()
            .args(FLAGS)
            .args(VALUED_FLAGS)
            .window_size(width, height)
            .user_data_dir(profile.path())
            .viewport(None)
            .launch_timeout(timeout)
            .request_timeout(timeout)
            .build()
            .map_err(RenderError::Browser)?;
        let (browser, mut handler) = Browser::launch(config).await.map_err(|e| {
            RenderError::Browser(format!("cannot start {}: {e}", executable.display()))
        })?;
        let (closed_sender, closed) = watch::channel(false);
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                match event {
                    // A websocket or I/O error means the connection is gone: the browser
                    // exited or was killed. The handler would keep reporting it.
                    Err(error @ (CdpError::Ws(_) | CdpError::Io(_))) => {
                        tracing::warn!(%error, "lost the connection to Chromium");
                        break;
                    }
                    Err(error) => tracing::debug!(%error, "Chromium protocol handler error"),
                    Ok(()) => {}
                }
            }
            let _ = closed_sender.send(true);
        });
        tracing::info!(executable = %executable.display(), "started Chromium");
        Ok(Worker {
            browser,
            handler,
            closed,
            _profile: profile,
        })
    }

    /// Returns whether the browser process and its protocol connection are still up.
    pub(crate) fn is_alive(&mut self) -> bool {
        let running = matches!(self.browser.try_wait(), Ok(None));
        running && !self.handler.is_finished()
    }

    /// Returns a receiver that turns true when the connection to the browser ends.
    pub(crate) fn closed(&self) -> watch::Receiver<bool> {
        self.closed.clone()
    }

    /// Returns the browser's process id, for supervision and tests.
    pub(crate) fn pid(&mut self) -> Option<u32> {
        self.browser
            .get_mut_child()
            .and_then(|child| child.as_mut_inner().id())
    }

    /// Opens a blank page.
    pub(crate) async fn new_page(&self) -> Result<Page, RenderError> {
        self.browser
            .new_page(CreateTargetParams::new("about:blank"))
            .await
            .map_err(|e| RenderError::Browser(format!("cannot open a page: {e}")))
    }

    /// Stops the browser and waits for the process to exit, killing it when it does not
    /// close within a few seconds (or is already gone).
    pub(crate) async fn shutdown(mut self) {
        let grace = Duration::from_secs(3);
        if !*self.closed.borrow() {
            let _ = tokio::time::timeout(grace, self.browser.close()).await;
            let _ = tokio::time::timeout(grace, self.browser.wait()).await;
        }
        let _ = tokio::time::timeout(grace, self.browser.kill()).await;
        let _ = tokio::time::timeout(grace, self.browser.wait()).await;
        self.handler.abort();
    }
}
