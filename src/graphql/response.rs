//! Results exactly as the GraphQL specification shapes them.
//!
//! async-graphql 7 resolves the fields of a selection set concurrently and inserts each
//! into the result map as it finishes, so keys come back in completion order; a field
//! whose resolver fails is left out of its map instead of being null, and a non-null
//! field's failure does not reach its parent. This module puts that right after
//! execution, from the operation and the schema's types:
//!
//! - every result map lists its keys as CollectFields orders the selection set (fields,
//!   fragments and inline fragments that apply to the object's type, `@skip` and
//!   `@include` evaluated);
//! - a field that failed is null, and a null in a non-null position makes its parent
//!   null, up to the nearest nullable field, or `data` when it reaches the root.
//!
//! Which fragments apply depends on an object's concrete type, which a result does not
//! carry; [`Shapes::prepare`] therefore adds a `__typename` under a reserved alias to every
//! selection set of a document before it runs, and [`Shapes::shape`] reads and removes it.
//! The extra field also keeps async-graphql from turning an object all of whose fields
//! failed into null.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection,
    SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Pos, Positioned, Value, Variables};

/// The alias under which every selection set reports its object's type.
const TYPE_KEY: &str = "__communique_type";

/// What shaping needs of the schema: each object's and interface's field types, each
/// object's interfaces and each union's members.
#[derive(Debug, Default)]
pub struct Shapes {
    fields: HashMap<String, HashMap<String, Type>>,
    supertypes: HashMap<String, HashSet<String>>,
}

impl Shapes {
    /// Reads the types of the schema whose SDL is `sdl`.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shapes = Shapes::default();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return shapes;
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
                        shapes
                            .supertypes
                            .entry(member.node.to_string())
                            .or_default()
                            .insert(name.clone());
                    }
                    continue;
                }
                _ => continue,
            };
            shapes.supertypes.entry(name.clone()).or_default().extend(
                implements
                    .into_iter()
                    .map(|interface| interface.node.to_string()),
            );
            shapes.fields.insert(
                name,
                fields
                    .into_iter()
                    .map(|field| (field.node.name.node.to_string(), field.node.ty.node))
                    .collect(),
            );
        }
        shapes
    }

    /// Adds the type-reporting field to every selection set of `document`, at its end.
    pub fn prepare(document: &mut ExecutableDocument) {
        let operations: Vec<&mut Positioned<OperationDefinition>> = match &mut document.operations {
            DocumentOperations::Single(operation) => vec![operation],
            DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
        };
        for operation in operations {
            add_type_key(&mut operation.node.selection_set.node);
        }
        for fragment in document.fragments.values_mut() {
            add_type_key(&mut fragment.node.selection_set.node);
        }
    }

    /// Reorders and completes `data`, the result of `operation_name`'s operation in
    /// `document` (prepared) run with `variables`.
    pub fn shape(
        &self,
        data: Value,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Value {
        let Some(operation) = operation(document, operation_name) else {
            return data;
        };
        let walk = Walk {
            shapes: self,
            document,
            variables,
            defaults: operation
                .variable_definitions
                .iter()
                .filter_map(|definition| {
                    let definition = &definition.node;
                    Some((
                        definition.name.node.clone(),
                        definition.default_value()?.clone(),
                    ))
                })
                .collect(),
            plans: RefCell::default(),
        };
        match data {
            Value::Object(map) => walk.object(map, &[&operation.selection_set.node]),
            other => other,
        }
    }
}

/// The operation `document` runs under `operation_name`, as execution picks it.
pub fn operation<'d>(
    document: &'d ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.map(|operation| &operation.node)
}

