//! The routing form builder's rows, without JavaScript: one row per field and per route (the last of each blank,
//! to add one), a position box to reorder, a remove box, and within each route one row per rule (again with a
//! blank one). Rows become the API's `FormInput`, so `routing_forms::manage` checks them as it checks the API's;
//! a refusal of `fields[n]…` or `routes[n].conditions.rules[k]…` is brought back to the row it came from. A rule
//! may name a question added in the same post by its row (`new:{row}`), so one save makes both.

use super::form::Posted;
use crate::credentials::new_uid;
use crate::i18n::Lang;
use crate::routing_forms::manage::FormInput;
use crate::routing_forms::model::{Action, Definition, Field, FieldKind, Operator, Route, Rule};
use convene_core::{EmailAddress, FieldError};
use serde_json::{Map, Value, json};

/// The field types, in the order the type select offers them (Cal.com's names).
pub(crate) const FIELD_KINDS: [&str; 7] = ["text", "textarea", "number", "email", "phone", "select", "multiselect"];
pub(crate) const OPERATORS: [&str; 4] = ["equals", "contains", "anyOf", "between"];
/// Where a route leads, as the action select names it.
pub(crate) const ACTIONS: [&str; 3] = ["eventType", "url", "message"];

/// A rule's question select names a question not saved yet by its row: `new:{row}`.
pub(crate) const NEW_FIELD: &str = "new:";

/// The box of further addresses each response is emailed to (the API's `settings.sendUpdatesTo`).
pub(crate) const SEND_UPDATES_TO: &str = "sendUpdatesTo";
/// The builder takes at most this many further addresses: a form is no mailing list.
const MAX_ADDRESSES: usize = 20;

/// At most this many rows of each kind are read from a post.
const MAX_ROWS: usize = 60;

/// One field of the form as the page shows it.
#[derive(Default)]
pub(crate) struct FieldRow {
    pub index: usize,
    /// The stored id; empty for a field not saved yet.
    pub id: String,
    pub position: String,
    pub kind: String,
    pub label: String,
    pub identifier: String,
    pub required: bool,
    /// One option label a line.
    pub options: String,
    pub error: Option<String>,
}

/// One condition of a route.
#[derive(Default)]
pub(crate) struct RuleRow {
    pub index: usize,
    /// The field's id; empty for the blank rule.
    pub field: String,
    pub operator: String,
    /// One value a line ("any of" takes several).
    pub value: String,
    pub min: String,
    pub max: String,
    pub error: Option<String>,
}

/// A route, or the fallback (its `prefix` is `fb`, and it has no rules).
#[derive(Default)]
pub(crate) struct RouteRow {
    /// Names of its controls start with this: `r{index}` or `fb`.
    pub prefix: String,
    pub index: usize,
    pub id: String,
    pub position: String,
    pub action: String,
    pub event_type: String,
    pub url: String,
    pub message: String,
    pub combinator: String,
    pub rules: Vec<RuleRow>,
    pub error: Option<String>,
}

/// The builder's rows.
#[derive(Default)]
pub(crate) struct Rows {
    pub fields: Vec<FieldRow>,
    pub routes: Vec<RouteRow>,
    pub fallback: RouteRow,
}

fn blank_field(index: usize) -> FieldRow {
    FieldRow {
        index,
        position: (index + 1).to_string(),
        kind: "text".into(),
        ..FieldRow::default()
    }
}

fn blank_rule(index: usize) -> RuleRow {
    RuleRow {
        index,
        operator: "equals".into(),
        ..RuleRow::default()
    }
}

fn blank_route(index: usize) -> RouteRow {
    RouteRow {
        prefix: format!("r{index}"),
        index,
        position: (index + 1).to_string(),
        action: "eventType".into(),
        combinator: "all".into(),
        rules: vec![blank_rule(0)],
        ..RouteRow::default()
    }
}

fn blank_fallback() -> RouteRow {
    RouteRow {
        prefix: "fb".into(),
        action: "message".into(),
        ..RouteRow::default()
    }
}

