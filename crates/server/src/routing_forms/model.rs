//! What a form is made of — fields, ordered routes with conditions, settings — parsed from the JSON documents it
//! is stored and written as, and the pure work on them: checking a visitor's answers and choosing the route.

use convene_core::{EmailAddress, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// How long a field's or route's texts may be.
const MAX_TEXT: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Textarea,
    Number,
    Email,
    Phone,
    Select,
    Multiselect,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Field {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    pub label: String,
    /// The name the answer travels under to the booker (and is accepted under by the API); the label when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
}

impl Field {
    /// The name of the answer outside the form: the identifier, else the label.
    pub fn name(&self) -> &str {
        self.identifier
            .as_deref()
            .filter(|i| !i.is_empty())
            .unwrap_or(&self.label)
    }

    fn option_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.options
            .iter()
            .find(|o| o.id == id)
            .map_or(id, |o| o.label.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOption {
    pub id: String,
    pub label: String,
}

/// Where a route sends the visitor (Cal.com's action type names).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Action {
    /// To an event type's booker, the answers prefilled.
    #[serde(rename = "eventTypeRedirectUrl")]
    EventType { event_type_id: i64 },
    #[serde(rename = "externalRedirectUrl")]
    ExternalUrl { value: String },
    #[serde(rename = "customPageMessage")]
    Message { value: String },
}

impl Action {
    pub fn type_name(&self) -> &'static str {
        match self {
            Action::EventType { .. } => "eventTypeRedirectUrl",
            Action::ExternalUrl { .. } => "externalRedirectUrl",
            Action::Message { .. } => "customPageMessage",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combinator {
    #[default]
    All,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Operator {
    /// The answer is the value (text ignoring case and surrounding space; a multi-select: exactly these options).
    Equals,
    /// Text holds the value (ignoring case); a multi-select has the option among its choices.
    Contains,
    /// The answer is one of the listed values; a multi-select shares at least one with them.
    AnyOf,
    /// A number within `{min, max}` (both inclusive, either may be left out).
    Between,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The field's id.
    pub field: String,
    pub operator: Operator,
    pub value: Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default)]
    pub combinator: Combinator,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    pub id: String,
    pub action: Action,
    /// No rules: the route takes every response that reaches it.
    #[serde(default)]
    pub conditions: Conditions,
    /// Taken when no other route matches, wherever it stands.
    #[serde(default)]
    pub is_fallback: bool,
}

/// Who hears of a response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Email each response to the form's owner (default).
    #[serde(default = "yes")]
    pub email_owner_on_submission: bool,
    /// Further addresses that get each response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub send_updates_to: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            email_owner_on_submission: true,
            send_updates_to: Vec::new(),
        }
    }
}

/// A form's questions and routes, checked.
#[derive(Debug, Clone, Default)]
pub struct Definition {
    pub fields: Vec<Field>,
    pub routes: Vec<Route>,
    pub settings: Settings,
}

fn parse_list<T: for<'de> Deserialize<'de>>(name: &str, raw: &Value) -> Result<Vec<T>, FieldError> {
    match raw {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item.clone()).map_err(|e| FieldError::new(format!("{name}[{i}]"), e.to_string()))
            })
            .collect(),
        _ => Err(FieldError::coded(name, "refusal-object", "must be an array")),
    }
}

fn text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::coded(field, "refusal-empty", "must not be empty"));
    }
    if value.chars().count() > MAX_TEXT || value.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(FieldError::coded(
            field,
            "refusal-too-long-plain",
            format!("must be at most {MAX_TEXT} characters, without control characters"),
        )
        .arg("max", MAX_TEXT));
    }
    Ok(())
}

