//! The checker itself: it must notice what it is there to notice, at the right pointer.

use super::check::{STATUS, mismatches};
use super::record::{Exchange, match_operation};
use super::reference::Reference;
use reqwest::Method;
use serde_json::{Value, json};

fn exchange(method: Method, path: &str, status: u16, body: Value) -> Exchange {
    Exchange {
        operation: match_operation(Reference::get(), &method, path).expect("a reference operation"),
        request: format!("{method} {path}"),
        status,
        body,
    }
}

fn pointers(exchange: &Exchange) -> Vec<String> {
    mismatches(Reference::get(), exchange)
        .into_iter()
        .map(|m| m.pointer)
        .collect()
}

fn me(email: Value) -> Value {
    json!({ "status": "success", "data": {
        "id": 1, "username": "ada", "email": email, "timeFormat": 24, "defaultScheduleId": null,
        "weekStart": "Monday", "timeZone": "Europe/London", "organizationId": null, "name": "Ada",
        "avatarUrl": null, "bio": null, "locale": "en", "metadata": {}, "emailVerified": true,
        "createdDate": "2024-01-01T00:00:00.000Z"
    } })
}

#[test]
fn a_well_formed_answer_has_no_mismatch() {
    let body = me(json!("ada@example.test"));
    let mismatches = mismatches(Reference::get(), &exchange(Method::GET, "/v2/me", 200, body));
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn a_null_where_the_reference_has_a_string_is_reported_at_its_pointer() {
    let found = pointers(&exchange(Method::GET, "/v2/me", 200, me(Value::Null)));
    assert_eq!(found, ["/data/email"]);
}

#[test]
fn a_missing_required_property_is_reported_at_its_own_pointer() {
    let mut body = me(json!("ada@example.test"));
    body["data"].as_object_mut().expect("data").remove("timeZone");
    let found = pointers(&exchange(Method::GET, "/v2/me", 200, body));
    assert_eq!(found, ["/data/timeZone"]);
}

#[test]
fn an_undocumented_status_is_a_mismatch() {
    let found = pointers(&exchange(Method::GET, "/v2/me", 401, json!({ "status": "error" })));
    assert_eq!(found, [STATUS]);
}

#[test]
fn a_one_of_failure_is_reported_inside_the_closest_branch() {
    // `GET /v2/bookings/{uid}` answers one of seven booking shapes; a plain booking whose `location` is null
    // must be reported at `/data/location`, not as "matches none of the branches" at `/data`.
    let booking = json!({
        "id": 1, "uid": "abc", "title": "Intro", "description": "", "hosts": [
            { "id": 1, "name": "Hanna", "email": "h@example.test", "username": "hanna", "timeZone": "Europe/London" }
        ],
        "status": "accepted", "start": "2030-01-07T10:00:00.000Z", "end": "2030-01-07T10:30:00.000Z",
        "duration": 30, "eventTypeId": 1, "eventType": { "id": 1, "slug": "intro" }, "location": null,
        "absentHost": false, "createdAt": "2029-01-01T00:00:00.000Z", "updatedAt": "2029-01-01T00:00:00.000Z",
        "attendees": [{ "name": "Ada", "email": "a@example.test", "timeZone": "UTC", "absent": false }],
        "bookingFieldsResponses": {}
    });
    let found = pointers(&exchange(
        Method::GET,
        "/v2/bookings/abc",
        200,
        json!({ "status": "success", "data": booking }),
    ));
    assert_eq!(found, ["/data/location"]);
}

#[test]
fn requests_are_matched_to_the_most_literal_template() {
    let op = match_operation(Reference::get(), &Method::GET, "/v2/organizations/7/teams/me?take=5").expect("found");
    assert_eq!(op.key, "GET /v2/organizations/{orgId}/teams/me");
    let op = match_operation(Reference::get(), &Method::GET, "/v2/organizations/7/teams/9").expect("found");
    assert_eq!(op.key, "GET /v2/organizations/{orgId}/teams/{teamId}");
    assert!(match_operation(Reference::get(), &Method::GET, "/v2/email-deliveries").is_none());
}
