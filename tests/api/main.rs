//! Integration tests, one binary: each behaviour runs against SQLite and, through
//! `TEST_DATABASE_URL`, against PostgreSQL.

mod cluster;
mod helpers;
mod history;

mod curation;
mod examples;
mod frontends;
mod generate;
mod graphiql;
mod graphql_actors;
mod health;
mod http_transport;
mod import;
mod limits;
mod migrations;
mod outages;
mod plans;
mod read_api;
mod schema_files;
mod search;
mod sources;
mod statement_counts;
mod telemetry;
mod upgrade;
mod verify;