/// A rule's value as the host typed it: option ids read as their labels, lists one a line.
fn rule_row(index: usize, rule: &Rule, fields: &[Field]) -> RuleRow {
    let field = fields.iter().find(|f| f.id == rule.field);
    let shown = |v: &Value| match v {
        Value::String(s) => field
            .and_then(|f| f.options.iter().find(|o| o.id == *s))
            .map_or_else(|| s.clone(), |o| o.label.clone()),
        other => other.to_string(),
    };
    let bound = |k: &str| {
        rule.value
            .get(k)
            .filter(|b| !b.is_null())
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let operator = serde_json::to_value(rule.operator)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let (value, min, max) = match (&rule.operator, &rule.value) {
        (Operator::Between, _) => (String::new(), bound("min"), bound("max")),
        (_, Value::Array(items)) => (
            items.iter().map(shown).collect::<Vec<_>>().join("\n"),
            String::new(),
            String::new(),
        ),
        (_, v) => (shown(v), String::new(), String::new()),
    };
    RuleRow {
        index,
        field: rule.field.clone(),
        operator,
        value,
        min,
        max,
        error: None,
    }
}

fn action_parts(action: &Action, row: &mut RouteRow) {
    match action {
        Action::EventType { event_type_id } => {
            row.action = "eventType".into();
            row.event_type = event_type_id.to_string();
        }
        Action::ExternalUrl { value } => {
            row.action = "url".into();
            row.url.clone_from(value);
        }
        Action::Message { value } => {
            row.action = "message".into();
            row.message.clone_from(value);
        }
    }
}

fn route_row(index: usize, route: &Route, fields: &[Field]) -> RouteRow {
    let mut row = blank_route(index);
    row.id.clone_from(&route.id);
    action_parts(&route.action, &mut row);
    row.combinator = serde_json::to_value(route.conditions.combinator)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "all".into());
    row.rules = route
        .conditions
        .rules
        .iter()
        .enumerate()
        .map(|(k, r)| rule_row(k, r, fields))
        .collect();
    row.rules.push(blank_rule(row.rules.len()));
    row
}

impl Rows {
    /// The rows of a stored form (none for a new one), each list ending in a blank row.
    pub(crate) fn of(definition: Option<&Definition>) -> Rows {
        let empty = Definition::default();
        let d = definition.unwrap_or(&empty);
        let mut fields: Vec<FieldRow> = d
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| FieldRow {
                index: i,
                id: f.id.clone(),
                position: (i + 1).to_string(),
                kind: serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label: f.label.clone(),
                identifier: f.identifier.clone().unwrap_or_default(),
                required: f.required,
                options: f
                    .options
                    .iter()
                    .map(|o| o.label.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                error: None,
            })
            .collect();
        fields.push(blank_field(fields.len()));
        let mut routes: Vec<RouteRow> = d
            .routes
            .iter()
            .filter(|r| !r.is_fallback)
            .enumerate()
            .map(|(j, r)| route_row(j, r, &d.fields))
            .collect();
        routes.push(blank_route(routes.len()));
        let mut fallback = blank_fallback();
        if let Some(r) = d.routes.iter().find(|r| r.is_fallback) {
            fallback.id.clone_from(&r.id);
            action_parts(&r.action, &mut fallback);
        }
        Rows {
            fields,
            routes,
            fallback,
        }
    }

