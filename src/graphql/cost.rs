//! What a document may ask for, checked before it is validated or run.
//!
//! Validation and execution expand every fragment spread where it stands, so a small
//! document whose fragments each spread the next twice asks for 2^n fields; and a page
//! asks for as many objects as its `first` or `last` says, each with everything selected
//! under it. The checks here are linear in the document, in this order:
//!
//! 1. **Text** ([`check_text`]): the length of the query, before it is parsed.
//! 2. **Size**: the selections and directives of the whole document, and the length of
//!    every name in it, are counted.
//! 3. **Cost** ([`Limits::cost`]) and **depth** ([`Limits::depth`]) of the operation
//!    that runs: a field costs 1, plus what is selected under it times its page size when
//!    it takes `first` or `last` (the value given, [`DEFAULT_PAGE`] when neither is,
//!    [`MAX_PAGE`] at most). Each fragment is costed once, on its own, and its figures
//!    reused at every spread, so a spread costs what its fragment costs without being
//!    expanded. Directives are not evaluated: a skipped field costs what it would.
//!
//! A document within these bounds expands to at most [`Limits::cost`] fields, which
//! bounds what validation and execution do with it.

use std::cell::Cell;

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value, Variables};
use foldhash::{HashMap, HashMapExt};

use super::response::{self, Shapes};

/// Page size of a paged field given neither `first` nor `last`.
pub const DEFAULT_PAGE: u64 = 20;
/// Largest page a paged field returns.
pub const MAX_PAGE: u64 = 100;

/// The bounds a document must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest query text, in bytes, checked before it is parsed.
    pub text: usize,
    /// Most selections (fields, fragment spreads, inline fragments) in the document.
    pub selections: usize,
    /// Most directives in the document.
    pub directives: usize,
    /// Longest name (of a field, alias, argument, variable, fragment or directive).
    pub name: usize,
    /// Highest cost of the operation that runs.
    pub cost: u64,
    /// Deepest nesting of fields.
    pub depth: usize,
}

