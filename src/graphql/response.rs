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
//! carry. Where the schema leaves it open (a field of an interface or union type that does
//! not select a plain `__typename`), [`Shapes::prepare`] adds a `__typename` under a
//! reserved alias to the selection set before the document runs, and [`Shapes::shape`]
//! reads and removes it; elsewhere the field's type names it. async-graphql answers null
//! for an object none of whose fields came back: shaping gives it back its keys, null,
//! when an error lies under it, and `prepare` adds the field too where every selection is
//! conditional, so an object whose fields were all skipped stays an object.

use std::cell::RefCell;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType,
    Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Pos, Positioned, ServerError, Value, Variables};
use foldhash::{HashMap, HashSet, HashSetExt};

/// The alias under which every selection set reports its object's type.
pub(crate) const TYPE_KEY: &str = "__communique_type";

/// What shaping needs of the schema: each object's and interface's field types, each
/// object's interfaces and each union's members, and the root types.
#[derive(Debug, Default)]
pub struct Shapes {
    fields: HashMap<String, HashMap<String, Type>>,
    /// The fields, by type, that take `first` or `last`: pages.
    paged: HashMap<String, HashSet<String>>,
    supertypes: HashMap<String, HashSet<String>>,
    /// Interfaces and unions: what is selected under one can be of several types.
    abstract_types: HashSet<String>,
    /// The query, mutation and subscription root types, when the schema renames them.
    roots: [Option<String>; 3],
}

