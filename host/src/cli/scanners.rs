//! `replay-vision scanners new|list|validate`: scanner files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::scanner::{self, ScannerDefinition};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write a new scanner file from a template.
    New {
        /// Template name; `scanners list` shows them.
        #[arg(long)]
        template: String,
        /// The file to write. The default is `<scanners dir>/<template>.toml`.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// List the scanners in the scanners directory and the built-in templates.
    List,
    /// Check a scanner file, including its type-specific config through the type's `.wasm`.
    Validate {
        /// The scanner file.
        file: PathBuf,
    },
}

pub async fn run(command: Command, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    match command {
        Command::New {
            template,
            output,
            force,
        } => new(&config, &template, output, force),
        Command::List => {
            list(&config);
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { file } => validate(&config, &file),
    }
}

fn new(
    config: &Config,
    template: &str,
    output: Option<PathBuf>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let text = scanner::template(template).with_context(|| {
        let names: Vec<_> = scanner::TEMPLATES.iter().map(|(name, _)| *name).collect();
        format!(
            "no template named {template:?}; templates: {}",
            names.join(", ")
        )
    })?;
    let path = output.unwrap_or_else(|| config.scanners.dir.join(format!("{template}.toml")));
    if path.exists() && !force {
        anyhow::bail!("{} exists; pass --force to replace it", path.display());
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {} (edit its prompt, then `replay-vision scanners validate {}`)",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn list(config: &Config) {
    let files = scanner::scanner_files(&config.scanners.dir);
    println!("scanners in {}:", config.scanners.dir.display());
    if files.is_empty() {
        println!("  (none)");
    }
    for path in files {
        match ScannerDefinition::from_file(&path) {
            Ok(definition) => println!(
                "  {:<28} {:<11} rate {:<6} {}  {}",
                definition.id(),
                definition.scanner_type,
                definition.sampling_rate,
                if definition.enabled {
                    "enabled "
                } else {
                    "disabled"
                },
                path.display()
            ),
            Err(error) => println!("  invalid: {error}"),
        }
    }
    println!("templates:");
    for (name, text) in scanner::TEMPLATES {
        if let Ok(definition) = ScannerDefinition::from_toml(text, name) {
            println!(
                "  {:<28} {:<11} {}",
                name, definition.scanner_type, definition.description
            );
        }
    }
}

fn validate(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    let definition = ScannerDefinition::from_file(file)?;
    let types = crate::pipeline::types::TypeSet::load(config)?;
    match types.validate_config(&definition.scanner_type, &definition.config)? {
        Ok(()) => {
            println!(
                "{}: valid {} scanner {:?}",
                file.display(),
                definition.scanner_type,
                definition.id()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for problem in problems {
                println!("{}: {problem}", file.display());
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
