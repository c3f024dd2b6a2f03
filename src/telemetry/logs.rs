//! The process's tracing subscriber: log lines on stderr, and spans to OpenTelemetry.
//!
//! Lines below warning level (the access log above all) are batched: a request appends
//! its line to a buffer, and a thread of their own writes the buffer out every
//! [`FLUSH_EVERY`]. Written one by one, each line cost a `write` under stderr's lock on
//! the request's thread, which the other threads then waited for (strace: a futex call
//! every third request). A warning or an error is written at once, after the lines
//! before it, and so is everything at shutdown and on a panic; a process killed outright
//! loses at most the last [`FLUSH_EVERY`] of lines.
//!
//! A request's plain lines name it (`request{method=… path=… request_id=…}:`) from a
//! task-local ([`in_request`]) rather than from a span of its own, unless spans are
//! exported, lines are JSON, or `RUST_LOG` filters on spans ([`request_spans`]): a span
//! is made, formatted and freed on every request and entered on every poll, which was
//! about a tenth of the server's CPU for a one-row query under load, while the
//! task-local costs nothing until a line is written.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderValue, Method, Uri};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
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
    lines: Option<Batched<std::io::Stderr>>,
}

/// How long a batched log line waits, at most, before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Pending log bytes beyond which the line that crosses it writes them out itself.
const MOST_PENDING: usize = 256 * 1024;

/// Installs the subscriber for the whole process: log lines in `format` on stderr,
/// filtered by `RUST_LOG` (else [`DEFAULT_FILTER`]), and, when an OTLP endpoint is
/// configured, the span exporter. Colour codes are written only to a terminal, and not
/// with `NO_COLOR` set. A second call in one process (tests run several commands) keeps
/// the first subscriber and exports nothing. Call it inside the Tokio runtime: the span
/// exporter runs on it.
pub fn init(format: LogFormat) -> anyhow::Result<Telemetry> {
    if tracing::dispatcher::has_been_set() {
        return Ok(Telemetry {
            traces: None,
            lines: None,
        });
    }
    let (targets, env) = filters(std::env::var("RUST_LOG").ok().as_deref());
    let span_filters = env.is_some();
    let pipeline = traces::Pipeline::from_env()?;
    let batched = Batched::new(std::io::stderr());
    // Without tracing the filter applies to the whole subscriber, as a per-layer filter
    // costs a little on every span entry; with it, the exporter has a filter of its own.
    let installed = match &pipeline {
        None => tracing_subscriber::registry()
            .with(targets)
            .with(env)
            .with(lines(format, batched.clone()))
            .try_init(),
        Some(pipeline) => tracing_subscriber::registry()
            .with(
                lines(format, batched.clone())
                    .with_filter(targets)
                    .with_filter(env),
            )
            .with(pipeline.layer())
            .try_init(),
    }
    .is_ok();
    if installed {
        REQUEST_SPANS.store(
            pipeline.is_some() || format == LogFormat::Json || span_filters,
            Ordering::Relaxed,
        );
    }
    let traces = pipeline.filter(|_| installed);
    if let Some(pipeline) = &traces {
        pipeline.activate();
    }
    let lines = if installed {
        batched
            .flush_in_background(FLUSH_EVERY)
            .context("starting the thread that writes log lines")?;
        let on_panic = batched.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            on_panic.flush();
            previous(info);
        }));
        Some(batched)
    } else {
        None
    };
    Ok(Telemetry { traces, lines })
}

impl Telemetry {
    /// Exports the spans still queued and stops the exporter, then writes the log lines
    /// still pending.
    pub async fn shutdown(self) {
        if let Some(pipeline) = self.traces {
            pipeline.shutdown().await;
        }
        if let Some(lines) = self.lines {
            lines.flush();
        }
    }
}

/// The log filter for `directives` (`RUST_LOG`; [`DEFAULT_FILTER`] when unset or blank),
/// exactly one of the two. A plain list of `target=level` becomes a [`Targets`], which
/// costs nothing when a span is entered; [`EnvFilter`], which supports span and field
/// directives, looks up every span in a locked map on every entry and exit, and a request
/// enters its span on every poll (hundreds for a page of pages). Directives that only
/// `EnvFilter` reads go to it, as before.
fn filters(directives: Option<&str>) -> (Option<Targets>, Option<EnvFilter>) {
    let directives = directives
        .filter(|directives| !directives.trim().is_empty())
        .unwrap_or(DEFAULT_FILTER);
    // `Targets` would read a span directive's brackets as part of a target's name.
    let plain = !directives.contains(['[', ']', '{', '}']);
    match directives.parse::<Targets>() {
        Ok(targets) if plain => (Some(targets), None),
        _ => {
            let env =
                EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
            (None, Some(env))
        }
    }
}

