//! Label values that come from clients, bounded: each distinct value is a set of series
//! in every scrape, so an unbounded set would grow the registry and the scrapes forever.
//!
//! A value is kept only when it has the shape of what it names (a GraphQL name, an error
//! code), is at most [`MAX_LABEL_LEN`] bytes, and is one of the first few seen; every
//! other value counts under [`OTHER`], and a missing one under [`NONE`].

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

/// The longest operation name or error code kept as a label value, in bytes.
pub const MAX_LABEL_LEN: usize = 64;

/// The label value of a request that names no operation, or an error without a code.
pub const NONE: &str = "(none)";
/// The label value of every name past the limits.
pub const OTHER: &str = "(other)";

/// Label values mapped to their series, each registered on first use: at most `cap`
/// values from clients, then [`OTHER`]; [`NONE`] and [`OTHER`] take no client's place.
pub struct Bounded<T> {
    labels: RwLock<Labels<T>>,
    cap: usize,
}

struct Labels<T> {
    series: HashMap<Box<str>, T>,
    /// How many of `series` are clients' values.
    clients: usize,
}

impl<T> Bounded<T> {
    /// Room for `cap` values from clients.
    pub fn new(cap: usize) -> Self {
        Self {
            labels: RwLock::new(Labels {
                series: HashMap::new(),
                clients: 0,
            }),
            cap,
        }
    }

    /// Runs `record` on the series of `label`, registered with `register` on first use
    /// while there is room, else on [`OTHER`]'s.
    pub fn with(&self, label: &str, register: impl Fn(&str) -> T, record: impl FnOnce(&T)) {
        let reserved = label == NONE || label == OTHER;
        {
            let labels = self.labels.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = labels.series.get(label) {
                return record(series);
            }
            if !reserved
                && labels.clients >= self.cap
                && let Some(series) = labels.series.get(OTHER)
            {
                return record(series);
            }
        }
        let mut labels = self.labels.write().unwrap_or_else(PoisonError::into_inner);
        let Labels { series, clients } = &mut *labels;
        let label = if reserved || series.contains_key(label) || *clients < self.cap {
            label
        } else {
            OTHER
        };
        if !series.contains_key(label) {
            if label != NONE && label != OTHER {
                *clients += 1;
            }
            series.insert(label.into(), register(label));
        }
        if let Some(series) = series.get(label) {
            record(series);
        }
    }
}

/// True for a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`) short enough to be a label value.
pub fn is_graphql_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_LABEL_LEN
        && bytes
            .next()
            .is_some_and(|first| first == b'_' || first.is_ascii_alphabetic())
        && bytes.all(|byte| byte == b'_' || byte.is_ascii_alphanumeric())
}

/// True for an error code shaped like ours (`NOT_FOUND`), short enough to be a label value.
pub fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_LABEL_LEN
        && code
            .bytes()
            .all(|byte| byte == b'_' || byte.is_ascii_uppercase() || byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::{Bounded, NONE, OTHER, is_error_code, is_graphql_name};

    #[test]
    fn only_short_graphql_names_are_label_values() {
        assert!(is_graphql_name("ActorBySlug"));
        assert!(is_graphql_name("_private2"));
        assert!(!is_graphql_name(""));
        assert!(!is_graphql_name("2fast"));
        assert!(!is_graphql_name("drop table"));
        assert!(!is_graphql_name("(none)"));
        assert!(!is_graphql_name(&"a".repeat(65)));
        assert!(is_graphql_name(&"a".repeat(64)));
    }

    #[test]
    fn only_code_shaped_strings_are_label_values() {
        assert!(is_error_code("NOT_FOUND"));
        assert!(is_error_code("E2"));
        assert!(!is_error_code("not found"));
        assert!(!is_error_code(""));
    }

    #[test]
    fn names_past_the_cap_share_the_other_series() {
        let bounded = Bounded::new(2);
        let seen = |label: &str| {
            let mut got = String::new();
            bounded.with(label, str::to_owned, |series| got = series.clone());
            got
        };
        assert_eq!(seen(NONE), NONE);
        assert_eq!(seen("A"), "A");
        assert_eq!(seen("B"), "B");
        assert_eq!(seen("C"), OTHER, "A and B took the two places");
        assert_eq!(seen("A"), "A");
        assert_eq!(seen(NONE), NONE, "reserved values take no place");
    }
}