    /// The rows as posted, to show again after a refusal.
    pub(crate) fn posted(form: &Posted) -> Rows {
        let count = |name: &str| form.get(name).trim().parse::<usize>().unwrap_or(0).min(MAX_ROWS);
        let fields = (0..count("fieldRows"))
            .map(|i| {
                let get = |part: &str| form.get(&format!("f{i}-{part}")).to_owned();
                FieldRow {
                    index: i,
                    id: get("id"),
                    position: get("position"),
                    kind: get("type"),
                    label: get("label"),
                    identifier: get("identifier"),
                    required: form.ticked(&format!("f{i}-required")),
                    options: get("options"),
                    error: None,
                }
            })
            .collect();
        let route = |prefix: String, index: usize| {
            let get = |part: &str| form.get(&format!("{prefix}-{part}")).to_owned();
            let rules = (0..count(&format!("{prefix}-ruleRows")))
                .map(|k| {
                    let get = |part: &str| form.get(&format!("{prefix}-k{k}-{part}")).to_owned();
                    RuleRow {
                        index: k,
                        field: get("field"),
                        operator: get("operator"),
                        value: get("value"),
                        min: get("min"),
                        max: get("max"),
                        error: None,
                    }
                })
                .collect();
            RouteRow {
                index,
                id: get("id"),
                position: get("position"),
                action: get("action"),
                event_type: get("eventType"),
                url: get("url"),
                message: get("message"),
                combinator: get("combinator"),
                rules,
                error: None,
                prefix,
            }
        };
        let routes = (0..count("routeRows")).map(|j| route(format!("r{j}"), j)).collect();
        Rows {
            fields,
            routes,
            fallback: route("fb".into(), 0),
        }
    }
}

/// Where each entry of the built input came from, to bring a refusal back to its row.
#[derive(Default)]
pub(crate) struct Origins {
    /// `fields[n]` came from field row `fields[n]`.
    fields: Vec<usize>,
    /// `routes[n]` came from this route's prefix, with its rules' row numbers.
    routes: Vec<(String, Vec<usize>)>,
}

impl Origins {
    /// The builder's own name for a refusal of the service: `fields[2].label` → `f{row}-label`,
    /// `routes[1].conditions.rules[0].value` → `r{row}-k{rule}-value`, `settings…` → the addresses' box; other
    /// names are kept.
    pub(crate) fn own_name(&self, field: &str) -> String {
        let indexed = |rest: &str| -> Option<(usize, String)> {
            let (n, part) = rest.split_once(']')?;
            Some((n.parse().ok()?, part.trim_start_matches('.').to_owned()))
        };
        if field == "settings" || field.starts_with("settings.") {
            return SEND_UPDATES_TO.to_owned();
        }
        if let Some((n, part)) = field.strip_prefix("fields[").and_then(indexed)
            && let Some(row) = self.fields.get(n)
        {
            return format!("f{row}-{part}");
        }
        if let Some((n, part)) = field.strip_prefix("routes[").and_then(indexed)
            && let Some((prefix, rules)) = self.routes.get(n)
        {
            if let Some((k, rest)) = part.strip_prefix("conditions.rules[").and_then(indexed)
                && let Some(rule) = rules.get(k)
            {
                return format!("{prefix}-k{rule}-{rest}");
            }
            return format!("{prefix}-{part}");
        }
        field.to_owned()
    }
}

/// The form's email settings: the owner's box, and the further addresses (one a line, or separated by commas),
/// each checked — the first bad one is named beside the box.
pub(crate) fn settings(email_owner: bool, send_updates_to: &str, t: Lang) -> Result<Value, FieldError> {
    let mut addresses: Vec<String> = Vec::new();
    for raw in send_updates_to
        .split(['\n', ','])
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let address = EmailAddress::parse(SEND_UPDATES_TO, raw)
            .map_err(|_| FieldError::new(SEND_UPDATES_TO, t.text_with("app-rf-err-address", &[("address", raw)])))?;
        if !addresses.iter().any(|a| a == address.as_str()) {
            addresses.push(address.as_str().to_owned());
        }
    }
    if addresses.len() > MAX_ADDRESSES {
        let most = MAX_ADDRESSES.to_string();
        return Err(FieldError::new(
            SEND_UPDATES_TO,
            t.text_with("app-rf-err-addresses", &[("most", &most)]),
        ));
    }
    Ok(json!({"emailOwnerOnSubmission": email_owner, "sendUpdatesTo": addresses}))
}

/// A row's position box: empty keeps the form's order.
fn position(raw: &str, at: usize, name: String, t: Lang) -> Result<i64, FieldError> {
    match raw.trim() {
        "" => Ok(i64::try_from(at).unwrap_or(i64::MAX)),
        p => p
            .parse::<i64>()
            .map_err(|_| FieldError::new(name, t.text("app-rf-err-whole-number"))),
    }
}

