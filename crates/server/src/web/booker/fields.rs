//! The booking form's questions: name, email, the event type's custom booking fields (every Cal.com field
//! type), notes, guests and a location choice — read from what the invitee sent, checked, and turned into the
//! booking's responses. Errors are kept per field so the page shows each beside its input, with the input kept.

use super::params::Params;
use crate::i18n::Lang;
use crate::scheduling::answers::{AnswerProblem, Question};
use crate::scheduling::event_settings::default_slug;
use convene_store::event_types::EventTypeRecord;
use serde_json::{Map, Value};

/// One custom question as the form shows it.
pub struct FieldView {
    /// The input's name and id (`f-{slug}`).
    pub name: String,
    pub label: String,
    /// Cal.com's type name (`text`, `select`, `checkbox`, …); the template picks the control by it.
    pub kind: String,
    pub required: bool,
    pub placeholder: String,
    /// Select, multiselect, checkbox group and radio: (value, chosen).
    pub options: Vec<(String, bool)>,
    /// What was typed (or prefilled), for single-value inputs.
    pub value: String,
    pub error: Option<String>,
}

impl FieldView {
    /// The `<input type>` of single-line kinds.
    pub fn input_type(&self) -> &'static str {
        match self.kind.as_str() {
            "number" => "number",
            "email" => "email",
            "phone" => "tel",
            "url" => "url",
            _ => "text",
        }
    }

    pub fn checked(&self) -> bool {
        matches!(self.value.as_str(), "true" | "on" | "yes")
    }
}

/// Reads the event type's stored booking fields: the custom ones, and whether notes or guests are hidden.
pub struct Questions {
    pub custom: Vec<Value>,
    pub notes_hidden: bool,
    pub notes_required: bool,
    pub guests_hidden: bool,
}

impl Questions {
    pub fn of(event: &EventTypeRecord) -> Questions {
        let stored: Vec<Value> = serde_json::from_str(&event.booking_fields).unwrap_or_default();
        // Stored overrides name their default field by slug (`{slug: "notes", isDefault: true, …}`).
        let default_field = |slug: &str| stored.iter().find(|f| default_slug(f) == Some(slug));
        let flag = |f: Option<&Value>, name: &str| f.and_then(|f| f.get(name)).and_then(Value::as_bool) == Some(true);
        Questions {
            notes_hidden: flag(default_field("notes"), "hidden"),
            notes_required: flag(default_field("notes"), "required"),
            guests_hidden: event.disable_guests || flag(default_field("guests"), "hidden"),
            custom: stored
                .iter()
                .filter(|f| {
                    f.get("slug").is_some_and(Value::is_string)
                        && !matches!(
                            f.get("type").and_then(Value::as_str),
                            Some("name" | "title" | "location" | "notes" | "guests" | "rescheduleReason") | None
                        )
                        && f.get("hidden").and_then(Value::as_bool) != Some(true)
                })
                .cloned()
                .collect(),
        }
    }
}

