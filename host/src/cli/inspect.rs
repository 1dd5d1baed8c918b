//! The `inspect` command: loads recordings and prints what the pipeline would see in each:
//! format, windows, duration, active time and spans, counts by kind, the event log and
//! eligibility with its reason. Nothing is rendered and no model is called.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::config::Config;
use crate::recording::{self, Analysis, AnalysisOptions, Eligibility, Recording};

/// Arguments of `replay-vision inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Recording files, in any supported format.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON array on standard output instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One inspected file in `--json` output.
#[derive(Serialize)]
struct Report<'a> {
    file: String,
    session_id: &'a str,
    format: recording::Format,
    container: recording::Container,
    compressed_events: usize,
    content_hash: &'a str,
    windows: Vec<WindowReport<'a>>,
    analysis: &'a Analysis,
}

#[derive(Serialize)]
struct WindowReport<'a> {
    id: &'a str,
    events: usize,
}

/// Inspects every file. A file that fails to load is reported on standard error, the command
/// goes on with the rest, and the exit status is then 1.
pub async fn run(args: Args, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let options = AnalysisOptions {
        min_duration_ms: seconds_to_ms(config.eligibility.min_duration_s),
        min_active_ms: seconds_to_ms(config.eligibility.min_active_s),
        max_active_ms: seconds_to_ms(config.eligibility.max_active_s),
        ..AnalysisOptions::default()
    };
    let mut failed = false;
    let mut reports = Vec::new();
    for file in &args.files {
        let recording = match recording::load(file) {
            Ok(recording) => recording,
            Err(error) => {
                eprintln!("error: {error}");
                failed = true;
                continue;
            }
        };
        let analysis = recording::analyze(&recording, &options);
        if args.json {
            reports.push((file.clone(), recording, analysis));
        } else {
            print!("{}", describe(file, &recording, &analysis));
        }
    }
    if args.json {
        let json: Vec<Report> = reports
            .iter()
            .map(|(file, recording, analysis)| report(file, recording, analysis))
            .collect();
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

fn report<'a>(file: &Path, recording: &'a Recording, analysis: &'a Analysis) -> Report<'a> {
    Report {
        file: file.display().to_string(),
        session_id: &recording.session_id,
        format: recording.format,
        container: recording.container,
        compressed_events: recording.compressed_events,
        content_hash: recording.content_hash(),
        windows: recording
            .windows
            .iter()
            .map(|window| WindowReport {
                id: &window.id,
                events: window.events.len(),
            })
            .collect(),
        analysis,
    }
}

/// Formats the text report of one file.
fn describe(file: &Path, recording: &Recording, analysis: &Analysis) -> String {
    let mut lines = vec![format!("{}", file.display())];
    lines.push(format!(
        "  format: {:?} ({:?}), {} compressed events",
        recording.format, recording.container, recording.compressed_events
    ));
    lines.push(format!("  session: {}", recording.session_id));
    for (index, window) in recording.windows.iter().enumerate() {
        let id = if window.id.is_empty() {
            "(unnamed)"
        } else {
            &window.id
        };
        lines.push(format!(
            "  window {}: {id}, {} events",
            index + 1,
            window.events.len()
        ));
    }
    let duration = analysis.duration_ms as f64 / 1000.0;
    lines.push(format!(
        "  duration: {duration:.1} s, active: {:.1} s in {} spans",
        analysis.active_seconds(),
        analysis.active_spans.len()
    ));
    let spans: Vec<String> = analysis
        .active_spans
        .iter()
        .map(|span| {
            format!(
                "{:.1}-{:.1}",
                span.start_ms as f64 / 1000.0,
                span.end_ms as f64 / 1000.0
            )
        })
        .collect();
    lines.push(format!("  spans (s): {}", spans.join(", ")));
    let counts: Vec<String> = analysis
        .counts
        .iter()
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    lines.push(format!("  counts: {}", counts.join(", ")));
    lines.push(match &analysis.eligibility {
        Eligibility::Eligible => "  eligibility: eligible".to_owned(),
        Eligibility::Ineligible { kind, reason } => {
            format!("  eligibility: {} ({reason})", kind.as_str())
        }
    });
    lines.push("  event log:".to_owned());
    for line in recording::format_event_log(analysis).lines() {
        lines.push(format!("    {line}"));
    }
    lines.push(String::new());
    lines.join("\n") + "\n"
}
