//! The event type form's booking questions editor, without JavaScript: one row of fields per custom question (the
//! last row blank, to add one), a position box to reorder, a remove box, and the default fields' hidden/required
//! switches. Rows become the API's `bookingFields`, so the event type service checks them as it checks the API's.

use super::form::Posted;
use crate::scheduling::event_settings::default_slug;
use convene_core::FieldError;
use serde_json::{Map, Value, json};

/// Cal.com's custom field types, in the order the type select offers them.
pub(crate) const QUESTION_KINDS: [&str; 13] = [
    "text",
    "textarea",
    "number",
    "email",
    "phone",
    "address",
    "select",
    "multiselect",
    "checkbox",
    "radio",
    "boolean",
    "url",
    "multiemail",
];

/// Types whose answer is picked from options.
const WITH_OPTIONS: [&str; 4] = ["select", "multiselect", "checkbox", "radio"];

/// Types without a placeholder in Cal.com's input shapes.
const WITHOUT_PLACEHOLDER: [&str; 4] = ["checkbox", "radio", "boolean", "multiselect"];

/// Default fields a host may hide or make required (Cal.com always asks for the name and the email, and offers
/// the location from the event type's locations).
pub(crate) const SWITCHABLE_DEFAULTS: [&str; 4] = ["title", "notes", "guests", "rescheduleReason"];

/// One custom question as the form shows it.
#[derive(Default)]
pub(crate) struct QuestionRow {
    /// The row's number in the field names (`q-{index}-label`).
    pub index: usize,
    pub position: String,
    pub kind: String,
    pub slug: String,
    pub label: String,
    pub placeholder: String,
    /// One option a line.
    pub options: String,
    pub required: bool,
    pub hidden: bool,
    /// The refused part (`label`, `slug`, …) and why, shown beside the row.
    pub error: Option<(String, String)>,
}

/// A default field's switches.
pub(crate) struct DefaultRow {
    pub slug: &'static str,
    /// Filled in by the page, in its language.
    pub label: String,
    pub required: bool,
    pub hidden: bool,
}