impl Limits {
    /// The limits the server applies.
    pub const DEFAULT: Limits = Limits {
        text: 64 * 1024,
        selections: 1_000,
        directives: 100,
        name: 128,
        cost: 25_000,
        depth: 16,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What a document costs: the figures reported in `extensions.cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// The cost of the operation that runs (saturating at `u64::MAX`).
    pub requested: u64,
    /// Its deepest nesting of fields.
    pub depth: usize,
}

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its text is `length` bytes long.
    TextTooLong { length: usize, limit: usize },
    /// It has more `what` than `limit` allows.
    TooLarge {
        what: &'static str,
        count: usize,
        limit: usize,
    },
    /// A name in it is `length` bytes long.
    NameTooLong { length: usize, limit: usize },
    /// Its operation costs more than the limit.
    TooCostly { cost: Cost, limit: u64 },
    /// Its fields nest deeper than the limit.
    TooDeep { depth: usize, limit: usize },
    /// A fragment spreads itself, directly or through others.
    FragmentCycle { fragment: String },
}

impl Refusal {
    /// The error code the refusal is reported with.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TextTooLong { .. }
            | Refusal::TooLarge { .. }
            | Refusal::NameTooLong { .. } => "QUERY_TOO_LARGE",
            Refusal::TooCostly { .. } => "QUERY_TOO_COMPLEX",
            Refusal::TooDeep { .. } => "QUERY_TOO_DEEP",
            Refusal::FragmentCycle { .. } => "GRAPHQL_VALIDATION_FAILED",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TextTooLong { length, limit } => write!(
                f,
                "the query is {length} bytes long; at most {limit} bytes are allowed"
            ),
            Refusal::TooLarge { what, count, limit } => {
                write!(
                    f,
                    "the document has {count} {what}; at most {limit} are allowed"
                )
            }
            Refusal::NameTooLong { length, limit } => write!(
                f,
                "the document has a name of {length} bytes; names may be at most {limit} bytes"
            ),
            Refusal::TooCostly { cost, limit } => write!(
                f,
                "the operation costs {} (every field 1, times the page size of the paged \
                 fields above it); at most {limit} is allowed: ask for smaller pages or fewer \
                 fields",
                cost.requested
            ),
            Refusal::TooDeep { depth, limit } => write!(
                f,
                "the operation nests fields {depth} deep; at most {limit} levels are allowed"
            ),
            Refusal::FragmentCycle { fragment } => {
                write!(f, "fragment `{fragment}` spreads itself")
            }
        }
    }
}

/// Checks the length of a query's text, before it is parsed.
pub fn check_text(query: &str, limits: &Limits) -> Result<(), Refusal> {
    if query.len() > limits.text {
        return Err(Refusal::TextTooLong {
            length: query.len(),
            limit: limits.text,
        });
    }
    Ok(())
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The cost of the operation that runs, none when the document picks none, or why
    /// the document is refused.
    pub outcome: Result<Option<Cost>, Refusal>,
    /// Whether a page size came from a variable, so that the outcome holds only for
    /// these variables; otherwise it holds for every request of the same document and
    /// operation name.
    pub reads_variables: bool,
}

/// Checks `document` against `limits` and costs the operation `operation_name` picks
/// (none when it picks none: execution reports that).
pub fn check(
    shapes: &Shapes,
    limits: &Limits,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Checked {
    let reads_variables = Cell::new(false);
    let outcome = check_operation(
        shapes,
        limits,
        document,
        operation_name,
        variables,
        &reads_variables,
    );
    Checked {
        outcome,
        reads_variables: reads_variables.get(),
    }
}

fn check_operation(
    shapes: &Shapes,
    limits: &Limits,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
    reads_variables: &Cell<bool>,
) -> Result<Option<Cost>, Refusal> {
    size(document, limits)?;
    let Some(operation) = response::operation(document, operation_name) else {
        return Ok(None);
    };
    let mut costing = Costing {
        shapes,
        document,
        operation,
        variables,
        reads_variables,
        fragments: HashMap::new(),
    };
    let root = shapes.root(operation.ty);
    let cost = costing.set(&operation.selection_set.node, Some(root))?;
    if cost.depth > limits.depth {
        return Err(Refusal::TooDeep {
            depth: cost.depth,
            limit: limits.depth,
        });
    }
    if cost.requested > limits.cost {
        return Err(Refusal::TooCostly {
            cost,
            limit: limits.cost,
        });
    }
    Ok(Some(cost))
}

/// The counts of the whole document, each checked against its limit.
fn size(document: &ExecutableDocument, limits: &Limits) -> Result<(), Refusal> {
    let mut counts = Counts::default();
    for (name, operation) in document.operations.iter() {
        if let Some(name) = name {
            counts.name(name);
        }
        let operation = &operation.node;
        for variable in &operation.variable_definitions {
            counts.name(&variable.node.name.node);
            counts.directives += variable.node.directives.len();
        }
        counts.directives(&operation.directives);
        counts.set(&operation.selection_set.node);
    }
    for (name, fragment) in &document.fragments {
        counts.name(name);
        counts.directives(&fragment.node.directives);
        counts.set(&fragment.node.selection_set.node);
    }
    let too_large = |what, count, limit| {
        if count > limit {
            Err(Refusal::TooLarge { what, count, limit })
        } else {
            Ok(())
        }
    };
    too_large("selections", counts.selections, limits.selections)?;
    too_large("directives", counts.directives, limits.directives)?;
    if counts.longest_name > limits.name {
        return Err(Refusal::NameTooLong {
            length: counts.longest_name,
            limit: limits.name,
        });
    }
    Ok(())
}

/// What [`size`] counts.
#[derive(Default)]
struct Counts {
    selections: usize,
    directives: usize,
    longest_name: usize,
}

impl Counts {
    fn name(&mut self, name: &Name) {
        self.longest_name = self.longest_name.max(name.len());
    }

    fn directives(&mut self, directives: &[Positioned<async_graphql::parser::types::Directive>]) {
        self.directives += directives.len();
        for directive in directives {
            self.name(&directive.node.name.node);
            for (argument, _) in &directive.node.arguments {
                self.name(&argument.node);
            }
        }
    }

    fn set(&mut self, set: &SelectionSet) {
        for selection in &set.items {
            self.selections += 1;
            self.directives(selection.node.directives());
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if let Some(alias) = &field.alias {
                        self.name(&alias.node);
                    }
                    self.name(&field.name.node);
                    for (argument, _) in &field.arguments {
                        self.name(&argument.node);
                    }
                    self.set(&field.selection_set.node);
                }
                Selection::FragmentSpread(spread) => self.name(&spread.node.fragment_name.node),
                Selection::InlineFragment(fragment) => {
                    if let Some(condition) = &fragment.node.type_condition {
                        self.name(&condition.node.on.node);
                    }
                    self.set(&fragment.node.selection_set.node);
                }
            }
        }
    }
}

/// One costing of an operation, each fragment's figures kept once known.
struct Costing<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    /// Set once a page size is read from a variable.
    reads_variables: &'a Cell<bool>,
    /// `None` while a fragment is being costed: meeting it again is a cycle.
    fragments: HashMap<&'a str, Option<Cost>>,
}

impl<'a> Costing<'a> {
    /// The cost and depth of `set`, selected on an object of type `ty` (unknown: `None`).
    fn set(&mut self, set: &'a SelectionSet, ty: Option<&str>) -> Result<Cost, Refusal> {
        let mut total = Cost {
            requested: 0,
            depth: 0,
        };
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.response_key().node == response::TYPE_KEY {
                        continue;
                    }
                    let name = field.name.node.as_str();
                    let field_type = ty.and_then(|ty| self.shapes.field_type(ty, name));
                    let sub = if field.selection_set.node.items.is_empty() {
                        Cost {
                            requested: 0,
                            depth: 0,
                        }
                    } else {
                        let named = field_type.map(response::named);
                        self.set(&field.selection_set.node, named)?
                    };
                    let page = if ty.is_some_and(|ty| self.shapes.is_paged(ty, name)) {
                        self.page(field)
                    } else {
                        1
                    };
                    Cost {
                        requested: sub.requested.saturating_mul(page).saturating_add(1),
                        depth: sub.depth + 1,
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = fragment
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.as_str());
                    self.set(&fragment.selection_set.node, on.or(ty))?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.document.fragments.get(name) {
                        Some(fragment) => self.fragment(name, &fragment.node)?,
                        // Validation reports the unknown fragment.
                        None => continue,
                    }
                }
            };
            total.requested = total.requested.saturating_add(cost.requested);
            total.depth = total.depth.max(cost.depth);
        }
        Ok(total)
    }

    /// The figures of fragment `name`, costed on its first spread.
    fn fragment(
        &mut self,
        name: &'a str,
        fragment: &'a FragmentDefinition,
    ) -> Result<Cost, Refusal> {
        match self.fragments.get(name) {
            Some(Some(cost)) => return Ok(*cost),
            Some(None) => {
                return Err(Refusal::FragmentCycle {
                    fragment: name.to_owned(),
                });
            }
            None => {}
        }
        self.fragments.insert(name, None);
        let on = fragment.type_condition.node.on.node.as_str();
        let cost = self.set(&fragment.selection_set.node, Some(on))?;
        self.fragments.insert(name, Some(cost));
        Ok(cost)
    }

    /// The page size a paged field asks for: `first`, else `last`, else the default;
    /// at most [`MAX_PAGE`], and the default for a value that is not a whole number
    /// (execution refuses it).
    fn page(&self, field: &async_graphql::parser::types::Field) -> u64 {
        let size = ["first", "last"].iter().find_map(|name| {
            let value = field.get_argument(name)?.node.clone();
            match value.into_const_with(|variable| self.variable(&variable).ok_or(())) {
                Ok(Value::Number(n)) => Some(n.as_u64().unwrap_or(0)),
                _ => None,
            }
        });
        size.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE)
    }

    /// The value of `variable`: given, else its default.
    fn variable(&self, variable: &Name) -> Option<Value> {
        self.reads_variables.set(true);
        if let Some(value) = self.variables.get(variable) {
            return Some(value.clone());
        }
        self.operation
            .variable_definitions
            .iter()
            .find(|definition| definition.node.name.node == *variable)
            .and_then(|definition| definition.node.default_value())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes() -> Shapes {
        Shapes::from_sdl(&crate::graphql::sdl())
    }

    fn cost_of(query: &str) -> Result<Option<Cost>, Refusal> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        check(
            &shapes(),
            &Limits::DEFAULT,
            &document,
            None,
            &Variables::default(),
        )
        .outcome
    }

    /// Introspection as code generators send it: every type's fields, arguments,
    /// interfaces and members, with type references seven lists or non-nulls deep.
    const INTROSPECTION: &str = "
        query Introspection {
          __schema {
            queryType { name } mutationType { name } subscriptionType { name }
            types { ...Full }
            directives { name description locations args { ...Input } }
          }
        }
        fragment Full on __Type {
          kind name description specifiedByURL
          fields(includeDeprecated: true) {
            name description args { ...Input } type { ...Ref } isDeprecated deprecationReason
          }
          inputFields { ...Input }
          interfaces { ...Ref }
          enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
          possibleTypes { ...Ref }
        }
        fragment Input on __InputValue { name description type { ...Ref } defaultValue }
        fragment Ref on __Type {
          kind name ofType { kind name ofType { kind name ofType { kind name ofType {
            kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
        }";

    #[test]
    fn a_page_multiplies_what_is_under_it() {
        let query =
            "{ actors(first: 20) { nodes { name statements(first: 10) { nodes { text } } } } }";
        let cost = cost_of(query)
            .expect("within limits")
            .expect("an operation");
        assert_eq!(cost.requested, 1 + 20 * (1 + 1 + 1 + 10 * (1 + 1)));
        assert_eq!(cost.depth, 5);
        let unpaged = cost_of("{ actors { totalCount } }")
            .expect("ok")
            .expect("op");
        assert_eq!(unpaged.requested, 1 + DEFAULT_PAGE);
    }

    #[test]
    fn a_check_says_whether_it_read_the_variables() {
        let reads = |query: &str| {
            let document = async_graphql::parser::parse_query(query).expect("parses");
            let checked = check(
                &shapes(),
                &Limits::DEFAULT,
                &document,
                None,
                &Variables::default(),
            );
            assert!(matches!(checked.outcome, Ok(Some(_))), "{query}");
            checked.reads_variables
        };
        assert!(reads("query($n: Int) { actors(first: $n) { totalCount } }"));
        assert!(reads(
            "query($n: Int = 3) { actors(last: $n) { totalCount } }"
        ));
        assert!(!reads("query($s: String!) { actor(slug: $s) { name } }"));
        assert!(!reads("{ actors(first: 5) { totalCount } }"));
    }

    #[test]
    fn page_sizes_come_from_variables_and_are_capped() {
        let document = async_graphql::parser::parse_query(
            "query($n: Int = 7) { actors(first: $n) { totalCount } }",
        )
        .expect("parses");
        let run = |variables: serde_json::Value| {
            check(
                &shapes(),
                &Limits::DEFAULT,
                &document,
                None,
                &Variables::from_json(variables),
            )
            .outcome
            .expect("within limits")
            .expect("an operation")
            .requested
        };
        assert_eq!(run(serde_json::json!({})), 1 + 7);
        assert_eq!(run(serde_json::json!({ "n": 3 })), 1 + 3);
        assert_eq!(run(serde_json::json!({ "n": 100_000 })), 1 + MAX_PAGE);
    }

    #[test]
    fn fragments_are_costed_once_not_expanded() {
        // Each fragment spreads the next twice: 2^40 fields once expanded.
        let mut query = String::from("{ ...F0 }\n");
        for i in 0..40 {
            query.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        query.push_str("fragment F40 on Query { __typename }\n");
        let refusal = cost_of(&query).expect_err("refused");
        let Refusal::TooCostly { cost, .. } = refusal else {
            panic!("{refusal:?}");
        };
        assert_eq!(cost.requested, 1 << 40);
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_refused() {
        let query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(matches!(cost_of(query), Err(Refusal::FragmentCycle { .. })));
    }

    #[test]
    fn large_pages_nested_are_too_costly() {
        let alias = "actors(first: 100) { nodes { statements(first: 100) { nodes { citations { source { title } } } } } }";
        let query = format!(
            "{{ {} }}",
            (0..20)
                .map(|i| format!("a{i}: {alias}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let refusal = cost_of(&query).expect_err("refused");
        assert_eq!(refusal.code(), "QUERY_TOO_COMPLEX");
    }

    #[test]
    fn documents_too_large_are_refused_on_their_counts() {
        let aliases = format!(
            "{{ {} }}",
            (0..10_000)
                .map(|i| format!("a{i}: __typename"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert!(matches!(
            cost_of(&aliases),
            Err(Refusal::TooLarge {
                what: "selections",
                ..
            })
        ));
        let directives = format!("{{ __typename {} }}", "@include(if: true) ".repeat(10_000));
        assert!(matches!(
            cost_of(&directives),
            Err(Refusal::TooLarge {
                what: "directives",
                ..
            })
        ));
        let name = format!("{{ {} }}", "a".repeat(900_000));
        let refusal = cost_of(&name).expect_err("refused");
        assert!(matches!(
            refusal,
            Refusal::NameTooLong {
                length: 900_000,
                ..
            }
        ));
        assert!(refusal.to_string().len() < 200, "{refusal}");
    }

    #[test]
    fn the_examples_the_benchmarks_and_introspection_are_within_the_limits() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for folder in ["examples/queries", "bench/queries"] {
            for entry in std::fs::read_dir(root.join(folder)).expect("folder") {
                let path = entry.expect("entry").path();
                if path.extension().is_none_or(|ext| ext != "graphql") {
                    continue;
                }
                let query = std::fs::read_to_string(&path).expect("readable");
                let variables = path.with_extension("variables.json");
                let variables = std::fs::read_to_string(&variables)
                    .map(|text| serde_json::from_str(&text).expect("variables are JSON"))
                    .unwrap_or(serde_json::json!({}));
                let document = async_graphql::parser::parse_query(&query).expect("parses");
                let result = check(
                    &shapes(),
                    &Limits::DEFAULT,
                    &document,
                    None,
                    &Variables::from_json(variables),
                )
                .outcome;
                assert!(
                    matches!(result, Ok(Some(_))),
                    "{}: {result:?}",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} documents found");
        let cost = cost_of(INTROSPECTION)
            .expect("within limits")
            .expect("an operation");
        assert!(cost.depth >= 10, "{cost:?}");
    }
}
