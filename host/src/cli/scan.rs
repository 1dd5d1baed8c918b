//! `replay-vision scan RECORDING... --scanner FILE|NAME`: the main job. Every scanner runs on
//! every recording; each render is shared by all scanners of the run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::pipeline::{Job, Model, Outcome, Pipeline, PipelineOptions, Session, TypeSet};
use crate::provider::gemini::GeminiProvider;
use crate::provider::openai::OpenAiProvider;
use crate::provider::Provider;
use crate::recording;
use crate::render::Renderer;
use crate::scanner::{self, ScannerDefinition, ScannerSource};
use crate::sink::{self, PostHogCapture, Sink, Webhook};
use crate::store::{Store, Trigger};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recording files (rrweb JSON, PostHog exports or blob lines, optionally gzip).
    #[arg(required = true)]
    pub recordings: Vec<PathBuf>,
    /// A scanner: a TOML file, the name of one in the scanners folder, or a template name.
    /// Repeat for several.
    #[arg(long = "scanner", short = 's', required = true)]
    pub scanners: Vec<String>,
    /// Run again even where a final observation exists; the earlier result is kept in history.
    #[arg(long)]
    pub rerun: bool,
    /// Record this user id as the one who triggered the run.
    #[arg(long)]
    pub user: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let scanners = resolve_scanners(&args.scanners, &config)?;
    let types = Arc::new(TypeSet::load(&config)?);
    for (definition, _) in &scanners {
        if let Err(problems) =
            types.validate_config(&definition.scanner_type, &definition.config)?
        {
            anyhow::bail!(
                "scanner {:?} has an invalid config: {}",
                definition.name,
                problems.join("; ")
            );
        }
    }
    let store = Store::connect(&config.store_url())
        .await
        .with_context(|| format!("cannot open the store {}", config.store_url()))?;
    let mut versions = Vec::new();
    for (definition, source) in &scanners {
        let origin = match source {
            ScannerSource::File(path) => format!("file:{}", path.display()),
            ScannerSource::Template(name) => format!("template:{name}"),
        };
        versions.push(store.register_scanner(definition, &origin).await?);
    }
    let pipeline = build_pipeline(&config, store, types)?;
    if !pipeline.has_model() && !args.json {
        eprintln!("{}", no_model_notice(&config));
    }

    let progress = progress_bar(args.recordings.len() * scanners.len(), args.json);
    let mut rows = Vec::new();
    let mut failed = false;
    for path in &args.recordings {
        progress.set_message(path.display().to_string());
        let session = match recording::load(path) {
            Ok(recording) => Session::new(recording, &config.analysis_options()),
            Err(error) => {
                progress.suspend(|| eprintln!("error: {error}"));
                failed = true;
                progress.inc(scanners.len() as u64);
                continue;
            }
        };
        for ((definition, _), version) in scanners.iter().zip(&versions) {
            let job = Job {
                scanner: definition,
                version: *version,
                trigger: Trigger::OnDemand,
                triggered_by_user_id: args.user.clone(),
                rerun: args.rerun,
            };
            match pipeline.observe(&session, &job).await {
                Ok(outcome) => rows.push((path.clone(), outcome)),
                Err(error) => {
                    progress.suspend(|| eprintln!("error: {}: {error:#}", path.display()));
                    failed = true;
                }
            }
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    pipeline.shutdown().await;

    let report = sink::deliver_due(pipeline.store(), pipeline.sinks()).await?;
    if report.failed > 0 {
        eprintln!(
            "warning: {} event deliveries failed; they stay queued and are retried on the next run",
            report.failed
        );
    }
    if args.json {
        let outcomes: Vec<_> = rows.iter().map(|(_, outcome)| outcome).collect();
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    } else {
        print_rows(&rows);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn resolve_scanners(
    references: &[String],
    config: &Config,
) -> anyhow::Result<Vec<(ScannerDefinition, ScannerSource)>> {
    references
        .iter()
        .map(|reference| Ok(scanner::resolve(reference, &config.scanners.dir)?))
        .collect()
}

/// Builds the pipeline: store, types, renderer, the configured model (if any) and the sinks.
pub(crate) fn build_pipeline(
    config: &Config,
    store: Store,
    types: Arc<TypeSet>,
) -> anyhow::Result<Pipeline> {
    let renderer = Arc::new(Renderer::new(config.render.clone())?);
    let model = build_model(config)?;
    let sinks = build_sinks(config)?;
    let options = PipelineOptions {
        owner: format!("cli-{}", std::process::id()),
        lease_ms: 15 * 60 * 1000,
        max_lease_expiries: 3,
        dry_run_dir: config.data_dir.join("dry-run"),
        dry_run_provider: config.provider.name.clone(),
        dry_run_model: config.provider.model.clone(),
        provider_config: config.provider.clone(),
        media: Default::default(),
    };
    Ok(Pipeline::new(store, types, renderer, model, sinks, options))
}

/// Builds the configured model, or returns `None` when it cannot be called (no key).
pub(crate) fn build_model(config: &Config) -> anyhow::Result<Option<Model>> {
    if !config.provider.is_configured() {
        return Ok(None);
    }
    let provider: Arc<dyn Provider> = match config.provider.name.as_str() {
        "gemini" => Arc::new(GeminiProvider::new(config.provider.gemini.clone())?),
        "openai" => Arc::new(OpenAiProvider::new(config.provider.openai.clone())?),
        other => {
            anyhow::bail!("unknown provider {other:?} in [provider]; expected gemini or openai")
        }
    };
    Ok(Some(Model {
        provider,
        default_model: config.provider.model.clone(),
    }))
}

/// Builds the sinks named in the configuration. A missing secret is an error naming its
/// variable.
pub(crate) fn build_sinks(config: &Config) -> anyhow::Result<Vec<Sink>> {
    let mut sinks = Vec::new();
    if config.sinks.events {
        sinks.push(Sink::Events);
    }
    if let Some(path) = &config.sinks.jsonl {
        sinks.push(Sink::JsonLines(path.clone()));
    }
    if let Some(posthog) = &config.sinks.posthog {
        let key = secret(&posthog.project_api_key_env, "sinks.posthog")?;
        sinks.push(Sink::PostHog(PostHogCapture::new(&posthog.host, &key)));
    }
    if let Some(webhook) = &config.sinks.webhook {
        let secret = secret(&webhook.secret_env, "sinks.webhook")?;
        sinks.push(Sink::Webhook(Webhook::new(&webhook.url, &secret)));
    }
    Ok(sinks)
}

fn secret(variable: &str, section: &str) -> anyhow::Result<String> {
    std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
        .with_context(|| {
            format!("[{section}] needs the environment variable {variable}, which is not set")
        })
}

fn no_model_notice(config: &Config) -> String {
    format!(
        "No model is configured, so this is a dry run: each scan renders the video and writes \
         the exact request and a cost estimate under {}, and stores nothing.\n\
         To run the model, set {} (for Gemini), or point [provider] in replay-vision.toml at an \
         OpenAI-compatible server (name = \"openai\", [provider.openai] base_url = ...).",
        config.data_dir.join("dry-run").display(),
        config.provider.key_variable(),
    )
}

fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    if quiet || total < 2 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn print_rows(rows: &[(PathBuf, Outcome)]) {
    for (path, outcome) in rows {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        match outcome {
            Outcome::Stored { observation } | Outcome::AlreadyFinal { observation } => {
                let already = matches!(outcome, Outcome::AlreadyFinal { .. });
                println!(
                    "{name}  {}  {}{}  {}  cost ${:.5}  id {}",
                    observation.scanner_id,
                    observation.state.as_str(),
                    if already { " (already observed)" } else { "" },
                    super::observations::headline(observation),
                    observation.cost_usd.unwrap_or(0.0),
                    observation.id
                );
            }
            Outcome::Busy { observation } => {
                println!(
                    "{name}  {}  running elsewhere  id {}",
                    observation.scanner_id, observation.id
                );
            }
            Outcome::NotMatched { reason, .. } => {
                println!("{name}  filters do not select this session: {reason}");
            }
            Outcome::DryRun(dry_run) => match &dry_run.ineligible {
                Some(why) => println!(
                    "{name}  {}  ineligible ({why}); no request",
                    dry_run.scanner_id
                ),
                None => {
                    let estimate = dry_run.estimate.as_ref();
                    println!(
                        "{name}  {}  dry run: {} frames, {:.0} s of video\n  video    {}\n  request  {}\n  estimate {} input tokens, ${:.5} per call with {} ({} step{})",
                        dry_run.scanner_id,
                        dry_run.frames,
                        dry_run.video_seconds,
                        dry_run.video.as_ref().map_or(String::new(), |path| path.display().to_string()),
                        dry_run.request.as_ref().map_or(String::new(), |path| path.display().to_string()),
                        estimate.map_or(0, |estimate| estimate.input_tokens),
                        estimate.and_then(|estimate| estimate.cost_usd).unwrap_or(0.0),
                        dry_run.model,
                        dry_run.steps,
                        if dry_run.steps == 1 { "" } else { "s" },
                    );
                }
            },
        }
    }
}
