//! The pipeline of one observation: one scanner applied to one session.
//!
//! The steps run in this order. An ineligible session is stored as such, with no render, no
//! model call and no cost. The scanner type's `matches` decides whether the scanner's filters
//! select the session; a session they do not select gets no observation. The store then grants
//! a claim, since there is one observation per scanner and session. The render is cached and
//! shared by every scanner. Each step of the type gets its prompt, a model call and
//! `parse-output`, with one re-prompt that quotes a validation error. Citations are mapped to
//! session time, and the result is stored with its `$recording_observed` event queued for the
//! sinks in the same transaction.
//!
//! Without a model the pipeline stops before the call: it writes the video, the exact request
//! and a cost estimate, and stores nothing.

mod citations;
mod conversation;
mod dry_run;
pub mod event;
pub mod session;
pub mod types;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::provider::{MediaSettings, Provider};
use crate::recording::{self, Analysis, AnalysisOptions, Eligibility, Recording};
use crate::render::{Rendered, Renderer};
use crate::runtime::{LogEntry, SessionMeta};
use crate::scanner::{filters, ScannerDefinition};
use crate::sink::Sink;
use crate::store::{
    Claim, ClaimRequest, Failure, Observation, ObservationState, Store, Success, Trigger,
};

pub use conversation::Conversation;
pub use dry_run::DryRun;
pub use types::TypeSet;

/// A loaded and analysed session, with the records a scanner type reads.
pub struct Session {
    pub recording: Recording,
    pub analysis: Analysis,
    pub meta: SessionMeta,
    pub log: Vec<LogEntry>,
}

impl Session {
    /// Analyses a loaded recording.
    pub fn new(recording: Recording, options: &AnalysisOptions) -> Session {
        let analysis = recording::analyze(&recording, options);
        let meta = session::session_meta(&analysis);
        let log = session::log_entries(&recording, &analysis);
        Session {
            recording,
            analysis,
            meta,
            log,
        }
    }

    /// Returns the session id.
    pub fn id(&self) -> &str {
        &self.analysis.session_id
    }
}

/// The model a pipeline calls.
#[derive(Clone)]
pub struct Model {
    pub provider: Arc<dyn Provider>,
    /// The model id used when a scanner names none.
    pub default_model: String,
}

/// Settings of a pipeline.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// The worker's name, stored as the lease owner.
    pub owner: String,
    /// How long a claim lasts without a heartbeat, in ms. The default is 15 minutes.
    pub lease_ms: i64,
    /// Expired leases after which an observation ends `orphaned`. The default is 3.
    pub max_lease_expiries: i64,
    /// Folder for the request and estimate of each dry run.
    pub dry_run_dir: PathBuf,
    /// The provider name and model recorded when no model is configured.
    pub dry_run_provider: String,
    pub dry_run_model: String,
    /// The provider configuration, for the exact request body of a dry run.
    pub provider_config: crate::config::ProviderConfig,
    /// Video sampling for the model, unless the scanner type sets its own.
    pub media: MediaSettings,
}

/// The result of running one scanner on one session.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The observation ran now and is stored (succeeded, failed or ineligible).
    Stored { observation: Observation },
    /// The observation was already final; nothing ran.
    AlreadyFinal { observation: Observation },
    /// Another worker has a live lease on the observation.
    Busy { observation: Observation },
    /// The scanner's filters do not select this session; nothing is stored.
    NotMatched { session_id: String, reason: String },
    /// No model is configured: the request was written, nothing stored.
    DryRun(DryRun),
}

/// One scanner to run, with what the store needs to record about the run.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub scanner: &'a ScannerDefinition,
    /// The scanner version to record (the store numbers versions of file scanners).
    pub version: i64,
    pub trigger: Trigger,
    pub triggered_by_user_id: Option<String>,
    /// Replace a final observation (after a scanner edit, say).
    pub rerun: bool,
}

/// Runs observations against one store, one renderer, one set of types and one model.
pub struct Pipeline {
    store: Store,
    types: Arc<TypeSet>,
    renderer: Arc<Renderer>,
    model: Option<Model>,
    sinks: Vec<Sink>,
    options: PipelineOptions,
}

