//! Variable values checked against the types their operation declares, before it runs.
//!
//! The GraphQL specification coerces every variable before execution
//! (CoerceVariableValues): a value that does not fit its declared type makes the whole
//! request fail. async-graphql checks values only within its full validation of the
//! document, which the server runs once per kept document (see `http::documents`); this
//! check runs on every request, so a wrong value is refused the same way whether its
//! document is new or kept.
//!
//! The rules are the specification's input coercion: `Int` is an integer within 32 bits,
//! `Float` any number, `String` a string, `Boolean` a boolean, `ID` a string or an
//! integer; an enum takes one of its value names; an input object takes only its own
//! fields and needs each non-null one without a default; a list takes a list, or one
//! item as a list of one. A scalar of the schema's own (`DateTime`) checks its text
//! when it is read, as a literal's is. A type the schema does not have is left to
//! validation, which names it.

use std::fmt;

use async_graphql::Value;
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use foldhash::{HashMap, HashMapExt, HashSet};

use super::inputs::BadInput;

/// The schema's input types, as variables need them.
#[derive(Debug, Default)]
pub struct InputTypes {
    types: HashMap<String, Input>,
}

/// One named input type.
#[derive(Debug)]
enum Input {
    /// A scalar of the schema's own: its value is checked when it is read.
    Custom,
    Enum(HashSet<String>),
    Object(Vec<InputField>),
}

/// A field of an input object.
#[derive(Debug)]
struct InputField {
    name: String,
    ty: Type,
    has_default: bool,
}

/// Where in a variable's value a check is: `$name`, then fields and list items.
enum At<'a> {
    Variable(&'a str),
    Field(&'a At<'a>, &'a str),
    Item(&'a At<'a>, usize),
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Variable(name) => write!(f, "${name}"),
            At::Field(parent, name) => write!(f, "{parent}.{name}"),
            At::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

impl InputTypes {
    /// Reads the enums, input objects and scalars of the schema whose SDL is `sdl`.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut types = HashMap::new();
        let definitions = match async_graphql::parser::parse_schema(sdl) {
            Ok(schema) => schema.definitions,
            Err(_) => Vec::new(),
        };
        for definition in &definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let definition = &definition.node;
            let input = match &definition.kind {
                TypeKind::Scalar => Input::Custom,
                TypeKind::Enum(enumeration) => Input::Enum(
                    enumeration
                        .values
                        .iter()
                        .map(|value| value.node.value.node.to_string())
                        .collect(),
                ),
                TypeKind::InputObject(object) => Input::Object(
                    object
                        .fields
                        .iter()
                        .map(|field| InputField {
                            name: field.node.name.node.to_string(),
                            ty: field.node.ty.node.clone(),
                            has_default: field.node.default_value.is_some(),
                        })
                        .collect(),
                ),
                _ => continue,
            };
            types.insert(definition.name.node.to_string(), input);
        }
        InputTypes { types }
    }

    /// Checks `value`, given for variable `name` declared of type `ty`.
    pub fn check(&self, name: &str, ty: &Type, value: &Value) -> Result<(), BadInput> {
        self.fits(ty, value, &At::Variable(name))
    }

    fn fits(&self, ty: &Type, value: &Value, at: &At<'_>) -> Result<(), BadInput> {
        if *value == Value::Null {
            return if ty.nullable {
                Ok(())
            } else {
                Err(bad(at, format!("must not be null (type `{ty}`)")))
            };
        }
        match &ty.base {
            BaseType::List(item) => match value {
                Value::List(items) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(index, value)| self.fits(item, value, &At::Item(at, index))),
                single => self.fits(item, single, at),
            },
            BaseType::Named(name) => self.fits_named(name.as_str(), value, at),
        }
    }

    fn fits_named(&self, name: &str, value: &Value, at: &At<'_>) -> Result<(), BadInput> {
        let expected = || bad(at, format!("expects a value of type `{name}`"));
        let fits = match (name, value) {
            ("Int", Value::Number(number)) => {
                number.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
            }
            ("Float", Value::Number(_))
            | ("String", Value::String(_))
            | ("Boolean", Value::Boolean(_)) => true,
            ("ID", Value::String(_)) => true,
            ("ID", Value::Number(number)) => number.is_i64() || number.is_u64(),
            ("Int" | "Float" | "String" | "Boolean" | "ID", _) => false,
            _ => match self.types.get(name) {
                None | Some(Input::Custom) => true,
                Some(Input::Enum(values)) => match value {
                    Value::String(text) => values.contains(text.as_str()),
                    Value::Enum(text) => values.contains(text.as_str()),
                    _ => false,
                },
                Some(Input::Object(fields)) => {
                    let Value::Object(given) = value else {
                        return Err(expected());
                    };
                    if let Some(unknown) = given
                        .keys()
                        .find(|key| !fields.iter().any(|field| field.name == key.as_str()))
                    {
                        return Err(bad(at, format!("`{name}` has no field `{unknown}`")));
                    }
                    return fields.iter().try_for_each(|field| {
                        let at = At::Field(at, &field.name);
                        match given.get(field.name.as_str()) {
                            Some(value) => self.fits(&field.ty, value, &at),
                            None if !field.ty.nullable && !field.has_default => {
                                Err(bad(&at, format!("is required (type `{}`)", field.ty)))
                            }
                            None => Ok(()),
                        }
                    });
                }
            },
        };
        if fits { Ok(()) } else { Err(expected()) }
    }
}

