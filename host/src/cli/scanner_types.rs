//! The `scanner-types` commands: list the scanner types of the types folder, and check one
//! component file before shipping it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use crate::config::Config;
use crate::runtime::{
    self, FieldKind, Filters, Metered, PromptInput, Registry, Runtime, RuntimeOptions, ScannerType,
    SessionMeta,
};

/// Subcommands of `replay-vision scanner-types`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the scanner types of the types folder (built-in and custom) and the files that
    /// failed to load.
    List {
        /// Types folder. The default is the configured one, then `$REPLAY_VISION_TYPES_DIR`,
        /// then `scanner-types` in the current directory.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Load a component file: validate it, check its WIT version, print what `describe`
    /// returns and run each export once under the default limits.
    Check {
        /// The `.wasm` component.
        file: PathBuf,
        /// A scanner config (JSON text) to validate and build prompts with. The default is
        /// a config with only a `prompt`.
        #[arg(long)]
        type_config: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `scanner-types` subcommand.
pub async fn run(command: Command, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: runtime::default_cache_dir(),
        limits: Default::default(),
    })?;
    match command {
        Command::List { dir, json } => {
            let dir = runtime::types_dir(dir.as_deref().or(config.scanner_types.dir.as_deref()));
            list(&runtime, &dir, json)
        }
        Command::Check {
            file,
            type_config,
            json,
        } => check(&runtime, &file, type_config.as_deref(), json),
    }
}

fn list(runtime: &Runtime, dir: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let registry = Registry::load_dir(runtime, dir).with_context(|| {
        format!(
            "cannot read the scanner types folder {}; build the built-in types with `make \
             guests` or set REPLAY_VISION_TYPES_DIR",
            dir.display()
        )
    })?;
    if as_json {
        let types: Vec<_> = registry
            .types()
            .map(|loaded| {
                json!({
                    "id": loaded.scanner_type.id(),
                    "version": loaded.scanner_type.info().version,
                    "wit_version": loaded.scanner_type.wit_version(),
                    "builtin": loaded.is_builtin(),
                    "path": loaded.path,
                    "description": loaded.scanner_type.info().description,
                })
            })
            .collect();
        let failures: Vec<_> = registry
            .failures()
            .iter()
            .map(|(path, error)| {
                json!({"path": path, "kind": error.kind(), "error": error.to_string()})
            })
            .collect();
        println!(
            "{}",
            json!({"dir": dir, "types": types, "failures": failures})
        );
    } else {
        println!("scanner types in {}", dir.display());
        for loaded in registry.types() {
            let info = loaded.scanner_type.info();
            let origin = if loaded.is_builtin() {
                "built-in"
            } else {
                "custom"
            };
            println!(
                "  {:<12} {:<8} {:<9} wit {:<6} {}",
                info.id,
                info.version,
                origin,
                loaded.scanner_type.wit_version(),
                info.description
            );
        }
        for (path, error) in registry.failures() {
            println!("  failed: {}: {error}", path.display());
        }
    }
    let code = if registry.failures().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    Ok(code)
}

fn check(
    runtime: &Runtime,
    file: &Path,
    config: Option<&str>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let scanner_type = runtime.load_file(file)?;
    let config = config.map(str::to_owned).unwrap_or_else(|| {
        json!({"prompt": "Did the user finish what they came to do?"}).to_string()
    });
    let report = exercise(&scanner_type, &config)?;
    let limits = scanner_type.limits();
    let summary = json!({
        "file": file,
        "wit_version": scanner_type.wit_version(),
        "describe": scanner_type.info(),
        "limits": {
            "max_memory_bytes": limits.max_memory_bytes,
            "deadline_ms": limits.deadline.as_millis() as u64,
            "max_input_bytes": limits.max_input_bytes,
            "max_output_bytes": limits.max_output_bytes,
        },
        "calls": report,
    });
    if as_json {
        println!("{summary}");
    } else {
        print_check(&scanner_type, &summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// Calls every export once and returns, per call, its result and cost.
fn exercise(scanner_type: &ScannerType, config: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let describe = scanner_type.describe()?;
    let validated = scanner_type.validate_config(config)?;
    let matched = scanner_type.matches(&Filters::none(), &probe_session())?;
    let steps = scanner_type.steps(config)?;
    let mut calls = vec![
        record("describe", &describe, json!("ok")),
        record("validate-config", &validated, json!(validated.value)),
        record("matches", &matched, json!(matched.value)),
        record("steps", &steps, json!(steps.value)),
    ];

    let Ok(steps) = steps.value else {
        return Ok(calls);
    };
    for step in steps {
        let input = PromptInput {
            config: config.to_owned(),
            step: step.id.clone(),
            session: probe_session(),
            event_log: Vec::new(),
            previous: Vec::new(),
        };
        let prompt = scanner_type.build_prompt(&input)?;
        let outcome = match &prompt.value {
            Ok(prompt) => {
                json!({"system_bytes": prompt.system.len(), "user_bytes": prompt.user.len()})
            }
            Err(error) => json!({"error": error}),
        };
        calls.push(record(
            &format!("build-prompt {}", step.id),
            &prompt,
            outcome,
        ));
    }
    Ok(calls)
}

/// Formats one call's report line as JSON.
fn record<T>(name: &str, call: &Metered<T>, result: serde_json::Value) -> serde_json::Value {
    json!({
        "call": name,
        "fuel": call.fuel,
        "elapsed_us": call.elapsed.as_micros() as u64,
        "result": result,
    })
}

fn print_check(scanner_type: &ScannerType, summary: &serde_json::Value) {
    let info = scanner_type.info();
    println!("{}: valid component", scanner_type.origin());
    println!("  type          {} {}", info.id, info.version);
    println!("  wit version   {}", scanner_type.wit_version());
    println!("  description   {}", info.description);
    for field in &info.output_fields {
        let kind = match field.kind {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::TextList => "text list",
        };
        println!(
            "  output field  {} ({kind}): {}",
            field.name, field.description
        );
    }
    println!("  limits        {}", summary["limits"]);
    for call in summary["calls"].as_array().into_iter().flatten() {
        println!(
            "  call {:<22} fuel {:>10}  {:>7} us  {}",
            call["call"].as_str().unwrap_or_default(),
            call["fuel"],
            call["elapsed_us"],
            call["result"]
        );
    }
}

/// Builds a plain session for the check's calls: one minute long, one page, no events.
fn probe_session() -> SessionMeta {
    SessionMeta {
        session_id: "scanner-types-check".to_owned(),
        start_time_ms: 0,
        duration_ms: 60_000,
        active_seconds: 30.0,
        urls: vec!["https://example.com/".to_owned()],
        clicks: 3,
        rage_clicks: 0,
        dead_clicks: 0,
        console_errors: 0,
        failed_requests: 0,
        navigations: 1,
        device_type: None,
        browser: None,
        os: None,
        country: None,
        custom_events: Vec::new(),
    }
}
