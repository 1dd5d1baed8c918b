//! `replay-vision daemon`: scan continuously from watched directories and PostHog, with an HTTP
//! API. `--check` validates the configuration and prints what the daemon would do.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::daemon::Daemon;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Validate the configuration file, print the effective settings and exit.
    #[arg(long)]
    pub check: bool,
}

pub async fn run(args: Args, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    if args.check {
        return check(&config);
    }
    let daemon = Arc::new(Daemon::new(config).await?);
    daemon.run(crate::daemon::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the settings and every problem found; fails when there is one.
fn check(config: &Config) -> anyhow::Result<ExitCode> {
    let problems = problems(config);
    let daemon = &config.daemon;
    println!("store            {}", redact(&config.store_url()));
    println!("scanners         {}", config.scanners.dir.display());
    for dir in &config.sources.directories {
        println!("source           directory {}", dir.display());
    }
    if let Some(posthog) = &config.sources.posthog {
        println!(
            "source           posthog {} project {}",
            posthog.host, posthog.project_id
        );
    }
    println!(
        "sweep every      {} s, settled after {} s",
        daemon.sweep_interval_s, daemon.settle_s
    );
    println!(
        "concurrency      {} renders, {} model calls",
        daemon.render_concurrency, daemon.model_concurrency
    );
    println!(
        "leases           {} s, heartbeat {} s, orphaned after {} expiries",
        daemon.lease_s, daemon.heartbeat_s, daemon.max_lease_expiries
    );
    println!(
        "api              {} (token from {})",
        daemon.api.listen, daemon.api.token_env
    );
    if problems.is_empty() {
        println!("configuration OK");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        eprintln!("problem: {problem}");
    }
    Ok(ExitCode::FAILURE)
}

/// Lists what would stop the daemon from starting or from working.
fn problems(config: &Config) -> Vec<String> {
    let mut problems = config.daemon.problems();
    if !config.provider.is_configured() {
        problems.push(format!(
            "no model is configured: set {} or point [provider] at an OpenAI-compatible server",
            config.provider.key_variable()
        ));
    }
    for file in crate::scanner::scanner_files(&config.scanners.dir) {
        if let Err(error) = crate::scanner::ScannerDefinition::from_file(&file) {
            problems.push(error.to_string());
        }
    }
    if let Err(error) = crate::cli::build_sinks(config) {
        problems.push(format!("{error:#}"));
    }
    if let Some(posthog) = &config.sources.posthog {
        let key_set = std::env::var(&posthog.personal_api_key_env).is_ok_and(|key| !key.is_empty());
        if !key_set {
            problems.push(format!(
                "[sources.posthog] needs the environment variable {}, which is not set",
                posthog.personal_api_key_env
            ));
        }
    }
    problems
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
