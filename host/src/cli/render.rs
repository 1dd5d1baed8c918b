//! TODO: the `render` command.

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _config: Option<&Path>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the render command is not built yet")
}
