//! TODO: the `scanner_types` commands.

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Not built yet.
    List,
}

pub async fn run(_command: Command, _config: Option<&Path>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the scanner_types commands are not built yet")
}
