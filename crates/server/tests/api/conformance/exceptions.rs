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

use Why::{ReferenceWrong, Todo};

const SCHEDULE_ANSWERS: &[&str] = &[
    "POST /v2/schedules",
    "GET /v2/schedules",
    "GET /v2/schedules/default",
    "GET /v2/schedules/{scheduleId}",
    "PATCH /v2/schedules/{scheduleId}",
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
];
const ORG_TEAM_ANSWERS: &[&str] = &[
    "POST /v2/organizations/{orgId}/teams",
    "GET /v2/organizations/{orgId}/teams",
    "GET /v2/organizations/{orgId}/teams/me",
    "GET /v2/organizations/{orgId}/teams/{teamId}",
    "PATCH /v2/organizations/{orgId}/teams/{teamId}",
    "DELETE /v2/organizations/{orgId}/teams/{teamId}",
];
const MEMBERSHIP_ANSWERS: &[&str] = &[
    "POST /v2/organizations/{orgId}/memberships",
    "GET /v2/organizations/{orgId}/memberships/{membershipId}",
    "PATCH /v2/organizations/{orgId}/memberships/{membershipId}",
    "DELETE /v2/organizations/{orgId}/memberships/{membershipId}",
    "POST /v2/organizations/{orgId}/teams/{teamId}/memberships",
    "GET /v2/organizations/{orgId}/teams/{teamId}/memberships",
    "GET /v2/organizations/{orgId}/teams/{teamId}/memberships/{membershipId}",
    "PATCH /v2/organizations/{orgId}/teams/{teamId}/memberships/{membershipId}",
    "DELETE /v2/organizations/{orgId}/teams/{teamId}/memberships/{membershipId}",
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
        ],
        pointers: &["/data/**"],
        expecting: "",
        why: ReferenceWrong(
            "the verified-email outputs declare `data: ScheduleOutput_2024_06_11`; Cal.com answers the \
             verified email {id, email, userId}",
        ),
    },
    Exception {
        operations: &[
            "GET /v2/verified-resources/emails",
            "GET /v2/organizations/{orgId}/memberships",
        ],
        pointers: &["/data"],
        expecting: "type object",
        why: ReferenceWrong(
            "these list outputs (UserVerifiedEmailsOutput, GetAllOrgMemberships) declare `data` as one object; \
             Cal.com answers an array",
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
        operations: &["GET /v2/organizations/{orgId}/teams/{teamId}/workflows"],
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
    // ---- convene is wrong: TODO(issue 12) ----------------------------------------------------------------
    Exception {
        operations: ANY_EVENT_TYPE_ANSWERS,
        pointers: &[
            "/data/bookingFields/*/placeholder",
            "/data/*/bookingFields/*/placeholder",
        ],
        expecting: "DefaultFieldOutput",
        why: Todo(
            "TODO(issue 12): the default `name` and `email` booking fields lack `placeholder`, which \
             NameDefaultFieldOutput/EmailDefaultFieldOutput_2024_06_14 require; output it (\"\" when unset)",
        ),
    },
    Exception {
        operations: EVENT_TYPE_ANSWERS,
        pointers: &[
            "/data/bookingFields/*/isDefault",
            "/data/bookingFields/*/hidden",
            "/data/bookingFields/*/placeholder",
            "/data/*/bookingFields/*/isDefault",
            "/data/*/bookingFields/*/hidden",
            "/data/*/bookingFields/*/placeholder",
        ],
        expecting: "required",
        why: Todo(
            "TODO(issue 12): custom booking fields are echoed as stored and lack `isDefault` (always false), \
             `hidden` (false unless set) and, for text-like and select fields, `placeholder` (\"\" unless \
             set), all required by the *FieldOutput_2024_06_14 schemas; output them",
        ),
    },
    Exception {
        operations: &["POST /v2/event-types"],
        pointers: &["(status)"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): default booking fields given by slug only ({\"slug\": \"title\"|\"notes\"|\
             \"guests\"|\"location\"|\"rescheduleReason\", required?, hidden?}, the *DefaultFieldInput_2024_06_14 \
             shapes) are refused with 400 `bookingFields[0].type: is required`; accept them and store the \
             overrides of the default fields",
        ),
    },
    Exception {
        operations: &["PATCH /v2/event-types/{eventTypeId}"],
        pointers: &["(status)"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): the email default field as {type: \"email\", label, placeholder} \
             (EmailDefaultFieldInput_2024_06_14, no slug) is refused with 400 `bookingFields[0].slug: is \
             required`; accept it as the override of the default email field",
        ),
    },
    Exception {
        operations: &["GET /v2/event-types/{eventTypeId}"],
        pointers: &["(status)"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): a team event type read through GET /v2/event-types/{id} by a team admin answers \
             404; answer it (TeamEventTypeOutput_2024_06_14 shape) to anyone who may read the team's event types",
        ),
    },
    Exception {
        operations: TEAM_EVENT_TYPE_ANSWERS,
        pointers: &["/data/team", "/data/*/team"],
        expecting: "required",
        why: Todo(
            "TODO(issue 12): team event types lack `team` (EventTypeTeam: id, slug, bannerUrl, name, logoUrl, \
             weekStart, brandColor, darkBrandColor, theme); add it",
        ),
    },
    Exception {
        operations: &[
            "POST /v2/bookings",
            "POST /v2/bookings/{bookingUid}/confirm",
            "POST /v2/bookings/{bookingUid}/decline",
        ],
        pointers: &["/data/location"],
        expecting: "type string",
        why: Todo(
            "TODO(issue 12): a booking's `location` is null when the event type has no location; \
             BookingOutput_2024_08_13 requires a string: send an empty string when there is none",
        ),
    },
    Exception {
        operations: &["POST /v2/bookings"],
        pointers: &["(status)"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): an attendee with `phoneNumber` and no `email` is refused with 400 \
             `attendee.email: must not be empty`; accept it (the booking stands, no attendee email is sent)",
        ),
    },
    Exception {
        operations: &["GET /v2/bookings/{bookingUid}"],
        pointers: &["(status)"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): GET /v2/bookings/{uid} without a key answers 401; Cal.com answers it (the uid is \
             the capability), hiding other seats' attendees of seated event types that do not show attendees",
        ),
    },
    Exception {
        operations: &["POST /v2/organizations/{orgId}/users"],
        pointers: &["(status)"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): `defaultScheduleId`, a field of CreateOrganizationUserInput, is refused with 400 \
             `defaultScheduleId: …`; accept it as the reference allows",
        ),
    },
    Exception {
        operations: ORG_TEAM_ANSWERS,
        pointers: &[
            "/data/bio",
            "/data/logoUrl",
            "/data/bannerUrl",
            "/data/brandColor",
            "/data/darkBrandColor",
            "/data/theme",
            "/data/timeFormat",
            "/data/*/bio",
            "/data/*/logoUrl",
            "/data/*/bannerUrl",
            "/data/*/brandColor",
            "/data/*/darkBrandColor",
            "/data/*/theme",
            "/data/*/timeFormat",
        ],
        expecting: "",
        why: Todo(
            "TODO(issue 12): org teams carry null for unset optional fields (OrgTeamOutputDto has no nullable \
             field); omit unset fields instead of sending null",
        ),
    },
    Exception {
        operations: MEMBERSHIP_ANSWERS,
        pointers: &[
            "/data/user/avatarUrl",
            "/data/user/bio",
            "/data/*/user/avatarUrl",
            "/data/*/user/bio",
        ],
        expecting: "",
        why: Todo(
            "TODO(issue 12): membership users carry null `avatarUrl`/`bio` (MembershipUserOutputDto has no \
             nullable field); omit them when unset",
        ),
    },
    Exception {
        operations: WEBHOOK_ANSWERS,
        pointers: &["/data/payloadTemplate", "/data/*/payloadTemplate"],
        expecting: "",
        why: Todo(
            "TODO(issue 12): a webhook's `payloadTemplate` is null when unset; the outputs require a string: \
             send the default template text (or \"\")",
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
                Todo(r) => {
                    assert!(r.starts_with("TODO(issue 12): "), "{r}");
                    r
                }
            };
            assert!(reason.len() > 40 && !entry.pointers.is_empty());
        }
    }
}
