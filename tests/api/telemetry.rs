//! The operations view: request ids, compression, `/metrics`, the access log and
//! OpenTelemetry traces. The log and trace tests run the real binary, since a process
//! installs its log subscriber and exporter once, from its environment.

mod access_log;
mod metrics;
pub mod process;
mod requests;
mod traces;