fn bad(at: &At<'_>, reason: String) -> BadInput {
    BadInput {
        argument: at.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SDL: &str = r#"
        scalar DateTime
        enum Kind { PERSON STATE }
        input Filter { kinds: [Kind!], since: DateTime, limit: Int! = 10, name: String! }
        type Query { a(f: Filter): Int }
    "#;

    fn types() -> InputTypes {
        InputTypes::from_sdl(SDL)
    }

    fn ty(text: &str) -> Type {
        Type::new(text).expect("a type")
    }

    fn check(declared: &str, value: serde_json::Value) -> Result<(), BadInput> {
        types().check("v", &ty(declared), &Value::from_json(value).expect("JSON"))
    }

    #[test]
    fn values_of_their_declared_types_fit() {
        assert_eq!(check("Int!", json!(2_147_483_647)), Ok(()));
        assert_eq!(check("Float", json!(1)), Ok(()));
        assert_eq!(check("ID", json!(7)), Ok(()));
        assert_eq!(check("ID", json!("QWN0b3I6MQ")), Ok(()));
        assert_eq!(check("[Kind!]", json!("PERSON")), Ok(()));
        assert_eq!(check("DateTime", json!("not a time, read later")), Ok(()));
        assert_eq!(check("NoSuchType", json!(1)), Ok(()));
        let filter = json!({ "kinds": ["STATE"], "name": "x", "since": null });
        assert_eq!(check("Filter!", filter), Ok(()));
    }

    #[test]
    fn a_value_of_another_type_names_where_it_is() {
        let reason = |declared, value| check(declared, value).expect_err("refused");
        let wrong = reason("Int", json!(2_147_483_648_i64));
        assert_eq!(wrong.argument, "$v");
        assert_eq!(wrong.reason, "expects a value of type `Int`");
        assert_eq!(reason("Int", json!(1.5)).argument, "$v");
        assert_eq!(
            reason("String", json!({ "not": "a string" })).argument,
            "$v"
        );
        assert_eq!(
            reason("[Kind!]", json!(["PERSON", "CITY"])).argument,
            "$v[1]"
        );
        assert_eq!(reason("[Kind!]", json!(["PERSON", null])).argument, "$v[1]");
        let missing = reason("Filter", json!({ "kinds": [] }));
        assert_eq!(missing.argument, "$v.name");
        assert_eq!(missing.reason, "is required (type `String!`)");
        let unknown = reason("Filter", json!({ "name": "x", "colour": 1 }));
        assert_eq!(unknown.reason, "`Filter` has no field `colour`");
        assert_eq!(
            reason("Filter", json!({ "name": "x", "limit": "ten" })).argument,
            "$v.limit"
        );
        assert_eq!(
            reason("Boolean!", json!(null)).reason,
            "must not be null (type `Boolean!`)"
        );
    }
}
