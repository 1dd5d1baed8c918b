//! The daemon: continuous scanning. It polls its sources for sessions. Every few minutes a
//! sweep queues settled sessions for enabled scanners, sampled deterministically, with each pair
//! decided once. Workers run the queue through the scan pipeline, with one render per session
//! for all its scanners and separate limits on concurrent renders and model calls. Work is
//! leased in the store, so several daemons can share one PostgreSQL database and a dead
//! daemon's work is taken over; SIGTERM drains what is in flight. An HTTP API serves health,
//! metrics, scanners, on-demand scans and observations.

pub mod budget;
pub mod metrics;
pub mod sampling;
pub mod scanners;
mod settings;
pub mod sweep;
mod worker;

use std::future::Future;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::sync::{watch, Notify, Semaphore, SemaphorePermit};

use crate::config::Config;
use crate::pipeline::{Pipeline, PipelineOptions, TypeSet};
use crate::render::Renderer;
use crate::source::{DirectorySource, PollReport, PostHogSource};
use crate::store::Store;

pub use metrics::{Metrics, RenderCounts};
pub use settings::{ApiConfig, Budget, BudgetsConfig, DaemonConfig};
pub use sweep::SweepReport;

/// State shared by the daemon's tasks and its API.
pub struct Shared {
    pub config: Config,
    pub store: Store,
    pub types: Arc<TypeSet>,
    pub metrics: Metrics,
    /// The lease owner name of this daemon.
    pub owner: String,
    render_slots: RenderSlots,
    model_permits: Semaphore,
    /// Woken when work is queued, so idle workers start at once.
    pub work_ready: Notify,
}

impl Shared {
    fn lease_ms(&self) -> i64 {
        self.config.daemon.lease_ms()
    }
}

/// One pipeline per render slot, each with its own renderer and so its own Chromium.
struct RenderSlots {
    pipelines: Vec<Arc<Pipeline>>,
    free: Mutex<Vec<usize>>,
    permits: Semaphore,
}

/// A render slot in use; it is free again when dropped.
struct RenderSlot<'a> {
    slots: &'a RenderSlots,
    index: usize,
    _permit: SemaphorePermit<'a>,
}

impl RenderSlots {
    async fn acquire(&self) -> RenderSlot<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the render semaphore is never closed");
        let index = self
            .free
            .lock()
            .expect("render slot list")
            .pop()
            .expect("a permit guarantees a free slot");
        RenderSlot {
            slots: self,
            index,
            _permit: permit,
        }
    }

    /// Returns the pipeline that runs observations, whose render finds the video a slot cached.
    fn first(&self) -> &Pipeline {
        &self.pipelines[0]
    }
}

impl RenderSlot<'_> {
    fn pipeline(&self) -> &Pipeline {
        &self.slots.pipelines[self.index]
    }
}

impl Drop for RenderSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut free) = self.slots.free.lock() {
            free.push(self.index);
        }
    }
}

/// A configured daemon, before or while it runs.
pub struct Daemon {
    shared: Arc<Shared>,
    directories: tokio::sync::Mutex<Vec<DirectorySource>>,
    posthog: tokio::sync::Mutex<Option<PostHogSource>>,
}

