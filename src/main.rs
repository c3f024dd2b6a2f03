//! The `communique` binary.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    communique::cli::run(communique::config::Cli::parse()).await
}
