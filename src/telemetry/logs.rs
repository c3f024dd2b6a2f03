//! The process's tracing subscriber: log lines on stderr, and spans to OpenTelemetry.

use std::io::IsTerminal;

use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use super::traces;
use crate::config::LogFormat;

/// The log filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "communique=info,tower_http=info";

/// What [`init`] set up that must be flushed before the process exits.
#[must_use = "call `shutdown` so the last spans are exported"]
pub struct Telemetry {
    traces: Option<traces::Pipeline>,
}

/// Installs the subscriber for the whole process: log lines in `format` on stderr,
/// filtered by `RUST_LOG` (else [`DEFAULT_FILTER`]), and, when an OTLP endpoint is
/// configured, the span exporter. Colour codes are written only to a terminal, and not
/// with `NO_COLOR` set. A second call in one process (tests run several commands) keeps
/// the first subscriber and exports nothing. Call it inside the Tokio runtime: the span
/// exporter runs on it.
pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    if tracing::dispatcher::has_been_set() {
        return Ok(Telemetry { traces: None });
    }
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let pipeline = traces::Pipeline::from_env()?;
    // Without tracing the filter applies to the whole subscriber, as a per-layer filter
    // costs a little on every span entry; with it, the exporter has a filter of its own.
    let installed = match &pipeline {
        None => tracing_subscriber::registry()
            .with(filter)
            .with(lines(format))
            .try_init(),
        Some(pipeline) => tracing_subscriber::registry()
            .with(lines(format).with_filter(filter))
            .with(pipeline.layer())
            .try_init(),
    }
    .is_ok();
    let traces = pipeline.filter(|_| installed);
    if let Some(pipeline) = &traces {
        pipeline.activate();
    }
    Ok(Telemetry { traces })
}

impl Telemetry {
    /// Exports the spans still queued and stops the exporter.
    pub async fn shutdown(self) {
        if let Some(pipeline) = self.traces {
            pipeline.shutdown().await;
        }
    }
}

/// The layer that writes log lines in `format` to stderr.
fn lines<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Text => lines.with_ansi(colour()).boxed(),
        LogFormat::Json => lines.json().boxed(),
    }
}

/// True when log lines go to a terminal that wants colour.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