impl Daemon {
    /// Opens the store, loads the scanner types and the scanners directory, and builds the
    /// pipelines. Fails when no model is configured, because the daemon would store nothing.
    pub async fn new(config: Config) -> anyhow::Result<Daemon> {
        let problems = config.daemon.problems();
        if !problems.is_empty() {
            anyhow::bail!("invalid [daemon] settings: {}", problems.join("; "));
        }
        let types = Arc::new(TypeSet::load(&config)?);
        let store = Store::connect(&config.store_url())
            .await
            .with_context(|| format!("cannot open the store {}", config.store_url()))?;
        let loaded = scanners::load_directory(&store, &types, &config.scanners.dir).await?;
        tracing::info!(count = loaded, dir = %config.scanners.dir.display(), "scanners directory loaded");
        let owner = config.daemon.worker_name.clone().unwrap_or_else(|| {
            let suffix = uuid::Uuid::new_v4().simple().to_string();
            format!("daemon-{}-{}", std::process::id(), &suffix[..8])
        });
        let pipelines = build_pipelines(&config, &store, &types, &owner)?;

        let slots = config.daemon.render_concurrency;
        let directories = config
            .sources
            .directories
            .iter()
            .cloned()
            .map(DirectorySource::new)
            .collect();

        let posthog = match &config.sources.posthog {
            Some(posthog) => Some(PostHogSource::new(
                posthog,
                config.data_dir.join("posthog"),
                DaemonConfig::duration(config.daemon.settle_s),
            )?),
            None => None,
        };

        let shared = Shared {
            model_permits: Semaphore::new(config.daemon.model_concurrency),
            render_slots: RenderSlots {
                pipelines,
                free: Mutex::new((0..slots).collect()),
                permits: Semaphore::new(slots),
            },
            config,
            store,
            types,
            metrics: Metrics::default(),
            owner,
            work_ready: Notify::new(),
        };
        Ok(Daemon {
            shared: Arc::new(shared),
            directories: tokio::sync::Mutex::new(directories),
            posthog: tokio::sync::Mutex::new(posthog),
        })
    }

    /// State shared with the API and the workers.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Polls every source once.
    pub async fn poll_sources(&self) -> anyhow::Result<PollReport> {
        let options = self.shared.config.analysis_options();
        let mut total = PollReport::default();
        for source in self.directories.lock().await.iter_mut() {
            let report = source.poll(&self.shared.store, &options).await?;
            total.updated += report.updated;
            total.failed += report.failed;
        }
        if let Some(posthog) = self.posthog.lock().await.as_mut() {
            let report = posthog.poll(&self.shared.store).await?;
            total.updated += report.updated;
            total.failed += report.failed;
        }
        Ok(total)
    }

    /// Runs one sweep and wakes the workers when it queued something.
    pub async fn sweep(&self) -> anyhow::Result<SweepReport> {
        let report = sweep::sweep(&self.shared).await?;
        if report.queued + report.requeued > 0 {
            self.shared.work_ready.notify_waiters();
        }
        Ok(report)
    }

