//! Validating recorded responses against the reference, and sorting the mismatches into excused ones (the
//! exception list) and failures.

use super::exceptions::{EXCEPTIONS, Exception};
use super::record::Exchange;
use super::reference::{Reference, ResponseSchema};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, ValidationError};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;

/// The pseudo-pointer under which a status code the reference does not document is reported.
pub const STATUS: &str = "(status)";

/// One place where a response disagrees with the reference.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The reference's operation key, `POST /v2/bookings`.
    pub operation: String,
    /// The request as sent, for the report (`POST /v2/bookings/abc/cancel`).
    pub request: String,
    /// JSON pointer into the response body, or [`STATUS`].
    pub pointer: String,
    /// What the reference expects there.
    pub expected: String,
    /// What convene sent.
    pub got: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}  [{}]\n    at {}\n    expected: {}\n    got:      {}",
            self.operation,
            self.request,
            if self.pointer.is_empty() {
                "(body)"
            } else {
                &self.pointer
            },
            self.expected,
            self.got
        )
    }
}

/// The outcome of checking every recorded exchange.
pub struct Verdict {
    /// Mismatches no exception covers: each one fails the test.
    pub failures: Vec<Mismatch>,
    /// Mismatches an exception covers, with the exception.
    pub excused: Vec<(Mismatch, &'static Exception)>,
    /// Operations and pointers of exception entries that matched nothing: stale entries fail the test too,
    /// so a fixed difference cannot stay listed.
    pub unused: Vec<String>,
    /// Exchanges whose status the reference documents without a schema.
    pub unchecked: BTreeSet<String>,
}

/// Validates every exchange and applies [`EXCEPTIONS`].
pub fn check(reference: &Reference, exchanges: &[Exchange]) -> Verdict {
    let mismatches: Vec<Mismatch> = exchanges.iter().flat_map(|e| mismatches(reference, e)).collect();
    let mut verdict = Verdict {
        failures: Vec::new(),
        excused: Vec::new(),
        unused: Vec::new(),
        unchecked: BTreeSet::new(),
    };
    for exchange in exchanges {
        if matches!(
            reference.response_schema(&exchange.operation, exchange.status),
            ResponseSchema::Undocumented
        ) {
            verdict
                .unchecked
                .insert(format!("{} → {}", exchange.operation.key, exchange.status));
        }
    }
    // Which operations and pointers of each entry matched something; the rest is stale.
    let mut used: Vec<(BTreeSet<usize>, BTreeSet<usize>)> = vec![Default::default(); EXCEPTIONS.len()];
    for mismatch in mismatches {
        let found = EXCEPTIONS
            .iter()
            .enumerate()
            .find_map(|(index, e)| e.matches(&mismatch).map(|hit| (index, hit)));
        match found {
            Some((index, (op, pointer))) => {
                used[index].0.insert(op);
                used[index].1.insert(pointer);
                verdict.excused.push((mismatch, &EXCEPTIONS[index]));
            }
            None => verdict.failures.push(mismatch),
        }
    }
    for (entry, (ops, pointers)) in EXCEPTIONS.iter().zip(&used) {
        for (index, op) in entry.operations.iter().enumerate() {
            if !ops.contains(&index) {
                verdict
                    .unused
                    .push(format!("{op} (from the entry for {})", entry.pointers.join(", ")));
            }
        }
        for (index, pointer) in entry.pointers.iter().enumerate() {
            if !pointers.contains(&index) {
                verdict.unused.push(format!(
                    "{pointer} (from the entry for {})",
                    entry.operations.join(", ")
                ));
            }
        }
    }
    verdict
}

/// The mismatches of one exchange, deduplicated (flattening nested `oneOf`s can report one place twice).
pub fn mismatches(reference: &Reference, exchange: &Exchange) -> Vec<Mismatch> {
    let base = |pointer: String, expected: String, got: String| Mismatch {
        operation: exchange.operation.key.clone(),
        request: exchange.request.clone(),
        pointer,
        expected,
        got,
    };
    let schema = match reference.response_schema(&exchange.operation, exchange.status) {
        ResponseSchema::Schema(schema) => schema,
        ResponseSchema::Undocumented => return Vec::new(),
        ResponseSchema::UnknownStatus { documented } => {
            return vec![base(
                STATUS.to_owned(),
                format!("one of the documented statuses {documented:?}"),
                match exchange.body.pointer("/error/message").and_then(Value::as_str) {
                    Some(message) => format!("{} {message}", exchange.status),
                    None => format!("{} {}", exchange.status, brief(&exchange.body)),
                },
            )];
        }
    };
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the reference schema for {} compiles: {e}", exchange.operation.key));
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for error in validator.iter_errors(&exchange.body) {
        for (pointer, expected, got) in flatten(&error, &schema) {
            if seen.insert((pointer.clone(), expected.clone())) {
                found.push(base(pointer, expected, got));
            }
        }
    }
    found
}

/// Turns one validator error into (pointer, expected, got) triples that say where the problem is:
/// - a missing required property is reported at the property's own pointer;
/// - a failed `oneOf`/`anyOf` is replaced by the errors of its closest branch (the one that at least has
///   the right JSON type at that place, then the one with the fewest errors), so that a booking missing a
///   field reports that field, not "matches none of 7 schemas".
fn flatten(error: &ValidationError<'_>, schema: &Value) -> Vec<(String, String, String)> {
    let pointer = error.instance_path().as_str().to_owned();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().map_or_else(|| property.to_string(), str::to_owned);
            vec![(
                format!("{pointer}/{}", escape(&name)),
                "a value (the property is required)".to_owned(),
                "nothing: the property is absent".to_owned(),
            )]
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            let keyword = if matches!(error.kind(), ValidationErrorKind::AnyOf { .. }) {
                "anyOf"
            } else {
                "oneOf"
            };
            let fit = |index: usize| branch_fit(schema, error.schema_path().as_str(), index, error.instance());
            let Some((index, branch)) = closest_branch(context, &pointer, fit) else {
                return vec![(pointer, format!("{keyword}: {error}"), brief(error.instance()))];
            };
            let label = branch_label(schema, error.schema_path().as_str(), index);
            branch
                .iter()
                .flat_map(|inner| flatten(inner, schema))
                .map(|(p, expected, got)| (p, format!("{expected}  (closest {keyword} branch: {label})"), got))
                .collect()
        }
        _ => vec![(pointer, expectation(error), brief(error.instance()))],
    }
}

