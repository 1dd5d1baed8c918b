//! The `models` command: lists the models of the price table with their prices and tokens per
//! video frame, or estimates the input tokens and cost of one request before it is sent.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::provider::estimate::{self, Delivery, EstimateInput, VideoFacts};
use crate::provider::prices::{self, PriceTable};
use crate::provider::{MediaResolution, MediaSettings};

/// Options of `replay-vision models`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Estimate one request instead of listing models.
    #[arg(long)]
    pub estimate: bool,
    /// Model to estimate. The default is the configured provider model.
    #[arg(long)]
    pub model: Option<String>,
    /// Video length in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub duration_s: f64,
    /// Frames in the video; with `--delivery frames` each becomes one image. The default is
    /// the duration times `--video-fps`.
    #[arg(long)]
    pub frames: Option<usize>,
    /// Frames per second of the rendered video, used when `--frames` is not given.
    #[arg(long, default_value_t = 3.0)]
    pub video_fps: f64,
    /// Frames per second the model samples from the video (Gemini `videoMetadata.fps`).
    #[arg(long, default_value_t = 1.0)]
    pub fps: f64,
    /// Media resolution: low, medium, high or unspecified.
    #[arg(long, default_value = "high")]
    pub resolution: MediaResolution,
    /// Video delivery: `video` (Gemini) or `frames` (OpenAI-compatible images).
    #[arg(long, value_parser = parse_delivery, default_value = "video")]
    pub delivery: Delivery,
    /// File with the prompt text (system text, event log, schema); its characters are counted.
    #[arg(long)]
    pub prompt: Option<PathBuf>,
    /// Characters of prompt text, when no `--prompt` file is given.
    #[arg(long, default_value_t = 4_000)]
    pub prompt_chars: usize,
    /// Output tokens to assume for the answer.
    #[arg(long, default_value_t = 1_000)]
    pub output_tokens: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_delivery(text: &str) -> Result<Delivery, String> {
    match text {
        "video" => Ok(Delivery::Video),
        "frames" => Ok(Delivery::Frames),
        other => Err(format!(
            "invalid delivery {other:?}; expected video or frames"
        )),
    }
}

/// Runs the command.
pub async fn run(args: Args, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let mut table = config.provider.gemini.price_table();
    table.apply_overrides(config.provider.openai.prices.clone());
    if args.estimate {
        print_estimate(&args, &config, &table)?;
    } else {
        print_models(&table, args.json)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_models(table: &PriceTable, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&table.entries)?);
        return Ok(());
    }
    println!(
        "{:<24} {:>10} {:>11} {:<12} {:>12}  note",
        "model", "input $/M", "output $/M", "valid until", "tokens/frame"
    );
    for entry in &table.entries {
        let frame = entry.frame_tokens;
        println!(
            "{:<24} {:>10.2} {:>11.2} {:<12} {:>12}  {}",
            entry.model,
            entry.input_usd_per_mtok,
            entry.output_usd_per_mtok,
            entry.valid_until.as_deref().unwrap_or("-"),
            format!("{}/{}", frame.low, frame.high),
            long_context_note(entry),
        );
    }
    println!("\nPrices in US dollars per million tokens (Gemini paid tier, 2026-12-04).");
    println!("tokens/frame: at low / high media resolution.");
    Ok(())
}

fn long_context_note(entry: &prices::ModelPrice) -> String {
    match &entry.long_context {
        Some(long) => format!(
            "{} ${:.2}/${:.2} above {} input tokens",
            entry.note, long.input_usd_per_mtok, long.output_usd_per_mtok, long.above_input_tokens
        ),
        None => entry.note.clone(),
    }
}

fn print_estimate(args: &Args, config: &Config, table: &PriceTable) -> anyhow::Result<()> {
    let model = args
        .model
        .clone()
        .unwrap_or_else(|| config.provider.model.clone());
    let text_chars = match &args.prompt {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read prompt file {}", path.display()))?
            .chars()
            .count(),
        None => args.prompt_chars,
    };

    let frame_count = args
        .frames
        .unwrap_or_else(|| (args.duration_s * args.video_fps).ceil() as usize);
    let date = prices::today();

    let result = estimate::estimate(
        table,
        &EstimateInput {
            model: &model,
            date: &date,
            video: Some(VideoFacts {
                duration_s: args.duration_s,
                frame_count,
            }),
            delivery: args.delivery,
            media: MediaSettings {
                fps: args.fps,
                resolution: args.resolution,
            },
            text_chars,
            expected_output_tokens: args.output_tokens,
        },
    );

    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }

    println!("model          {}", result.model);
    println!("frames seen    {}", result.frames_seen);
    println!("video tokens   {} (estimate)", result.video_tokens);
    println!(
        "text tokens    {} (estimate, 4 characters per token)",
        result.text_tokens
    );
    println!("input tokens   {}", result.input_tokens);
    println!("output tokens  {} (assumed)", result.output_tokens);
    match result.cost_usd {
        Some(cost) => println!("cost           ${cost:.6}"),
        None => println!("cost           unknown: {model} has no price entry"),
    }
    Ok(())
}