fn number(raw: &str, name: String, t: Lang) -> Result<Option<f64>, FieldError> {
    match raw.trim() {
        "" => Ok(None),
        n => n
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| FieldError::new(name, t.text("app-rf-err-number"))),
    }
}

/// The options of a select field: one label a line, each keeping the id it had (so rules and stored answers
/// naming it still do), a new one for a new label.
fn options(raw: &str, before: Option<&Field>) -> Value {
    let labels: Vec<&str> = raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let options: Vec<Value> = labels
        .iter()
        .map(|label| {
            let id = before
                .and_then(|f| f.options.iter().find(|o| o.label == *label))
                .map_or_else(new_uid, |o| o.id.clone());
            json!({"id": id, "label": label})
        })
        .collect();
    Value::Array(options)
}

/// A route's action, or `None` for an untouched blank row.
fn action(row: &RouteRow, t: Lang) -> Result<Option<Value>, FieldError> {
    let name = |part: &str| format!("{}-{part}", row.prefix);
    // An emptied fallback is removed; a saved route emptied is refused (its remove box removes it).
    let unsaved = row.id.is_empty() || row.prefix == "fb";
    let blank =
        unsaved && row.event_type.trim().is_empty() && row.url.trim().is_empty() && row.message.trim().is_empty();
    if blank {
        return Ok(None);
    }
    let action = match row.action.as_str() {
        "eventType" => {
            let id = row
                .event_type
                .trim()
                .parse::<i64>()
                .map_err(|_| FieldError::new(name("eventType"), t.text("app-rf-err-event-type")))?;
            json!({"type": "eventTypeRedirectUrl", "eventTypeId": id})
        }
        "url" => json!({"type": "externalRedirectUrl", "value": row.url.trim()}),
        "message" => json!({"type": "customPageMessage", "value": row.message.trim()}),
        _ => return Err(FieldError::new(name("action"), t.text("app-rf-err-action"))),
    };
    Ok(Some(action))
}

/// A whole number stays one in the stored document (`100`, not `100.0`).
fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// `field` is the rule's field as this post builds it (its id, type and options with their ids), whose option id
/// a value naming an option by its label is stored as — so a form saved unchanged stays as it was, and a rule may
/// name an option or a question added in the same save.
fn rule(row: &RuleRow, at: &str, field: Option<&Value>, t: Lang) -> Result<Value, FieldError> {
    let name = |part: &str| format!("{at}-{part}");
    let kind = field.and_then(|f| serde_json::from_value::<FieldKind>(f["type"].clone()).ok());
    let option = |v: &str| {
        field
            .and_then(|f| f["options"].as_array())
            .and_then(|options| options.iter().find(|o| o["label"] == v))
            .and_then(|o| o["id"].as_str())
            .map_or_else(|| v.to_owned(), str::to_owned)
    };
    let value = match row.operator.as_str() {
        "between" => {
            let mut bounds = Map::new();
            for (key, raw) in [("min", &row.min), ("max", &row.max)] {
                if let Some(n) = number(raw, name(key), t)? {
                    bounds.insert(key.into(), number_value(n));
                }
            }
            Value::Object(bounds)
        }
        "equals" if kind == Some(FieldKind::Number) => number_value(
            number(&row.value, name("value"), t)?
                .ok_or_else(|| FieldError::new(name("value"), t.text("app-rf-err-number")))?,
        ),
        "anyOf" => Value::from(
            row.value
                .lines()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(option)
                .collect::<Vec<_>>(),
        ),
        _ => Value::from(option(row.value.trim())),
    };
    if value.as_str().is_some_and(str::is_empty) || value.as_array().is_some_and(Vec::is_empty) {
        return Err(FieldError::new(name("value"), t.text("app-rf-err-value")));
    }
    let id = field.and_then(|f| f["id"].as_str()).unwrap_or(&row.field);
    Ok(json!({"field": id, "operator": row.operator, "value": value}))
}

