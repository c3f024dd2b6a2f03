//! What frontends and typed clients rely on: results in selection order with nulls where
//! fields failed, a code on every error, persisted operations and CORS.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use communique::http::persisted::{Persisted, sha256_hex};
use communique::http::{CorsOrigins, Options, router_with};
use sea_orm::DatabaseConnection;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

use crate::helpers::{exchange, root};
use crate::on_both_backends;

/// A JSON value that keeps the order of its object keys as the server wrote them.
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Object(Vec<(String, Ordered)>),
    List(Vec<Ordered>),
    Leaf(Value),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Ordered>()? {
                    entries.push((key, value));
                }
                Ok(Ordered::Object(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Ordered>()? {
                    items.push(item);
                }
                Ok(Ordered::List(items))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(json!(v)))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Leaf(Value::Null))
            }
        }
        deserializer.deserialize_any(OrderedVisitor)
    }
}

impl Ordered {
    /// The keys of an object, in order.
    fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(entries) => entries.iter().map(|(key, _)| key.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Ordered::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A whole reply: status, headers, and the body as JSON.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn ordered(&self) -> Ordered {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn call_with(db: &DatabaseConnection, options: Options, request: Request<Body>) -> Reply {
    let (status, headers, bytes) = exchange(router_with(db.clone(), options), request).await;
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn options() -> Options {
    Options {
        max_body_bytes: 1 << 20,
        ..Options::default()
    }
}

fn post(body: &Value) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/graphql-response+json")
        .body(Body::from(body.to_string()))
        .expect("a request")
}

async fn query(db: &DatabaseConnection, query: &str) -> Reply {
    call_with(db, options(), post(&json!({ "query": query }))).await
}

/// Asserts every error of `body` has a code, and returns the codes.
fn codes(body: &Value) -> Vec<String> {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors: {body}"));
    errors
        .iter()
        .map(|error| {
            error["extensions"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("an error without a code: {body}"))
                .to_owned()
        })
        .collect()
}

// Spec-exact results.

const WIDE: &str = "{ actors(first: 3) { totalCount pageInfo { hasNextPage endCursor hasPreviousPage startCursor } \
    nodes { slug name kind id country description aliases affiliations { role of { name slug } } } } \
    timeline(first: 3) { nodes { time { text at precision } title id __typename slug } totalCount } \
    z: sources(first: 1) { nodes { title slug } } a: places(first: 2) { totalCount nodes { name slug kind } } }";

/// Asserts the keys of `value` follow the selection's order at every level checked.
fn assert_wide_order(value: &Ordered) {
    let data = value.get("data").expect("data");
    assert_eq!(data.keys(), ["actors", "timeline", "z", "a"]);
    let actors = data.get("actors").expect("actors");
    assert_eq!(actors.keys(), ["totalCount", "pageInfo", "nodes"]);
    assert_eq!(
        actors.get("pageInfo").expect("pageInfo").keys(),
        ["hasNextPage", "endCursor", "hasPreviousPage", "startCursor"]
    );
    let Some(Ordered::List(nodes)) = actors.get("nodes") else {
        panic!("nodes: {actors:?}");
    };
    for node in nodes {
        assert_eq!(
            node.keys(),
            [
                "slug",
                "name",
                "kind",
                "id",
                "country",
                "description",
                "aliases",
                "affiliations"
            ]
        );
    }
    assert_eq!(
        data.get("timeline").expect("timeline").keys(),
        ["nodes", "totalCount"]
    );
    assert_eq!(data.get("a").expect("a").keys(), ["totalCount", "nodes"]);
}

mod results {
    use super::*;

    on_both_backends! {
        async fn identical_requests_answer_keys_in_selection_order(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let mut bodies = HashSet::new();
            for _ in 0..30 {
                let reply = query(db, WIDE).await;
                assert_eq!(reply.status, 200, "{}", reply.body);
                assert_wide_order(&reply.ordered());
                bodies.insert(reply.body);
            }
            assert_eq!(bodies.len(), 1, "identical requests gave different bodies");
        }

        async fn a_failed_nullable_field_is_null_beside_the_rest(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let reply = query(db, r#"{ a: node(id: "bogus") { id } b: actor(slug: "donald-trump") { slug } }"#).await;
            let ordered = reply.ordered();
            let data = ordered.get("data").expect("data");
            assert_eq!(data.keys(), ["a", "b"], "{}", reply.body);
            assert_eq!(data.get("a"), Some(&Ordered::Leaf(Value::Null)));
            let body = reply.json();
            assert_eq!(body["data"]["b"]["slug"], "donald-trump");
            assert_eq!(body["errors"][0]["path"], json!(["a"]));
            assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        }

        async fn a_failed_non_null_field_nulls_its_nearest_nullable_parent(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let id = query(db, r#"{ actor(slug: "donald-trump") { id } }"#).await.json()["data"]["actor"]["id"].clone();
            let id = id.as_str().expect("an id");
            // `events` is non-null: its error makes the actor null, and `node` is nullable.
            let reply = query(db, &format!(
                r#"{{ node(id: "{id}") {{ ... on Actor {{ slug events(first: -1) {{ totalCount }} name }} }} actors(first: 1) {{ totalCount }} }}"#
            )).await;
            let body = reply.json();
            assert_eq!(reply.status, 200, "{body}");
            assert_eq!(body["data"]["node"], Value::Null, "{body}");
            assert!(body["data"]["actors"]["totalCount"].as_i64().is_some_and(|n| n > 0), "{body}");
            assert_eq!(body["errors"][0]["path"], json!(["node", "events"]));
            assert_eq!(reply.ordered().get("data").expect("data").keys(), ["node", "actors"]);
        }

        async fn a_null_reaching_a_non_null_root_field_makes_data_null(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let reply = query(db, r#"{ actors(first: 1) { totalCount } actor(slug: "nobody") { slug } }"#).await;
            let body = reply.json();
            assert_eq!(reply.status, 200, "{body}");
            assert!(body.as_object().is_some_and(|o| o.contains_key("data")), "{body}");
            assert_eq!(body["data"], Value::Null, "{body}");
            assert_eq!(codes(&body), ["NOT_FOUND"]);
        }

        async fn an_object_none_of_whose_fields_came_back_keeps_its_keys(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let reply = query(db, r#"{ a: node(id: "bogus") { id } }"#).await;
            let body = reply.json();
            assert_eq!(reply.status, 200, "{body}");
            assert_eq!(body["data"], json!({ "a": null }), "{body}");
            assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        }

        async fn an_object_whose_fields_were_all_skipped_is_empty(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let reply = query(db, r#"{ actor(slug: "donald-trump") { slug @skip(if: true) } }"#).await;
            let body = reply.json();
            assert_eq!(body["data"], json!({ "actor": {} }), "{body}");
            assert!(body.get("errors").is_none(), "{body}");
        }

        async fn a_selected_typename_names_the_type_of_an_interface_field(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let reply = query(db, "{ timeline(first: 5) { nodes { __typename ... on Statement { text } ... on Meeting { format } id } } }").await;
            let body = reply.json();
            assert_eq!(reply.status, 200, "{body}");
            let ordered = reply.ordered();
            let nodes = ordered.get("data").and_then(|d| d.get("timeline")).and_then(|t| t.get("nodes"));
            let Some(Ordered::List(nodes)) = nodes else { panic!("nodes: {body}") };
            assert!(!nodes.is_empty(), "{body}");
            for (node, value) in nodes.iter().zip(body["data"]["timeline"]["nodes"].as_array().expect("nodes")) {
                let expected: &[&str] = match value["__typename"].as_str() {
                    Some("Statement") => &["__typename", "text", "id"],
                    Some("Meeting") => &["__typename", "format", "id"],
                    _ => &["__typename", "id"],
                };
                assert_eq!(node.keys(), expected, "{body}");
            }
        }

        async fn random_selections_answer_keys_in_selection_order(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let schema = SchemaTypes::read();
            for seed in 1..=60u64 {
                let mut generator = Generator { rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), schema: &schema, fragments: Vec::new(), next: 0 };
                let (document, root) = generator.document();
                let reply = query(db, &document).await;
                assert_eq!(reply.status, 200, "seed {seed}: {document}\n{}", reply.body);
                let body = reply.ordered();
                let data = body.get("data").unwrap_or_else(|| panic!("seed {seed}: {document}\n{}", reply.body));
                if let Err(problem) = check(&schema, &generator.fragments, &root, data, "Query") {
                    panic!("seed {seed}: {problem}\n{document}\n{}", reply.body);
                }
            }
        }
    }
}

// A generator of random valid queries and the order their answers must keep.

/// The schema's object, interface and union types, from the SDL.
struct SchemaTypes {
    /// Per object or interface: its fields without required arguments, with their
    /// named type and whether they take `first`.
    fields: HashMap<String, Vec<(String, String, bool)>>,
    /// Per interface or union: the object types it stands for.
    possible: HashMap<String, Vec<String>>,
    /// Per object type: the interfaces and unions it belongs to.
    supertypes: HashMap<String, HashSet<String>>,
}

impl SchemaTypes {
    fn read() -> Self {
        let document = async_graphql::parser::parse_schema(communique::graphql::sdl())
            .expect("the SDL parses");
        let mut schema = SchemaTypes {
            fields: HashMap::new(),
            possible: HashMap::new(),
            supertypes: HashMap::new(),
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let name = definition.node.name.node.to_string();
            let (fields, implements) = match definition.node.kind {
                TypeKind::Object(object) => (object.fields, object.implements),
                TypeKind::Interface(interface) => (interface.fields, interface.implements),
                TypeKind::Union(union) => {
                    for member in union.members {
                        let member = member.node.to_string();
                        schema
                            .possible
                            .entry(name.clone())
                            .or_default()
                            .push(member.clone());
                        schema
                            .supertypes
                            .entry(member)
                            .or_default()
                            .insert(name.clone());
                    }
                    continue;
                }
                _ => continue,
            };
            for interface in implements {
                let interface = interface.node.to_string();
                schema
                    .possible
                    .entry(interface.clone())
                    .or_default()
                    .push(name.clone());
                schema
                    .supertypes
                    .entry(name.clone())
                    .or_default()
                    .insert(interface);
            }
            let usable = fields.into_iter().filter(|field| {
                field
                    .node
                    .arguments
                    .iter()
                    .all(|arg| arg.node.ty.node.nullable || arg.node.default_value.is_some())
            });
            let usable = usable.map(|field| {
                let mut ty = &field.node.ty.node;
                while let BaseType::List(inner) = &ty.base {
                    ty = inner;
                }
                let BaseType::Named(named) = &ty.base else {
                    unreachable!()
                };
                let takes_first = field
                    .node
                    .arguments
                    .iter()
                    .any(|arg| arg.node.name.node == "first");
                (
                    field.node.name.node.to_string(),
                    named.to_string(),
                    takes_first,
                )
            });
            schema.fields.insert(name, usable.collect());
        }
        schema
    }

    fn is_composite(&self, name: &str) -> bool {
        self.fields.contains_key(name) || self.possible.contains_key(name)
    }

    fn applies(&self, condition: &str, type_name: &str) -> bool {
        condition == type_name
            || self
                .supertypes
                .get(type_name)
                .is_some_and(|s| s.contains(condition))
    }
}

/// One selection of a generated query.
#[derive(Debug, Clone)]
enum Item {
    Field { key: String, selection: Vec<Item> },
    Inline { on: String, selection: Vec<Item> },
    Spread(usize),
}

struct Generator<'a> {
    rng: u64,
    schema: &'a SchemaTypes,
    /// The named fragments: type condition and selection.
    fragments: Vec<(String, Vec<Item>)>,
    next: usize,
}

/// Roots the generator starts from, with the arguments they need.
const ROOTS: &[(&str, &str, &str)] = &[
    ("actors", "ActorConnection", "(first: 3)"),
    ("timeline", "EventConnection", "(first: 4)"),
    ("proposals", "ProposalConnection", "(first: 2)"),
    ("places", "PlaceConnection", "(first: 3)"),
    ("sources", "SourceConnection", "(first: 2)"),
    (
        "search",
        "SearchHitConnection",
        "(query: \"Putin\", first: 4)",
    ),
];

impl Generator<'_> {
    fn below(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    /// A document and the root selection it makes.
    fn document(&mut self) -> (String, Vec<Item>) {
        let mut text = String::from("{");
        let mut root = Vec::new();
        let count = 1 + self.below(3);
        for _ in 0..count {
            let (name, ty, args) = ROOTS[self.below(ROOTS.len() as u64) as usize];
            let key = format!("r{}", self.fresh());
            let (sub_text, sub) = self.selection(ty, 3);
            write!(text, " {key}: {name}{args} {sub_text}").unwrap();
            root.push(Item::Field {
                key: format!("{key}\u{0}{key}"),
                selection: sub,
            });
        }
        text.push_str(" }");
        for (index, (on, selection)) in self.fragments.clone().iter().enumerate() {
            write!(text, " fragment F{index} on {on} {}", render(selection)).unwrap();
        }
        (text, root)
    }

    fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next
    }

    /// A selection set on `ty`, as text and as items; `__typename` always among them.
    fn selection(&mut self, ty: &str, depth: u32) -> (String, Vec<Item>) {
        let mut items = Vec::new();
        let fields = self.schema.fields.get(ty).cloned().unwrap_or_default();
        let count = 1 + self.below(4);
        for _ in 0..count {
            if fields.is_empty() {
                break;
            }
            let (name, field_ty, takes_first) =
                fields[self.below(fields.len() as u64) as usize].clone();
            let aliased = self.below(3) == 0;
            let key = if aliased {
                format!("k{}", self.fresh())
            } else {
                name.clone()
            };
            if items
                .iter()
                .any(|item| matches!(item, Item::Field { key: k, .. } if *k == key))
            {
                continue;
            }
            let composite = self.schema.is_composite(&field_ty);
            if composite && depth == 0 {
                continue;
            }
            let args = if takes_first { "(first: 2)" } else { "" };
            let head = if aliased {
                format!("{key}: {name}{args}")
            } else {
                format!("{name}{args}")
            };
            if composite {
                let (_, sub) = self.selection(&field_ty, depth - 1);
                items.push(Item::Field {
                    key: format!("{head}\u{0}{key}"),
                    selection: sub,
                });
            } else {
                items.push(Item::Field {
                    key: format!("{head}\u{0}{key}"),
                    selection: Vec::new(),
                });
            }
        }
        if let Some(possible) = self.schema.possible.get(ty).cloned() {
            for _ in 0..1 + self.below(3) {
                let on = possible[self.below(possible.len() as u64) as usize].clone();
                let (_, sub) = self.selection(&on, depth);
                items.push(Item::Inline { on, selection: sub });
            }
        }
        if depth > 0 && self.below(3) == 0 {
            let on = match self.schema.possible.get(ty) {
                Some(possible) if self.below(2) == 0 => {
                    possible[self.below(possible.len() as u64) as usize].clone()
                }
                _ => ty.to_owned(),
            };
            let (_, sub) = self.selection(&on, depth - 1);
            self.fragments.push((on, sub));
            items.push(Item::Spread(self.fragments.len() - 1));
        }
        let at = self.below(items.len() as u64 + 1) as usize;
        let key = if self.below(2) == 0 {
            "__typename".to_owned()
        } else {
            format!("t{}", self.fresh())
        };
        let head = if key == "__typename" {
            key.clone()
        } else {
            format!("{key}: __typename")
        };
        items.insert(
            at,
            Item::Field {
                key: format!("{head}\u{0}{key}"),
                selection: Vec::new(),
            },
        );
        (render(&items), items)
    }
}

/// The selection set `items` as GraphQL text.
fn render(items: &[Item]) -> String {
    let mut text = String::from("{");
    for item in items {
        match item {
            Item::Field { key, selection } => {
                let head = key.split('\u{0}').next().unwrap_or_default();
                text.push(' ');
                text.push_str(head);
                if !selection.is_empty() {
                    text.push(' ');
                    text.push_str(&render(selection));
                }
            }
            Item::Inline { on, selection } => {
                write!(text, " ... on {on} {}", render(selection)).unwrap();
            }
            Item::Spread(index) => write!(text, " ...F{index}").unwrap(),
        }
    }
    text.push_str(" }");
    text
}

/// The response keys `items` select on an object of `type_name`, in order, with the
/// selections under each.
fn expected<'i>(
    schema: &SchemaTypes,
    fragments: &'i [(String, Vec<Item>)],
    items: &'i [Item],
    type_name: &str,
    out: &mut Vec<(&'i str, Vec<&'i [Item]>)>,
    visited: &mut HashSet<usize>,
) {
    for item in items {
        match item {
            Item::Field { key, selection } => {
                let key = key.split('\u{0}').nth(1).unwrap_or_default();
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, sets)) => sets.push(selection),
                    None => out.push((key, vec![selection])),
                }
            }
            Item::Inline { on, selection } => {
                if schema.applies(on, type_name) {
                    expected(schema, fragments, selection, type_name, out, visited);
                }
            }
            Item::Spread(index) => {
                let (on, selection) = &fragments[*index];
                if visited.insert(*index) && schema.applies(on, type_name) {
                    expected(schema, fragments, selection, type_name, out, visited);
                }
            }
        }
    }
}

/// Checks `value`, the answer to `items` on an object of `type_name`, level by level.
fn check(
    schema: &SchemaTypes,
    fragments: &[(String, Vec<Item>)],
    items: &[Item],
    value: &Ordered,
    type_name: &str,
) -> Result<(), String> {
    let Ordered::Object(entries) = value else {
        return Ok(());
    };
    let mut wanted = Vec::new();
    expected(
        schema,
        fragments,
        items,
        type_name,
        &mut wanted,
        &mut HashSet::new(),
    );
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let wanted_keys: Vec<&str> = wanted.iter().map(|(k, _)| *k).collect();
    if keys != wanted_keys {
        return Err(format!(
            "on {type_name}: keys {keys:?}, selection order {wanted_keys:?}"
        ));
    }
    for ((_, sets), (_, child)) in wanted.iter().zip(entries) {
        let sub: Vec<Item> = sets.iter().flat_map(|set| set.iter().cloned()).collect();
        if sub.is_empty() {
            continue;
        }
        let children: Vec<&Ordered> = match child {
            Ordered::List(items) => items.iter().collect(),
            other => vec![other],
        };
        for child in children {
            let Ordered::Object(_) = child else { continue };
            let type_key = sub.iter().find_map(|item| match item {
                Item::Field { key, .. }
                    if key.starts_with("__typename") || key.contains(": __typename") =>
                {
                    key.split('\u{0}').nth(1)
                }
                _ => None,
            });
            let child_type = type_key
                .and_then(|key| child.get(key))
                .and_then(|t| match t {
                    Ordered::Leaf(Value::String(t)) => Some(t.clone()),
                    _ => None,
                });
            let Some(child_type) = child_type else {
                return Err(format!(
                    "an object under {type_name} without its __typename"
                ));
            };
            check(schema, fragments, &sub, child, &child_type)?;
        }
    }
    Ok(())
}

// Codes on every error.

mod codes_before_execution {
    use super::*;