/// The layer that writes log lines in `format` to `sink`.
fn lines<S>(format: LogFormat, sink: Batched<std::io::Stderr>) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let lines = tracing_subscriber::fmt::layer().with_writer(sink);
    match format {
        LogFormat::Text => lines.event_format(Plain).with_ansi(colour()).boxed(),
        LogFormat::Json => lines.json().boxed(),
    }
}

/// Whether every request gets a span of its own: set by [`init`] when spans are
/// exported, lines are JSON (whose `span` object is the span's), or `RUST_LOG` has
/// directives that filter on spans.
static REQUEST_SPANS: AtomicBool = AtomicBool::new(false);

/// Whether a request should run in a span of its own rather than [`in_request`].
pub(super) fn request_spans() -> bool {
    REQUEST_SPANS.load(Ordering::Relaxed)
}

/// What a request's plain log lines say about it.
pub(super) struct RequestFields {
    method: Method,
    uri: Uri,
    id: HeaderValue,
}

impl RequestFields {
    pub(super) fn new(method: &Method, uri: &Uri, id: &HeaderValue) -> Self {
        RequestFields {
            method: method.clone(),
            uri: uri.clone(),
            id: id.clone(),
        }
    }
}

tokio::task_local! {
    static REQUEST: RequestFields;
}

/// Runs `future` as the request `fields` describes: the plain lines it logs name it.
pub(super) async fn in_request<F: Future>(fields: RequestFields, future: F) -> F::Output {
    REQUEST.scope(fields, future).await
}

/// Plain lines, as tracing-subscriber's default format writes them (time, level, the
/// spans from the root with their fields, target, message and fields), with the request
/// of [`in_request`] as the outermost span.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    N: for<'writer> FormatFields<'writer> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let metadata = event.metadata();
        SystemTime.format_time(&mut writer)?;
        let level = metadata.level();
        if writer.has_ansi_escapes() {
            let colour = match *level {
                Level::ERROR => 31,
                Level::WARN => 33,
                Level::INFO => 32,
                Level::DEBUG => 34,
                Level::TRACE => 35,
            };
            write!(writer, " \x1b[{colour}m{level:>5}\x1b[0m ")?;
        } else {
            write!(writer, " {level:>5} ")?;
        }
        let mut spans = REQUEST
            .try_with(|request| {
                write!(
                    writer,
                    "request{{method={} path={:?} request_id={:?}}}:",
                    request.method,
                    request.uri.path(),
                    request.id.to_str().unwrap_or_default(),
                )
                .map(|()| true)
            })
            .unwrap_or(Ok(false))?;
        for span in ctx
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            spans = true;
            writer.write_str(span.name())?;
            let extensions = span.extensions();
            if let Some(fields) = extensions.get::<FormattedFields<N>>()
                && !fields.is_empty()
            {
                write!(writer, "{{{fields}}}")?;
            }
            writer.write_char(':')?;
        }
        if spans {
            writer.write_char(' ')?;
        }
        write!(writer, "{}: ", metadata.target())?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// True when log lines go to a terminal that wants colour.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Log lines on their way to a sink: appended to a buffer, and written out by
/// [`Batched::flush`]. Clones share the buffer.
struct Batched<W> {
    shared: Arc<Shared<W>>,
}

impl<W> Clone for Batched<W> {
    fn clone(&self) -> Self {
        Batched {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<W> {
    /// The lines not yet written.
    pending: Mutex<Vec<u8>>,
    /// The sink, held while a batch is written so that batches keep their order, and
    /// the buffer the batch is swapped into.
    sink: Mutex<(W, Vec<u8>)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write + Send + 'static> Batched<W> {
    fn new(sink: W) -> Self {
        Batched {
            shared: Arc::new(Shared {
                pending: Mutex::default(),
                sink: Mutex::new((sink, Vec::new())),
            }),
        }
    }

    /// Writes the pending lines, then `line`, to the sink.
    fn write_through(&self, line: &[u8]) {
        let mut sink = lock(&self.shared.sink);
        let (sink, batch) = &mut *sink;
        {
            let mut pending = lock(&self.shared.pending);
            std::mem::swap(&mut *pending, batch);
        }
        batch.extend_from_slice(line);
        if !batch.is_empty() {
            // Nowhere to report a sink that fails: the lines are dropped, as stderr's
            // own writer would.
            let _ = sink.write_all(batch).and_then(|()| sink.flush());
            batch.clear();
        }
    }

    /// Writes the pending lines to the sink.
    fn flush(&self) {
        self.write_through(&[]);
    }

    /// Flushes every `period` on a thread of its own, for the life of the process.
    fn flush_in_background(&self, period: Duration) -> std::io::Result<()> {
        let batched = self.clone();
        std::thread::Builder::new()
            .name("log-lines".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(period);
                    batched.flush();
                }
            })
            .map(drop)
    }
}

/// One log line's writer: it appends to the buffer, or writes through when the line is
/// urgent or the buffer full.
struct Line<'a, W> {
    batched: &'a Batched<W>,
    urgent: bool,
}