impl Definition {
    /// Checks `fields`, `routes` and `settings` (JSON, as stored or as sent) into a definition.
    pub fn parse(fields: &Value, routes: &Value, settings: &Value) -> Result<Definition, FieldError> {
        let fields: Vec<Field> = parse_list("fields", fields)?;
        let routes: Vec<Route> = parse_list("routes", routes)?;
        let settings: Settings = match settings {
            Value::Null => Settings::default(),
            other => serde_json::from_value(other.clone()).map_err(|e| FieldError::new("settings", e.to_string()))?,
        };
        let mut ids = HashSet::new();
        for (i, f) in fields.iter().enumerate() {
            let at = |part: &str| format!("fields[{i}].{part}");
            text(&at("id"), &f.id)?;
            text(&at("label"), &f.label)?;
            if let Some(identifier) = &f.identifier {
                text(&at("identifier"), identifier)?;
            }
            if !ids.insert(f.id.as_str()) {
                return Err(FieldError::coded(
                    at("id"),
                    "refusal-used-by-field",
                    "is used by another field",
                ));
            }
            let choice = matches!(f.kind, FieldKind::Select | FieldKind::Multiselect);
            if choice && f.options.is_empty() {
                return Err(FieldError::coded(
                    at("options"),
                    "refusal-no-options",
                    "a select field needs options",
                ));
            }
            if !choice && !f.options.is_empty() {
                return Err(FieldError::coded(
                    at("options"),
                    "refusal-options-not-select",
                    "only select fields have options",
                ));
            }
            let mut option_ids = HashSet::new();
            for (k, o) in f.options.iter().enumerate() {
                text(&at(&format!("options[{k}].id")), &o.id)?;
                text(&at(&format!("options[{k}].label")), &o.label)?;
                if !option_ids.insert(o.id.as_str()) {
                    return Err(FieldError::coded(
                        at(&format!("options[{k}].id")),
                        "refusal-used-twice",
                        "is used twice",
                    ));
                }
            }
        }
        let mut route_ids = HashSet::new();
        let mut fallbacks = 0;
        for (i, r) in routes.iter().enumerate() {
            let at = |part: &str| format!("routes[{i}].{part}");
            text(&at("id"), &r.id)?;
            if !route_ids.insert(r.id.as_str()) {
                return Err(FieldError::coded(
                    at("id"),
                    "refusal-used-by-route",
                    "is used by another route",
                ));
            }
            fallbacks += usize::from(r.is_fallback);
            match &r.action {
                Action::EventType { event_type_id } if *event_type_id < 1 => {
                    return Err(FieldError::coded(
                        at("action.eventTypeId"),
                        "refusal-positive-id",
                        "must be a positive id",
                    ));
                }
                Action::ExternalUrl { value } => external_url(&at("action.value"), value)?,
                Action::Message { value } => text(&at("action.value"), value)?,
                Action::EventType { .. } => {}
            }
            for (k, rule) in r.conditions.rules.iter().enumerate() {
                let at = |part: &str| format!("routes[{i}].conditions.rules[{k}].{part}");
                let Some(field) = fields.iter().find(|f| f.id == rule.field) else {
                    return Err(FieldError::coded(
                        at("field"),
                        "refusal-no-such-field",
                        "names no field of the form",
                    ));
                };
                check_rule(&at("value"), field, rule)?;
            }
        }
        if fallbacks > 1 {
            return Err(FieldError::coded(
                "routes",
                "refusal-one-fallback",
                "may have one fallback route at most",
            ));
        }
        for (i, address) in settings.send_updates_to.iter().enumerate() {
            EmailAddress::parse(&format!("settings.sendUpdatesTo[{i}]"), address)?;
        }
        Ok(Definition {
            fields,
            routes,
            settings,
        })
    }

    /// The stored (and API) form of the three documents.
    pub fn to_json(&self) -> (Value, Value, Value) {
        (
            serde_json::to_value(&self.fields).unwrap_or(Value::Null),
            serde_json::to_value(&self.routes).unwrap_or(Value::Null),
            serde_json::to_value(&self.settings).unwrap_or(Value::Null),
        )
    }

