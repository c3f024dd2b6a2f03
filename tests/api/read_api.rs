//! The read API over the seed: the questions a user of the data set asks, answered
//! through GraphQL on both backends.

use serde_json::{Value, json};

use crate::helpers::graphql;
use crate::on_both_backends;

/// Runs `query` and returns `data`, failing on any error.
async fn data(db: &sea_orm::DatabaseConnection, query: &str, variables: Value) -> Value {
    let (status, body) = graphql(db, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

/// The first error of a response that must fail.
async fn error(db: &sea_orm::DatabaseConnection, query: &str, variables: Value) -> Value {
    let (_, body) = graphql(db, query, variables).await;
    body["errors"][0].clone()
}

fn names(list: &Value, pointer: &str) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| {
            item.pointer(pointer)
                .and_then(Value::as_str)
                .expect("a name")
                .to_owned()
        })
        .collect()
}

on_both_backends! {
    async fn every_meeting_lists_who_took_part_and_in_what_role(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let data = data(db, "{ meetings(first: 100) { totalCount nodes { slug participants { role actor { slug } } } } }", json!({})).await;
        let meetings = data["meetings"]["nodes"].as_array().expect("meetings");
        assert_eq!(data["meetings"]["totalCount"], json!(meetings.len()));
        assert!(meetings.len() >= 6, "the seed has at least six meetings");
        let mar_a_lago = meetings.iter().find(|m| m["slug"] == "trump-zelenskyy-mar-a-lago-meeting-2025-12-28").expect("Mar-a-Lago");
        let roles: Vec<(String, String)> = mar_a_lago["participants"].as_array().expect("participants").iter()
            .map(|p| (p["role"].as_str().unwrap_or_default().to_owned(), p["actor"]["slug"].as_str().unwrap_or_default().to_owned()))
            .collect();
        assert!(roles.contains(&("HOST".into(), "donald-trump".into())), "{roles:?}");
        assert!(roles.contains(&("GUEST".into(), "volodymyr-zelenskyy".into())), "{roles:?}");
        assert!(meetings.iter().all(|m| !m["participants"].as_array().expect("list").is_empty()));
    }

    async fn the_phone_call_has_both_accounts_with_speakers_and_channels(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"{ event(slug: "trump-putin-call-2025-12-28") {
            ... on Meeting { format }
            accounts { speaker { slug } channel channelName kind citations { excerpt } } } }"#;
        let data = data(db, query, json!({})).await;
        assert_eq!(data["event"]["format"], "PHONE_CALL");
        let accounts = data["event"]["accounts"].as_array().expect("accounts");
        let mut speakers: Vec<(String, String)> = accounts.iter()
            .map(|a| (a["speaker"]["slug"].as_str().unwrap_or_default().to_owned(), a["channel"].as_str().unwrap_or_default().to_owned()))
            .collect();
        speakers.sort();
        assert_eq!(speakers, vec![("donald-trump".to_owned(), "SOCIAL_MEDIA".to_owned()), ("kremlin".to_owned(), "OFFICIAL_RELEASE".to_owned())]);
        let trump = accounts.iter().find(|a| a["speaker"]["slug"] == "donald-trump").expect("Trump's account");
        assert_eq!(trump["channelName"], "Truth Social");
        assert!(accounts.iter().all(|a| !a["citations"].as_array().expect("citations").is_empty()));
    }

    async fn the_joint_call_follows_the_mar_a_lago_meeting(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"{ event(slug: "trump-zelenskyy-mar-a-lago-meeting-2025-12-28") {
            inverseRelations(kind: FOLLOWS) { from { slug ... on Meeting { format } } } } }"#;
        let data = data(db, query, json!({})).await;
        let following = &data["event"]["inverseRelations"];
        assert_eq!(following, &json!([{ "from": { "slug": "trump-zelenskyy-european-leaders-call-2025-12-28", "format": "CONFERENCE_CALL" } }]));
    }

    async fn every_statement_by_an_actor_and_about_an_event(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"{
            byLavrov: statements(speaker: "sergei-lavrov", first: 100) { nodes { speaker { slug } text } }
            nested: actor(slug: "sergei-lavrov") { statements(first: 100) { totalCount nodes { slug } } }
            aboutAttack: statements(about: "russian-air-attack-on-kyiv-2025-12", first: 100) { nodes { slug speaker { slug } } }
        }"#;
        let data = data(db, query, json!({})).await;
        let by_lavrov = data["byLavrov"]["nodes"].as_array().expect("statements");
        assert!(by_lavrov.len() >= 3, "Lavrov makes several statements");
        assert!(by_lavrov.iter().all(|s| s["speaker"]["slug"] == "sergei-lavrov"));
        assert_eq!(data["nested"]["statements"]["totalCount"], json!(by_lavrov.len()));
        assert_eq!(data["nested"]["statements"]["nodes"].as_array().map(Vec::len), Some(by_lavrov.len()));
        let about: Vec<String> = names(&data["aboutAttack"]["nodes"], "/speaker/slug");
        assert!(about.contains(&"volodymyr-zelenskyy".to_owned()), "{about:?}");
        assert!(about.contains(&"donald-tusk".to_owned()), "{about:?}");
    }

    async fn military_events_name_their_perpetrators(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = "{ militaryEvents(first: 100) { nodes { slug kind effects perpetrators { slug } targets { slug } } } }";
        let data = data(db, query, json!({})).await;
        let events = data["militaryEvents"]["nodes"].as_array().expect("military events");
        let attack = events.iter().find(|e| e["slug"] == "russian-air-attack-on-kyiv-2025-12").expect("the attack on Kyiv");
        assert_eq!(attack["kind"], "AIR_ATTACK");
        assert!(attack["effects"].as_str().unwrap_or_default().contains("heating"));
        assert!(names(&attack["perpetrators"], "/slug").contains(&"russia".to_owned()));
        let capture = events.iter().find(|e| e["kind"] == "TERRITORIAL_CAPTURE").expect("the capture of two villages");
        assert!(!capture["perpetrators"].as_array().expect("perpetrators").is_empty());
    }

    async fn the_peace_plan_has_provisions_an_exclusion_and_positions_with_statements(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"{ proposal(slug: "revised-us-peace-plan-for-ukraine") {
            kind status
            provisions { ordinal inclusion text }
            leftOut: provisions(inclusion: EXCLUDED) { text positions { stance actor { slug } } }
            positions { stance actor { slug } provision { slug } statement { slug speaker { slug } } }
        } }"#;
        let data = data(db, query, json!({})).await;
        let plan = &data["proposal"];
        assert_eq!(plan["kind"], "PEACE_PLAN");
        let ordinals: Vec<i64> = plan["provisions"].as_array().expect("provisions").iter().filter_map(|p| p["ordinal"].as_i64()).collect();
        assert_eq!(ordinals, (1..=ordinals.len() as i64).collect::<Vec<_>>(), "provisions in order");
        let left_out = plan["leftOut"].as_array().expect("excluded provisions");
        assert_eq!(left_out.len(), 1);
        assert!(left_out[0]["text"].as_str().unwrap_or_default().contains("Donetsk"));
        assert_eq!(left_out[0]["positions"][0]["stance"], "DEMANDS");
        assert_eq!(left_out[0]["positions"][0]["actor"]["slug"], "russia");
        let positions = plan["positions"].as_array().expect("positions");
        let zelenskyy = positions.iter().find(|p| p["actor"]["slug"] == "volodymyr-zelenskyy").expect("Zelenskyy's position");
        assert_eq!(zelenskyy["stance"], "WILLING_TO_ENGAGE");
        assert_eq!(zelenskyy["statement"]["speaker"]["slug"], "volodymyr-zelenskyy");
        let putin = positions.iter().find(|p| p["actor"]["slug"] == "vladimir-putin").expect("Putin's position");
        assert_eq!(putin["stance"], "UNDECIDED");
        assert!(putin["statement"]["slug"].is_string());
    }

    async fn an_actors_timeline_is_in_time_order_across_pages(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"query($after: String) { timeline(filter: { actor: "volodymyr-zelenskyy" }, first: 4, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { cursor node { __typename slug time { at } } } } }"#;
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut after = Value::Null;
        let mut total = None;
        loop {
            let data = data(db, query, json!({ "after": after })).await;
            let timeline = &data["timeline"];
            total = total.or(timeline["totalCount"].as_u64());
            for edge in timeline["edges"].as_array().expect("edges") {
                seen.push((edge["node"]["time"]["at"].as_str().unwrap_or_default().to_owned(), edge["node"]["slug"].as_str().unwrap_or_default().to_owned()));
            }
            if timeline["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = timeline["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(Some(seen.len() as u64), total, "pages together hold every event once");
        let times: Vec<&String> = seen.iter().map(|(at, _)| at).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "the timeline is in time order");
        let mut slugs: Vec<&String> = seen.iter().map(|(_, slug)| slug).collect();
        slugs.dedup();
        assert_eq!(slugs.len(), seen.len(), "no event repeats");
        assert!(seen.iter().any(|(_, s)| s == "trump-zelenskyy-mar-a-lago-meeting-2025-12-28"));
    }

    async fn reading_backwards_gives_the_same_items_as_forwards(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let forward = data(db, "{ timeline(first: 100) { nodes { slug } } }", json!({})).await;
        let forward = names(&forward["timeline"]["nodes"], "/slug");
        let last = data(db, "{ timeline(last: 3) { pageInfo { hasPreviousPage hasNextPage startCursor } nodes { slug } } }", json!({})).await;
        assert_eq!(names(&last["timeline"]["nodes"], "/slug"), forward[forward.len() - 3..].to_vec());
        assert_eq!(last["timeline"]["pageInfo"]["hasPreviousPage"], true);
        let cursor = last["timeline"]["pageInfo"]["startCursor"].clone();
        let before = data(db, "query($c: String) { timeline(last: 2, before: $c) { nodes { slug } } }", json!({ "c": cursor })).await;
        assert_eq!(names(&before["timeline"]["nodes"], "/slug"), forward[forward.len() - 5..forward.len() - 3].to_vec());
        let newest = data(db, "{ timeline(first: 1, orderBy: TIME_DESC) { nodes { slug } } }", json!({})).await;
        assert_eq!(names(&newest["timeline"]["nodes"], "/slug")[0], forward[forward.len() - 1]);
    }

    async fn a_search_for_ceasefire_ranks_matching_records(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"{ search(query: "ceasefire", first: 10) { totalCount nodes { score result {
            __typename ... on Statement { text } ... on Proposal { slug title } ... on Meeting { title } ... on MilitaryEvent { title } } } } }"#;
        let data = data(db, query, json!({})).await;
        let hits = data["search"]["nodes"].as_array().expect("hits");
        assert!(!hits.is_empty(), "the seed mentions a ceasefire");
        assert_eq!(data["search"]["totalCount"], json!(hits.len()));
        let scores: Vec<f64> = hits.iter().filter_map(|h| h["score"].as_f64()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
        assert!(hits.iter().any(|h| h["result"]["slug"] == "simple-ceasefire-russia-ukraine"), "{hits:?}");
        let none = data_of_search(db, "zzzyzzyva").await;
        assert_eq!(none, json!([]));
    }

    async fn any_record_is_found_again_by_its_global_id(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let ids = data(db, r#"{ actor(slug: "donald-tusk") { id } proposal(slug: "revised-us-peace-plan-for-ukraine") { id provisions { id } } meetings(first: 1) { nodes { id slug } } }"#, json!({})).await;
        let wanted = vec![
            ids["actor"]["id"].clone(),
            ids["proposal"]["id"].clone(),
            ids["proposal"]["provisions"][0]["id"].clone(),
            ids["meetings"]["nodes"][0]["id"].clone(),
        ];
        let found = data(db, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": wanted })).await;
        let types: Vec<String> = names(&found["nodes"], "/__typename");
        assert_eq!(types, vec!["Actor", "Proposal", "Provision", "Meeting"]);
        let returned: Vec<Value> = found["nodes"].as_array().expect("nodes").iter().map(|n| n["id"].clone()).collect();
        assert_eq!(returned, wanted);
        let one = data(db, "query($id: ID!) { node(id: $id) { ... on Meeting { slug } } }", json!({ "id": wanted[3] })).await;
        assert_eq!(one["node"]["slug"], ids["meetings"]["nodes"][0]["slug"]);
    }

    async fn a_slug_no_record_has_is_not_found_and_a_record_with_nothing_to_list_is_an_empty_page(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let unknown = [
            (r#"{ timeline(filter: { actor: "nobody" }) { nodes { slug } } }"#, "filter.actor"),
            (r#"{ meetings(filter: { place: "nowhere" }) { nodes { slug } } }"#, "filter.place"),
            (r#"{ militaryEvents(filter: { source: "no-source" }) { nodes { slug } } }"#, "filter.source"),
            (r#"{ statements(speaker: "nobody") { totalCount } }"#, "speaker"),
            (r#"{ statements(about: "no-event") { nodes { slug } } }"#, "about"),
            (r#"{ places(parent: "nowhere") { nodes { slug } } }"#, "parent"),
            (r#"{ proposals(party: "nobody") { nodes { slug } } }"#, "party"),
        ];
        for (query, argument) in unknown {
            let error = error(db, query, json!({})).await;
            assert_eq!((&error["extensions"]["code"], &error["extensions"]["argument"]), (&json!("NOT_FOUND"), &json!(argument)), "{query}: {error}");
        }
        let source = data(db, "{ sources(first: 1) { nodes { slug } } }", json!({})).await["sources"]["nodes"][0]["slug"].clone();
        let empty = data(db, r#"query($source: String!) {
            timeline(filter: { actor: "donald-trump", place: "united-states", source: $source, to: "1900-01-01T00:00:00Z" }) { totalCount nodes { slug } }
            statements(speaker: "donald-trump", about: "trump-putin-call-2025-12-28", filter: { to: "1900-01-01T00:00:00Z" }) { totalCount nodes { slug } }
        }"#, json!({ "source": source })).await;
        for list in ["timeline", "statements"] {
            assert_eq!(empty[list], json!({ "totalCount": 0, "nodes": [] }), "{list}");
        }
    }

    async fn bad_arguments_are_named_with_a_code(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let malformed = error(db, r#"{ node(id: "not-an-id") { id } }"#, json!({})).await;
        assert_eq!((malformed["extensions"]["code"].clone(), malformed["extensions"]["argument"].clone()), (json!("BAD_USER_INPUT"), json!("id")));
        let unknown = error(db, r#"{ timeline(filter: { actor: "nobody" }) { nodes { slug } } }"#, json!({})).await;
        assert_eq!((unknown["extensions"]["code"].clone(), unknown["extensions"]["argument"].clone()), (json!("NOT_FOUND"), json!("filter.actor")));
        let too_many = error(db, "{ meetings(first: 101) { nodes { slug } } }", json!({})).await;
        assert_eq!((too_many["extensions"]["code"].clone(), too_many["extensions"]["argument"].clone()), (json!("BAD_USER_INPUT"), json!("first")));
        let inverted = error(db, r#"{ statements(filter: { from: "2025-12-28T00:00:00Z", to: "2025-12-01T00:00:00Z" }) { nodes { slug } } }"#, json!({})).await;
        assert_eq!((inverted["extensions"]["code"].clone(), inverted["extensions"]["argument"].clone()), (json!("BAD_USER_INPUT"), json!("filter.to")));
        assert!(inverted["message"].as_str().unwrap_or_default().contains("before it starts"));
        let bad_cursor = error(db, r#"{ actors(after: "bogus") { nodes { slug } } }"#, json!({})).await;
        assert_eq!(bad_cursor["extensions"]["argument"], "after");
    }

    async fn filters_narrow_events_by_time_place_and_certainty(test_db: &TestDb) {
        let db = test_db.seeded().await;
        let query = r#"{
            december: timeline(filter: { from: "2025-12-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, first: 100) { totalCount }
            all: timeline(first: 100) { totalCount }
            inUs: meetings(filter: { place: "united-states" }, first: 100) { nodes { slug place { slug } } }
            scheduled: timeline(filter: { certainty: [SCHEDULED] }, first: 100) { nodes { certainty: __typename } totalCount }
        }"#;
        let data = data(db, query, json!({})).await;
        let december = data["december"]["totalCount"].as_i64().expect("a count");
        let all = data["all"]["totalCount"].as_i64().expect("a count");
        assert!(december > 0 && december < all, "the October meeting falls outside December: {december} of {all}");
        let in_us = names(&data["inUs"]["nodes"], "/slug");
        assert!(in_us.contains(&"trump-zelenskyy-mar-a-lago-meeting-2025-12-28".to_owned()), "a venue within the United States counts: {in_us:?}");
        assert!(data["scheduled"]["totalCount"].as_i64().expect("a count") >= 1);
    }

    async fn every_list_of_events_answers_each_field_as_the_record_itself_does(test_db: &TestDb) {
        // Lists read a kind's own columns only when their nodes ask for a field that
        // needs them; asked for any one field, each node must answer as by id.
        let db = test_db.seeded().await;
        let mut kinds_listed = std::collections::HashSet::new();
        for (kind, list) in [("Meeting", "meetings"), ("Statement", "statements"), ("MilitaryEvent", "militaryEvents")] {
            let own_list = if kind == "Statement" { "statements(first: 100)" } else { "events(first: 100)" };
            for field in fields_of(db, kind).await {
                let selection = format!("__typename id ... on {kind} {{ {field} }}");
                let query = format!(r#"{{
                    timeline(first: 100) {{ nodes {{ {selection} }} }}
                    edges: timeline(first: 100) {{ edges {{ node {{ {selection} }} }} }}
                    {list}(first: 100) {{ nodes {{ {selection} }} }}
                    actor(slug: "donald-trump") {{ {own_list} {{ nodes {{ {selection} }} }} }}
                }}"#);
                let data = data(db, &query, json!({})).await;
                let mut listed: Vec<&Value> = Vec::new();
                for pointer in ["/timeline/nodes", &format!("/{list}/nodes"), "/actor/events/nodes", "/actor/statements/nodes"] {
                    listed.extend(data.pointer(pointer).and_then(Value::as_array).into_iter().flatten());
                }
                listed.extend(data["edges"]["edges"].as_array().expect("edges").iter().map(|edge| &edge["node"]));
                let of_kind: Vec<&Value> = listed.into_iter().filter(|node| node["__typename"] == kind).collect();
                assert!(!of_kind.is_empty(), "the lists hold a {kind}");
                kinds_listed.insert(kind);
                let ids: Vec<&Value> = of_kind.iter().map(|node| &node["id"]).collect();
                let records = data_of_nodes(db, &ids, &selection).await;
                for (node, record) in of_kind.iter().zip(&records) {
                    assert_eq!(*node, record, "`{field}` of a listed {kind} answers as the {kind} itself");
                }
            }
        }
        assert_eq!(kinds_listed.len(), 3);
    }
}

/// A selection of each field of the object type `kind` that takes no required argument:
/// scalars alone; objects with their `__typename`, and again with each scalar of theirs.
async fn fields_of(db: &sea_orm::DatabaseConnection, kind: &str) -> Vec<String> {
    let mut selection = Vec::new();
    for (name, of_type) in introspected_fields(db, kind).await {
        match of_type {
            None => selection.push(name),
            Some(object) => {
                selection.push(format!("{name} {{ __typename }}"));
                for (inner, inner_type) in introspected_fields(db, &object).await {
                    if inner_type.is_none() {
                        selection.push(format!("{name} {{ {inner} }}"));
                    }
                }
            }
        }
    }
    assert!(!selection.is_empty(), "{kind} has fields");
    selection
}

/// The fields of the type `kind` that take no required argument, each with the name of
/// its object, interface or union type, or `None` for a scalar or enum; none for a union.
async fn introspected_fields(
    db: &sea_orm::DatabaseConnection,
    kind: &str,
) -> Vec<(String, Option<String>)> {
    let query = r#"query($name: String!) { __type(name: $name) { fields {
        name args { type { kind } }
        type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }"#;
    let data = data(db, query, json!({ "name": kind })).await;
    let mut fields = Vec::new();
    // A union has no fields of its own.
    for field in data["__type"]["fields"].as_array().into_iter().flatten() {
        let args = field["args"].as_array().expect("args");
        if args.iter().any(|arg| arg["type"]["kind"] == "NON_NULL") {
            continue;
        }
        let mut of_type = &field["type"];
        while matches!(of_type["kind"].as_str(), Some("NON_NULL" | "LIST")) {
            of_type = &of_type["ofType"];
        }
        let name = field["name"].as_str().expect("a name").to_owned();
        let object = match of_type["kind"].as_str() {
            Some("SCALAR" | "ENUM") => None,
            _ => Some(of_type["name"].as_str().expect("a type name").to_owned()),
        };
        fields.push((name, object));
    }
    fields
}

/// The records with these global ids, each with `selection`.
async fn data_of_nodes(
    db: &sea_orm::DatabaseConnection,
    ids: &[&Value],
    selection: &str,
) -> Vec<Value> {
    let mut records = Vec::new();
    for chunk in ids.chunks(100) {
        let query = format!("query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {selection} }} }}");
        records.extend(
            data(db, &query, json!({ "ids": chunk })).await["nodes"]
                .as_array()
                .expect("nodes")
                .clone(),
        );
    }
    records
}

async fn data_of_search(db: &sea_orm::DatabaseConnection, words: &str) -> Value {
    data(
        db,
        "query($q: String!) { search(query: $q) { nodes { score } } }",
        json!({ "q": words }),
    )
    .await["search"]["nodes"]
        .clone()
}