impl<'a, W> Line<'a, W> {
    /// The writer of a line at `level`: warnings and errors are urgent.
    fn at(batched: &'a Batched<W>, level: Level) -> Self {
        Line {
            batched,
            urgent: level <= Level::WARN,
        }
    }
}

impl<W: Write + Send + 'static> Write for Line<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.urgent {
            let mut pending = lock(&self.batched.shared.pending);
            if pending.len() + buf.len() <= MOST_PENDING {
                pending.extend_from_slice(buf);
                return Ok(buf.len());
            }
        }
        self.batched.write_through(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + Send + 'static> MakeWriter<'a> for Batched<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            batched: self,
            urgent: true,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        Line::at(self, *meta.level())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn written(sink: &Sink) -> String {
        String::from_utf8(lock(&sink.0).clone()).expect("UTF-8")
    }

    fn line(batched: &Batched<Sink>, level: Level, text: &str) {
        Line::at(batched, level)
            .write_all(text.as_bytes())
            .expect("appended");
    }

    #[test]
    fn plain_directives_filter_by_target_and_span_directives_keep_env_filter() {
        let (targets, env) = filters(None);
        let targets = targets.expect("the default filter is a list of targets");
        assert!(env.is_none());
        assert!(targets.would_enable("communique::access", &Level::INFO));
        assert!(!targets.would_enable("communique::access", &Level::DEBUG));
        assert!(!targets.would_enable("sqlx::query", &Level::INFO));
        assert!(filters(Some("  ")).0.is_some());
        let (targets, env) = filters(Some("warn,communique[request]=debug"));
        assert!(targets.is_none());
        assert!(env.is_some());
    }

    /// The plain lines `log` writes, in a subscriber of their own.
    fn plain_lines(log: impl FnOnce()) -> String {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .event_format(Plain)
                .with_ansi(false),
        );
        tracing::subscriber::with_default(subscriber, log);
        written(&sink)
    }

    #[test]
    fn a_plain_line_names_its_request_then_its_spans() {
        let fields = RequestFields::new(
            &Method::POST,
            &Uri::from_static("/graphql?x=1"),
            &HeaderValue::from_static("probe-id"),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let lines = plain_lines(|| {
            runtime.block_on(in_request(fields, async {
                tracing::warn!(code = 7, "inside");
                let _batch = tracing::warn_span!("batch", size = 2).entered();
                tracing::warn!("deeper");
            }));
            tracing::warn!("outside");
        });
        let lines: Vec<&str> = lines.lines().collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let request = r#"request{method=POST path="/graphql" request_id="probe-id"}:"#;
        assert!(
            lines[0].contains(&format!(
                "  WARN {request} communique::telemetry::logs::tests: inside code=7"
            )),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains(&format!("{request}batch{{size=2}}: communique")),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].contains("  WARN communique::telemetry::logs::tests: outside"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn lines_wait_for_a_flush_and_a_warning_takes_the_earlier_ones_with_it_in_order() {
        let sink = Sink::default();
        let batched = Batched::new(sink.clone());
        line(&batched, Level::INFO, "one\n");
        line(&batched, Level::DEBUG, "two\n");
        assert_eq!(written(&sink), "");
        line(&batched, Level::WARN, "three\n");
        assert_eq!(written(&sink), "one\ntwo\nthree\n");
        line(&batched, Level::INFO, "four\n");
        batched.flush();
        assert_eq!(written(&sink), "one\ntwo\nthree\nfour\n");
    }

    #[test]
    fn a_full_buffer_is_written_by_the_line_that_overflows_it() {
        let sink = Sink::default();
        let batched = Batched::new(sink.clone());
        let long = "x".repeat(MOST_PENDING - 1) + "\n";
        line(&batched, Level::INFO, &long);
        assert_eq!(written(&sink), "");
        line(&batched, Level::INFO, "next\n");
        assert_eq!(written(&sink), long + "next\n");
    }

    #[test]
    fn the_background_thread_writes_what_waits() {
        let sink = Sink::default();
        let batched = Batched::new(sink.clone());
        batched
            .flush_in_background(Duration::from_millis(5))
            .expect("a thread");
        line(&batched, Level::INFO, "later\n");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while written(&sink).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(written(&sink), "later\n");
    }
}
