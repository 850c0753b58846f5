//! Bookings in their `2024-04-15` shapes, served to requests that do not ask for `2024-08-13`.
//!
//! The legacy booking is Cal.com's stored booking: `startTime`/`endTime`, an upper-case `status`, the
//! organizer as `user`, the booker's answers as `responses` (`name`, `email`, `guests`, the custom
//! fields). The legacy list is `{bookings, recurringInfo, nextCursor}` paged by `cursor`/`limit`, and a
//! legacy create names the booker in `responses` with the zone beside them. A legacy cancel answers
//! `{bookingId, bookingUid, onlyRemovedAttendee}` and a legacy no-show mark `{message, noShowHost, attendees}`
//! (Cal.com's `MarkNoShowOutput_2024_04_15`); confirm, decline and reschedule, which Cal.com's legacy controller
//! does not have, answer the legacy booking as get and create do.

use crate::api::ApiError;
use crate::api::bookings::output::BookingOutput;
use crate::api::extract::QueryPairs;
use crate::time_text::parse_instant;
use serde_json::{Map, Value, json};

/// One booking in the legacy shape, from its current output.
pub fn output(current: &BookingOutput) -> Value {
    let c = serde_json::to_value(current).unwrap_or(Value::Null);
    let host = c["hosts"].get(0).cloned().unwrap_or(Value::Null);
    let attendees: Vec<Value> = c["attendees"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            json!({
                "name": a["name"],
                "email": a["email"],
                "timeZone": a["timeZone"],
                "locale": a["language"],
                "noShow": a["absent"],
                "phoneNumber": a.get("phoneNumber").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let booker = attendees.first().cloned().unwrap_or(Value::Null);
    let mut responses = Map::new();
    responses.insert("name".into(), booker["name"].clone());
    responses.insert("email".into(), booker["email"].clone());
    responses.insert("guests".into(), c["guests"].clone());
    if let Value::Object(answers) = &c["bookingFieldsResponses"] {
        for (k, v) in answers {
            responses.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let status = c["status"].as_str().unwrap_or_default().to_uppercase();
    let rejected = status == "REJECTED";
    json!({
        "id": c["id"],
        "uid": c["uid"],
        "title": c["title"],
        "description": c["description"],
        "startTime": c["start"],
        "endTime": c["end"],
        "status": status,
        "location": c["location"],
        "metadata": c["metadata"],
        "responses": responses,
        "userId": host["id"],
        "user": host,
        "userPrimaryEmail": host["email"],
        "eventTypeId": c["eventTypeId"],
        "eventType": c["eventType"],
        "attendees": attendees,
        "cancellationReason": if rejected { Value::Null } else { c.get("cancellationReason").cloned().unwrap_or(Value::Null) },
        "rejectionReason": if rejected { c.get("cancellationReason").cloned().unwrap_or(Value::Null) } else { Value::Null },
        "rescheduled": c.get("rescheduledToUid").is_some(),
        "fromReschedule": c.get("rescheduledFromUid").cloned().unwrap_or(Value::Null),
        "recurringEventId": null,
        "smsReminderNumber": null,
        "paid": false,
        "noShowHost": c["absentHost"],
        "createdAt": c["createdAt"],
        "updatedAt": c["updatedAt"],
    })
}

/// A legacy cancel's answer: which booking, and whether only one seat's attendee left it (the booking stands).
pub fn cancelled(booking_id: i64, booking_uid: &str, only_removed_attendee: bool) -> Value {
    json!({ "bookingId": booking_id, "bookingUid": booking_uid, "onlyRemovedAttendee": only_removed_attendee })
}

/// A legacy no-show answer (`{message, noShowHost?, attendees?}`): the host's mark when one was given, and the
/// marked attendees as they stand now.
pub fn no_show(current: &BookingOutput, host_marked: bool, marked: &[String]) -> Value {
    let c = serde_json::to_value(current).unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("message".into(), json!("No-show updated"));
    if host_marked {
        out.insert("noShowHost".into(), c["absentHost"].clone());
    }
    if !marked.is_empty() {
        let attendees: Vec<Value> = c["attendees"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| {
                a["email"]
                    .as_str()
                    .is_some_and(|e| marked.iter().any(|m| m.eq_ignore_ascii_case(e)))
            })
            .map(|a| json!({ "email": a["email"], "noShow": a["absent"] }))
            .collect();
        out.insert("attendees".into(), Value::Array(attendees));
    }
    Value::Object(out)
}

/// The legacy list's query (`filters[status]`, `limit`, `cursor`) in the current names.
pub fn list_query(q: QueryPairs) -> QueryPairs {
    QueryPairs(
        q.0.into_iter()
            .map(|(k, v)| {
                let name = match k.as_str() {
                    "filters[status]" => "status".to_owned(),
                    "limit" => "take".to_owned(),
                    "cursor" => "skip".to_owned(),
                    _ => k,
                };
                (name, v)
            })
            .collect(),
    )
}

/// The legacy list: the page, and the cursor of the next one when there is more.
pub fn list(page: &[BookingOutput], next_cursor: Option<i64>) -> Value {
    json!({
        "bookings": page.iter().map(output).collect::<Vec<_>>(),
        "recurringInfo": [],
        "nextCursor": next_cursor,
    })
}

/// A legacy create body (`{start, end?, eventTypeId, timeZone, language, responses: {name, email,
/// guests?, location?, …}, metadata?}`) as the current one. Bodies that already name an `attendee` are
/// current ones and pass unchanged.
pub fn create_input(mut body: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    if body.contains_key("attendee") || !body.contains_key("responses") {
        return Ok(body);
    }
    if body.get("rescheduleUid").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::field(
            "rescheduleUid",
            "is not supported here: reschedule with POST /v2/bookings/{uid}/reschedule",
        ));
    }
    let Some(Value::Object(mut responses)) = body.remove("responses") else {
        return Err(ApiError::field("responses", "must be an object with name and email"));
    };
    let mut attendee = Map::new();
    for (from, to) in [
        ("name", "name"),
        ("email", "email"),
        ("attendeePhoneNumber", "phoneNumber"),
    ] {
        if let Some(v) = responses.remove(from) {
            attendee.insert(to.into(), v);
        }
    }
    for (from, to) in [("timeZone", "timeZone"), ("language", "language")] {
        if let Some(v) = body.remove(from) {
            attendee.insert(to.into(), v);
        }
    }
    body.insert("attendee".into(), Value::Object(attendee));
    if let Some(guests) = responses.remove("guests").filter(|g| !g.is_null()) {
        body.insert("guests".into(), guests);
    }
    // The booker's pick among the event type's locations: `{value, optionValue}` or plain text.
    match responses.remove("location") {
        Some(Value::String(text)) => {
            body.insert("location".into(), json!(text));
        }
        Some(Value::Object(choice)) => {
            // `value` alone names a kind of the event type's (its own address or link is used).
            let text = choice
                .get("optionValue")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            if let Some(text) = text {
                body.insert("location".into(), json!(text));
            }
        }
        _ => {}
    }
    if let (Some(end), Some(start)) = (body.remove("end"), body.get("start")) {
        let (Some(end), Some(start)) = (end.as_str(), start.as_str()) else {
            return Err(ApiError::field("end", "must be an ISO 8601 instant"));
        };
        let minutes =
            (parse_instant("end", end)?.as_millisecond() - parse_instant("start", start)?.as_millisecond()) / 60_000;
        body.insert("lengthInMinutes".into(), json!(minutes));
    }
    if !responses.is_empty() {
        body.insert("bookingFieldsResponses".into(), Value::Object(responses));
    }
    for ignored in ["user", "hasHashedBookingLink", "hashedLink", "locationUrl", "orgSlug"] {
        body.remove(ignored);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_create_body_names_the_attendee_from_its_responses() {
        let body = json!({
            "start": "2030-01-07T09:00:00Z", "end": "2030-01-07T09:45:00Z", "eventTypeId": 7,
            "timeZone": "Europe/Paris", "language": "fr",
            "responses": { "name": "Ada", "email": "ada@example.test", "guests": ["g@example.test"],
                           "location": { "value": "inPerson", "optionValue": "" }, "topic": "Sales" },
        });
        let Value::Object(body) = body else {
            unreachable!("an object")
        };
        let current = create_input(body).expect("valid");
        assert_eq!(
            current["attendee"],
            json!({ "name": "Ada", "email": "ada@example.test", "timeZone": "Europe/Paris", "language": "fr" })
        );
        assert_eq!(current["guests"], json!(["g@example.test"]));
        assert!(
            current.get("location").is_none(),
            "a kind alone leaves the event type's location"
        );
        assert_eq!(current["lengthInMinutes"], 45);
        assert_eq!(current["bookingFieldsResponses"], json!({ "topic": "Sales" }));
        assert!(current.get("responses").is_none() && current.get("end").is_none());
    }
}
