//! Deterministic record ids.
//!
//! A record's id is derived from its kind and natural key (its slug, or the slugs of what
//! it joins), so importing a document twice, or into another database, gives every record
//! the same id: re-imports update rows instead of duplicating them, and ids in links and
//! bookmarks survive a rebuild of the database.

use sha2::{Digest, Sha256};

/// The id of a record of `kind` whose natural key is `key`: the first 63 bits of the
/// SHA-256 of the parts, each ended by a unit separator so that no two keys collide by
/// concatenation.
pub fn record_id(kind: &str, key: &[&str]) -> i64 {
    let mut hasher = Sha256::new();
    for part in std::iter::once(kind).chain(key.iter().copied()) {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first) & i64::MAX
}

#[cfg(test)]
mod tests {
    use super::record_id;

    #[test]
    fn same_key_gives_same_positive_id() {
        let id = record_id("actor", &["vladimir-putin"]);
        assert_eq!(id, record_id("actor", &["vladimir-putin"]));
        assert!(id > 0);
    }

    #[test]
    fn kind_and_part_boundaries_change_the_id() {
        assert_ne!(record_id("actor", &["x"]), record_id("place", &["x"]));
        assert_ne!(
            record_id("alias", &["ab", "c"]),
            record_id("alias", &["a", "bc"])
        );
    }
}
