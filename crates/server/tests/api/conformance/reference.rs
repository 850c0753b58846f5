//! Cal.com's OpenAPI document (the fixture beside the tests) as a set of operations with response schemas
//! that a JSON Schema validator can use.
//!
//! OpenAPI 3.0 schemas are not quite JSON Schema: `nullable: true` means "or null", and a `$ref` makes its
//! siblings meaningless. [`to_json_schema`] rewrites those two things and nothing else, so what the
//! validator checks is what the document says.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub const FIXTURE: &str = include_str!("../../fixtures/calcom-openapi-v2.json");

/// The HTTP methods OpenAPI path items can hold, as they appear in the document.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One operation of an OpenAPI document.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `GET /v2/bookings/{bookingUid}`: the method in capitals and the path as the document spells it.
    pub key: String,
    /// The path with every `{param}` reduced to `{}`, so two documents' spellings of a path compare equal.
    pub shape: String,
}

/// Reduces `/v2/bookings/{bookingUid}` to `/v2/bookings/{}`.
pub fn path_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The operations of any OpenAPI document (the reference's, or convene's own `/v2/openapi.json`).
pub fn operations(document: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.push(Operation {
                    key: format!("{} {path}", method.to_uppercase()),
                    shape: format!("{} {}", method.to_uppercase(), path_shape(path)),
                });
            }
        }
    }
    found
}

/// Cal.com's reference document, parsed once.
pub struct Reference {
    pub document: Value,
    /// Operations by [`Operation::shape`].
    by_shape: BTreeMap<String, Operation>,
    /// `components.schemas`, converted to JSON Schema, with dangling `$ref`s replaced (see [`Self::dangling`]).
    components: Value,
    /// Names that some `$ref` points at but `components.schemas` lacks (the document has a few).
    pub dangling: BTreeSet<String>,
}

/// What the reference says a response with some status code looks like.
pub enum ResponseSchema {
    /// A JSON Schema for the body (the component schemas included, so its `$ref`s resolve).
    Schema(Value),
    /// The status is documented with no body schema: nothing to validate.
    Undocumented,
    /// The operation does not document this status at all; `documented` lists the ones it does.
    UnknownStatus { documented: Vec<String> },
}

impl Reference {
    /// The fixture, loaded and converted once per test binary.
    pub fn get() -> &'static Reference {
        static REFERENCE: OnceLock<Reference> = OnceLock::new();
        REFERENCE.get_or_init(|| Reference::parse(FIXTURE))
    }

    fn parse(text: &str) -> Reference {
        let document: Value = serde_json::from_str(text).expect("the reference fixture is JSON");
        let schemas = document["components"]["schemas"]
            .as_object()
            .expect("the reference has components.schemas");
        let names: BTreeSet<String> = schemas.keys().cloned().collect();
        let mut dangling = BTreeSet::new();
        let converted: Map<String, Value> = schemas
            .iter()
            .map(|(name, schema)| (name.clone(), to_json_schema(schema, &names, &mut dangling)))
            .collect();
        let by_shape = operations(&document)
            .into_iter()
            .map(|op| (op.shape.clone(), op))
            .collect();
        Reference {
            document,
            by_shape,
            components: json!({ "schemas": converted }),
            dangling,
        }
    }

    /// Every operation of the reference.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.by_shape.values()
    }

    /// The reference operation with the same method and path shape as `shape`.
    pub fn find(&self, shape: &str) -> Option<&Operation> {
        self.by_shape.get(shape)
    }

    /// The schema the reference gives for `operation`'s response with `status`.
    pub fn response_schema(&self, operation: &Operation, status: u16) -> ResponseSchema {
        let (method, path) = operation
            .key
            .split_once(' ')
            .expect("operation keys are `METHOD /path`");
        let responses = &self.document["paths"][path][method.to_lowercase()]["responses"];
        let Some(response) = responses.get(status.to_string()) else {
            let documented = responses
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            return ResponseSchema::UnknownStatus { documented };
        };
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            return ResponseSchema::Undocumented;
        };
        let names: BTreeSet<String> = self.components["schemas"]
            .as_object()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default();
        let mut ignored = BTreeSet::new();
        let mut root = match to_json_schema(schema, &names, &mut ignored) {
            Value::Object(map) => map,
            other => Map::from_iter([("allOf".to_owned(), json!([other]))]),
        };
        // The components travel with the schema so `#/components/schemas/…` resolves inside it.
        root.insert("components".to_owned(), self.components.clone());
        ResponseSchema::Schema(Value::Object(root))
    }
}