impl Shapes {
    /// Reads the types of the schema whose SDL is `sdl`.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shapes = Shapes::default();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return shapes;
        };
        for definition in document.definitions {
            let definition = match definition {
                TypeSystemDefinition::Type(definition) => definition,
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    let name = |root: Option<Positioned<Name>>| root.map(|n| n.node.to_string());
                    shapes.roots = [
                        name(schema.query),
                        name(schema.mutation),
                        name(schema.subscription),
                    ];
                    continue;
                }
                TypeSystemDefinition::Directive(_) => continue,
            };
            let name = definition.node.name.node.to_string();
            let (fields, implements) = match definition.node.kind {
                TypeKind::Object(object) => (object.fields, object.implements),
                TypeKind::Interface(interface) => {
                    shapes.abstract_types.insert(name.clone());
                    (interface.fields, interface.implements)
                }
                TypeKind::Union(union) => {
                    shapes.abstract_types.insert(name.clone());
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
            let paged: HashSet<String> = fields
                .iter()
                .filter(|field| {
                    field.node.arguments.iter().any(|argument| {
                        matches!(argument.node.name.node.as_str(), "first" | "last")
                    })
                })
                .map(|field| field.node.name.node.to_string())
                .collect();
            if !paged.is_empty() {
                shapes.paged.insert(name.clone(), paged);
            }
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

    /// Adds the type-reporting field, at its end, to every selection set of `document`
    /// whose object's type the schema leaves open or that may select nothing.
    pub fn prepare(&self, document: &mut ExecutableDocument) {
        let operations: Vec<&mut Positioned<OperationDefinition>> = match &mut document.operations {
            DocumentOperations::Single(operation) => vec![operation],
            DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
        };
        for operation in operations {
            let root = self.root(operation.node.ty).to_owned();
            self.mark(&mut operation.node.selection_set.node, Some(&root));
        }
        for fragment in document.fragments.values_mut() {
            let on = fragment.node.type_condition.node.on.node.clone();
            self.descend(&mut fragment.node.selection_set.node, Some(&on));
        }
    }

    /// The root type of operations of type `ty`.
    pub(crate) fn root(&self, ty: OperationType) -> &str {
        let (index, default) = match ty {
            OperationType::Query => (0, "Query"),
            OperationType::Mutation => (1, "Mutation"),
            OperationType::Subscription => (2, "Subscription"),
        };
        self.roots[index].as_deref().unwrap_or(default)
    }

    /// Prepares the selection set of a field of type `ty` (unknown when `None`).
    fn mark(&self, set: &mut SelectionSet, ty: Option<&str>) {
        self.descend(set, ty);
        let plain = |name: &str| {
            set.items.iter().any(|selection| match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    field.name.node == name
                        && field.alias.as_ref().is_none_or(|alias| alias.node == name)
                        && field.directives.is_empty()
                }
                _ => false,
            })
        };
        let unconditional = set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => field.node.directives.is_empty(),
            _ => false,
        });
        let known = ty.is_some_and(|ty| self.object_type_name(ty)) || plain("__typename");
        if known && unconditional {
            return;
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

    /// The type of field `field` of type `ty`, if the schema lists it.
    pub(crate) fn field_type(&self, ty: &str, field: &str) -> Option<&Type> {
        self.fields.get(ty)?.get(field)
    }

    /// Whether field `field` of type `ty` is a page: it takes `first` or `last`.
    pub(crate) fn is_paged(&self, ty: &str, field: &str) -> bool {
        self.paged
            .get(ty)
            .is_some_and(|fields| fields.contains(field))
    }

    /// Whether `name` is an object type of this schema: not an interface, a union, a
    /// scalar or a type it does not list (introspection's).
    fn object_type_name(&self, name: &str) -> bool {
        self.fields.contains_key(name) && !self.abstract_types.contains(name)
    }

    /// Prepares the selection sets under the fields of `set`, selected on `ty`.
    fn descend(&self, set: &mut SelectionSet, ty: Option<&str>) {
        for selection in &mut set.items {
            match &mut selection.node {
                Selection::Field(field) => {
                    let field = &mut field.node;
                    if field.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let field_type = ty
                        .and_then(|ty| self.field_type(ty, field.name.node.as_str()))
                        .map(named);
                    self.mark(&mut field.selection_set.node, field_type);
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &mut fragment.node;
                    let on = match &fragment.type_condition {
                        Some(condition) => Some(condition.node.on.node.as_str().to_owned()),
                        None => ty.map(str::to_owned),
                    };
                    self.descend(&mut fragment.selection_set.node, on.as_deref());
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    /// Reorders and completes `data`, the result of `operation_name`'s operation in
    /// `document` (prepared) run with `variables`, which raised `errors`.
    pub fn shape(
        &self,
        mut data: Value,
        errors: &[ServerError],
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
            trail: (!errors.is_empty()).then(|| Trail {
                errors: errors.iter().map(|error| &error.path[..]).collect(),
                at: RefCell::default(),
            }),
        };
        let root = self.root(operation.ty);
        if data == Value::Null && walk.failed_below() {
            data = Value::Object(IndexMap::new());
        }
        if let Value::Object(map) = &mut data
            && walk.object(map, &[&operation.selection_set.node], Some(root))
        {
            return Value::Null;
        }
        data
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

/// The named type at the bottom of `ty`'s lists.
pub(crate) fn named(ty: &Type) -> &str {
    let mut base = &ty.base;
    loop {
        match base {
            BaseType::List(item) => base = &item.base,
            BaseType::Named(name) => return name.as_str(),
        }
    }
}

/// One pass over a result.
struct Walk<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    defaults: HashMap<Name, Value>,
    /// Collected fields by selection-set group and object type.
    plans: RefCell<PlanCache<'a>>,
    /// Where the walk is, followed only when the response has errors.
    trail: Option<Trail<'a>>,
}

/// The plans of a walk: by the address and length of their selection sets, then by
/// object type (few per selection set: its type, or an abstract type's members).
type PlanCache<'a> = std::collections::HashMap<
    (usize, usize),
    Vec<(String, Rc<Vec<Planned<'a>>>)>,
    BuildHasherDefault<AddressHasher>,
>;

/// A hasher for the plan cache's keys, two addresses' worth of integers that the walk
/// itself makes: it looks them up for every object of a result, and they need no
/// protection from chosen collisions, so a multiply and a rotation do instead of SipHash.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The fields of one response key, in the order the selection sets list them.
type Collected<'d> = IndexMap<&'d str, Vec<&'d Field>>;

/// One response key of an object: its field's type, the object type that names when it
/// is one, and the selection sets under it.
struct Planned<'a> {
    key: &'a str,
    ty: Option<&'a Type>,
    object_type: Option<&'a str>,
    sets: Vec<&'a SelectionSet>,
}

/// The paths of a response's errors, and the path the walk is at.
struct Trail<'a> {
    errors: Vec<&'a [PathSegment]>,
    at: RefCell<Vec<Step<'a>>>,
}

/// One step of a path into the result.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Step<'_> {
    fn is(self, segment: &PathSegment) -> bool {
        match (self, segment) {
            (Step::Key(key), PathSegment::Field(field)) => key == field,
            (Step::Index(index), PathSegment::Index(at)) => index == *at,
            _ => false,
        }
    }
}

impl<'a> Walk<'a> {
    /// Runs `f` one `step` further into the result.
    fn at<R>(&self, step: Step<'a>, f: impl FnOnce() -> R) -> R {
        let Some(trail) = &self.trail else {
            return f();
        };
        trail.at.borrow_mut().push(step);
        let result = f();
        trail.at.borrow_mut().pop();
        result
    }

    /// Whether an error lies under the walk's position: execution then answered null for
    /// an object none of whose fields came back.
    fn failed_below(&self) -> bool {
        let Some(trail) = &self.trail else {
            return false;
        };
        let at = trail.at.borrow();
        trail.errors.iter().any(|path| {
            path.len() > at.len() && at.iter().zip(path.iter()).all(|(step, seg)| step.is(seg))
        })
    }

    /// Puts the keys of the object selected by `sets` in order, in place, with failed
    /// fields null. Its type is reported in it, or else `object_type`. True when a
    /// non-null field of it is null, so the object must be.
    fn object(
        &self,
        map: &mut IndexMap<Name, Value>,
        sets: &[&'a SelectionSet],
        object_type: Option<&str>,
    ) -> bool {
        // The reserved key is last unless execution reordered it: found by comparing
        // keys, which is cheaper than hashing for the few keys of an object.
        let reserved = map.keys().rposition(|key| key.as_str() == TYPE_KEY);
        let reported = match reserved.and_then(|at| map.swap_remove_index(at)) {
            Some((_, Value::String(name))) => Some(name),
            _ => None,
        };
        let plan = match (&reported, object_type, map.get("__typename")) {
            (Some(name), _, _) | (None, None, Some(Value::String(name))) => self.plan(sets, name),
            (None, Some(name), _) => self.plan(sets, name),
            (None, None, _) => self.plan(sets, ""),
        };
        // Keys before `position` are in place; what execution answered that the
        // selection does not list ends up after them.
        for (position, entry) in plan.iter().enumerate() {
            // Most keys come back in place: a comparison, then, and no hashing.
            let in_place = map
                .get_index(position)
                .is_some_and(|(key, _)| key.as_str() == entry.key);
            if !in_place {
                let index = match map.get_index_of(entry.key) {
                    Some(index) => index,
                    None => map.insert_full(Name::new(entry.key), Value::Null).0,
                };
                map.swap_indices(position, index);
            }
            let value = &mut map[position];
            let null = self.at(Step::Key(entry.key), || {
                self.value(value, entry.ty, &entry.sets, entry.object_type)
            });
            if null && entry.ty.is_some_and(|ty| !ty.nullable) {
                return true;
            }
        }
        false
    }

    /// What `sets` select on an object of `type_name`, collected once per walk: the
    /// objects of a page share their selection sets, and the slices passed here live in
    /// the root call or in a kept plan, so their addresses name them for the whole walk.
    fn plan(&self, sets: &[&'a SelectionSet], type_name: &str) -> Rc<Vec<Planned<'a>>> {
        let key = (sets.as_ptr() as usize, sets.len());
        if let Some((_, plan)) = self
            .plans
            .borrow()
            .get(&key)
            .and_then(|by_type| by_type.iter().find(|(name, _)| name == type_name))
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
            .map(|(key, fields)| {
                let ty = field_types.and_then(|types| types.get(fields[0].name.node.as_str()));
                Planned {
                    key,
                    ty,
                    object_type: ty
                        .map(named)
                        .filter(|name| self.shapes.object_type_name(name)),
                    sets: fields
                        .iter()
                        .map(|field| &field.selection_set.node)
                        .filter(|set| !set.items.is_empty())
                        .collect(),
                }
            })
            .collect();
        let plan = Rc::new(plan);
        self.plans
            .borrow_mut()
            .entry(key)
            .or_default()
            .push((type_name.to_owned(), Rc::clone(&plan)));
        plan
    }

    /// Shapes a field's value of type `ty` (unknown for introspection types, which never
    /// fail) in place; true when it is null afterwards. `object_type` is the object type
    /// `ty` names, if it names one.
    fn value(
        &self,
        value: &mut Value,
        ty: Option<&Type>,
        sets: &[&'a SelectionSet],
        object_type: Option<&str>,
    ) -> bool {
        let null = match value {
            Value::Null => {
                if sets.is_empty() || object_type.is_none() || !self.failed_below() {
                    return true;
                }
                let mut map = IndexMap::new();
                let null = self.object(&mut map, sets, object_type);
                *value = Value::Object(map);
                null
            }
            Value::List(items) => {
                let item_type = ty.and_then(|ty| match &ty.base {
                    BaseType::List(item) => Some(item.as_ref()),
                    BaseType::Named(_) => None,
                });
                let non_null = item_type.is_some_and(|ty| !ty.nullable);
                items.iter_mut().enumerate().any(|(index, item)| {
                    self.at(Step::Index(index), || {
                        self.value(item, item_type, sets, object_type)
                    }) && non_null
                })
            }
            Value::Object(map) if !sets.is_empty() => self.object(map, sets, object_type),
            _ => false,
        };
        if null {
            *value = Value::Null;
        }
        null
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
