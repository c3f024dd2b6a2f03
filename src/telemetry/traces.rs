//! OpenTelemetry traces over OTLP/HTTP: the export pipeline, which spans it receives, and
//! the W3C trace context a request brings and its response carries back.
//!
//! Tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! is set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`; the exporter
//! reads the other standard `OTEL_*` variables itself. Off, nothing here runs but a check
//! of [`tracer`].

use std::sync::OnceLock;

use anyhow::Context as _;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::{Level, Metadata, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

/// The tracer of the installed pipeline; unset while tracing is off.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// The tracer spans are made with, when tracing is on.
pub fn tracer() -> Option<&'static SdkTracer> {
    TRACER.get()
}

/// A span exporter, batching on the Tokio runtime.
pub struct Pipeline {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Pipeline {
    /// The pipeline the `OTEL_*` environment asks for, or `None` when tracing is off.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        if !configured() {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build()
            .context("setting up the OTLP span exporter")?;
        let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource())
            .build();
        let tracer = provider.tracer("communique");
        Ok(Some(Self { provider, tracer }))
    }

    /// The layer that turns this crate's spans into OpenTelemetry spans: every span down to
    /// debug level (the request, loader batches), and warnings and errors as span events.
    /// Other crates' spans stay out, the exporter's own HTTP client among them.
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer.clone())
            .with_filter(filter_fn(exported))
    }

    /// Makes [`tracer`] return this pipeline's tracer.
    pub fn activate(&self) {
        let _ = TRACER.set(self.tracer.clone());
    }

    /// Exports what is queued and stops. The SDK blocks until its batch task answers, so
    /// this waits on a blocking thread while the runtime keeps that task going.
    pub async fn shutdown(self) {
        let provider = self.provider;
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "exporting the last spans"),
            Err(error) => tracing::warn!(%error, "exporting the last spans"),
        }
    }
}

/// True when the environment asks for traces.
fn configured() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let is = |name: &str, value: &str| {
        std::env::var(name).is_ok_and(|given| given.trim().eq_ignore_ascii_case(value))
    };
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && !is("OTEL_SDK_DISABLED", "true")
        && !is("OTEL_TRACES_EXPORTER", "none")
}

/// The service's resource: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` as the SDK
/// reads them, with `communique` as the service name when neither gives one (the SDK's
/// own fallback is `unknown_service`), and the version.
fn resource() -> Resource {
    let builder = Resource::builder()
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    let named = std::env::var_os("OTEL_SERVICE_NAME").is_some_and(|name| !name.is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|attributes| {
            attributes.split(',').any(|pair| {
                pair.split_once('=')
                    .is_some_and(|(key, _)| key.trim() == "service.name")
            })
        });
    if named {
        builder.build()
    } else {
        builder.with_service_name("communique").build()
    }
}

/// Whether the span or event of `metadata` goes to OpenTelemetry.
fn exported(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    let ours = target == "communique" || target.starts_with("communique::");
    let level = *metadata.level();
    ours && if metadata.is_span() {
        level <= Level::DEBUG
    } else {
        level <= Level::WARN
    }
}

/// Makes `span` a child of the W3C `traceparent` (and `tracestate`) in `headers`, if they
/// hold a valid one. Call before the span is first entered.
pub fn adopt_parent(span: &tracing::Span, headers: &HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if parent.span().span_context().is_valid() {
        // Fails only when the span is not exported, and then there is no trace to join.
        let _ = span.set_parent(parent);
    }
}

/// Writes `span`'s trace context into `headers` as `traceparent` (and `tracestate`).
pub fn write_context(span: &tracing::Span, headers: &mut HeaderMap) {
    let context: Context = span.context();
    TraceContextPropagator::new().inject_context(&context, &mut HeadersMut(headers));
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    /// Sets the header, unless `value` is empty (the propagator writes `tracestate` even
    /// when the trace has no state).
    fn set(&mut self, key: &str, value: String) {
        if value.is_empty() {
            return;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