/// Rewrites an OpenAPI 3.0 schema object as JSON Schema (2020-12):
/// - `nullable: true` becomes "or null" (`type: [t, "null"]`, `null` added to an `enum`, or an `anyOf`
///   with `{type: null}` around a `$ref`/composition);
/// - a `$ref` keeps none of its siblings (OpenAPI 3.0 ignores them), except `nullable`;
/// - a `$ref` to a schema the document lacks becomes `{}` and is recorded in `dangling`.
///
/// Everything else (`example`, `description`, `format`, …) is kept; the validator ignores what it does
/// not know.
pub fn to_json_schema(node: &Value, names: &BTreeSet<String>, dangling: &mut BTreeSet<String>) -> Value {
    let Some(object) = node.as_object() else {
        return node.clone();
    };
    let nullable = object.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    let mut out = Map::new();
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        if names.contains(name) {
            out.insert("$ref".to_owned(), Value::String(reference.to_owned()));
        } else {
            dangling.insert(name.to_owned());
        }
    } else {
        for (key, value) in object {
            let converted = match key.as_str() {
                "nullable" => continue,
                "properties" | "patternProperties" => Value::Object(
                    value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(name, schema)| (name.clone(), to_json_schema(schema, names, dangling)))
                        .collect(),
                ),
                "items" | "additionalProperties" | "not" => to_json_schema(value, names, dangling),
                "allOf" | "anyOf" | "oneOf" => Value::Array(
                    value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|schema| to_json_schema(schema, names, dangling))
                        .collect(),
                ),
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
    }
    if !nullable {
        return Value::Object(out);
    }
    match out.get("type").cloned() {
        Some(Value::String(kind)) => {
            out.insert("type".to_owned(), json!([kind, "null"]));
            if let Some(Value::Array(values)) = out.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
            Value::Object(out)
        }
        _ if out.is_empty() => Value::Object(out),
        _ => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(node: Value) -> Value {
        let names = BTreeSet::from(["Known".to_owned()]);
        to_json_schema(&node, &names, &mut BTreeSet::new())
    }

    #[test]
    fn nullable_type_admits_null_and_nullable_enum_lists_it() {
        assert_eq!(
            convert(json!({"type": "string", "enum": ["a"], "nullable": true})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn nullable_composition_is_wrapped_in_any_of_null() {
        assert_eq!(
            convert(json!({"allOf": [{"$ref": "#/components/schemas/Known"}], "nullable": true})),
            json!({"anyOf": [{"allOf": [{"$ref": "#/components/schemas/Known"}]}, {"type": "null"}]})
        );
    }

    #[test]
    fn ref_siblings_are_dropped_and_dangling_refs_recorded() {
        let names = BTreeSet::from(["Known".to_owned()]);
        let mut dangling = BTreeSet::new();
        let node = json!({"oneOf": [
            {"$ref": "#/components/schemas/Known", "example": 1},
            {"$ref": "#/components/schemas/Gone"}
        ]});
        assert_eq!(
            to_json_schema(&node, &names, &mut dangling),
            json!({"oneOf": [{"$ref": "#/components/schemas/Known"}, {}]})
        );
        assert_eq!(dangling, BTreeSet::from(["Gone".to_owned()]));
    }

    #[test]
    fn path_shapes_ignore_parameter_names() {
        assert_eq!(path_shape("/v2/bookings/{bookingUid}/cancel"), "/v2/bookings/{}/cancel");
        assert_eq!(path_shape("/v2/bookings/{uid}/cancel"), "/v2/bookings/{}/cancel");
    }
}