    /// The route a response takes: the first matching one in order, else the fallback.
    pub fn route(&self, answers: &Answers) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| !r.is_fallback)
            .find(|r| self.matches(&r.conditions, answers))
            .or_else(|| self.routes.iter().find(|r| r.is_fallback))
    }

    fn matches(&self, conditions: &Conditions, answers: &Answers) -> bool {
        let holds = |rule: &Rule| {
            let field = self.fields.iter().find(|f| f.id == rule.field);
            match (field, answers.0.get(&rule.field)) {
                (Some(field), Some(answer)) => rule_holds(field, rule, answer),
                _ => false,
            }
        };
        match conditions.combinator {
            Combinator::All => conditions.rules.iter().all(holds),
            Combinator::Any => conditions.rules.is_empty() || conditions.rules.iter().any(holds),
        }
    }

    /// Checks the answers a visitor sent — keyed by field id, identifier or label — against the fields.
    /// Answers to unknown names are left out, as Cal.com does.
    pub fn answers(&self, raw: &Map<String, Value>) -> Result<Answers, FieldError> {
        let mut out = BTreeMap::new();
        for field in &self.fields {
            let given = [
                Some(field.id.as_str()),
                field.identifier.as_deref(),
                Some(field.label.as_str()),
            ]
            .into_iter()
            .flatten()
            .find_map(|key| raw.get(key))
            .filter(|v| !is_blank(v));
            let name = field.name();
            match given {
                None if field.required => return Err(FieldError::coded(name, "refusal-required", "is required")),
                None => {}
                Some(value) => {
                    out.insert(field.id.clone(), answer(name, field, value)?);
                }
            }
        }
        Ok(Answers(out))
    }

    /// The answers as Cal.com reports a response: `{fieldId: {label, value}}`.
    pub fn response_json(&self, answers: &Answers) -> Value {
        let mut out = Map::new();
        for field in &self.fields {
            if let Some(answer) = answers.0.get(&field.id) {
                out.insert(
                    field.id.clone(),
                    serde_json::json!({"label": field.label, "value": answer.to_json()}),
                );
            }
        }
        Value::Object(out)
    }

    /// (field label, answer as a person reads it), in the form's order: for emails and pages.
    pub fn readable(&self, answers: &Answers) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter_map(|f| {
                let answer = answers.0.get(&f.id)?;
                let shown = match answer {
                    Answer::Text(t) => f.option_label(t).to_owned(),
                    Answer::Number(n) => number_text(*n),
                    Answer::Many(items) => items.iter().map(|i| f.option_label(i)).collect::<Vec<_>>().join(", "),
                };
                Some((f.label.clone(), shown))
            })
            .collect()
    }

    /// (name, value) pairs that prefill the booker: each answer under the field's identifier (or label), a
    /// multi-select once per choice, choices by their label.
    pub fn prefill(&self, answers: &Answers) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for f in &self.fields {
            match answers.0.get(&f.id) {
                Some(Answer::Text(t)) => out.push((f.name().to_owned(), f.option_label(t).to_owned())),
                Some(Answer::Number(n)) => out.push((f.name().to_owned(), number_text(*n))),
                Some(Answer::Many(items)) => {
                    out.extend(
                        items
                            .iter()
                            .map(|i| (f.name().to_owned(), f.option_label(i).to_owned())),
                    );
                }
                None => {}
            }
        }
        out
    }

    /// Reads stored answers back (`{fieldId: {label, value}}`), for a response's update.
    pub fn stored_answers(&self, stored: &Value) -> Answers {
        let mut raw = Map::new();
        if let Some(map) = stored.as_object() {
            for (id, entry) in map {
                raw.insert(id.clone(), entry.get("value").cloned().unwrap_or(Value::Null));
            }
        }
        // Stored answers were checked when written; a field removed since is simply left out.
        let mut out = BTreeMap::new();
        for field in &self.fields {
            if let Some(value) = raw.get(&field.id)
                && let Ok(a) = answer(field.name(), field, value)
            {
                out.insert(field.id.clone(), a);
            }
        }
        Answers(out)
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// Only web addresses: a route must not send a visitor to `javascript:` or a local file.
fn external_url(field: &str, raw: &str) -> Result<(), FieldError> {
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(FieldError::coded(
            field,
            "refusal-http-address",
            "must be an http or https URL",
        )),
    }
}

fn check_rule(at: &str, field: &Field, rule: &Rule) -> Result<(), FieldError> {
    let strings = |v: &Value| -> Option<Vec<String>> {
        match v {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_owned)).collect(),
            _ => None,
        }
    };
    match rule.operator {
        Operator::Between => {
            let bound = |k: &str| rule.value.get(k).filter(|b| !b.is_null());
            let ok = field.kind == FieldKind::Number
                && rule.value.is_object()
                && [bound("min"), bound("max")]
                    .iter()
                    .all(|b| b.is_none_or(Value::is_number))
                && (bound("min").is_some() || bound("max").is_some());
            if !ok {
                return Err(FieldError::new(
                    at,
                    "between applies to number fields and takes {min, max} (numbers, at least one)",
                ));
            }
        }
        Operator::Equals if field.kind == FieldKind::Number => {
            if !rule.value.is_number() {
                return Err(FieldError::coded(
                    at,
                    "refusal-number",
                    "must be a number for a number field",
                ));
            }
        }
        Operator::Equals | Operator::Contains | Operator::AnyOf => {
            if strings(&rule.value).is_none_or(|v| v.is_empty()) {
                return Err(FieldError::coded(
                    at,
                    "refusal-text",
                    "must be a string or a list of strings",
                ));
            }
        }
    }
    Ok(())
}

/// One checked answer: text (a select's option id), a number, or a multi-select's option ids.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Text(String),
    Number(f64),
    Many(Vec<String>),
}

impl Answer {
    fn to_json(&self) -> Value {
        match self {
            Answer::Text(t) => Value::from(t.clone()),
            Answer::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Answer::Many(items) => Value::from(items.clone()),
        }
    }
}

/// A response's answers by field id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers(pub BTreeMap<String, Answer>);

