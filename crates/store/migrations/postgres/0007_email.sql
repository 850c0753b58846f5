-- The email outbox: every email is a row written in the transaction of the change that caused it, then
-- claimed by a worker under a lease, sent outside any transaction, and never deleted.
-- Instants are BIGINT epoch milliseconds.

CREATE TABLE email_outbox (
    id              BIGSERIAL PRIMARY KEY,
    -- Stable per row, so a duplicate after a crash mid-send is recognisable: "<uuid@host>".
    message_id      TEXT NOT NULL UNIQUE,
    -- What kind of email, e.g. "booking_scheduled_attendee"; decides routing and what the log shows.
    kind            TEXT NOT NULL,
    -- Whose email it is (NULL for instance-level account emails); routes and the delivery log scope by these.
    organization_id BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    team_id         BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    booking_id      BIGINT REFERENCES bookings (id) ON DELETE SET NULL,
    -- The account the email is for or about (a booking's host, a password reset's user).
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    to_email        TEXT NOT NULL,
    to_name         TEXT,
    reply_to_email  TEXT,
    reply_to_name   TEXT,
    subject         TEXT NOT NULL,
    -- The METHOD of the calendar object in email_contents, if any.
    ics_method      TEXT,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled')),
    -- Attempts started so far, the one in flight included.
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- The earliest send time (scheduled emails); the retry budget counts from here.
    not_before      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    -- The route that accepted it ("platform", "sender:12"), and the last failure seen.
    sent_route      TEXT,
    last_code       BIGINT,
    last_error      TEXT,
    sent_at         BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at, id)
    WHERE status IN ('queued', 'retrying', 'sending');
CREATE INDEX email_outbox_org_idx ON email_outbox (organization_id, id);
CREATE INDEX email_outbox_booking_idx ON email_outbox (booking_id);
CREATE INDEX email_outbox_user_idx ON email_outbox (user_id, id);

-- The bodies, apart from the row the worker updates on every claim and settle: an update rewrites the whole
-- record, and kilobytes of HTML copied twice per email would dominate the database's work.
CREATE TABLE email_contents (
    email_id  BIGINT PRIMARY KEY REFERENCES email_outbox (id) ON DELETE CASCADE,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- A calendar object (RFC 5545), sent inline and as an attachment.
    ics       TEXT
);

-- One row per route tried in an attempt (a fallback attempt has two), so the log shows every reply.
CREATE TABLE email_attempts (
    id          BIGSERIAL PRIMARY KEY,
    email_id    BIGINT NOT NULL REFERENCES email_outbox (id) ON DELETE CASCADE,
    attempt     BIGINT NOT NULL,
    route       TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('sent', 'failed', 'skipped')),
    smtp_code   BIGINT,
    reply       TEXT,
    duration_ms BIGINT NOT NULL,
    started_at  BIGINT NOT NULL
);
CREATE INDEX email_attempts_email_idx ON email_attempts (email_id, id);

-- Notification preferences (Cal.com's organization defaults with user overrides), per event and channel.
-- A missing row means "inherit": user → organization → on.
CREATE TABLE notification_preferences (
    id              BIGSERIAL PRIMARY KEY,
    organization_id BIGINT REFERENCES teams (id) ON DELETE CASCADE,
    user_id         BIGINT REFERENCES users (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    channel         TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK ((organization_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX notification_preferences_org_key ON notification_preferences (organization_id, event, channel)
    WHERE organization_id IS NOT NULL;
CREATE UNIQUE INDEX notification_preferences_user_key ON notification_preferences (user_id, event, channel)
    WHERE user_id IS NOT NULL;

-- One-time codes: email verification (6 characters) and password reset (a long token); only hashes stored.
CREATE TABLE one_time_codes (
    id          BIGSERIAL PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('email_verification', 'password_reset')),
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id, purpose, email);
CREATE UNIQUE INDEX one_time_codes_hash_key ON one_time_codes (code_hash);

-- Addresses a user proved they own (Cal.com's verified resources).
CREATE TABLE verified_emails (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX verified_emails_user_email_key ON verified_emails (user_id, email);
