//! The team's workflows: a day-before reminder to attendees and host, edited to a thank-you after the event; and a
//! routing-form workflow thanking whoever answers, edited to write an hour later when no booking followed.

use super::{Journey, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

pub async fn run(j: &mut Journey<'_>) {
    let key = j.host_key.clone();
    let base = format!("/v2/organizations/{}/teams/{}/workflows", j.org, j.team);
    let created = j
        .ok(
            Method::POST,
            &base,
            &key,
            Some(json!({
                "name": "Day-before reminder",
                "activation": { "isActiveOnAllEventTypes": true },
                "trigger": { "type": "beforeEvent", "offset": { "value": 24, "unit": "hour" } },
                "steps": [
                    { "action": "email_attendee", "stepNumber": 1, "recipient": "attendee", "template": "reminder",
                      "sender": "Conformance", "includeCalendarEvent": false,
                      "message": { "subject": "Reminder: {EVENT_NAME} {EVENT_DATE_ddd, MMM D, YYYY h:mma}",
                                   "html": "<p>See you at {EVENT_TIME} {TIMEZONE}, {ATTENDEE}.</p>" } },
                    { "action": "email_host", "stepNumber": 2, "recipient": "const", "template": "custom",
                      "sender": "Conformance", "includeCalendarEvent": false,
                      "message": { "subject": "Tomorrow: {EVENT_NAME} with {ATTENDEE}",
                                   "html": "<p>{ATTENDEE_EMAIL}</p>" } }
                ]
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &base, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}", id(&created));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
    let first_step = created["steps"][0]["id"].clone();
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({
            "name": "Thank you",
            "trigger": { "type": "afterEvent", "offset": { "value": 1, "unit": "hour" } },
            "steps": [
                { "id": first_step, "action": "email_attendee", "stepNumber": 1, "recipient": "attendee",
                  "template": "completed", "sender": "Conformance", "includeCalendarEvent": false,
                  "message": { "subject": "Thank you for {EVENT_NAME}", "html": "" } }
            ]
        })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;

    let forms = format!("{base}/routing-form");
    let created = j
        .ok(
            Method::POST,
            &forms,
            &key,
            Some(json!({
                "name": "Thanks for asking",
                "activation": { "isActiveOnAllRoutingForms": true },
                "trigger": { "type": "formSubmitted" },
                "steps": [
                    { "action": "email_attendee", "stepNumber": 1, "recipient": "attendee", "template": "custom",
                      "sender": "Conformance", "includeCalendarEvent": false,
                      "message": { "subject": "Thanks, {ATTENDEE_NAME}", "html": "<p>About {FORM_NAME}.</p>" } }
                ]
            })),
            None,
            StatusCode::CREATED,
        )
        .await;
    j.ok(Method::GET, &forms, &key, None, None, StatusCode::OK).await;
    let one = format!("{base}/{}/routing-form", id(&created));
    j.ok(Method::GET, &one, &key, None, None, StatusCode::OK).await;
    j.ok(
        Method::PATCH,
        &one,
        &key,
        Some(json!({
            "name": "No booking yet",
            "trigger": { "type": "formSubmittedNoEvent", "offset": { "value": 1, "unit": "hour" } }
        })),
        None,
        StatusCode::OK,
    )
    .await;
    j.ok(Method::DELETE, &one, &key, None, None, StatusCode::OK).await;
}