fn answer(name: &str, field: &Field, value: &Value) -> Result<Answer, FieldError> {
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    // A choice may be named by its id or its label.
    let option = |raw: &str| {
        field
            .options
            .iter()
            .find(|o| o.id == raw || o.label.eq_ignore_ascii_case(raw))
            .map(|o| o.id.clone())
            .ok_or_else(|| {
                FieldError::coded(
                    name,
                    "refusal-not-an-option",
                    format!("'{raw}' is not one of the options"),
                )
                .arg("value", raw)
            })
    };
    match field.kind {
        FieldKind::Number => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            };
            n.map(Answer::Number)
                .ok_or_else(|| FieldError::coded(name, "refusal-number", "must be a number"))
        }
        FieldKind::Select => {
            let raw =
                as_text(value).ok_or_else(|| FieldError::coded(name, "refusal-one-option", "must be one option"))?;
            Ok(Answer::Text(option(&raw)?))
        }
        FieldKind::Multiselect => {
            let raws: Vec<String> = match value {
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        as_text(i)
                            .ok_or_else(|| FieldError::coded(name, "refusal-options-list", "must be a list of options"))
                    })
                    .collect::<Result<_, _>>()?,
                other => vec![
                    as_text(other)
                        .ok_or_else(|| FieldError::coded(name, "refusal-options-list", "must be a list of options"))?,
                ],
            };
            let mut ids = Vec::new();
            for raw in raws {
                let id = option(&raw)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(Answer::Many(ids))
        }
        FieldKind::Email => {
            let raw =
                as_text(value).ok_or_else(|| FieldError::coded(name, "refusal-email", "must be an email address"))?;
            Ok(Answer::Text(EmailAddress::parse(name, &raw)?.as_str().to_owned()))
        }
        FieldKind::Phone => {
            let raw =
                as_text(value).ok_or_else(|| FieldError::coded(name, "refusal-phone", "must be a phone number"))?;
            let digits = raw.chars().filter(char::is_ascii_digit).count();
            let allowed = raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !allowed || !(5..=20).contains(&digits) {
                return Err(FieldError::coded(name, "refusal-phone", "must be a phone number"));
            }
            Ok(Answer::Text(raw))
        }
        FieldKind::Text | FieldKind::Textarea => {
            let raw = as_text(value).ok_or_else(|| FieldError::coded(name, "refusal-text", "must be text"))?;
            let limit = if field.kind == FieldKind::Text { 1_000 } else { 10_000 };
            if raw.chars().count() > limit {
                return Err(
                    FieldError::coded(name, "refusal-too-long", format!("must be at most {limit} characters"))
                        .arg("max", limit),
                );
            }
            if raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
                return Err(FieldError::coded(
                    name,
                    "refusal-control-chars",
                    "must not hold control characters",
                ));
            }
            Ok(Answer::Text(raw))
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn rule_holds(field: &Field, rule: &Rule, answer: &Answer) -> bool {
    let wanted: Vec<String> = match &rule.value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    // A rule on a choice may name the option by id or by label.
    let is_option = |id: &str, w: &str| id == w || same(field.option_label(id), w);
    match (rule.operator, answer) {
        (Operator::Between, Answer::Number(n)) => {
            let min = rule.value.get("min").and_then(Value::as_f64);
            let max = rule.value.get("max").and_then(Value::as_f64);
            min.is_none_or(|m| *n >= m) && max.is_none_or(|m| *n <= m)
        }
        (Operator::Equals, Answer::Number(n)) => rule.value.as_f64().is_some_and(|v| (v - n).abs() < f64::EPSILON),
        (Operator::AnyOf, Answer::Number(n)) => wanted.iter().any(|w| w.parse::<f64>().is_ok_and(|v| v == *n)),
        (Operator::Equals | Operator::AnyOf, Answer::Text(t)) if field.kind == FieldKind::Select => {
            let hits = wanted.iter().any(|w| is_option(t, w));
            hits && (rule.operator == Operator::AnyOf || wanted.len() == 1)
        }
        (Operator::Equals, Answer::Text(t)) => wanted.len() == 1 && same(t, &wanted[0]),
        (Operator::AnyOf, Answer::Text(t)) => wanted.iter().any(|w| same(t, w)),
        (Operator::Contains, Answer::Text(t)) => {
            let t = t.to_lowercase();
            wanted.iter().any(|w| t.contains(&w.trim().to_lowercase()))
        }
        (Operator::Equals, Answer::Many(items)) => {
            items.len() == wanted.len() && items.iter().all(|i| wanted.iter().any(|w| is_option(i, w)))
        }
        (Operator::Contains, Answer::Many(items)) => wanted.iter().all(|w| items.iter().any(|i| is_option(i, w))),
        (Operator::AnyOf, Answer::Many(items)) => items.iter().any(|i| wanted.iter().any(|w| is_option(i, w))),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