/// The cause of a failed observation, with the failure kind the store records.
#[derive(Debug)]
pub(crate) struct StepFailure {
    pub kind: &'static str,
    pub message: String,
}

impl Pipeline {
    /// Assembles a pipeline. Without a `model`, every eligible observation is a dry run.
    pub fn new(
        store: Store,
        types: Arc<TypeSet>,
        renderer: Arc<Renderer>,
        model: Option<Model>,
        sinks: Vec<Sink>,
        options: PipelineOptions,
    ) -> Pipeline {
        Pipeline {
            store,
            types,
            renderer,
            model,
            sinks,
            options,
        }
    }

    /// Returns the store that observations go to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Returns the configured sinks.
    pub fn sinks(&self) -> &[Sink] {
        &self.sinks
    }

    /// Stops the renderer's browser; call once when done.
    pub async fn shutdown(&self) {
        self.renderer.shutdown().await;
    }

    /// Returns whether a model is configured; without one every run is a dry run.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Runs one scanner on one session. An `Err` means a problem with the scanner itself (an
    /// unknown type, an invalid config) or with the store. Anything that goes wrong with this
    /// session is stored as a failure instead.
    pub async fn observe(&self, session: &Session, job: &Job<'_>) -> anyhow::Result<Outcome> {
        let scanner = job.scanner;
        let scanner_type = self.types.get(&scanner.scanner_type)?;
        if let Err(problems) = self
            .types
            .validate_config(&scanner.scanner_type, &scanner.config)?
        {
            anyhow::bail!(
                "scanner {:?} has an invalid config: {}",
                scanner.name,
                problems.join("; ")
            );
        }
        let wit_filters = filters::to_filters(&scanner.filters)
            .map_err(|message| anyhow::anyhow!("scanner {:?}: {message}", scanner.name))?;

        let eligible = session.analysis.eligibility.is_eligible();
        if eligible {
            let decision = types::off_runtime(|| scanner_type.matches(&wit_filters, &session.meta))
                .with_context(|| format!("scanner {:?}: matches failed", scanner.name))?
                .value;
            if !decision.matched {
                tracing::debug!(session_id = session.id(), scanner_id = %scanner.id(), reason = %decision.reason, "filters do not select the session");
                return Ok(Outcome::NotMatched {
                    session_id: session.id().to_string(),
                    reason: decision.reason,
                });
            }
        }

        let Some(model) = &self.model else {
            return dry_run::run(self, session, job).await.map(Outcome::DryRun);
        };

        let observation = match self.store.claim(&self.claim_request(session, job)).await? {
            Claim::Claimed(observation) => observation,
            Claim::Final(observation) => return Ok(Outcome::AlreadyFinal { observation }),
            Claim::Busy(observation) => return Ok(Outcome::Busy { observation }),
        };
        tracing::info!(observation_id = %observation.id, session_id = session.id(), scanner_id = %scanner.id(), attempt = observation.attempts, "observation running");

        if let Eligibility::Ineligible { kind, reason } = &session.analysis.eligibility {
            let failure = Failure {
                kind: kind.as_str().to_string(),
                message: reason.clone(),
                ..Failure::default()
            };
            return self
                .finish_unsuccessful(&observation, ObservationState::Ineligible, failure)
                .await;
        }
        self.run_claimed(session, job, model, observation).await
    }

    fn claim_request(&self, session: &Session, job: &Job<'_>) -> ClaimRequest {
        ClaimRequest {
            scanner_id: job.scanner.id(),
            session_id: session.id().to_string(),
            scanner_version: job.version,
            scanner_snapshot: job.scanner.to_json(),
            trigger: job.trigger,
            triggered_by_user_id: job.triggered_by_user_id.clone(),
            session_started_at_ms: Some(session.analysis.start_ms),
            owner: self.options.owner.clone(),
            lease_ms: self.options.lease_ms,
            rerun: job.rerun,
            max_lease_expiries: self.options.max_lease_expiries,
        }
    }

