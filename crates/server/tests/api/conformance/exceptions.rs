//! The one list of places where convene's responses may differ from Cal.com's reference schemas.
//!
//! Two kinds of entry:
//! - [`Why::ReferenceWrong`]: the reference contradicts Cal.com's own behaviour or examples, or cannot be
//!   satisfied by any value; convene follows Cal.com and the reason says why. These stay.
//! - [`Why::Todo`]: convene is wrong today. Each is a `TODO(issue 12)` saying what is wrong and the fix;
//!   the fix deletes the entry. Entries are checked for staleness: every operation and every pointer an
//!   entry lists must still match a mismatch, or the conformance test fails and asks for the deletion.
//!
//! A pointer is a JSON pointer into the response body where `*` stands for one segment (an array index, a
//! date key) and a final `**` for the rest of the path; `(status)` stands for a status code the reference
//! does not document for the operation. `expecting`, when not empty, must occur in the mismatch's
//! expectation text (which names the closest `oneOf` branch): it tells apart a reference defect and a
//! convene defect at the same place. The first entry that accepts a mismatch takes it.

use super::check::Mismatch;

/// Why a mismatch is accepted.
#[derive(Debug)]
pub enum Why {
    /// The reference is wrong here; convene follows Cal.com's documented behaviour.
    ReferenceWrong(&'static str),
    /// convene is wrong here; to be fixed under issue 12.
    #[expect(
        dead_code,
        reason = "no known defect is open today; the next one found is listed as a Todo"
    )]
    Todo(&'static str),
}

/// Accepted differences with one cause.
#[derive(Debug)]
pub struct Exception {
    /// `METHOD /v2/path/{param}` exactly as the reference spells the operations.
    pub operations: &'static [&'static str],
    /// Where in the response bodies (see the module docs).
    pub pointers: &'static [&'static str],
    /// A piece of the expectation text, or "" for any.
    pub expecting: &'static str,
    pub why: Why,
}

impl Exception {
    /// The operation and pointer indexes of this entry that accept `mismatch`, if any.
    pub fn matches(&self, mismatch: &Mismatch) -> Option<(usize, usize)> {
        if !mismatch.expected.contains(self.expecting) {
            return None;
        }
        let op = self.operations.iter().position(|o| *o == mismatch.operation)?;
        let pointer = self
            .pointers
            .iter()
            .position(|p| pointer_matches(p, &mismatch.pointer))?;
        Some((op, pointer))
    }
}

fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut pointer = pointer.split('/');
    loop {
        match (pattern.next(), pointer.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

use Why::ReferenceWrong;

const SCHEDULE_ANSWERS: &[&str] = &[
    "POST /v2/schedules",
    "GET /v2/schedules",
    "GET /v2/schedules/default",
    "GET /v2/schedules/{scheduleId}",
    "PATCH /v2/schedules/{scheduleId}",
    "GET /v2/teams/{teamId}/schedules",
    "GET /v2/organizations/{orgId}/schedules",
    "POST /v2/organizations/{orgId}/users/{userId}/schedules",
    "GET /v2/organizations/{orgId}/users/{userId}/schedules",
    "GET /v2/organizations/{orgId}/users/{userId}/schedules/{scheduleId}",
    "PATCH /v2/organizations/{orgId}/users/{userId}/schedules/{scheduleId}",
    "GET /v2/organizations/{orgId}/teams/{teamId}/schedules",
    "GET /v2/organizations/{orgId}/teams/{teamId}/users/{userId}/schedules",
];
const SCHEDULE_POINTERS: &[&str] = &[
    "/data/availability/*/days",
    "/data/*/availability/*/days",
    "/data/availability/*/startTime",
    "/data/availability/*/endTime",
    "/data/*/availability/*/startTime",
    "/data/*/availability/*/endTime",
    "/data/overrides/*/startTime",
    "/data/overrides/*/endTime",
    "/data/*/overrides/*/startTime",
    "/data/*/overrides/*/endTime",
];
const EVENT_TYPE_ANSWERS: &[&str] = &[
    "POST /v2/event-types",
    "GET /v2/event-types",
    "GET /v2/event-types/{eventTypeId}",
    "PATCH /v2/event-types/{eventTypeId}",
];
const TEAM_EVENT_TYPE_ANSWERS: &[&str] = &[
    "POST /v2/organizations/{orgId}/teams/{teamId}/event-types",
    "GET /v2/organizations/{orgId}/teams/{teamId}/event-types",
    "GET /v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}",
    "PATCH /v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}",
    "POST /v2/teams/{teamId}/event-types",
    "GET /v2/teams/{teamId}/event-types",
    "GET /v2/teams/{teamId}/event-types/{eventTypeId}",
    "PATCH /v2/teams/{teamId}/event-types/{eventTypeId}",
    "GET /v2/organizations/{orgId}/teams/event-types",
];
const ANY_EVENT_TYPE_ANSWERS: &[&str] = &[
    "POST /v2/event-types",
    "GET /v2/event-types",
    "GET /v2/event-types/{eventTypeId}",
    "PATCH /v2/event-types/{eventTypeId}",
    "POST /v2/organizations/{orgId}/teams/{teamId}/event-types",
    "GET /v2/organizations/{orgId}/teams/{teamId}/event-types",
    "GET /v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}",
    "PATCH /v2/organizations/{orgId}/teams/{teamId}/event-types/{eventTypeId}",
    "POST /v2/teams/{teamId}/event-types",
    "GET /v2/teams/{teamId}/event-types",
    "GET /v2/teams/{teamId}/event-types/{eventTypeId}",
    "PATCH /v2/teams/{teamId}/event-types/{eventTypeId}",
    "GET /v2/organizations/{orgId}/teams/event-types",
];
const WEBHOOK_ANSWERS: &[&str] = &[
    "POST /v2/webhooks",
    "GET /v2/webhooks",
    "GET /v2/webhooks/{webhookId}",
    "PATCH /v2/webhooks/{webhookId}",
    "DELETE /v2/webhooks/{webhookId}",
    "POST /v2/event-types/{eventTypeId}/webhooks",
    "GET /v2/event-types/{eventTypeId}/webhooks",
    "GET /v2/event-types/{eventTypeId}/webhooks/{webhookId}",
    "PATCH /v2/event-types/{eventTypeId}/webhooks/{webhookId}",
    "DELETE /v2/event-types/{eventTypeId}/webhooks/{webhookId}",
    "POST /v2/teams/{teamId}/event-types/{eventTypeId}/webhooks",
    "GET /v2/teams/{teamId}/event-types/{eventTypeId}/webhooks",
    "GET /v2/teams/{teamId}/event-types/{eventTypeId}/webhooks/{webhookId}",
    "PATCH /v2/teams/{teamId}/event-types/{eventTypeId}/webhooks/{webhookId}",
    "DELETE /v2/teams/{teamId}/event-types/{eventTypeId}/webhooks/{webhookId}",
    "POST /v2/organizations/{orgId}/webhooks",
    "GET /v2/organizations/{orgId}/webhooks",
    "GET /v2/organizations/{orgId}/webhooks/{webhookId}",
    "PATCH /v2/organizations/{orgId}/webhooks/{webhookId}",
    "DELETE /v2/organizations/{orgId}/webhooks/{webhookId}",
];

/// Every accepted difference, grouped by cause: first the reference's defects, then convene's.
pub static EXCEPTIONS: &[Exception] = &[
    // ---- The reference is wrong ---------------------------------------------------------------------------
    Exception {
        operations: SCHEDULE_ANSWERS,
        pointers: SCHEDULE_POINTERS,
        expecting: "",
        why: ReferenceWrong(
            "ScheduleAvailabilityInput_2024_06_11.days puts the weekday `enum` on the array itself (no array \
             equals a string), and startTime/endTime carry `pattern: \"TIME_FORMAT_HH_MM\"`, the name of a \
             constant instead of a regex; Cal.com returns weekday-name arrays and `HH:MM` times, as its \
             examples show",
        ),
    },
    Exception {
        operations: &["GET /v2/bookings/{bookingUid}/references"],
        pointers: &["/status"],
        expecting: "",
        why: ReferenceWrong(
            "BookingReferencesOutput_2024_08_13.status is typed `object` while its own example and description \
             say it is the string 'success', as in every other envelope",
        ),
    },
    Exception {
        operations: &["GET /v2/calendars"],
        pointers: &["/data/destinationCalendar/id"],
        expecting: "type object",
        why: ReferenceWrong(
            "DestinationCalendar.id is typed `object` with no properties, while Cal.com answers the destination \
             calendar row's numeric id there (its Prisma DestinationCalendar.id is an Int)",
        ),
    },
    Exception {
        operations: &["GET /v2/slots"],
        pointers: &["/status", "/data"],
        expecting: "",
        why: ReferenceWrong(
            "the GET /v2/slots schema describes the date-keyed map without the {status, data} envelope (and \
             with string items) while its own examples and Cal.com's controller answer {status, data: {date: \
             [{start}]}}",
        ),
    },
    Exception {
        operations: &["GET /v2/slots/reservations/{uid}"],
        pointers: &["/data/status", "/data/data"],
        expecting: "",
        why: ReferenceWrong(
            "GetReservedSlotOutput_2024_09_04.data refers to GetReservedSlotOutput_2024_09_04 itself; Cal.com \
             answers the reserved slot (ReserveSlotOutput_2024_09_04 fields) as data",
        ),
    },
    Exception {
        operations: &["GET /v2/bookings/{bookingUid}/calendar-links"],
        pointers: &["/status"],
        expecting: "",
        why: ReferenceWrong("CalendarLinksOutput_2024_08_13 types `status` as an object; Cal.com sends \"success\""),
    },
    Exception {
        operations: &[
            "POST /v2/verified-resources/emails/verification-code/verify",
            "GET /v2/verified-resources/emails/{id}",
            "POST /v2/verified-resources/phones/verification-code/verify",
            "GET /v2/verified-resources/phones/{id}",
            "POST /v2/teams/{teamId}/verified-resources/emails/verification-code/verify",
            "GET /v2/teams/{teamId}/verified-resources/emails/{id}",
            "POST /v2/teams/{teamId}/verified-resources/phones/verification-code/verify",
            "GET /v2/teams/{teamId}/verified-resources/phones/{id}",
            "POST /v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails/verification-code/verify",
            "GET /v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails/{id}",
            "POST /v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones/verification-code/verify",
            "GET /v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones/{id}",
        ],
        pointers: &["/data/**"],
        expecting: "",
        why: ReferenceWrong(
            "every verified-resource output (user and team, email and phone) declares `data: ScheduleOutput`; \
             Cal.com answers the verified resource ({id, email | phoneNumber, userId} and, for a team's, teamId)",
        ),
    },
    Exception {
        operations: &[
            "GET /v2/verified-resources/emails",
            "GET /v2/verified-resources/phones",
            "GET /v2/teams/{teamId}/verified-resources/emails",
            "GET /v2/teams/{teamId}/verified-resources/phones",
            "GET /v2/organizations/{orgId}/teams/{teamId}/verified-resources/emails",
            "GET /v2/organizations/{orgId}/teams/{teamId}/verified-resources/phones",
            "GET /v2/organizations/{orgId}/memberships",
            "GET /v2/teams/{teamId}/memberships",
        ],
        pointers: &["/data"],
        expecting: "type object",
        why: ReferenceWrong(
            "these list outputs (the six *Verified{Emails,Phones}Output, GetAllOrgMemberships, \
             GetTeamMembershipsOutput) \
             declare `data` as one object; Cal.com answers an array",
        ),
    },
    Exception {
        operations: EVENT_TYPE_ANSWERS,
        pointers: &["/data/locations/*", "/data/*/locations/*"],
        expecting: "more than one",
        why: ReferenceWrong(
            "the Output*Location_2024_06_14 schemas give `type` no enum (only a description), so every \
             location matches several `oneOf` branches and no location can satisfy `oneOf`",
        ),
    },
    Exception {
        operations: ANY_EVENT_TYPE_ANSWERS,
        pointers: &["/data/bookingFields/*/isDefault", "/data/*/bookingFields/*/isDefault"],
        expecting: "type object",
        why: ReferenceWrong(
            "every *FieldOutput_2024_06_14 types `isDefault` as an object while describing it as always \
             true/false; Cal.com sends a boolean",
        ),
    },
    Exception {
        operations: EVENT_TYPE_ANSWERS,
        pointers: &["/data/slotInterval", "/data/*/slotInterval"],
        expecting: "",
        why: ReferenceWrong("EventTypeOutput_2024_06_14 types `slotInterval` as an object; it is a number of minutes"),
    },
    Exception {
        operations: TEAM_EVENT_TYPE_ANSWERS,
        pointers: &["/data/hosts/*", "/data/*/hosts/*"],
        expecting: "type string",
        why: ReferenceWrong(
            "TeamEventTypeOutput_2024_06_14.hosts has string items; Cal.com answers host objects {userId, \
             name, username, avatarUrl}",
        ),
    },
    Exception {
        operations: &["GET /v2/event-types/{eventTypeId}"],
        pointers: &["/data/ownerId"],
        expecting: "closest oneOf branch: EventTypeOutput_2024_06_14",
        why: ReferenceWrong(
            "a team event type read here fits TeamEventTypeOutput_2024_06_14 except for its host objects (the \
             `hosts` entry above), so the check falls back to the closest branch, EventTypeOutput_2024_06_14, \
             whose `ownerId` is a number; a team event type has no owner and sends null, as the team \
             schema allows",
        ),
    },
    Exception {
        operations: WEBHOOK_ANSWERS,
        pointers: &["/data/triggers/*", "/data/*/triggers/*"],
        expecting: "type object",
        why: ReferenceWrong("the webhook outputs type `triggers` items as objects; Cal.com answers trigger names"),
    },
    Exception {
        operations: ANY_EVENT_TYPE_ANSWERS,
        pointers: &["/data/bookingFields/*/required", "/data/*/bookingFields/*/required"],
        expecting: "type object",
        why: ReferenceWrong(
            "EmailDefaultFieldOutput_2024_06_14 types `required` as an object; Cal.com sends a boolean",
        ),
    },
    Exception {
        operations: &[
            "POST /v2/organizations/{orgId}/teams/{teamId}/workflows",
            "GET /v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}",
            "PATCH /v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}",
            // GetRoutingFormWorkflowOutput has the same defect for the routing-form workflows.
            "POST /v2/organizations/{orgId}/teams/{teamId}/workflows/routing-form",
            "GET /v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}/routing-form",
            "PATCH /v2/organizations/{orgId}/teams/{teamId}/workflows/{workflowId}/routing-form",
        ],
        pointers: &["/data"],
        expecting: "type array",
        why: ReferenceWrong(
            "GetEventTypeWorkflowOutput (one workflow: create, get, update) declares `data` as an array of \
             EventTypeWorkflowOutput, described as \"workflow\"; Cal.com answers the one workflow object",
        ),
    },
    Exception {
        // The one-workflow answers stop at `/data` above; the list checks the same item schema.
        operations: &[
            "GET /v2/organizations/{orgId}/teams/{teamId}/workflows",
            // RoutingFormWorkflowOutput and its steps type the same fields the same way.
            "GET /v2/organizations/{orgId}/teams/{teamId}/workflows/routing-form",
        ],
        pointers: &[
            "/data/*/createdAt",
            "/data/*/updatedAt",
            "/data/*/steps/*/includeCalendarEvent",
        ],
        expecting: "type object",
        why: ReferenceWrong(
            "EventTypeWorkflowOutput types `createdAt`/`updatedAt` as objects (its examples are ISO strings) and \
             EventTypeWorkflowStepOutputDto types `includeCalendarEvent` as an object (its example is `true`); \
             Cal.com sends ISO 8601 strings and a boolean",
        ),
    },
    Exception {
        operations: &[
            "GET /v2/organizations/{orgId}/routing-forms",
            "GET /v2/organizations/{orgId}/teams/{teamId}/routing-forms",
        ],
        pointers: &["/data/*/fields", "/data/*/routes"],
        expecting: "or object",
        why: ReferenceWrong(
            "RoutingFormOutput types `fields` and `routes` as objects; Cal.com stores and returns both as JSON \
             arrays (a form's questions and its ordered routes)",
        ),
    },
    Exception {
        operations: &[
            "POST /v2/organizations/{orgId}/routing-forms/{routingFormId}/responses",
            "POST /v2/routing-forms/{routingFormId}/calculate-slots",
        ],
        pointers: &["/data/slots"],
        expecting: "more than one",
        why: ReferenceWrong(
            "`slots` is a oneOf of SlotsOutput_2024_09_04 and RangeSlotsOutput_2024_09_04, both empty objects, so \
             every value matches both and no value satisfies oneOf; convene sends the slots as GET /v2/slots does",
        ),
    },
    Exception {
        operations: &[
            "GET /v2/organizations/{orgId}/routing-forms/{routingFormId}/responses",
            "GET /v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}/responses",
        ],
        pointers: &["/data"],
        expecting: "type object",
        why: ReferenceWrong(
            "GetRoutingFormResponsesOutput declares `data` as one RoutingFormResponseOutput, yet the operation \
             lists responses (with skip/take); Cal.com answers an array of them",
        ),
    },
    Exception {
        operations: &[
            "PATCH /v2/organizations/{orgId}/routing-forms/{routingFormId}/responses/{responseId}",
            "PATCH /v2/organizations/{orgId}/teams/{teamId}/routing-forms/{routingFormId}/responses/{responseId}",
        ],
        pointers: &["/data/routedToBookingUid"],
        expecting: "",
        why: ReferenceWrong(
            "RoutingFormResponseOutput requires `routedToBookingUid` as a string; a response no booking followed \
             has none, and Cal.com sends null",
        ),
    },
    Exception {
        operations: &[
            "POST /v2/bookings/{bookingUid}/reassign",
            "POST /v2/bookings/{bookingUid}/reassign/{userId}",
        ],
        pointers: &["/data/status", "/data/data"],
        expecting: "the property is required",
        why: ReferenceWrong(
            "ReassignBookingOutput_2024_08_13's `data` refers to ReassignBookingOutput_2024_08_13 itself (two \
             classes of one name in Cal.com's source), so it would need an envelope inside the envelope; Cal.com's \
             data is {bookingUid, reassignedTo: ReassignedToDto}, which convene sends (tests/api/reassign.rs)",
        ),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_one_segment_and_double_star_the_rest() {
        assert!(pointer_matches("/data/*/location", "/data/3/location"));
        assert!(!pointer_matches("/data/*/location", "/data/3/x/location"));
        assert!(!pointer_matches("/data/*", "/data"));
        assert!(pointer_matches("/data/**", "/data/a/b"));
        assert!(pointer_matches("/data/**", "/data"));
        assert!(!pointer_matches("/data/**", "/other"));
        assert!(pointer_matches("(status)", "(status)"));
    }

    #[test]
    fn every_entry_names_reference_operations_and_has_a_reason() {
        let reference = super::super::reference::Reference::get();
        for entry in EXCEPTIONS {
            for op in entry.operations {
                let (method, path) = op.split_once(' ').expect("METHOD /path");
                let shape = format!("{method} {}", super::super::reference::path_shape(path));
                assert_eq!(
                    reference.find(&shape).map(|o| o.key.as_str()),
                    Some(*op),
                    "{op} is spelled as in the reference"
                );
            }
            let reason = match entry.why {
                ReferenceWrong(r) => r,
                Why::Todo(r) => {
                    assert!(r.starts_with("TODO(issue 12): "), "{r}");
                    r
                }
            };
            assert!(reason.len() > 40 && !entry.pointers.is_empty());
        }
    }
}
