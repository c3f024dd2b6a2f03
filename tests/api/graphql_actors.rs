//! The seed's actors over GraphQL, through the real HTTP router.

use serde_json::json;

use crate::helpers::{graphql, seed_json};
use crate::on_both_backends;

on_both_backends! {
    async fn every_seed_actor_is_listed_with_its_aliases(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let (status, body) = graphql(db, "{ actors(first: 100) { nodes { slug name kind aliases } } }", json!({})).await;
        assert_eq!(status, 200, "{body}");
        let actors = body["data"]["actors"]["nodes"].as_array().expect("a list");
        let seed = seed_json();
        let expected: Vec<&str> = seed["actors"].as_array().expect("seed actors").iter()
            .map(|actor| actor["slug"].as_str().expect("a slug")).collect();
        let mut slugs: Vec<&str> = actors.iter().map(|actor| actor["slug"].as_str().expect("a slug")).collect();
        let mut expected_sorted = expected.clone();
        slugs.sort_unstable();
        expected_sorted.sort_unstable();
        assert_eq!(slugs, expected_sorted);
        let moscow = actors.iter().find(|a| a["slug"] == "government-of-russia").expect("Russia's government");
        assert_eq!(moscow["kind"], "GOVERNMENT_BODY");
        assert!(moscow["aliases"].as_array().expect("aliases").contains(&json!("Moscow")));
    }

    async fn an_actor_is_found_by_slug(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = "query($slug: String!) { actor(slug: $slug) { name kind country } }";
        let (status, body) = graphql(db, query, json!({ "slug": "sergei-lavrov" })).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["actor"], json!({ "name": "Sergei Lavrov", "kind": "PERSON", "country": "RUS" }));
    }

    async fn an_unknown_slug_is_not_found_and_names_the_argument(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let (status, body) = graphql(db, "{ actor(slug: \"nobody\") { name } }", json!({})).await;
        assert_eq!(status, 200, "a field error still executes: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "NOT_FOUND");
        assert_eq!(error["extensions"]["argument"], "slug");
        assert_eq!(error["path"], json!(["actor"]));
    }

    async fn a_page_over_the_maximum_is_bad_input(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let (_, body) = graphql(db, "{ actors(first: 1000) { nodes { name } } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["argument"], "first");
    }
}
