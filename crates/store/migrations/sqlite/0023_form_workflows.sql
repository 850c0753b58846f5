-- Routing-form workflows (a team's emails when one of its forms is answered, or when no booking followed) and
-- personal workflows (a user's own, over their event types: workflows.user_id, there since 0014).
-- `kind` tells the two families apart: 'event-type' workflows act on bookings, 'routing-form' ones on responses.
ALTER TABLE workflows ADD COLUMN kind TEXT NOT NULL DEFAULT 'event-type';

-- The forms a routing-form workflow is active on when it is not active on all of its owner's.
CREATE TABLE workflow_routing_forms (
    workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    form_id     TEXT NOT NULL REFERENCES routing_forms (id) ON DELETE CASCADE,
    PRIMARY KEY (workflow_id, form_id)
);
CREATE INDEX workflow_routing_forms_form_idx ON workflow_routing_forms (form_id);

-- Which outbox rows a formSubmittedNoEvent workflow planned for which response: a booking made from the response
-- cancels the pending ones in its own transaction.
CREATE TABLE workflow_form_reminders (
    email_id    INTEGER PRIMARY KEY REFERENCES email_outbox (id) ON DELETE CASCADE,
    workflow_id INTEGER REFERENCES workflows (id) ON DELETE SET NULL,
    response_id INTEGER NOT NULL REFERENCES routing_form_responses (id) ON DELETE CASCADE
);
CREATE INDEX workflow_form_reminders_response_idx ON workflow_form_reminders (response_id);
CREATE INDEX workflow_form_reminders_workflow_idx ON workflow_form_reminders (workflow_id);