    on_both_backends! {
        async fn every_error_before_execution_has_its_code(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let deep = format!("{{ {}__typename{} }}", "actors { nodes { affiliations { of { ".repeat(5), " } } } }".repeat(5));
            let wide = format!("{{ {} }}", (0..20).map(|i| format!("a{i}: actors(first: 100) {{ nodes {{ statements(first: 100) {{ nodes {{ id text }} }} }} }}")).collect::<Vec<_>>().join(" "));
            let cases: &[(Value, &str)] = &[
                (json!({ "query": "{ actors { nodes { slug }" }), "GRAPHQL_PARSE_FAILED"),
                (json!({ "query": "{ nope }" }), "GRAPHQL_VALIDATION_FAILED"),
                (json!({ "query": "{ actors(first: \"x\") { totalCount } }" }), "GRAPHQL_VALIDATION_FAILED"),
                (json!({ "query": deep }), "QUERY_TOO_DEEP"),
                (json!({ "query": wide }), "QUERY_TOO_COMPLEX"),
                (json!({ "query": "query A { actors { totalCount } } query B { sources { totalCount } }" }), "OPERATION_RESOLUTION_FAILURE"),
                (json!({ "query": "query A { actors { totalCount } }", "operationName": "C" }), "OPERATION_RESOLUTION_FAILURE"),
                (json!({ "query": "query($n: Int) { actors(first: $n) { totalCount } }", "variables": { "n": "many" } }), "BAD_USER_INPUT"),
                (json!({ "query": "query($s: String!) { actor(slug: $s) { name } }" }), "BAD_USER_INPUT"),
            ];
            for (request, code) in cases {
                let reply = call_with(db, options(), post(request)).await;
                let body = reply.json();
                assert_eq!(reply.status, 400, "{request}: {body}");
                assert!(body.get("data").is_none(), "{request}: {body}");
                assert_eq!(codes(&body)[0], *code, "{request}: {body}");
                for error in body["errors"].as_array().expect("errors") {
                    let message = error["message"].as_str().expect("a message");
                    assert!(!message.contains('\n'), "a message of one line: {message:?}");
                }
            }
            let body = query(db, "{ actors { nodes { slug }").await.json();
            assert_eq!(body["errors"][0]["locations"][0], json!({ "line": 1, "column": 26 }), "{body}");
            assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("line 1, column 26")), "{body}");
        }
    }
}

