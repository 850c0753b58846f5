//! Routing forms: an organization form routing sales questions to the intro event type (with its slots) and
//! the rest to a message, and a team form sending everyone to an external page; each answered, listed and edited.
//! Cal.com's API cannot create forms: they are made through convene's own `POST` (not recorded).

use super::{Journey, MONDAY};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn definition(first: Value) -> Value {
    json!({
        "name": "Contact",
        "fields": [
            {"id": "name", "type": "text", "label": "Name", "identifier": "name", "required": true},
            {"id": "topic", "type": "select", "label": "Topic",
             "options": [{"id": "sales", "label": "Sales"}, {"id": "other", "label": "Other"}]}
        ],
        "routes": [
            first,
            {"id": "else", "action": {"type": "customPageMessage", "value": "We will write to you."}, "isFallback": true}
        ]
    })
}

async fn create(j: &Journey<'_>, path: &str, body: Value) -> String {
    let answer = j.rec.app.post(path, &j.host_key, body).await;
    answer.expect_success(StatusCode::CREATED)["id"]
        .as_str()
        .expect("form id")
        .to_owned()
}

pub async fn run(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let org_forms = format!("/v2/organizations/{}/routing-forms", j.org);
    let team_forms = format!("/v2/organizations/{}/teams/{}/routing-forms", j.org, j.team);
    let sales = json!({"id": "sales", "action": {"type": "eventTypeRedirectUrl", "eventTypeId": j.intro},
        "conditions": {"rules": [{"field": "topic", "operator": "equals", "value": "sales"}]}});
    let org_form = create(j, &org_forms, definition(sales)).await;
    let away = json!({"id": "away", "action": {"type": "externalRedirectUrl", "value": "https://example.com/contact"},
        "conditions": {"rules": [{"field": "topic", "operator": "anyOf", "value": ["sales", "other"]}]}});
    let team_form = create(j, &team_forms, definition(away)).await;

    j.ok(Method::GET, &org_forms, &key, None, None, StatusCode::OK).await;
    let responses = format!("{org_forms}/{org_form}/responses");
    let window = format!("?start={MONDAY}&end={MONDAY}&timeZone=Europe/Berlin");
    let routed = j
        .ok(
            Method::POST,
            &format!("{responses}{window}"),
            &key,
            Some(json!({"name": "Ada", "topic": "Sales"})),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(
        Method::POST,
        &format!("{responses}{window}"),
        &key,
        Some(json!({"name": "Bo", "topic": "Other"})),
        None,
        StatusCode::CREATED,
    )
    .await;
    j.ok(Method::GET, &responses, &key, None, None, StatusCode::OK).await;
    let response_id = routed["routing"]["responseId"].as_i64().expect("response id");
    j.ok(
        Method::PATCH,
        &format!("{responses}/{response_id}"),
        &key,
        Some(json!({"response": {"name": "Ada Lovelace"}})),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(
        Method::POST,
        &format!("/v2/routing-forms/{org_form}/calculate-slots{window}&format=range"),
        &key,
        Some(json!({"name": "Cy", "topic": "sales"})),
        None,
        StatusCode::OK,
    )
    .await;

    j.ok(Method::GET, &team_forms, &key, None, None, StatusCode::OK).await;
    let team_responses = format!("{team_forms}/{team_form}/responses");
    let answered = j
        .ok(
            Method::POST,
            &format!("{team_responses}{window}"),
            &key,
            Some(json!({"name": "Di", "topic": "other"})),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &team_responses, &key, None, None, StatusCode::OK)
        .await;
    let team_response = answered["routing"]["responseId"].as_i64().expect("response id");
    j.ok(
        Method::PATCH,
        &format!("{team_responses}/{team_response}"),
        &key,
        Some(json!({"response": {"topic": "sales"}})),
        None,
        StatusCode::OK,
    )
    .await;
}