/// The branch most likely meant. The reference's `oneOf`s have no discriminator, but each branch documents
/// its `type` (and a default field its fixed `slug`) as a default or an example; so, in order: no type
/// error at the branch point itself, no documented `type`/`slug` that contradicts the instance, one that
/// names it, then the fewest errors.
fn closest_branch<'a>(
    branches: &'a [Vec<ValidationError<'static>>],
    at: &str,
    fit: impl Fn(usize) -> Fit,
) -> Option<(usize, &'a Vec<ValidationError<'static>>)> {
    branches.iter().enumerate().min_by_key(|(index, errors)| {
        let wrong_kind = errors
            .iter()
            .any(|e| e.instance_path().as_str() == at && matches!(e.kind(), ValidationErrorKind::Type { .. }));
        let fit = fit(*index);
        (wrong_kind, fit.contradicted, !fit.named, errors.len())
    })
}

/// How a `oneOf` branch's documented `type`/`slug` relate to the instance.
#[derive(Default)]
struct Fit {
    /// The branch documents a different value.
    contradicted: bool,
    /// The branch documents the instance's value.
    named: bool,
}

/// Compares branch `index` of the `oneOf`/`anyOf` at `keyword_path` with the instance's `type` (documented
/// as a default or an example) and `slug` (a default only: custom fields' slug examples are placeholders).
fn branch_fit(schema: &Value, keyword_path: &str, index: usize, instance: &Value) -> Fit {
    let Some(mut branch) = schema.pointer(&format!("{keyword_path}/{index}")) else {
        return Fit::default();
    };
    if let Some(target) = branch.get("$ref").and_then(Value::as_str) {
        match schema.pointer(target.trim_start_matches('#')) {
            Some(resolved) => branch = resolved,
            None => return Fit::default(),
        }
    }
    let mut fit = Fit::default();
    for (field, use_example) in [("type", true), ("slug", false)] {
        let Some(value) = instance.get(field).filter(|v| v.is_string()) else {
            continue;
        };
        let documented = &branch["properties"][field];
        let stated = documented
            .get("default")
            .or_else(|| use_example.then(|| documented.get("example")).flatten());
        match stated {
            Some(stated) if stated == value => fit.named = true,
            Some(_) => fit.contradicted = true,
            None => {}
        }
    }
    fit
}

/// Names a `oneOf` branch by its `$ref` when the schema path leads to one.
fn branch_label(schema: &Value, keyword_path: &str, index: usize) -> String {
    schema
        .pointer(&format!("{keyword_path}/{index}/$ref"))
        .and_then(Value::as_str)
        .map_or_else(
            || format!("#{index}"),
            |r| r.trim_start_matches("#/components/schemas/").to_owned(),
        )
}

/// The validator's own sentence for an error, minus the instance it quotes (reported separately).
fn expectation(error: &ValidationError<'_>) -> String {
    match error.kind() {
        ValidationErrorKind::Type { kind } => match kind {
            TypeKind::Single(one) => format!("type {one}"),
            TypeKind::Multiple(set) => {
                format!(
                    "type {}",
                    set.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" or ")
                )
            }
        },
        ValidationErrorKind::Enum { options } => format!("one of {options}"),
        ValidationErrorKind::Format { format } => format!("format {format}"),
        ValidationErrorKind::Constant { expected_value } => format!("the constant {expected_value}"),
        _ => error.to_string(),
    }
}

/// A short rendering of a value for the report.
pub fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

/// Escapes a JSON pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
