//! The command-line interface: one subcommand per job, each in its own file under `cli/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod daemon;
mod inspect;
mod models;
mod observations;
mod render;
mod scan;
mod scanner_types;
mod scanners;

pub(crate) use scan::{build_model, build_sinks};

/// Watches rrweb session recordings with a vision-language model.
#[derive(Debug, Parser)]
#[command(name = "replay-vision", version, about)]
pub struct Cli {
    /// Configuration file. The default is `replay-vision.toml` in the current directory when it
    /// exists; every value has a default, so no file is needed.
    #[arg(long, global = true, env = "REPLAY_VISION_CONFIG")]
    pub config: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load recordings and print their format, activity, event log and eligibility.
    Inspect(inspect::Args),
    /// Render a recording to an MP4 with the idle parts cut.
    Render(render::Args),
    /// Run scanners on recordings and store the observations.
    Scan(scan::Args),
    /// Create, list and validate scanner files.
    #[command(subcommand)]
    Scanners(scanners::Command),
    /// List and check scanner types (WebAssembly components).
    #[command(subcommand, name = "scanner-types")]
    ScannerTypes(scanner_types::Command),
    /// List stored observations or show one.
    #[command(subcommand)]
    Observations(observations::Command),
    /// List known models and their prices, or estimate the cost of a request.
    Models(models::Args),
    /// Scan continuously from watched directories and PostHog, with an HTTP API.
    Daemon(daemon::Args),
}

/// Parses the arguments, runs the command and turns an error into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_path = cli.config.as_deref();
    match cli.command {
        Command::Inspect(args) => inspect::run(args, config_path).await,
        Command::Render(args) => render::run(args, config_path).await,
        Command::Scan(args) => scan::run(args, config_path).await,
        Command::Scanners(command) => scanners::run(command, config_path).await,
        Command::ScannerTypes(command) => scanner_types::run(command, config_path).await,
        Command::Observations(command) => observations::run(command, config_path).await,
        Command::Models(args) => models::run(args, config_path).await,
        Command::Daemon(args) => daemon::run(args, config_path).await,
    }
}

/// Logs go to standard error so that `--json` output on standard output stays clean.
/// `RUST_LOG` sets the filter; the default shows warnings and errors.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