fn add_type_key(set: &mut SelectionSet) {
    for selection in &mut set.items {
        match &mut selection.node {
            Selection::Field(field) => {
                let sub = &mut field.node.selection_set.node;
                if !sub.items.is_empty() {
                    add_type_key(sub);
                }
            }
            Selection::InlineFragment(fragment) => {
                add_type_key(&mut fragment.node.selection_set.node);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    let pos = Pos::default();
    set.items.push(Positioned::new(
        Selection::Field(Positioned::new(
            Field {
                alias: Some(Positioned::new(Name::new(TYPE_KEY), pos)),
                name: Positioned::new(Name::new("__typename"), pos),
                arguments: Vec::new(),
                directives: Vec::new(),
                selection_set: Positioned::new(SelectionSet::default(), pos),
            },
            pos,
        )),
        pos,
    ));
}

/// One pass over a result.
struct Walk<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    defaults: HashMap<Name, Value>,
    /// Collected fields by selection-set group and object type.
    plans: RefCell<PlanCache<'a>>,
}

type PlanCache<'a> = HashMap<(usize, usize), HashMap<String, Rc<Vec<Planned<'a>>>>>;

/// The fields of one response key, in the order the selection sets list them.
type Collected<'d> = IndexMap<&'d str, Vec<&'d Field>>;

/// One response key of an object: its field's type and the selection sets under it.
struct Planned<'a> {
    key: &'a str,
    ty: Option<&'a Type>,
    sets: Vec<&'a SelectionSet>,
}

impl<'a> Walk<'a> {
    /// The object selected by `sets`, its keys in order and failed fields null; null
    /// when a non-null field of it is null.
    fn object(&self, mut map: IndexMap<Name, Value>, sets: &[&'a SelectionSet]) -> Value {
        let type_name = match map.swap_remove(TYPE_KEY) {
            Some(Value::String(name)) => name,
            _ => String::new(),
        };
        let plan = self.plan(sets, &type_name);
        let mut shaped = IndexMap::with_capacity(map.len());
        for entry in plan.iter() {
            let (name, value) = match map.swap_remove_entry(entry.key) {
                Some(found) => found,
                None => (Name::new(entry.key), Value::Null),
            };
            let value = self.value(value, entry.ty, &entry.sets);
            if value == Value::Null && entry.ty.is_some_and(|ty| !ty.nullable) {
                return Value::Null;
            }
            shaped.insert(name, value);
        }
        // Anything execution answered that the selection does not list is kept, last.
        shaped.extend(map);
        Value::Object(shaped)
    }

    /// What `sets` select on an object of `type_name`, collected once per walk: the
    /// objects of a page share their selection sets, and the slices passed here live in
    /// the root call or in a kept plan, so their addresses name them for the whole walk.
    fn plan(&self, sets: &[&'a SelectionSet], type_name: &str) -> Rc<Vec<Planned<'a>>> {
        let key = (sets.as_ptr() as usize, sets.len());
        if let Some(plan) = self
            .plans
            .borrow()
            .get(&key)
            .and_then(|by_type| by_type.get(type_name))
        {
            return Rc::clone(plan);
        }
        let mut collected = Collected::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect(set, type_name, &mut collected, &mut visited);
        }
        let field_types = self.shapes.fields.get(type_name);
        let plan: Vec<Planned<'a>> = collected
            .into_iter()
            .map(|(key, fields)| Planned {
                key,
                ty: field_types.and_then(|types| types.get(fields[0].name.node.as_str())),
                sets: fields
                    .iter()
                    .map(|field| &field.selection_set.node)
                    .filter(|set| !set.items.is_empty())
                    .collect(),
            })
            .collect();
        let plan = Rc::new(plan);
        self.plans
            .borrow_mut()
            .entry(key)
            .or_default()
            .insert(type_name.to_owned(), Rc::clone(&plan));
        plan
    }

    /// A field's value of type `ty` (unknown for introspection types, which never fail).
    fn value(&self, value: Value, ty: Option<&Type>, sets: &[&'a SelectionSet]) -> Value {
        match value {
            Value::List(items) => {
                let item_type = ty.and_then(|ty| match &ty.base {
                    BaseType::List(item) => Some(item.as_ref()),
                    BaseType::Named(_) => None,
                });
                let mut shaped = Vec::with_capacity(items.len());
                for item in items {
                    let item = self.value(item, item_type, sets);
                    if item == Value::Null && item_type.is_some_and(|ty| !ty.nullable) {
                        return Value::Null;
                    }
                    shaped.push(item);
                }
                Value::List(shaped)
            }
            Value::Object(map) if !sets.is_empty() => self.object(map, sets),
            other => other,
        }
    }

    /// CollectFields: the fields of `set` that apply to an object of `type_name`.
    fn collect(
        &self,
        set: &'a SelectionSet,
        type_name: &str,
        collected: &mut Collected<'a>,
        visited: &mut HashSet<&'a str>,
    ) {
        for selection in &set.items {
            if !self.included(selection.node.directives()) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    if key != TYPE_KEY {
                        collected.entry(key).or_default().push(&field.node);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if !visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name)
                        && self.applies(&fragment.node.type_condition.node.on.node, type_name)
                    {
                        self.collect(
                            &fragment.node.selection_set.node,
                            type_name,
                            collected,
                            visited,
                        );
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let applies = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(&condition.node.on.node, type_name));
                    if applies {
                        self.collect(
                            &fragment.node.selection_set.node,
                            type_name,
                            collected,
                            visited,
                        );
                    }
                }
            }
        }
    }

    /// Whether a fragment on `condition` applies to an object of `type_name`.
    fn applies(&self, condition: &str, type_name: &str) -> bool {
        condition == type_name
            || self
                .shapes
                .supertypes
                .get(type_name)
                .is_some_and(|supertypes| supertypes.contains(condition))
    }

    /// False when `@skip(if: true)` or `@include(if: false)` leaves a selection out.
    fn included(&self, directives: &[Positioned<async_graphql::parser::types::Directive>]) -> bool {
        directives.iter().all(|directive| {
            let directive = &directive.node;
            let condition = || {
                let value = directive.get_argument("if")?.node.clone();
                let value = value.into_const_with(|name| {
                    self.variables
                        .get(&name)
                        .or_else(|| self.defaults.get(&name))
                        .cloned()
                        .ok_or(())
                });
                match value {
                    Ok(Value::Boolean(b)) => Some(b),
                    _ => None,
                }
            };
            match directive.name.node.as_str() {
                "skip" => condition() != Some(true),
                "include" => condition() != Some(false),
                _ => true,
            }
        })
    }
}
