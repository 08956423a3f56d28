//! `starling send`: deliver a payload to a webhook as X would, or run X's CRC check against it.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::Global;
use crate::send::{crc_check, send_delivery};
use crate::settings;

/// Options of `starling send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JSON payload to deliver (an Account Activity, X Activity API or filtered-stream body).
    #[arg(required_unless_present = "crc")]
    pub file: Option<PathBuf>,
    /// Run X's CRC check instead of delivering.
    #[arg(long)]
    pub crc: bool,
    /// The consumer secret to sign with (else the one `starling up` keeps in the data directory).
    #[command(flatten)]
    pub x: settings::XSettings,
    /// The webhook URL.
    #[arg(
        long,
        default_value = "http://127.0.0.1:3000/twitter",
        env = "STARLING_URL"
    )]
    pub url: String,
}

/// Signs with the same consumer secret `starling up` uses (environment, else the data directory).
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let secret = args.x.existing_consumer_secret(&global.data_dir())?.with_context(|| {
        format!(
            "no consumer secret: set {} or start `starling up` with the same --data-dir ({}) first",
            settings::CONSUMER_SECRET,
            global.data_dir().root().display()
        )
    })?;
    if args.crc {
        crc_check(&args.url, secret.as_bytes()).await?;
        println!(
            "CRC check passed: {} answered with the expected response_token",
            args.url
        );
        return Ok(());
    }
    let Some(file) = args.file else {
        bail!("a payload file is required unless --crc is given")
    };
    let body = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let answer = send_delivery(&args.url, secret.as_bytes(), body).await?;
    println!("{} {}", answer.status, answer.body);
    if !(200..300).contains(&answer.status) {
        bail!("the webhook answered {}", answer.status);
    }
    Ok(())
}