// Persisted operations.

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn get_request(params: &[(&str, &str)]) -> Request<Body> {
    let query = serde_urlencoded::to_string(params).expect("a query string");
    Request::get(format!("/graphql?{query}"))
        .body(Body::empty())
        .expect("a request")
}

mod persisted_operations {
    use super::*;

    on_both_backends! {
        async fn automatic_persisted_queries_register_and_run_by_hash(test_db: &TestDb) {
            let db = test_db.seeded().await;
            // One router for the whole exchange, as one server would hold its cache.
            let router = router_with(db.clone(), options());
            let send = |request: Request<Body>| {
                let router = router.clone();
                async move {
                    let (status, _, bytes) = exchange(router, request).await;
                    (status, serde_json::from_slice::<Value>(&bytes).expect("JSON"))
                }
            };
            let text = "{ actors(first: 2) { nodes { slug } } }";
            let hash = sha256_hex(text);
            // An unknown hash: the code Apollo's link waits for, over POST and GET.
            let (status, body) = send(post(&json!({ "extensions": persisted(&hash) }))).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
            let extensions = persisted(&hash).to_string();
            let (_, body) = send(get_request(&[("extensions", &extensions)])).await;
            assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
            // A wrong hash is refused and registers nothing.
            let (status, body) = send(post(&json!({ "query": "{ sources { totalCount } }", "extensions": persisted(&hash) }))).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(codes(&body), ["BAD_REQUEST"]);
            // The query with its hash runs and registers.
            let (status, body) = send(post(&json!({ "query": text, "extensions": persisted(&hash) }))).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["data"]["actors"]["nodes"].as_array().map(Vec::len), Some(2));
            // Now the hash alone runs it, over POST and GET.
            let (status, by_hash) = send(post(&json!({ "extensions": persisted(&hash) }))).await;
            assert_eq!(status, 200, "{by_hash}");
            assert_eq!(by_hash, body);
            let (status, by_get) = send(get_request(&[("extensions", &extensions)])).await;
            assert_eq!(status, 200, "{by_get}");
            assert_eq!(by_get, body);
        }

