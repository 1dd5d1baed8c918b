//! `replay-vision observations list|show`: read stored observations.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::store::{Observation, ObservationFilter, ObservationState, Store};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List observations, newest first.
    List {
        /// Only this scanner (its id, the name as a slug).
        #[arg(long)]
        scanner: Option<String>,
        /// Only this state: pending, running, succeeded, failed or ineligible.
        #[arg(long, value_parser = parse_state)]
        state: Option<ObservationState>,
        /// Only this session.
        #[arg(long)]
        session: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one observation: output, reasoning with citations as session times, cost.
    Show {
        /// The observation id.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn parse_state(text: &str) -> Result<ObservationState, String> {
    ObservationState::parse(text).ok_or_else(|| {
        format!(
            "invalid state {text:?}; expected pending, running, succeeded, failed or ineligible"
        )
    })
}

pub async fn run(command: Command, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let url = config.store_url();
    let store = Store::connect(&url)
        .await
        .context("cannot open the store")?;
    match command {
        Command::List {
            scanner,
            state,
            session,
            limit,
            json,
        } => {
            let filter = ObservationFilter {
                scanner_id: scanner,
                session_id: session,
                state,
                limit: Some(limit),
            };
            let observations = store.list_observations(&filter).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&observations)?);
            } else {
                print_table(&observations);
            }
        }
        Command::Show { id, json } => {
            let observation = store.observation(&id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&observation)?);
            } else {
                print!("{}", describe(&observation));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(observations: &[Observation]) {
    if observations.is_empty() {
        println!("no observations");
        return;
    }
    println!(
        "{:<36}  {:<24}  {:<24}  {:<10}  {:<18}  {:>9}",
        "id", "scanner", "session", "state", "kind / answer", "cost $"
    );
    for observation in observations {
        println!(
            "{:<36}  {:<24}  {:<24}  {:<10}  {:<18}  {:>9}",
            observation.id,
            truncate(&observation.scanner_id, 24),
            truncate(&observation.session_id, 24),
            observation.state.as_str(),
            truncate(&headline(observation), 18),
            observation
                .cost_usd
                .map_or("-".to_string(), |cost| format!("{cost:.5}")),
        );
    }
}

/// Returns the most telling short value of an observation: its error kind, or its main output
/// field.
pub(crate) fn headline(observation: &Observation) -> String {
    if let Some(kind) = &observation.error_kind {
        return kind.clone();
    }
    let Some(output) = &observation.output else {
        return String::new();
    };
    for field in ["verdict", "score", "tags", "title", "answers"] {
        if let Some(value) = output.get(field) {
            return match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
        }
    }
    String::new()
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Formats the text that `observations show` prints.
pub(crate) fn describe(observation: &Observation) -> String {
    let mut text = String::new();
    let mut line = |label: &str, value: String| {
        text.push_str(&format!("{label:<14} {value}\n"));
    };
    line("observation", observation.id.clone());
    line(
        "scanner",
        format!(
            "{} (version {})",
            observation.scanner_id, observation.scanner_version
        ),
    );
    line("session", observation.session_id.clone());
    line("state", observation.state.as_str().to_string());
    line("attempts", observation.attempts.to_string());
    if let Some(kind) = &observation.error_kind {
        let message = observation.error_message.clone().unwrap_or_default();
        line("why", format!("{kind}: {message}"));
    }
    if let (Some(provider), Some(model)) = (&observation.provider, &observation.model) {
        line("model", format!("{model} ({provider})"));
    }
    if let Some(cost) = observation.cost_usd {
        let input = observation.input_tokens.unwrap_or(0);
        let output = observation.output_tokens.unwrap_or(0);
        line(
            "cost",
            format!("${cost:.6} ({input} input + {output} output tokens)"),
        );
    }
    if let Some(serde_json::Value::Object(fields)) = &observation.output {
        text.push_str("output\n");
        for (field, value) in fields {
            let cited = observation
                .segments
                .as_ref()
                .and_then(|segments| segments.get(field))
                .map(render_segments);
            let shown = match (cited, value) {
                (Some(cited), _) => cited,
                (None, serde_json::Value::String(value)) => value.clone(),
                (None, value) => value.to_string(),
            };
            text.push_str(&format!("  {field}: {shown}\n"));
        }
    }
    text
}

/// Joins text and citation segments, showing each citation as `[mm:ss]` of session time.
fn render_segments(segments: &serde_json::Value) -> String {
    let Some(segments) = segments.as_array() else {
        return segments.to_string();
    };
    let mut text = String::new();
    for segment in segments {
        match segment.get("kind").and_then(|kind| kind.as_str()) {
            Some("chip") => {
                let ms = segment
                    .get("timestamp_ms")
                    .and_then(|ms| ms.as_u64())
                    .unwrap_or(0);
                let seconds = ms / 1000;
                text.push_str(&format!("[{:02}:{:02}]", seconds / 60, seconds % 60));
            }
            _ => text.push_str(
                segment
                    .get("value")
                    .and_then(|value| value.as_str())
                    .unwrap_or(""),
            ),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_show_session_times() {
        let segments = serde_json::json!([
            {"kind": "text", "value": "Stuck on pricing "},
            {"kind": "chip", "timestamp_ms": 83_000},
            {"kind": "text", "value": "."}
        ]);
        assert_eq!(render_segments(&segments), "Stuck on pricing [01:23].");
    }

    #[test]
    fn truncate_marks_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
