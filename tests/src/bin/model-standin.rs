//! Runs the model stand-in by hand: `model-standin [--port N] [--key KEY]`. It prints the base
//! URLs for Gemini and OpenAI-compatible clients and answers every request with a minimal
//! instance of the request's JSON Schema until interrupted.

use std::net::SocketAddr;

use anyhow::Context;
use replay_vision_tests::standin::{StandIn, DEFAULT_KEY};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut port = 0u16;
    let mut key = DEFAULT_KEY.to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().context("--port needs a number")?;
                port = value
                    .parse()
                    .with_context(|| format!("invalid port {value:?}"))?;
            }
            "--key" => key = args.next().context("--key needs a value")?,
            other => anyhow::bail!(
                "unknown argument {other:?}; usage: model-standin [--port N] [--key KEY]"
            ),
        }
    }
    let standin = StandIn::start_on(SocketAddr::from(([127, 0, 0, 1], port)), &key)
        .await
        .context("cannot start the stand-in on 127.0.0.1")?;
    println!("Gemini base URL:            {}", standin.base_url());
    println!("OpenAI-compatible base URL: {}", standin.openai_base_url());
    println!("API key:                    {}", standin.key());
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    println!("{} requests served", standin.requests().len());
    Ok(())
}
