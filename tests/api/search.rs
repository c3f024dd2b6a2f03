//! `search` on both backends: the same text finds the same records on SQLite and
//! PostgreSQL, whatever its dashes, quotes, case, stop words and one-letter words. What
//! stays each engine's own (stemming, accents, ranking) is pinned here as the README
//! states it.

use sea_orm::{DatabaseConnection, DbBackend};
use serde_json::json;

use crate::helpers::count_statements;
use crate::on_both_backends;

/// What `search` finds for `text`, best first: the results' slugs and the number of SQL
/// statements it took; the total count is checked against the page.
async fn search(db: &DatabaseConnection, text: &str) -> (Vec<String>, usize) {
    let query = "query($q: String!) { search(query: $q, first: 100) { totalCount nodes { result {
        ... on Statement { slug } ... on Proposal { slug } ... on Meeting { slug } ... on MilitaryEvent { slug } } } } }";
    let (statements, data) = count_statements(db, query, json!({ "q": text })).await;
    let nodes = data["search"]["nodes"].as_array().expect("nodes");
    assert_eq!(data["search"]["totalCount"], json!(nodes.len()), "{text}");
    let slugs = nodes
        .iter()
        .map(|node| node["result"]["slug"].as_str().expect("a slug").to_owned())
        .collect();
    (slugs, statements)
}

/// The records `search` finds for `text`, in slug order.
async fn found(db: &DatabaseConnection, text: &str) -> Vec<String> {
    let mut slugs = search(db, text).await.0;
    slugs.sort();
    slugs
}

/// The records of the seed that name both Trump and Zelenskyy, in slug order.
const TRUMP_AND_ZELENSKYY: [&str; 14] = [
    "security-guarantees-for-ukraine",
    "trump-criticizes-zelenskyy",
    "trump-declines-tomahawk-request-2025-10",
    "trump-putin-call-2025-12-28",
    "trump-says-meeting-open-to-press-2025-12-28",
    "trump-truth-social-post-on-putin-call-2025-12-28",
    "trump-ukraine-has-nothing-until-i-approve-it",
    "trump-zelenskyy-european-leaders-call-2025-12-28",
    "trump-zelenskyy-mar-a-lago-meeting-2025-12-28",
    "trump-zelenskyy-meeting-2025-10",
    "ukraine-request-for-western-funding-and-weapons",
    "zelenskyy-hopes-florida-talks-very-constructive",
    "zelenskyy-to-press-for-guarantees-funding-and-weapons",
    "zelenskyy-visit-to-united-states-2025-12",
];

/// The records of the seed that name Zelenskyy but not Trump, in slug order.
const ZELENSKYY_BUT_NOT_TRUMP: [&str; 3] = [
    "zelenskyy-attack-is-russias-answer-to-peace-efforts",
    "zelenskyy-signals-willingness-on-us-plan",
    "zelenskyy-visit-to-canada-2025-12",
];

/// The records of the seed that name Zelenskyy, in slug order.
fn zelenskyy() -> Vec<&'static str> {
    let mut all = [TRUMP_AND_ZELENSKYY.as_slice(), &ZELENSKYY_BUT_NOT_TRUMP].concat();
    all.sort_unstable();
    all
}

/// The records of the seed that mention a ceasefire, in slug order.
const CEASEFIRE: [&str; 4] = [
    "kremlin-readout-of-trump-putin-call-2025-12-28",
    "simple-ceasefire-russia-ukraine",
    "trump-criticizes-kyiv-and-moscow-over-ceasefire",
    "trump-putin-call-2025-12-28",
];