        async fn trusted_documents_run_only_the_manifests_operations(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let dir = tempfile::tempdir().expect("a folder");
            let manifest = dir.path().join("manifest.json");
            let (name, text, variables) = example_operation();
            let id = sha256_hex(&text);
            let document = json!({
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{ "id": id, "name": name, "type": "query", "body": text }],
            });
            std::fs::write(&manifest, document.to_string()).expect("write the manifest");
            let trusted = || Options { persisted: Persisted::trusted(&manifest).expect("a manifest"), ..options() };
            let run = |request: Value| {
                let options = trusted();
                async move { call_with(db, options, post(&request)).await }
            };
            let by_hash = run(json!({ "extensions": persisted(&id), "variables": variables })).await;
            assert_eq!(by_hash.status, 200, "{}", by_hash.body);
            assert!(by_hash.json().get("errors").is_none(), "{}", by_hash.body);
            let by_id = run(json!({ "documentId": format!("sha256:{id}"), "variables": variables })).await;
            assert_eq!(by_id.json(), by_hash.json());
            let by_text = run(json!({ "query": text, "variables": variables })).await;
            assert_eq!(by_text.json(), by_hash.json());
            let other = run(json!({ "query": "{ actors { totalCount } }" })).await;
            assert_eq!(other.status, 400, "{}", other.body);
            assert_eq!(codes(&other.json()), ["PERSISTED_QUERY_NOT_IN_LIST"]);
            let unknown = run(json!({ "extensions": persisted(&sha256_hex("{ x }")) })).await;
            assert_eq!(codes(&unknown.json()), ["PERSISTED_QUERY_NOT_FOUND"]);
            // Nothing registers in this mode.
            let text2 = "{ sources { totalCount } }";
            let register = run(json!({ "query": text2, "extensions": persisted(&sha256_hex(text2)) })).await;
            assert_eq!(codes(&register.json()), ["PERSISTED_QUERY_NOT_FOUND"]);
        }
    }
}

