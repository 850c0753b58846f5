//! Answers to an event type's custom booking questions, checked by the question's type: the one rule the API
//! (`bookingFieldsResponses`) and the booking form both apply, so neither accepts what the other refuses.

use crate::scheduling::event_settings::default_slug;
use convene_core::{EmailAddress, FieldError};
use serde_json::{Map, Value};

/// The longest free-text answer kept.
const MAX_TEXT: usize = 2000;

/// What is wrong with one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerProblem {
    Required,
    Number,
    Email,
    Phone,
    Url,
    /// Not one of the question's options.
    Option,
    TooLong,
    /// The wrong JSON shape for the question (an object where text belongs, …).
    Shape,
}

impl AnswerProblem {
    /// The API's words for it.
    /// The catalogue id a page says the problem with, and its arguments.
    pub fn refusal(self, field: impl Into<String>) -> FieldError {
        let id = match self {
            AnswerProblem::Required => "refusal-required",
            AnswerProblem::Number => "refusal-number",
            AnswerProblem::Email => "refusal-email",
            AnswerProblem::Phone => "refusal-phone-international",
            AnswerProblem::Url => "refusal-http-address",
            AnswerProblem::Option => "refusal-options-list",
            AnswerProblem::TooLong => "refusal-too-long",
            AnswerProblem::Shape => "refusal-wrong-type",
        };
        let e = FieldError::coded(field, id, self.message());
        if self == AnswerProblem::TooLong {
            e.arg("max", 2000)
        } else {
            e
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            AnswerProblem::Required => "is required by this event type",
            AnswerProblem::Number => "must be a number",
            AnswerProblem::Email => "must be an email address",
            AnswerProblem::Phone => "must be a phone number in international form (+ and 7 to 16 digits)",
            AnswerProblem::Url => "must be an http or https URL",
            AnswerProblem::Option => "must be one of the question's options",
            AnswerProblem::TooLong => "is too long (at most 2000 characters)",
            AnswerProblem::Shape => "has the wrong type for this question",
        }
    }
}

/// A custom question (not one of the default fields, which are answered in their own places), as stored.
pub struct Question<'a> {
    pub slug: &'a str,
    pub kind: &'a str,
    pub required: bool,
    pub options: Vec<&'a str>,
}

