//! The store: every question the API and the importer ask of the database, in SQL.
//!
//! Both the GraphQL layer and the importer call down into this layer; it knows tables,
//! keyset pages and cursors, and nothing of GraphQL. Each function takes the connection
//! and returns rows or the database's error, which callers above log and mask.

pub mod events;
pub mod lookups;
pub mod page;
pub mod records;
pub mod rows;
pub mod search;