/// The first example document with its variables: name, text, variables.
fn example_operation() -> (String, String, Value) {
    let dir = root().join("examples/queries");
    let path = dir.join("ActorsPage.graphql");
    let text = std::fs::read_to_string(&path).expect("read the example");
    let variables = std::fs::read_to_string(dir.join("ActorsPage.variables.json"))
        .map(|text| serde_json::from_str(&text).expect("variables JSON"))
        .unwrap_or(json!({}));
    ("ActorsPage".to_owned(), text, variables)
}

#[test]
fn a_manifest_whose_ids_are_not_their_bodies_hashes_is_refused() {
    let dir = tempfile::tempdir().expect("a folder");
    let manifest = dir.path().join("manifest.json");
    std::fs::write(
        &manifest,
        json!({ "abc": "{ actors { totalCount } }" }).to_string(),
    )
    .expect("write");
    let error = Persisted::trusted(&manifest)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("not the SHA-256"), "{error}");
}

// CORS.

fn preflight(origin: &str) -> Request<Body> {
    Request::options("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .expect("a request")
}

mod cors {
    use super::*;

    on_both_backends! {
        async fn cors_allows_the_configured_origins_only(test_db: &TestDb) {
            let db = test_db.seeded().await;
            let app = "http://localhost:5173";
            let allowing = || Options { cors: CorsOrigins::parse(&[app.to_owned()]).expect("origins"), ..options() };
            let reply = call_with(db, allowing(), preflight(app)).await;
            assert!(reply.status.is_success(), "{}", reply.status);
            assert_eq!(reply.header("access-control-allow-origin"), Some(app));
            assert!(reply.header("access-control-allow-methods").is_some_and(|m| m.contains("POST") && m.contains("GET")));
            assert!(reply.header("access-control-allow-headers").is_some_and(|h| h.contains("content-type")));
            assert_eq!(reply.header("access-control-max-age"), Some("600"));
            let other = call_with(db, allowing(), preflight("http://evil.example")).await;
            assert_eq!(other.header("access-control-allow-origin"), None);
            let mut request = post(&json!({ "query": "{ actors { totalCount } }" }));
            request.headers_mut().insert(header::ORIGIN, app.parse().expect("a header"));
            let reply = call_with(db, allowing(), request).await;
            assert_eq!(reply.status, 200);
            assert_eq!(reply.header("access-control-allow-origin"), Some(app));
            // Any origin, for a public read-only deployment.
            let any = Options { cors: CorsOrigins::parse(&["*".to_owned()]).expect("origins"), ..options() };
            let reply = call_with(db, any, preflight("http://anywhere.example")).await;
            assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
            // By default no other origin: the preflight is not answered.
            let reply = call_with(db, options(), preflight(app)).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(reply.header("access-control-allow-origin"), None);
        }
    }
}
