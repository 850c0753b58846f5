-- Routing forms: questions a visitor answers before booking, and ordered routes that send them, by their answers,
-- to an event type, an external URL or a message. Fields and routes are JSON documents (their shape is checked by
-- the service, which reads and writes them whole); responses keep the answers, the route taken and, once a booking
-- follows, its uid.

CREATE TABLE routing_forms (
    -- Cal.com's form ids are strings (UUIDs).
    id              TEXT PRIMARY KEY,
    -- The owner: receives the response emails unless the form names other addresses; their webhooks hear of it.
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id         INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    organization_id INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    description     TEXT,
    position        INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    fields          TEXT NOT NULL,
    routes          TEXT NOT NULL,
    settings        TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX routing_forms_org_idx ON routing_forms (organization_id, created_at);
CREATE INDEX routing_forms_team_idx ON routing_forms (team_id, created_at);
CREATE INDEX routing_forms_user_idx ON routing_forms (user_id);

CREATE TABLE routing_form_responses (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id               TEXT NOT NULL REFERENCES routing_forms (id) ON DELETE CASCADE,
    form_filler_id        TEXT NOT NULL,
    -- {fieldId: {label, value}}, as Cal.com reports it.
    response              TEXT NOT NULL,
    -- The route taken (its id, and what it did: eventTypeRedirectUrl, externalRedirectUrl, customPageMessage).
    route_id              TEXT,
    route_action          TEXT,
    routed_event_type_id  INTEGER REFERENCES event_types (id) ON DELETE SET NULL,
    routed_to_booking_uid TEXT,
    -- When FORM_SUBMITTED_NO_EVENT fires unless a booking follows first; NULL once fired, booked or not wanted.
    no_event_due_at       INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX routing_form_responses_form_idx ON routing_form_responses (form_id, created_at);
CREATE INDEX routing_form_responses_booking_idx ON routing_form_responses (routed_to_booking_uid)
    WHERE routed_to_booking_uid IS NOT NULL;
-- What the sweep reads: only responses still waiting, oldest due first (answered ones are never scanned).
CREATE INDEX routing_form_responses_no_event_idx ON routing_form_responses (no_event_due_at)
    WHERE no_event_due_at IS NOT NULL;
