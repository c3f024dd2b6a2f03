//! The store: claims, their resolution into the records clients read, and every read
//! and write of those records, in SQL.
//!
//! Both the GraphQL layer and the importer call down into this layer; it knows tables,
//! keyset pages and cursors, and nothing of GraphQL. Each function takes the connection
//! and returns rows or the database's error, which callers above log and mask.
//!
//! - [`claims`]: what each source says about each record or link, versioned.
//! - [`accounts`]: applying a document's claims, withdrawing a source.
//! - [`resolve`]: the rule that makes records and links of the live claims.
//! - [`tables`]: the resolved tables and their histories; [`known`]: reading them as of
//!   an import; [`imports`]: the log of runs, the clock of known time.
//! - [`events`], [`records`], [`search`], [`lookups`]: the read path's questions.
//! - [`verify`]: the store's invariants, checked after the fact.

pub mod accounts;
pub mod claims;
pub mod events;
pub mod imports;
pub mod known;
pub mod lookups;
pub mod page;
pub mod records;
pub mod resolve;
pub mod rows;
pub mod search;
pub mod tables;
pub mod upgrade;
pub mod verify;

pub use self::known::Known;
pub use self::upgrade::migrate;
