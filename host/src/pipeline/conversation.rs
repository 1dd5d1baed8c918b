//! The model conversation of one observation: one user turn per step of the scanner type, each
//! answer validated by the type's `parse-output`. An answer the type rejects with a re-promptable
//! error gets exactly one more turn that quotes the error; a required step that still fails ends
//! the observation `validation_failed`, an optional one is left out.

use std::time::Instant;

use serde_json::{Map, Value};

use super::types::off_runtime;
use super::{Session, StepFailure};
use crate::provider::{
    FrameRef, GenerateRequest, MediaResolution as ProviderResolution, MediaSettings, Provider,
    Turn, Usage, Video,
};
use crate::render::Rendered;
use crate::runtime::{
    CitedField, GuestError, MediaResolution, Prompt, PromptInput, ScannerType, Step, StepOutput,
};
use crate::scanner::ScannerDefinition;

/// The text of the re-prompt after an invalid answer; `{error}` is the type's message.
const REPROMPT: &str = "Your previous answer was not valid: {error}\n\nAnswer again with one raw \
                        JSON object that matches the JSON Schema, with no markdown fences and no \
                        commentary.";

/// The state of one observation's conversation.
pub struct Conversation<'a> {
    scanner_type: &'a ScannerType,
    config: String,
    session: &'a Session,
    video: Video,
    model: String,
    media: MediaSettings,
    turns: Vec<Turn>,
    previous: Vec<StepOutput>,
    output: Map<String, Value>,
    citations: Vec<CitedField>,
    usage: Usage,
    cost_usd: f64,
    model_ms: u64,
    guest_ms: u64,
    model_calls: u32,
}

