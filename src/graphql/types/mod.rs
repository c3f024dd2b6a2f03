//! GraphQL object types, each mapped from its entity rather than derived on it, so the
//! API and the tables can change apart.

mod actor;

pub use actor::Actor;
