-- Workflows: emails a team sends around its bookings (reminders before or after, notices on changes).
-- A workflow belongs to a team (user_id is there for personal workflows later); its planned emails are ordinary
-- outbox rows with a future not_before, linked back through workflow_reminders so that cancelling, rescheduling or
-- editing can find the ones still pending.

CREATE TABLE workflows (
    id             BIGSERIAL PRIMARY KEY,
    team_id        BIGINT REFERENCES teams (id) ON DELETE CASCADE,
    user_id        BIGINT REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    -- Cal.com's trigger names: beforeEvent, afterEvent, newEvent, eventCancelled, rescheduleEvent, …
    trigger_type   TEXT NOT NULL,
    -- beforeEvent / afterEvent: how long before the start or after the end, in offset_unit (minute, hour, day).
    offset_value   BIGINT,
    offset_unit    TEXT,
    active_on_all  BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK ((team_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX workflows_team_idx ON workflows (team_id) WHERE team_id IS NOT NULL;
CREATE INDEX workflows_user_idx ON workflows (user_id) WHERE user_id IS NOT NULL;

-- The event types a workflow is active on when it is not active on all of its owner's.
CREATE TABLE workflow_event_types (
    workflow_id   BIGINT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    event_type_id BIGINT NOT NULL REFERENCES event_types (id) ON DELETE CASCADE,
    PRIMARY KEY (workflow_id, event_type_id)
);
CREATE INDEX workflow_event_types_event_idx ON workflow_event_types (event_type_id);

CREATE TABLE workflow_steps (
    id                     BIGSERIAL PRIMARY KEY,
    workflow_id            BIGINT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    step_number            BIGINT NOT NULL,
    -- email_host, email_attendee, email_address (text actions are refused without an SMS provider).
    action                 TEXT NOT NULL,
    recipient              TEXT NOT NULL,
    template               TEXT NOT NULL,
    sender_name            TEXT NOT NULL,
    -- email_address: the verified address chosen, copied so a later change of the verified list can't redirect it.
    verified_email_id      BIGINT,
    email                  TEXT,
    include_calendar_event BOOLEAN NOT NULL,
    subject                TEXT NOT NULL,
    html                   TEXT NOT NULL
);
CREATE INDEX workflow_steps_workflow_idx ON workflow_steps (workflow_id, step_number);

-- Which outbox rows a workflow planned for which booking (scheduled ones only: immediate notices need no link).
CREATE TABLE workflow_reminders (
    email_id    BIGINT PRIMARY KEY REFERENCES email_outbox (id) ON DELETE CASCADE,
    workflow_id BIGINT REFERENCES workflows (id) ON DELETE SET NULL,
    booking_id  BIGINT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE
);
CREATE INDEX workflow_reminders_booking_idx ON workflow_reminders (booking_id);
CREATE INDEX workflow_reminders_workflow_idx ON workflow_reminders (workflow_id);