    /// Runs queued work with the configured concurrency until the queue has nothing left to
    /// take, then delivers the events due. For tests, benchmarks and one-shot runs.
    pub async fn work_until_idle(&self) -> anyhow::Result<()> {
        let (_stop_sender, stop) = watch::channel(false);
        let workers = self.worker_count();
        let mut tasks = Vec::new();
        for _ in 0..workers {
            let shared = self.shared.clone();
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(work) = shared
                    .store
                    .take_work(&shared.owner, shared.lease_ms())
                    .await?
                {
                    worker::process(&shared, work, &stop).await;
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await.context("a worker panicked")??;
        }
        self.deliver().await;
        Ok(())
    }

    fn worker_count(&self) -> usize {
        let daemon = &self.shared.config.daemon;
        daemon.render_concurrency + daemon.model_concurrency
    }

    /// Delivers the events due to the sinks; a failure is logged and retried later.
    pub async fn deliver(&self) {
        let sinks = self.shared.render_slots.first().sinks().to_vec();
        match crate::sink::deliver_due(&self.shared.store, &sinks).await {
            Ok(report) if report.failed > 0 => {
                tracing::warn!(
                    failed = report.failed,
                    delivered = report.delivered,
                    "event deliveries failed; retried later"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "event delivery failed; retried later"),
        }
    }

    /// Runs until `shutdown` resolves: the timers for polling, sweeping and delivery, the
    /// workers and (when enabled) the API. On shutdown the workers finish the observation in
    /// hand within the drain timeout; whatever is still running then is released for another
    /// daemon.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (stop_sender, stop) = watch::channel(false);
        let api = if self.shared.config.daemon.api.enabled {
            let server = crate::api::serve(self.shared.clone(), stop.clone()).await?;
            tracing::info!(address = %server.address, "API listening");
            Some(server.task)
        } else {
            None
        };
        let mut workers = Vec::new();
        for _ in 0..self.worker_count() {
            workers.push(tokio::spawn(worker::run(self.shared.clone(), stop.clone())));
        }
        let timers = tokio::spawn(self.clone().run_timers(stop.clone()));
        tracing::info!(owner = %self.shared.owner, workers = workers.len(), "daemon started");

        shutdown.await;
        tracing::info!("daemon stopping: draining in-flight work");
        let _ = stop_sender.send(true);
        timers.abort();
        let drain = DaemonConfig::duration(self.shared.config.daemon.drain_timeout_s);
        let drained = tokio::time::timeout(drain, futures::future::join_all(&mut workers)).await;
        if drained.is_err() {
            tracing::warn!("drain timeout reached; releasing the work still running");
            for worker in &workers {
                worker.abort();
            }
        }
        let released = self.shared.store.release_owned(&self.shared.owner).await?;
        self.deliver().await;
        if let Some(api) = api {
            let _ = api.await;
        }
        for pipeline in &self.shared.render_slots.pipelines {
            pipeline.shutdown().await;
        }
        tracing::info!(released, "daemon stopped");
        Ok(())
    }

    /// Polls, sweeps and delivers on their intervals until `stop` turns true.
    async fn run_timers(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let settings = &self.shared.config.daemon;
        let mut poll = tokio::time::interval(DaemonConfig::duration(settings.poll_interval_s));
        let mut sweep = tokio::time::interval(DaemonConfig::duration(settings.sweep_interval_s));
        let mut deliver =
            tokio::time::interval(DaemonConfig::duration(settings.delivery_interval_s));
        for timer in [&mut poll, &mut sweep, &mut deliver] {
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = poll.tick() => {
                    if let Err(error) = self.poll_sources().await {
                        tracing::warn!(error = %format!("{error:#}"), "source poll failed; retried on the next poll");
                    }
                }
                _ = sweep.tick() => {
                    match self.sweep().await {
                        Ok(report) if progress => self.print_progress(&report).await,
                        Ok(_) => {}
                        Err(error) => tracing::warn!(error = %format!("{error:#}"), "sweep failed; retried on the next sweep"),
                    }
                }
                _ = deliver.tick() => self.deliver().await,
            }
        }
    }

    /// Prints one status line for a person watching the terminal.
    async fn print_progress(&self, report: &SweepReport) {
        let (depth, taken) = self.shared.store.queue_depth().await.unwrap_or((0, 0));
        let renders = self.shared.metrics.render_counts();
        eprintln!(
            "sweep: {} queued, {} sampled out, {} requeued; queue {depth} ({taken} running); \
             renders {} ({} shared)",
            report.queued,
            report.sampled_out,
            report.requeued,
            renders.requests,
            renders.cache_hits
        );
    }
}

/// Builds one pipeline per render slot, all sharing the store, the types, the model and the
/// sinks. Fails when no model is configured, because the daemon would store nothing.
fn build_pipelines(
    config: &Config,
    store: &Store,
    types: &Arc<TypeSet>,
    owner: &str,
) -> anyhow::Result<Vec<Arc<Pipeline>>> {
    let model = crate::cli::build_model(config)?.with_context(|| {
        format!(
            "no model is configured, so the daemon would store nothing; set {} or point \
             [provider] at an OpenAI-compatible server",
            config.provider.key_variable()
        )
    })?;
    let sinks = crate::cli::build_sinks(config)?;
    let options = PipelineOptions {
        owner: owner.to_string(),
        lease_ms: config.daemon.lease_ms(),
        max_lease_expiries: config.daemon.max_lease_expiries,
        dry_run_dir: config.data_dir.join("dry-run"),
        dry_run_provider: config.provider.name.clone(),
        dry_run_model: config.provider.model.clone(),
        provider_config: config.provider.clone(),
        media: Default::default(),
    };
    let mut pipelines = Vec::new();
    for _ in 0..config.daemon.render_concurrency {
        let renderer = Arc::new(Renderer::new(config.render.clone())?);
        pipelines.push(Arc::new(Pipeline::new(
            store.clone(),
            types.clone(),
            renderer,
            Some(model.clone()),
            sinks.clone(),
            options.clone(),
        )));
    }
    Ok(pipelines)
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