impl<'a> Question<'a> {
    /// The question `field` defines, or None for a default field or a malformed entry. Hidden questions are asked
    /// of nobody, so they are never required.
    pub fn of(field: &'a Value) -> Option<Question<'a>> {
        if default_slug(field).is_some() {
            return None;
        }
        let slug = field.get("slug").and_then(Value::as_str)?;
        let hidden = field.get("hidden").and_then(Value::as_bool) == Some(true);
        Some(Question {
            slug,
            kind: field.get("type").and_then(Value::as_str).unwrap_or("text"),
            required: !hidden && field.get("required").and_then(Value::as_bool) == Some(true),
            options: field
                .get("options")
                .and_then(Value::as_array)
                .map(|o| {
                    o.iter()
                        .filter_map(|v| v.as_str().or_else(|| v.get("value").and_then(Value::as_str)))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The answer as kept (trimmed, addresses normalized), `Ok(None)` when unanswered and optional.
    pub fn check(&self, answer: Option<&Value>) -> Result<Option<Value>, AnswerProblem> {
        let answer = answer.filter(|a| !is_blank(a));
        let Some(answer) = answer else {
            return if self.required {
                Err(AnswerProblem::Required)
            } else {
                Ok(None)
            };
        };
        let kept = match self.kind {
            "boolean" => match answer {
                Value::Bool(b) => Value::Bool(*b),
                Value::String(s) if matches!(s.as_str(), "true" | "on" | "yes") => Value::Bool(true),
                Value::String(s) if s == "false" => Value::Bool(false),
                _ => return Err(AnswerProblem::Shape),
            },
            "number" => match answer {
                Value::Number(n) => Value::Number(n.clone()),
                Value::String(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or(AnswerProblem::Number)?,
                _ => return Err(AnswerProblem::Number),
            },
            "multiemail" => {
                let mut list = Vec::new();
                for item in strings(answer)? {
                    for part in item.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
                        let email = EmailAddress::parse(self.slug, part).map_err(|_| AnswerProblem::Email)?;
                        list.push(Value::String(email.as_str().to_owned()));
                    }
                }
                Value::Array(list)
            }
            "multiselect" | "checkbox" => {
                let chosen = strings(answer)?;
                if !chosen.iter().all(|c| self.options.contains(&c.as_str())) {
                    return Err(AnswerProblem::Option);
                }
                Value::Array(chosen.into_iter().map(Value::String).collect())
            }
            _ => {
                let text = single(answer)?;
                let text = text.trim();
                match self.kind {
                    "email" => Value::String(
                        EmailAddress::parse(self.slug, text)
                            .map_err(|_| AnswerProblem::Email)?
                            .as_str()
                            .to_owned(),
                    ),
                    "phone" if !phone_ok(text) => return Err(AnswerProblem::Phone),
                    "url" if !url_ok(text) => return Err(AnswerProblem::Url),
                    "select" | "radio" if !self.options.contains(&text) => return Err(AnswerProblem::Option),
                    _ if text.chars().count() > MAX_TEXT => return Err(AnswerProblem::TooLong),
                    _ => Value::String(text.to_owned()),
                }
            }
        };
        Ok(Some(kept))
    }
}

/// Checks every custom question of `booking_fields` (the stored JSON) against `responses`, replacing each answer
/// with its kept form. Answers to keys that are not questions are left as given (Cal.com keeps them too).
pub fn check_all(booking_fields: &str, responses: &mut Map<String, Value>) -> Result<(), FieldError> {
    let fields: Vec<Value> = serde_json::from_str(booking_fields).unwrap_or_default();
    for question in fields.iter().filter_map(Question::of) {
        let field = || format!("bookingFieldsResponses.{}", question.slug);
        match question.check(responses.get(question.slug)) {
            Ok(Some(kept)) => {
                responses.insert(question.slug.to_owned(), kept);
            }
            Ok(None) => {}
            Err(problem) => return Err(problem.refusal(field())),
        }
    }
    Ok(())
}

/// What a booking gives for the default fields an event type may make required (each answered in its own place).
#[derive(Debug, Clone, Copy)]
pub struct DefaultAnswers<'a> {
    pub responses: &'a Map<String, Value>,
    pub guests: usize,
    /// The invitee chose a location (one of several offered; with one, it is implied).
    pub location_chosen: bool,
    /// How many locations the event type offers.
    pub locations_offered: usize,
    /// Some when the booking moves another: the reason given, if any.
    pub reschedule_reason: Option<Option<&'a str>>,
}

/// Refuses a booking that leaves out a default field the event type marks required and not hidden, naming the
/// field where the API takes it: the title and notes among `bookingFieldsResponses`, `guests`, `location` (only
/// when several are offered), and the reason of a reschedule.
pub fn check_defaults(booking_fields: &str, given: DefaultAnswers<'_>) -> Result<(), FieldError> {
    let fields: Vec<Value> = serde_json::from_str(booking_fields).unwrap_or_default();
    let answered = |slug: &str| given.responses.get(slug).is_some_and(|v| !is_blank(v));
    for field in &fields {
        let Some(slug) = default_slug(field) else {
            continue;
        };
        let flag = |k: &str| field.get(k).and_then(Value::as_bool) == Some(true);
        if !flag("required") || flag("hidden") {
            continue;
        }
        let missing = match slug {
            "title" | "notes" => (!answered(slug)).then(|| format!("bookingFieldsResponses.{slug}")),
            "guests" => (given.guests == 0).then(|| "guests".to_owned()),
            "location" => (given.locations_offered > 1 && !given.location_chosen).then(|| "location".to_owned()),
            "rescheduleReason" => match given.reschedule_reason {
                Some(reason) if reason.is_none_or(|r| r.trim().is_empty()) => Some("reschedulingReason".to_owned()),
                _ => None,
            },
            _ => None,
        };
        if let Some(name) = missing {
            return Err(AnswerProblem::Required.refusal(name));
        }
    }
    Ok(())
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// One text answer (a number is read as its text, as HTML forms and loose clients send both).
fn single(v: &Value) -> Result<String, AnswerProblem> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(AnswerProblem::Shape),
    }
}

/// A list answer: an array of strings, or one string.
fn strings(v: &Value) -> Result<Vec<String>, AnswerProblem> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or(AnswerProblem::Shape))
            .collect(),
        _ => Err(AnswerProblem::Shape),
    }
}

fn phone_ok(raw: &str) -> bool {
    let Some(rest) = raw.strip_prefix('+') else {
        return false;
    };
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    rest.chars().all(|c| c.is_ascii_digit() || c == ' ') && (7..=16).contains(&digits)
}

fn url_ok(raw: &str) -> bool {
    url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(field: Value, answer: Value) -> Result<Option<Value>, AnswerProblem> {
        Question::of(&field).expect("a custom question").check(Some(&answer))
    }

    #[test]
    fn each_type_keeps_good_answers_and_names_bad_ones() {
        let q = |kind: &str| json!({"type": kind, "slug": "q", "label": "Q", "options": ["a", "b"]});
        assert_eq!(check(q("number"), json!("4.5")), Ok(Some(json!(4.5))));
        assert_eq!(check(q("number"), json!(3)), Ok(Some(json!(3))));
        assert_eq!(check(q("number"), json!("four")), Err(AnswerProblem::Number));
        assert_eq!(
            check(q("email"), json!(" Ann@Example.test ")),
            Ok(Some(json!("ann@example.test")))
        );
        assert_eq!(check(q("email"), json!("ann")), Err(AnswerProblem::Email));
        assert_eq!(
            check(q("phone"), json!("+49 30 1234567")),
            Ok(Some(json!("+49 30 1234567")))
        );
        assert_eq!(check(q("phone"), json!("030 1234567")), Err(AnswerProblem::Phone));
        assert_eq!(
            check(q("url"), json!("https://example.test/x")),
            Ok(Some(json!("https://example.test/x")))
        );
        assert_eq!(check(q("url"), json!("javascript:alert(1)")), Err(AnswerProblem::Url));
        assert_eq!(check(q("select"), json!("b")), Ok(Some(json!("b"))));
        assert_eq!(check(q("radio"), json!("c")), Err(AnswerProblem::Option));
        assert_eq!(check(q("multiselect"), json!(["a", "b"])), Ok(Some(json!(["a", "b"]))));
        assert_eq!(check(q("checkbox"), json!(["a", "z"])), Err(AnswerProblem::Option));
        assert_eq!(
            check(q("multiemail"), json!(["x@example.test, y@example.test"]))
                .map(|v| v.map(|a| a.as_array().map(Vec::len))),
            Ok(Some(Some(2)))
        );
        assert_eq!(check(q("boolean"), json!(true)), Ok(Some(json!(true))));
        assert_eq!(check(q("boolean"), json!({"yes": 1})), Err(AnswerProblem::Shape));
        assert_eq!(check(q("text"), json!({"a": 1})), Err(AnswerProblem::Shape));
        assert_eq!(
            check(q("textarea"), json!("x".repeat(2001))),
            Err(AnswerProblem::TooLong)
        );
    }

    #[test]
    fn required_means_answered_unless_the_question_is_hidden() {
        let required = json!({"type": "text", "slug": "q", "required": true});
        let question = Question::of(&required).expect("question");
        assert_eq!(question.check(None), Err(AnswerProblem::Required));
        assert_eq!(question.check(Some(&json!("  "))), Err(AnswerProblem::Required));
        let hidden = json!({"type": "text", "slug": "q", "required": true, "hidden": true});
        assert_eq!(Question::of(&hidden).expect("question").check(None), Ok(None));
    }

    #[test]
    fn required_default_fields_are_refused_by_name_unless_hidden_or_implied() {
        let fields = json!([
            {"slug": "notes", "type": "textarea", "required": true},
            {"slug": "guests", "type": "multiemail", "required": true},
            {"slug": "location", "type": "radioInput", "required": true},
            {"slug": "rescheduleReason", "type": "textarea", "required": true},
            {"slug": "title", "type": "text", "required": true, "hidden": true}
        ])
        .to_string();
        let notes = json!({"notes": "Agenda"});
        let full = |responses| DefaultAnswers {
            responses,
            guests: 1,
            location_chosen: true,
            locations_offered: 2,
            reschedule_reason: None,
        };
        let named = |given| check_defaults(&fields, given).map_err(|e| e.field);
        let map = |v: &Value| v.as_object().cloned().expect("object");
        let (with_notes, empty) = (map(&notes), Map::new());
        assert_eq!(named(full(&with_notes)), Ok(()), "the hidden title is never required");
        assert_eq!(named(full(&empty)), Err("bookingFieldsResponses.notes".into()));
        assert_eq!(
            named(DefaultAnswers {
                guests: 0,
                ..full(&with_notes)
            }),
            Err("guests".into())
        );
        assert_eq!(
            named(DefaultAnswers {
                location_chosen: false,
                ..full(&with_notes)
            }),
            Err("location".into())
        );
        assert_eq!(
            named(DefaultAnswers {
                location_chosen: false,
                locations_offered: 1,
                ..full(&with_notes)
            }),
            Ok(()),
            "one location is implied"
        );
        assert_eq!(
            named(DefaultAnswers {
                reschedule_reason: Some(Some("  ")),
                ..full(&with_notes)
            }),
            Err("reschedulingReason".into())
        );
        assert_eq!(
            named(DefaultAnswers {
                reschedule_reason: Some(Some("Clash")),
                ..full(&with_notes)
            }),
            Ok(())
        );
    }

    #[test]
    fn check_all_names_the_field_and_normalizes_answers() {
        let fields = json!([
            {"type": "email", "slug": "email"},
            {"type": "number", "slug": "seats", "required": true},
            {"type": "select", "slug": "plan", "options": [{"label": "Pro", "value": "pro"}]}
        ])
        .to_string();
        let mut ok = json!({"seats": "3", "plan": "pro", "extra": {"kept": true}})
            .as_object()
            .cloned()
            .expect("object");
        assert!(check_all(&fields, &mut ok).is_ok());
        assert_eq!(ok["seats"], json!(3.0));
        assert_eq!(ok["extra"], json!({"kept": true}));
        let mut bad = json!({"seats": 3, "plan": "free"})
            .as_object()
            .cloned()
            .expect("object");
        let e = check_all(&fields, &mut bad).expect_err("plan is not an option");
        assert_eq!(e.field, "bookingFieldsResponses.plan");
    }
}