fn text(f: &Value, name: &str) -> String {
    f.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The custom questions filled from `input`, each with its answer checked when `check` (a first view of the form
/// shows no errors) by the same rule the API applies. Returns the views and the booking's responses.
pub fn custom_fields(lang: Lang, q: &Questions, input: &Params, check: bool) -> (Vec<FieldView>, Map<String, Value>) {
    let mut views = Vec::new();
    let mut responses = Map::new();
    for f in &q.custom {
        let Some(question) = Question::of(f) else {
            continue;
        };
        let name = format!("f-{}", question.slug);
        let given: Vec<&str> = input.all(&name);
        let multi = matches!(question.kind, "multiselect" | "checkbox" | "multiemail");
        // The form's strings, in the shape the question's answers take.
        let answer = match (question.kind, given.as_slice()) {
            (_, []) => None,
            ("boolean", _) => Some(Value::Bool(true)),
            _ if multi => Some(Value::Array(
                given.iter().map(|g| Value::String((*g).to_owned())).collect(),
            )),
            (_, [first, ..]) => Some(Value::String((*first).to_owned())),
        };
        let error = match question.check(answer.as_ref()) {
            Ok(Some(kept)) => {
                responses.insert(question.slug.to_owned(), kept);
                None
            }
            Ok(None) => None,
            Err(problem) => Some(lang.text(problem_key(problem))),
        };
        views.push(FieldView {
            options: question
                .options
                .iter()
                .map(|o| ((*o).to_owned(), given.contains(o)))
                .collect(),
            value: if multi { String::new() } else { given.join(", ") },
            name,
            label: text(f, "label"),
            placeholder: text(f, "placeholder"),
            kind: question.kind.to_owned(),
            required: question.required,
            error: if check { error } else { None },
        });
    }
    (views, responses)
}

/// The message beside a field for each problem.
fn problem_key(problem: AnswerProblem) -> &'static str {
    match problem {
        AnswerProblem::Required => "error-required",
        AnswerProblem::Number => "error-number",
        AnswerProblem::Email => "error-email",
        AnswerProblem::Phone => "error-phone",
        AnswerProblem::Url => "error-url",
        AnswerProblem::Option | AnswerProblem::Shape => "error-option",
        AnswerProblem::TooLong => "error-too-long",
    }
}

/// One place the invitee may choose: a fixed one of the event type (its address, link, number or app), or one
/// the invitee gives (`attendeeAddress`, `attendeePhone`, `attendeeDefined`), typed into an input beside it.
pub struct LocationChoice {
    /// Its index in the event type's locations (the radio's value; the input is `location-{index}`).
    pub index: usize,
    pub label: String,
    pub checked: bool,
    /// For locations the invitee gives: the location object's key for their answer (`address`, `phone`,
    /// `location`), the input's type, what they typed and what is wrong with it.
    pub asks: Option<&'static str>,
    pub input_type: &'static str,
    pub value: String,
    pub error: Option<String>,
}

/// What the invitee types for a location kind they give: (location object key, input type, label key).
fn asked(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match kind {
        "attendeeAddress" => Some(("address", "text", "form-location-your-address")),
        "attendeePhone" => Some(("phone", "tel", "form-location-your-phone")),
        "attendeeDefined" => Some(("location", "text", "form-location-your-choice")),
        _ => None,
    }
}

/// The event type's locations as the form offers them, the chosen one (`location`, else the first) checked; with
/// `check`, a chosen location the invitee gives must have their answer.
pub fn location_choices(t: Lang, event: &EventTypeRecord, params: &Params, check: bool) -> Vec<LocationChoice> {
    let defined: Vec<Value> = serde_json::from_str(&event.locations).unwrap_or_default();
    let chosen = params.get("location");
    let mut choices: Vec<LocationChoice> = defined
        .iter()
        .enumerate()
        .filter_map(|(index, l)| {
            let kind = l.get("type").and_then(Value::as_str).unwrap_or_default();
            let (label, asks, input_type) = match asked(kind) {
                Some((key, input_type, label)) => (t.text(label), Some(key), input_type),
                None => {
                    let value = ["address", "link", "phone", "integration"]
                        .iter()
                        .find_map(|k| l.get(*k).and_then(Value::as_str))?;
                    (value.to_owned(), None, "text")
                }
            };
            Some(LocationChoice {
                index,
                label,
                checked: false,
                asks,
                input_type,
                value: params
                    .get(&format!("location-{index}"))
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                error: None,
            })
        })
        .collect();
    let picked = choices
        .iter()
        .position(|c| chosen == Some(c.index.to_string().as_str()))
        .unwrap_or(0);
    if let Some(c) = choices.get_mut(picked) {
        c.checked = true;
        if check && c.asks.is_some() && c.value.is_empty() {
            c.error = Some(t.text("error-required"));
        }
    }
    choices
}

/// The chosen location as the booking service takes it: a location object of the event type, with the invitee's
/// answer for a location they give.
pub fn location_value(event: &EventTypeRecord, choices: &[LocationChoice]) -> Option<Value> {
    let defined: Vec<Value> = serde_json::from_str(&event.locations).unwrap_or_default();
    let chosen = choices.iter().find(|c| c.checked)?;
    let mut location = defined.get(chosen.index)?.clone();
    if let (Some(key), Some(object)) = (chosen.asks, location.as_object_mut()) {
        object.insert(key.to_owned(), Value::String(chosen.value.clone()));
    }
    Some(location)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn questions(fields: Value) -> Questions {
        Questions {
            custom: fields.as_array().cloned().unwrap_or_default(),
            notes_hidden: false,
            notes_required: false,
            guests_hidden: false,
        }
    }

    #[test]
    fn answers_are_typed_and_checked_per_field() {
        let q = questions(json!([
            { "type": "number", "slug": "size", "label": "Size", "required": true },
            { "type": "checkbox", "slug": "topics", "label": "Topics", "required": false, "options": ["a", "b"] },
            { "type": "boolean", "slug": "ok", "label": "OK", "required": false },
            { "type": "url", "slug": "site", "label": "Site", "required": false },
            { "type": "text", "slug": "company", "label": "Company", "required": true }
        ]));
        let input = Params::from_query(Some("f-size=3&f-topics=a&f-topics=b&f-ok=on&f-site=ftp%3A%2F%2Fx"));
        let (views, responses) = custom_fields(Lang::En, &q, &input, true);
        assert_eq!(responses["size"], json!(3.0));
        assert_eq!(responses["topics"], json!(["a", "b"]));
        assert_eq!(responses["ok"], json!(true));
        assert!(views[3].error.is_some(), "a non-web URL is refused");
        assert_eq!(views[4].error.as_deref(), Some("Please fill this in."));
        assert!(views[0].error.is_none());
    }

    #[test]
    fn a_first_view_shows_no_errors() {
        let q = questions(json!([{ "type": "text", "slug": "company", "label": "Company", "required": true }]));
        let (views, _) = custom_fields(Lang::En, &q, &Params::default(), false);
        assert!(views[0].error.is_none());
    }
}
