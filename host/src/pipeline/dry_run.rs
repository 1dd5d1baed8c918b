//! A run without a model: every step up to the call. The video is rendered, the first step's
//! prompt built, and the exact request body the configured provider would send is written with
//! a cost estimate, so a user sees what would leave the machine and what it would cost before
//! adding a key. Nothing is stored.

use std::path::PathBuf;

use serde::Serialize;

use super::conversation::{video_of, Conversation};
use super::{Job, Pipeline, Session};
use crate::provider::estimate::{self, Delivery, Estimate, EstimateInput, VideoFacts};
use crate::provider::gemini::GeminiProvider;
use crate::provider::openai::{self, VideoMode};
use crate::provider::prices;

/// The files and numbers a dry run produced.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub session_id: String,
    pub scanner_id: String,
    /// The ineligible kind and reason, when the session is ineligible. Then nothing was
    /// rendered or written.
    pub ineligible: Option<String>,
    /// The rendered MP4.
    pub video: Option<PathBuf>,
    /// Video frames and length in seconds.
    pub frames: usize,
    pub video_seconds: f64,
    /// The request body the provider would send, as JSON.
    pub request: Option<PathBuf>,
    /// The estimate of the first step's call.
    pub estimate: Option<Estimate>,
    /// Steps of the scanner type; a multi-step type makes one call per step.
    pub steps: usize,
    pub provider: String,
    pub model: String,
}

pub(super) async fn run(
    pipeline: &Pipeline,
    session: &Session,
    job: &Job<'_>,
) -> anyhow::Result<DryRun> {
    let options = &pipeline.options;
    let model = job
        .scanner
        .model
        .clone()
        .unwrap_or_else(|| options.dry_run_model.clone());
    let mut dry_run = DryRun {
        session_id: session.id().to_string(),
        scanner_id: job.scanner.id(),
        ineligible: None,
        video: None,
        frames: 0,
        video_seconds: 0.0,
        request: None,
        estimate: None,
        steps: 0,
        provider: options.dry_run_provider.clone(),
        model: model.clone(),
    };
    if let crate::recording::Eligibility::Ineligible { kind, reason } =
        &session.analysis.eligibility
    {
        dry_run.ineligible = Some(format!("{}: {reason}", kind.as_str()));
        return Ok(dry_run);
    }
    let rendered = pipeline
        .render(session)
        .await
        .map_err(|failure| anyhow::anyhow!("{}: {}", failure.kind, failure.message))?;
    let scanner_type = pipeline.types.get(&job.scanner.scanner_type)?;
    let mut conversation = Conversation::new(
        scanner_type,
        job.scanner,
        session,
        &rendered,
        model.clone(),
        options.media,
    );
    let fail =
        |failure: super::StepFailure| anyhow::anyhow!("{}: {}", failure.kind, failure.message);
    let steps = conversation.steps().map_err(fail)?;
    let first = steps
        .first()
        .ok_or_else(|| anyhow::anyhow!("the scanner type lists no steps"))?;
    let prompt = conversation.build_prompt(first).map_err(fail)?;
    conversation.push_user(prompt.user.clone());
    let request = conversation.request(&prompt).map_err(fail)?;

    let provider = &options.provider_config;
    let (body, delivery) = match provider.name.as_str() {
        "openai" => {
            let delivery = match provider.openai.video_mode {
                VideoMode::Video => Delivery::Video,
                _ => Delivery::Frames,
            };
            (
                openai::request_body(&request, &provider.openai).await?,
                delivery,
            )
        }
        _ => (
            GeminiProvider::dry_run_body(&provider.gemini, &request).await?,
            Delivery::Video,
        ),
    };

    let folder = options
        .dry_run_dir
        .join(crate::scanner::slug(session.id()))
        .join(job.scanner.id());
    std::fs::create_dir_all(&folder)?;
    let request_path = folder.join("request.json");
    std::fs::write(&request_path, serde_json::to_vec_pretty(&body)?)?;

    let video = video_of(&rendered);
    let price_table = match provider.name.as_str() {
        "openai" => provider.openai.price_table(),
        _ => provider.gemini.price_table(),
    };
    let estimate = estimate::estimate(
        &price_table,
        &EstimateInput {
            model: &model,
            date: &prices::today(),
            video: Some(VideoFacts {
                duration_s: rendered.clock.video_duration_s(),
                frame_count: video.frames.len(),
            }),
            delivery,
            media: request.media,
            text_chars: estimate::request_text_chars(&request),
            expected_output_tokens: 400,
        },
    );
    std::fs::write(
        folder.join("estimate.json"),
        serde_json::to_vec_pretty(&estimate)?,
    )?;

    let video_copy = folder.join("video.mp4");
    std::fs::copy(&rendered.video_path, &video_copy)?;
    dry_run.video = Some(video_copy);
    dry_run.frames = rendered.clock.frames.len();
    dry_run.video_seconds = rendered.clock.video_duration_s();
    dry_run.request = Some(request_path);
    dry_run.estimate = Some(estimate);
    dry_run.steps = steps.len();
    Ok(dry_run)
}
