//! The seed's actors over GraphQL, through the real HTTP router.

use serde_json::json;

use communique::import::import_files;

use crate::helpers::{graphql, seed_json, write_document};
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

    async fn an_actor_in_two_roles_at_one_event_has_it_listed_once(test_db: &TestDb) {
        let db = test_db.migrated().await;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut document = seed_json();
        let call = document["events"][0]["slug"].as_str().expect("the first event's slug").to_owned();
        let participants = document["events"][0]["participants"].as_array_mut().expect("participants");
        let mut second_role = participants[0].clone();
        let actor = second_role["actor"].as_str().expect("an actor").to_owned();
        second_role["role"] = json!("ADDRESSEE");
        participants.push(second_role);
        let file = write_document(dir.path(), "two-roles.json", &document);
        import_files(db, &[file], None).await.expect("import");

        let query = r#"query($actor: String!) {
            timeline(filter: { actor: $actor }, first: 100) { totalCount nodes { slug } }
            actor(slug: $actor) {
                events(first: 100) { totalCount nodes { slug } }
                addressed: events(role: ADDRESSEE, first: 100) { nodes { slug } }
            }
        }"#;
        let (status, body) = graphql(db, query, json!({ "actor": actor })).await;
        assert_eq!(status, 200, "{body}");
        let data = &body["data"];
        let slugs = |list: &serde_json::Value| -> Vec<String> {
            list["nodes"].as_array().expect("nodes").iter()
                .map(|node| node["slug"].as_str().unwrap_or_default().to_owned()).collect()
        };
        for list in [&data["timeline"], &data["actor"]["events"]] {
            let listed = slugs(list);
            assert_eq!(listed.iter().filter(|slug| **slug == call).count(), 1, "{call} once in {listed:?}");
            let mut distinct = listed.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), listed.len(), "no event twice: {listed:?}");
            assert_eq!(list["totalCount"].as_u64(), Some(listed.len() as u64));
        }
        assert!(slugs(&data["actor"]["addressed"]).contains(&call), "the second role is listed under its role");
    }
}
