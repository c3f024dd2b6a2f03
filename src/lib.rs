//! communique: a GraphQL API over cited, structured data about diplomacy and war.
//!
//! `main` only parses the command line and calls [`cli::run`]; everything else lives in
//! this library so the tests drive the same code the binary runs.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod import;
pub mod seeds;
pub mod store;
pub mod telemetry;