/// The API's input for the posted rows (name, description and switch read by the caller), and where each entry
/// came from. Rows ticked for removal, a field row without a label and an untouched route row are left out; the
/// others are ordered by their position box (ties keep the page's order).
pub(crate) fn input_of(
    form: &Posted,
    rows: &Rows,
    before: Option<&Definition>,
    t: Lang,
) -> Result<(FormInput, Origins), FieldError> {
    let mut fields = Vec::new();
    for row in &rows.fields {
        let i = row.index;
        if row.label.trim().is_empty() || form.ticked(&format!("f{i}-remove")) {
            continue;
        }
        let at = position(&row.position, i, format!("f{i}-position"), t)?;
        let id = if row.id.is_empty() { new_uid() } else { row.id.clone() };
        let mut field = Map::new();
        field.insert("id".into(), json!(id));
        field.insert("type".into(), json!(row.kind));
        field.insert("label".into(), json!(row.label.trim()));
        if !row.identifier.trim().is_empty() {
            field.insert("identifier".into(), json!(row.identifier.trim()));
        }
        field.insert("required".into(), json!(row.required));
        if matches!(row.kind.as_str(), "select" | "multiselect") {
            let old = before.and_then(|d| d.fields.iter().find(|f| f.id == row.id));
            field.insert("options".into(), options(&row.options, old));
        }
        fields.push((at, i, Value::Object(field)));
    }
    fields.sort_by_key(|(at, i, _)| (*at, *i));
    // A rule names a saved question by its id, or one added in this post by its row (`new:{row}`).
    let field_of = |at: &str, named: &str| -> Result<Option<&Value>, FieldError> {
        let Some(row) = named.strip_prefix(NEW_FIELD) else {
            return Ok(fields.iter().map(|(_, _, f)| f).find(|f| f["id"] == named));
        };
        let row = row.parse::<usize>().ok();
        match fields.iter().find(|(_, i, _)| Some(*i) == row) {
            Some((_, _, f)) => Ok(Some(f)),
            None => Err(FieldError::new(format!("{at}-field"), t.text("app-rf-err-new-field"))),
        }
    };

    let mut routes = Vec::new();
    for row in &rows.routes {
        let j = row.index;
        if form.ticked(&format!("r{j}-remove")) {
            continue;
        }
        let Some(action) = action(row, t)? else { continue };
        let at = position(&row.position, j, format!("r{j}-position"), t)?;
        let mut rules = Vec::new();
        let mut rule_rows = Vec::new();
        for r in row.rules.iter().filter(|r| !r.field.is_empty()) {
            let at = format!("r{j}-k{}", r.index);
            rules.push(rule(r, &at, field_of(&at, &r.field)?, t)?);
            rule_rows.push(r.index);
        }
        let combinator = if row.combinator == "any" { "any" } else { "all" };
        let route = json!({
            "id": if row.id.is_empty() { new_uid() } else { row.id.clone() },
            "action": action,
            "conditions": {"combinator": combinator, "rules": rules},
        });
        routes.push((at, j, route, rule_rows));
    }
    routes.sort_by_key(|(at, j, _, _)| (*at, *j));
    let mut origins = Origins {
        fields: fields.iter().map(|(_, i, _)| *i).collect(),
        routes: routes
            .iter()
            .map(|(_, j, _, rules)| (format!("r{j}"), rules.clone()))
            .collect(),
    };
    let mut routes: Vec<Value> = routes.into_iter().map(|(_, _, route, _)| route).collect();
    if let Some(action) = action(&rows.fallback, t)? {
        let id = if rows.fallback.id.is_empty() {
            new_uid()
        } else {
            rows.fallback.id.clone()
        };
        routes.push(json!({"id": id, "action": action, "isFallback": true}));
        origins.routes.push(("fb".into(), Vec::new()));
    }
    let input = FormInput {
        fields: Some(Value::Array(fields.into_iter().map(|(_, _, f)| f).collect())),
        routes: Some(Value::Array(routes)),
        ..FormInput::default()
    };
    Ok((input, origins))
}