    /// Renders, converses and stores the result of a claimed observation.
    async fn run_claimed(
        &self,
        session: &Session,
        job: &Job<'_>,
        model: &Model,
        observation: Observation,
    ) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let rendered = match self.render(session).await {
            Ok(rendered) => rendered,
            Err(failure) => {
                let failure = Failure {
                    kind: failure.kind.to_string(),
                    message: failure.message,
                    timings: serde_json::json!({"render_ms": started.elapsed().as_millis() as u64}),
                    ..Failure::default()
                };
                return self
                    .finish_unsuccessful(&observation, ObservationState::Failed, failure)
                    .await;
            }
        };
        let render_ms = started.elapsed().as_millis() as u64;
        let model_id = job
            .scanner
            .model
            .clone()
            .unwrap_or_else(|| model.default_model.clone());
        let mut conversation = Conversation::new(
            self.types.get(&job.scanner.scanner_type)?,
            job.scanner,
            session,
            &rendered,
            model_id.clone(),
            self.options.media,
        );
        let result = conversation.run(model.provider.as_ref()).await;
        let mut timings = conversation.timings();
        timings["render_ms"] = render_ms.into();
        let provider_name = model.provider.name().to_string();
        match result {
            Ok(()) => {
                let segments = citations::map_citations(
                    conversation.citations(),
                    Some(&rendered.clock),
                    session.analysis.duration_ms.max(0) as u64,
                );
                let output = conversation.output();
                let event = event::recording_observed(
                    &event::EventContext {
                        observation_id: &observation.id,
                        session_id: session.id(),
                        scanner: job.scanner,
                        scanner_version: job.version,
                        trigger: job.trigger,
                        triggered_by_user_id: job.triggered_by_user_id.as_deref(),
                        provider: &provider_name,
                        model: &model_id,
                    },
                    &output,
                    &segments,
                );
                let usage = conversation.usage();
                let success = Success {
                    output,
                    segments,
                    provider: provider_name,
                    model: model_id,
                    input_tokens: usage.input_tokens as i64,
                    output_tokens: usage.output_tokens as i64,
                    cost_usd: conversation.cost_usd(),
                    timings,
                };
                let names: Vec<String> = self
                    .sinks
                    .iter()
                    .map(|sink| sink.name().to_string())
                    .collect();
                self.store
                    .complete_succeeded(
                        &observation.id,
                        &self.options.owner,
                        &success,
                        &event,
                        &names,
                    )
                    .await?;
                tracing::info!(observation_id = %observation.id, session_id = session.id(), scanner_id = %job.scanner.id(), cost_usd = success.cost_usd, "observation succeeded");
                Ok(Outcome::Stored {
                    observation: self.store.observation(&observation.id).await?,
                })
            }
            Err(failure) => {
                let usage = conversation.usage();
                let failure = Failure {
                    kind: failure.kind.to_string(),
                    message: failure.message,
                    provider: Some(provider_name),
                    model: Some(model_id),
                    input_tokens: usage.input_tokens as i64,
                    output_tokens: usage.output_tokens as i64,
                    cost_usd: conversation.cost_usd(),
                    timings,
                };
                self.finish_unsuccessful(&observation, ObservationState::Failed, failure)
                    .await
            }
        }
    }

    /// Renders the session (or takes it from the cache).
    pub(crate) async fn render(&self, session: &Session) -> Result<Rendered, StepFailure> {
        self.renderer
            .render(&session.recording, |_, _| {})
            .await
            .map_err(|error| StepFailure {
                kind: "rendering_failed",
                message: error.to_string(),
            })
    }

    async fn finish_unsuccessful(
        &self,
        observation: &Observation,
        state: ObservationState,
        failure: Failure,
    ) -> anyhow::Result<Outcome> {
        tracing::warn!(observation_id = %observation.id, session_id = %observation.session_id, scanner_id = %observation.scanner_id, state = state.as_str(), error.kind = %failure.kind, error = %failure.message, "observation did not succeed");
        self.store
            .complete_unsuccessful(&observation.id, &self.options.owner, state, &failure)
            .await?;
        Ok(Outcome::Stored {
            observation: self.store.observation(&observation.id).await?,
        })
    }
}