on_both_backends! {
    async fn words_joined_by_any_dash_are_each_required(test_db: &TestDb) {
        let db = test_db.seeded().await;
        for dashed in ["donald\u{2010}trump", "Donald-Trump", "donald\u{2013}trump", "donald\u{2014}trump"] {
            assert_eq!(found(db, dashed).await, ["trump-zelenskyy-european-leaders-call-2025-12-28"], "{dashed}");
        }
        for dashed in ["Trump-Zelenskyy", "trump\u{2011}zelenskyy", "trump\u{2212}zelenskyy"] {
            assert_eq!(found(db, dashed).await, TRUMP_AND_ZELENSKYY, "{dashed}");
        }
    }

    async fn one_letter_words_are_left_out(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let sixteen = ["s s s s s s s s s s s s s s s s", "a b c d e f g h i j k l m n o p", "u s a s u s a s u s a s u s a s"];
        for text in sixteen {
            assert_eq!(search(db, text).await, (vec![], 0), "{text}: no term to look for, no statement");
        }
        assert_eq!(found(db, "U.S. Zelenskyy's ceasefire").await, found(db, "zelenskyy ceasefire").await);
        assert_eq!(found(db, "zelenskyy ceasefire").await, ["trump-putin-call-2025-12-28"]);
    }

    async fn quotes_and_apostrophes_part_words(test_db: &TestDb) {
        let db = test_db.seeded().await;
        for quoted in ["Zelenskyy's", "\u{201C}Zelenskyy\u{2019}s\u{201D}", "\"zelenskyy\"", "\u{2018}zelenskyy\u{02BC}s\u{2019}"] {
            assert_eq!(found(db, quoted).await, zelenskyy(), "{quoted}");
        }
    }

    async fn case_does_not_matter(test_db: &TestDb) {
        let db = test_db.seeded().await;
        for text in ["ceasefire", "CeaseFire", "CEASEFIRE"] {
            assert_eq!(found(db, text).await, CEASEFIRE, "{text}");
        }
    }

    async fn stop_words_are_left_out(test_db: &TestDb) {
        let db = test_db.seeded().await;
        assert_eq!(found(db, "the ceasefire").await, CEASEFIRE);
        assert_eq!(found(db, "Is there a ceasefire, or not?").await, CEASEFIRE);
        assert_eq!(search(db, "the of and").await, (vec![], 0), "stop words only: no statement");
    }

    async fn stemming_is_each_engines_own(test_db: &TestDb) {
        // Porter's stemmer (FTS5) keeps `clearly` apart from `clear`; Snowball's English
        // (PostgreSQL) makes both `clear`.
        let db = test_db.seeded().await;
        let expected = match db.get_database_backend() {
            DbBackend::Sqlite => vec!["zelenskyy-attack-is-russias-answer-to-peace-efforts"],
            _ => vec!["putin-no-clear-indication-on-us-plan", "zelenskyy-attack-is-russias-answer-to-peace-efforts"],
        };
        assert_eq!(found(db, "clearly").await, expected);
    }

    async fn accents_are_folded_on_sqlite_only(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let expected = match db.get_database_backend() {
            DbBackend::Sqlite => zelenskyy(),
            _ => vec![],
        };
        assert_eq!(found(db, "Zelensk\u{00FD}y").await, expected);
    }

    async fn ranking_is_bm25_on_sqlite_and_ts_rank_on_postgres(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let (best_first, _) = search(db, "peace").await;
        let expected = match db.get_database_backend() {
            DbBackend::Sqlite => [
                "lavrov-tass-europeans-main-obstacle-to-peace",
                "trump-president-of-peace",
                "zelenskyy-attack-is-russias-answer-to-peace-efforts",
                "russia-accuses-ukraine-and-europe-of-derailing-peace-efforts",
                "putin-military-means-if-kyiv-refuses-peace-2025-12-27",
                "zelenskyy-signals-willingness-on-us-plan",
                "revised-us-peace-plan-for-ukraine",
            ],
            _ => [
                "zelenskyy-attack-is-russias-answer-to-peace-efforts",
                "lavrov-tass-europeans-main-obstacle-to-peace",
                "trump-president-of-peace",
                "russia-accuses-ukraine-and-europe-of-derailing-peace-efforts",
                "putin-military-means-if-kyiv-refuses-peace-2025-12-27",
                "revised-us-peace-plan-for-ukraine",
                "zelenskyy-signals-willingness-on-us-plan",
            ],
        };
        assert_eq!(best_first, expected);
    }
}