/// The rows of stored `booking_fields`, then one blank row.
pub(crate) fn rows_of(stored: &str) -> (Vec<QuestionRow>, Vec<DefaultRow>) {
    let stored: Vec<Value> = serde_json::from_str(stored).unwrap_or_default();
    let text = |f: &Value, name: &str| f.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let flag = |f: &Value, name: &str| f.get(name).and_then(Value::as_bool) == Some(true);
    let mut rows: Vec<QuestionRow> = stored
        .iter()
        .filter(|f| default_slug(f).is_none())
        .enumerate()
        .map(|(i, f)| QuestionRow {
            index: i,
            position: (i + 1).to_string(),
            kind: text(f, "type"),
            slug: text(f, "slug"),
            label: text(f, "label"),
            placeholder: text(f, "placeholder"),
            options: f
                .get("options")
                .and_then(Value::as_array)
                .map(|o| o.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default(),
            required: flag(f, "required"),
            hidden: flag(f, "hidden"),
            error: None,
        })
        .collect();
    rows.push(blank(rows.len()));
    let defaults = SWITCHABLE_DEFAULTS
        .iter()
        .map(|slug| {
            let f = stored.iter().find(|f| default_slug(f) == Some(slug));
            DefaultRow {
                slug,
                label: String::new(),
                required: f.is_some_and(|f| flag(f, "required")),
                hidden: f.is_some_and(|f| flag(f, "hidden")),
            }
        })
        .collect();
    (rows, defaults)
}

fn blank(index: usize) -> QuestionRow {
    QuestionRow {
        index,
        position: (index + 1).to_string(),
        ..QuestionRow::default()
    }
}

/// How many question rows the form posted.
fn row_count(form: &Posted) -> usize {
    form.text("questionRows")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
        .min(60)
}

/// The rows as posted (to show again), plus `extra` blank rows.
pub(crate) fn rows_posted(form: &Posted, extra: usize) -> (Vec<QuestionRow>, Vec<DefaultRow>) {
    let count = row_count(form);
    let mut rows: Vec<QuestionRow> = (0..count)
        .map(|i| {
            let get = |part: &str| form.get(&format!("q-{i}-{part}")).to_owned();
            QuestionRow {
                index: i,
                position: get("position"),
                kind: get("type"),
                slug: get("slug"),
                label: get("label"),
                placeholder: get("placeholder"),
                options: get("options"),
                required: form.ticked(&format!("q-{i}-required")),
                hidden: form.ticked(&format!("q-{i}-hidden")),
                error: None,
            }
        })
        .collect();
    for i in count..count + extra {
        rows.push(blank(i));
    }
    let defaults = SWITCHABLE_DEFAULTS
        .iter()
        .map(|slug| DefaultRow {
            slug,
            label: String::new(),
            required: form.ticked(&format!("d-{slug}-required")),
            hidden: form.ticked(&format!("d-{slug}-hidden")),
        })
        .collect();
    (rows, defaults)
}

/// A slug from a label when the host left the slug empty: lower-case letters and digits joined by '-'.
fn slug_from(label: &str) -> String {
    let mut slug = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(64).collect()
}

/// The API's `bookingFields` from the posted rows, each with the row it came from (so a refusal of
/// `bookingFields[i]` is shown beside its row). Rows without a type, or ticked for removal, are left out;
/// the others are ordered by their position box (ties keep the form's order).
pub(crate) fn questions_of(form: &Posted) -> Result<Vec<(usize, Value)>, FieldError> {
    let mut custom = Vec::new();
    for i in 0..row_count(form) {
        let get = |part: &str| form.get(&format!("q-{i}-{part}")).trim().to_owned();
        let kind = get("type");
        if kind.is_empty() || form.ticked(&format!("q-{i}-remove")) {
            continue;
        }
        let position = match get("position") {
            p if p.is_empty() => i64::try_from(i).unwrap_or(i64::MAX),
            p => p.parse::<i64>().map_err(|_| {
                FieldError::coded(
                    format!("q-{i}-position"),
                    "refusal-whole-number",
                    "must be a whole number",
                )
            })?,
        };
        let label = get("label");
        let slug = match get("slug") {
            s if s.is_empty() => slug_from(&label),
            s => s,
        };
        let mut field = Map::new();
        field.insert("type".into(), json!(kind));
        field.insert("slug".into(), json!(slug));
        if !label.is_empty() {
            field.insert("label".into(), json!(label));
        }
        field.insert("required".into(), json!(form.ticked(&format!("q-{i}-required"))));
        field.insert("hidden".into(), json!(form.ticked(&format!("q-{i}-hidden"))));
        if !WITHOUT_PLACEHOLDER.contains(&kind.as_str()) {
            field.insert("placeholder".into(), json!(get("placeholder")));
        }
        if WITH_OPTIONS.contains(&kind.as_str()) {
            let options: Vec<&str> = form
                .get(&format!("q-{i}-options"))
                .lines()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .collect();
            if options.is_empty() {
                return Err(FieldError::coded(
                    format!("q-{i}-options"),
                    "refusal-no-options",
                    "needs at least one option",
                ));
            }
            field.insert("options".into(), json!(options));
        }
        custom.push((position, i, Value::Object(field)));
    }
    custom.sort_by_key(|(position, i, _)| (*position, *i));
    let mut fields: Vec<(usize, Value)> = SWITCHABLE_DEFAULTS
        .iter()
        .filter_map(|slug| {
            let required = form.ticked(&format!("d-{slug}-required"));
            let hidden = form.ticked(&format!("d-{slug}-hidden"));
            // An untouched default field needs no entry.
            (required || hidden).then(|| {
                (
                    usize::MAX,
                    json!({ "slug": slug, "required": required, "hidden": hidden }),
                )
            })
        })
        .collect();
    fields.extend(custom.into_iter().map(|(_, i, f)| (i, f)));
    Ok(fields)
}

/// Where a refusal of the service belongs: `bookingFields[n].part` names the n-th field given, which came from
/// `rows[n]`; the answer is (row, part).
pub(crate) fn row_of_refusal(field: &str, rows: &[usize]) -> Option<(usize, String)> {
    let rest = field.strip_prefix("bookingFields[")?;
    let (n, part) = rest.split_once(']')?;
    let row = *rows.get(n.parse::<usize>().ok()?)?;
    (row != usize::MAX).then(|| (row, part.trim_start_matches('.').to_owned()))
}

/// Where a refusal of this module's own reading belongs: `q-{row}-{part}`.
pub(crate) fn row_of_own(field: &str) -> Option<(usize, String)> {
    let rest = field.strip_prefix("q-")?;
    let (row, part) = rest.split_once('-')?;
    Some((row.parse().ok()?, part.to_owned()))
}