impl Rows {
    /// Puts a refusal (in the builder's names) beside its row; `false` when it belongs to no row.
    pub(crate) fn place(&mut self, name: &str, message: &str) -> bool {
        let Some((head, part)) = name.split_once('-') else {
            return false;
        };
        if head == "fb" {
            self.fallback.error = Some(message.to_owned());
            return true;
        }
        let index = |s: &str| s.parse::<usize>().ok();
        if let Some(i) = head.strip_prefix('f').and_then(index)
            && let Some(row) = self.fields.iter_mut().find(|r| r.index == i)
        {
            row.error = Some(message.to_owned());
            return true;
        }
        if let Some(j) = head.strip_prefix('r').and_then(index)
            && let Some(route) = self.routes.iter_mut().find(|r| r.index == j)
        {
            if let Some(k) = part.strip_prefix('k').and_then(|p| p.split('-').next()).and_then(index)
                && let Some(rule) = route.rules.iter_mut().find(|r| r.index == k)
            {
                rule.error = Some(message.to_owned());
            } else {
                route.error = Some(message.to_owned());
            }
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted::from_pairs(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn rows_become_the_api_input_in_position_order_and_refusals_find_their_row() {
        let form = posted(&[
            ("fieldRows", "3"),
            ("f0-type", "text"),
            ("f0-label", "Name"),
            ("f0-position", "2"),
            ("f1-type", "select"),
            ("f1-label", "Topic"),
            ("f1-options", "Sales\n\nSupport\n"),
            ("f1-position", "1"),
            ("f2-type", "text"),
            ("f2-label", ""),
            ("routeRows", "2"),
            ("r0-action", "message"),
            ("r0-message", "Hello"),
            ("r0-ruleRows", "2"),
            ("r0-k0-field", ""),
            ("r0-k1-field", "x"),
            ("r0-k1-operator", "anyOf"),
            ("r0-k1-value", "a\nb"),
            ("r1-action", "eventType"),
            ("fb-action", "url"),
            ("fb-url", "https://example.com"),
        ]);
        let rows = Rows::posted(&form);
        let (input, origins) = input_of(&form, &rows, None, Lang::En).expect("read");
        let fields = input.fields.expect("fields");
        assert_eq!(fields[0]["label"], "Topic");
        assert_eq!(fields[0]["options"][1]["label"], "Support");
        assert_eq!(fields[1]["label"], "Name");
        assert_eq!(fields.as_array().map(Vec::len), Some(2), "the blank row is left out");
        let routes = input.routes.expect("routes");
        assert_eq!(routes[0]["conditions"]["rules"][0]["value"], json!(["a", "b"]));
        assert_eq!(routes[1]["isFallback"], true);
        assert_eq!(origins.own_name("fields[0].options"), "f1-options");
        assert_eq!(origins.own_name("routes[0].conditions.rules[0].field"), "r0-k1-field");
        assert_eq!(origins.own_name("routes[1].action.value"), "fb-action.value");
        assert_eq!(origins.own_name("name"), "name");
        assert_eq!(origins.own_name("settings.sendUpdatesTo[1]"), SEND_UPDATES_TO);
    }

    #[test]
    fn bad_numbers_are_refused_by_the_rows_name() {
        let form = posted(&[
            ("fieldRows", "1"),
            ("f0-type", "number"),
            ("f0-label", "Size"),
            ("f0-id", "size"),
            ("routeRows", "1"),
            ("r0-action", "message"),
            ("r0-message", "Big"),
            ("r0-ruleRows", "1"),
            ("r0-k0-field", "size"),
            ("r0-k0-operator", "between"),
            ("r0-k0-min", "lots"),
        ]);
        let rows = Rows::posted(&form);
        let err = input_of(&form, &rows, None, Lang::En).err().expect("refused");
        assert_eq!(err.field, "r0-k0-min");
        let mut rows = rows;
        assert!(rows.place(&err.field, &err.message));
        assert!(rows.routes[0].rules[0].error.is_some());
    }
}
