//! A scanner type that misbehaves on request, so that tests can prove that each sandbox
//! limit ends the call with its own error and that the host keeps working afterwards.
//!
//! The config's `behaviour` picks what `parse-output` does: `loop` spins forever, `allocate`
//! requests 1 GiB, `panic` panics, `huge-output` returns 100 MB, and `echo` returns the raw
//! answer wrapped in an object (the well-behaved case).

use std::hint::black_box;

use replay_vision_guest::schema::ObjectSchema;
use replay_vision_guest::{prompt, ParsedOutput, Prompt, PromptInput, Scanner, ScannerError};
use replay_vision_guest::{TypeInfo, WIT_VERSION};
use serde::Deserialize;

/// The hostile type.
pub struct Hostile;

/// Config: the prompt every type needs, plus the misbehaviour.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub prompt: String,
    pub behaviour: Behaviour,
}

/// What `parse-output` does.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    Echo,
    Loop,
    Allocate,
    Panic,
    HugeOutput,
    BrokenPrompt,
}

const HUGE_OUTPUT_BYTES: usize = 100_000_000;

impl Scanner for Hostile {
    type Config = Config;

    fn describe() -> TypeInfo {
        TypeInfo {
            id: "hostile".to_owned(),
            version: WIT_VERSION.to_owned(),
            description: "Misbehaves on request.".to_owned(),
            config_schema: ObjectSchema::new().to_json(),
            output_fields: Vec::new(),
        }
    }

    fn build_prompt(config: &Config, input: &PromptInput) -> Result<Prompt, ScannerError> {
        if let Behaviour::BrokenPrompt = config.behaviour {
            return Err(ScannerError::config(
                "behaviour",
                "the hostile guest cannot build a prompt on request",
            ));
        }
        let schema = ObjectSchema::new();
        Ok(prompt::standard(
            &config.prompt,
            "",
            &input.session,
            &input.event_log,
            &schema,
        ))
    }

    fn parse_output(config: &Config, _step: &str, raw: &str) -> Result<ParsedOutput, ScannerError> {
        match config.behaviour {
            Behaviour::Echo | Behaviour::BrokenPrompt => {
                Ok(output(serde_json::json!({ "echo": raw }).to_string()))
            }
            Behaviour::Loop => spin(),
            Behaviour::Allocate => {
                let block = vec![1u8; 1 << 30];
                Ok(output(format!("{{\"len\":{}}}", black_box(block).len())))
            }
            Behaviour::Panic => panic!("the hostile guest panics on request"),
            Behaviour::HugeOutput => {
                let filler = "x".repeat(HUGE_OUTPUT_BYTES);
                Ok(output(format!("{{\"filler\":\"{filler}\"}}")))
            }
        }
    }
}

fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

fn output(output: String) -> ParsedOutput {
    ParsedOutput {
        output,
        citations: Vec::new(),
    }
}

replay_vision_guest::export_scanner!(Hostile);
