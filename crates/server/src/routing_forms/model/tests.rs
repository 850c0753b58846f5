//! Parsing forms and routing answers, without storage.

use super::*;
use serde_json::json;

fn form() -> Definition {
    Definition::parse(
        &json!([
            {"id": "f-name", "type": "text", "label": "Your name", "identifier": "name", "required": true},
            {"id": "f-size", "type": "number", "label": "Company size"},
            {"id": "f-topic", "type": "select", "label": "Topic",
             "options": [{"id": "o-sales", "label": "Sales"}, {"id": "o-support", "label": "Support"}]},
            {"id": "f-tools", "type": "multiselect", "label": "Tools",
             "options": [{"id": "o-a", "label": "Alpha"}, {"id": "o-b", "label": "Beta"}]},
            {"id": "f-note", "type": "textarea", "label": "Note"}
        ]),
        &json!([
            {"id": "r-big", "action": {"type": "eventTypeRedirectUrl", "eventTypeId": 7},
             "conditions": {"combinator": "all", "rules": [
                {"field": "f-topic", "operator": "equals", "value": "o-sales"},
                {"field": "f-size", "operator": "between", "value": {"min": 100}}]}},
            {"id": "r-url", "action": {"type": "externalRedirectUrl", "value": "https://example.com/help"},
             "conditions": {"combinator": "any", "rules": [
                {"field": "f-note", "operator": "contains", "value": "urgent"},
                {"field": "f-tools", "operator": "anyOf", "value": ["Beta"]}]}},
            {"id": "r-else", "action": {"type": "customPageMessage", "value": "Thanks!"}, "isFallback": true}
        ]),
        &Value::Null,
    )
    .expect("valid form")
}

fn route_of(answers: Value) -> String {
    let form = form();
    let answers = form
        .answers(answers.as_object().expect("object"))
        .expect("valid answers");
    form.route(&answers).map(|r| r.id.clone()).unwrap_or_default()
}

#[test]
fn the_first_matching_route_wins_and_the_fallback_takes_the_rest() {
    assert_eq!(
        route_of(json!({"name": "Ada", "Topic": "Sales", "Company size": "250"})),
        "r-big"
    );
    assert_eq!(
        route_of(json!({"name": "Ada", "f-topic": "o-sales", "f-size": 20})),
        "r-else"
    );
    assert_eq!(route_of(json!({"name": "Ada", "f-note": "This is URGENT"})), "r-url");
    assert_eq!(route_of(json!({"name": "Ada", "Tools": ["Alpha", "beta"]})), "r-url");
    assert_eq!(route_of(json!({"name": "Ada", "Tools": "Alpha"})), "r-else");
}

#[test]
fn the_fallback_is_taken_last_even_when_listed_first() {
    let mut form = form();
    form.routes.rotate_right(1);
    let answers = form.answers(
        json!({"name": "Ada", "Topic": "Sales", "Company size": 500})
            .as_object()
            .expect("o"),
    );
    assert_eq!(
        form.route(&answers.expect("valid")).map(|r| r.id.as_str()),
        Some("r-big")
    );
}

#[test]
fn bad_answers_name_the_field() {
    let form = form();
    let err = |v: Value| form.answers(v.as_object().expect("object")).expect_err("refused");
    assert_eq!(err(json!({})).field, "name");
    assert_eq!(
        err(json!({"name": "Ada", "Company size": "lots"})).field,
        "Company size"
    );
    assert_eq!(err(json!({"name": "Ada", "Topic": "Nothing"})).field, "Topic");
    assert_eq!(err(json!({"name": "Ada", "Tools": [1, {}]})).field, "Tools");
}

#[test]
fn answers_prefill_the_booker_by_identifier_with_option_labels() {
    let form = form();
    let answers = form
        .answers(
            json!({"name": "Ada", "Topic": "o-support", "Tools": ["o-a", "o-b"]})
                .as_object()
                .expect("o"),
        )
        .expect("valid");
    assert_eq!(
        form.prefill(&answers),
        [
            ("name".to_owned(), "Ada".to_owned()),
            ("Topic".to_owned(), "Support".to_owned()),
            ("Tools".to_owned(), "Alpha".to_owned()),
            ("Tools".to_owned(), "Beta".to_owned())
        ]
    );
    let stored = form.response_json(&answers);
    assert_eq!(stored["f-topic"], json!({"label": "Topic", "value": "o-support"}));
    assert_eq!(form.stored_answers(&stored), answers);
}

#[test]
fn broken_definitions_are_refused_with_the_place() {
    let bad = |fields: Value, routes: Value| {
        Definition::parse(&fields, &routes, &Value::Null)
            .expect_err("refused")
            .field
    };
    let text = json!([{"id": "a", "type": "text", "label": "A"}]);
    assert_eq!(
        bad(json!([{"id": "a", "type": "select", "label": "A"}]), json!([])),
        "fields[0].options"
    );
    assert_eq!(
        bad(json!([{"id": "a", "type": "colour", "label": "A"}]), json!([])),
        "fields[0]"
    );
    assert_eq!(
        bad(
            text.clone(),
            json!([{"id": "r", "action": {"type": "externalRedirectUrl", "value": "javascript:x"}}])
        ),
        "routes[0].action.value"
    );
    assert_eq!(
        bad(
            text.clone(),
            json!([{"id": "r", "action": {"type": "customPageMessage", "value": "x"},
                    "conditions": {"rules": [{"field": "zz", "operator": "equals", "value": "x"}]}}])
        ),
        "routes[0].conditions.rules[0].field"
    );
    assert_eq!(
        bad(
            text,
            json!([{"id": "r", "action": {"type": "customPageMessage", "value": "x"},
                    "conditions": {"rules": [{"field": "a", "operator": "between", "value": {"min": 1}}]}}])
        ),
        "routes[0].conditions.rules[0].value"
    );
}