impl<'a> Conversation<'a> {
    /// Prepares the conversation; nothing is sent until [`Conversation::run`].
    pub fn new(
        scanner_type: &'a ScannerType,
        scanner: &ScannerDefinition,
        session: &'a Session,
        rendered: &Rendered,
        model: String,
        media: MediaSettings,
    ) -> Conversation<'a> {
        Conversation {
            scanner_type,
            config: scanner.config.to_string(),
            session,
            video: video_of(rendered),
            model,
            media,
            turns: Vec::new(),
            previous: Vec::new(),
            output: Map::new(),
            citations: Vec::new(),
            usage: Usage::default(),
            cost_usd: 0.0,
            model_ms: 0,
            guest_ms: 0,
            model_calls: 0,
        }
    }

    /// Runs every step in order.
    pub(crate) async fn run(&mut self, provider: &dyn Provider) -> Result<(), StepFailure> {
        let steps = self.steps()?;
        for step in steps {
            self.run_step(provider, &step).await?;
        }
        Ok(())
    }

    /// Lists the steps of the type for this config.
    pub(crate) fn steps(&mut self) -> Result<Vec<Step>, StepFailure> {
        let started = Instant::now();
        let (scanner_type, config) = (self.scanner_type, &self.config);
        let result = off_runtime(|| scanner_type.steps(config)).map_err(guest_failure)?;
        self.guest_ms += started.elapsed().as_millis() as u64;
        result.value.map_err(|error| StepFailure {
            kind: "internal_error",
            message: format!("the scanner type lists no steps: {}", error.message),
        })
    }

    /// Builds the prompt of `step` from the conversation so far.
    pub(crate) fn build_prompt(&mut self, step: &Step) -> Result<Prompt, StepFailure> {
        let input = PromptInput {
            config: self.config.clone(),
            step: step.id.clone(),
            session: self.session.meta.clone(),
            event_log: self.session.log.clone(),
            previous: self.previous.clone(),
        };
        let started = Instant::now();
        let scanner_type = self.scanner_type;
        let result = off_runtime(|| scanner_type.build_prompt(&input)).map_err(guest_failure)?;
        self.guest_ms += started.elapsed().as_millis() as u64;
        result.value.map_err(|error| StepFailure {
            kind: "internal_error",
            message: format!(
                "the scanner type cannot build step {:?}: {}",
                step.id, error.message
            ),
        })
    }

    /// Builds the request for the next model turn from the conversation so far.
    pub(crate) fn request(&self, prompt: &Prompt) -> Result<GenerateRequest, StepFailure> {
        let schema: Value =
            serde_json::from_str(&prompt.answer_schema).map_err(|error| StepFailure {
                kind: "guest_failed",
                message: format!(
                    "the scanner type returned an answer schema that is not JSON: {error}"
                ),
            })?;
        let mut media = self.media;
        if let Some(fps) = prompt.media.fps_hint {
            media.fps = f64::from(fps);
        }
        if let Some(resolution) = provider_resolution(prompt.media.resolution) {
            media.resolution = resolution;
        }
        Ok(GenerateRequest {
            model: self.model.clone(),
            system: prompt.system.clone(),
            turns: self.turns.clone(),
            video: Some(self.video.clone()),
            // The scanner type puts the event log in its user text as a delimited block.
            event_log: String::new(),
            response_schema: schema,
            media,
            display_name: self.session.id().to_string(),
        })
    }

    async fn run_step(&mut self, provider: &dyn Provider, step: &Step) -> Result<(), StepFailure> {
        let prompt = self.build_prompt(step)?;
        let turns_before = self.turns.len();
        self.turns.push(Turn::User(prompt.user.clone()));
        let mut reprompted = false;
        loop {
            let answer = self.call(provider, &prompt).await?;
            let started = Instant::now();
            let (scanner_type, config) = (self.scanner_type, &self.config);
            let parsed = off_runtime(|| scanner_type.parse_output(config, &step.id, &answer))
                .map_err(guest_failure)?;
            self.guest_ms += started.elapsed().as_millis() as u64;
            self.turns.push(Turn::Model(answer));
            match parsed.value {
                Ok(parsed) => {
                    self.accept(step, &parsed.output, parsed.citations)?;
                    return Ok(());
                }
                Err(error) if error.reprompt && !reprompted => {
                    tracing::warn!(session_id = self.session.id(), step = %step.id, error = %error.message, "invalid answer; re-prompting once");
                    reprompted = true;
                    self.turns
                        .push(Turn::User(REPROMPT.replace("{error}", &error.message)));
                }
                Err(error) if step.required => {
                    return Err(StepFailure {
                        kind: "validation_failed",
                        message: format!("step {:?}: {}", step.id, error.message),
                    });
                }
                Err(error) => {
                    tracing::warn!(session_id = self.session.id(), step = %step.id, error = %error.message, "optional step left out after an invalid answer");
                    self.turns.truncate(turns_before);
                    return Ok(());
                }
            }
        }
    }

    async fn call(
        &mut self,
        provider: &dyn Provider,
        prompt: &Prompt,
    ) -> Result<String, StepFailure> {
        let request = self.request(prompt)?;
        let started = Instant::now();
        let result = provider.generate(&request).await;
        self.model_ms += started.elapsed().as_millis() as u64;
        self.model_calls += 1;
        let answer = result.map_err(|error| StepFailure {
            kind: error.kind.failure_kind(),
            message: error.to_string(),
        })?;
        self.usage.input_tokens += answer.usage.input_tokens;
        self.usage.output_tokens += answer.usage.output_tokens;
        self.usage.total_tokens += answer.usage.total_tokens;
        self.cost_usd += answer.cost_usd.unwrap_or(0.0);
        Ok(answer.text)
    }

    fn accept(
        &mut self,
        step: &Step,
        output: &str,
        citations: Vec<CitedField>,
    ) -> Result<(), StepFailure> {
        let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(output) else {
            return Err(StepFailure {
                kind: "guest_failed",
                message: format!(
                    "step {:?} returned output that is not a JSON object",
                    step.id
                ),
            });
        };
        self.output.extend(fields);
        self.citations.extend(citations);
        self.previous.push(StepOutput {
            step: step.id.clone(),
            output: output.to_string(),
        });
        Ok(())
    }

    /// Returns the merged output of every step.
    pub fn output(&self) -> Value {
        Value::Object(self.output.clone())
    }

    /// Returns the cited fields of every step, in the type's own time bases.
    pub fn citations(&self) -> &[CitedField] {
        &self.citations
    }

    /// Tokens of every call so far.
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Cost of every call so far, in US dollars.
    pub fn cost_usd(&self) -> f64 {
        self.cost_usd
    }

    /// Time spent in the model and in the guest, in ms, and the number of model calls.
    pub fn timings(&self) -> Value {
        serde_json::json!({
            "model_ms": self.model_ms,
            "guest_ms": self.guest_ms,
            "model_calls": self.model_calls,
        })
    }

    /// Adds a user turn, for a dry run that shows the first request.
    pub(crate) fn push_user(&mut self, text: String) {
        self.turns.push(Turn::User(text));
    }
}

fn guest_failure(error: GuestError) -> StepFailure {
    StepFailure {
        kind: "guest_failed",
        message: error.to_string(),
    }
}

fn provider_resolution(resolution: MediaResolution) -> Option<ProviderResolution> {
    match resolution {
        MediaResolution::Unspecified => None,
        MediaResolution::Low => Some(ProviderResolution::Low),
        MediaResolution::Medium => Some(ProviderResolution::Medium),
        MediaResolution::High => Some(ProviderResolution::High),
    }
}

/// Describes a rendered video for the provider: the MP4 and each frame's session instant.
pub(crate) fn video_of(rendered: &Rendered) -> Video {
    let frames = rendered
        .frame_paths
        .iter()
        .zip(&rendered.clock.frames)
        .map(|(path, frame)| FrameRef {
            path: path.clone(),
            session_ms: frame.session_ms,
        })
        .collect();
    Video {
        mp4: rendered.video_path.clone(),
        frames,
        fps: f64::from(rendered.fps),
    }
}
