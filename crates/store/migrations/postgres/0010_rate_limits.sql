-- Shared state of the request limits (used when several processes share the database; one process keeps it in
-- memory instead). One row per limit and key, holding the key's theoretical arrival time (GCRA, see
-- convene-core's rate module) in microseconds since the epoch; a row whose time has passed means "whole
-- allowance" and is swept away.
CREATE TABLE rate_limits (
    -- Which limit ("bookings_per_address"…): each has its own key space.
    limiter TEXT NOT NULL,
    -- The key within it: an address, an email, an id.
    subject TEXT NOT NULL,
    tat     BIGINT NOT NULL,
    PRIMARY KEY (limiter, subject)
);
CREATE INDEX rate_limits_tat_idx ON rate_limits (tat);
