//! The `communique` binary.

use clap::Parser;

/// A quarter of the server's time under load went to glibc's malloc and free (perf);
/// mimalloc serves the many small, short-lived allocations of a request faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    communique::cli::run(communique::config::Cli::parse()).await
}
