-- An organization's own ways to send its booking emails: an SMTP server, or a provider API (SendGrid,
-- SparkPost) with optional SMTP credentials as that provider's second path.
CREATE TABLE smtp_senders (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id      INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    from_email           TEXT NOT NULL,
    from_name            TEXT NOT NULL,
    provider             TEXT NOT NULL CHECK (provider IN ('SMTP', 'SENDGRID', 'SPARKPOST')),
    smtp_host            TEXT,
    smtp_port            INTEGER,
    smtp_secure          INTEGER NOT NULL,
    -- Sealed by the keyring (v1.<kid>.<…>) and bound to this row and field; never plaintext.
    smtp_user_sealed     TEXT,
    smtp_password_sealed TEXT,
    api_key_sealed       TEXT,
    ip_pool              TEXT,
    is_default           INTEGER NOT NULL,
    -- Health as last seen by a test or a send, and the circuit breaker's state.
    health_status        TEXT NOT NULL DEFAULT 'UNTESTED'
                         CHECK (health_status IN ('UNTESTED', 'OK', 'FAILING', 'AUTH_FAILED')),
    last_error           TEXT,
    last_success_at      INTEGER,
    last_failure_at      INTEGER,
    last_tested_at       INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    circuit_open_until   INTEGER,
    -- How many times the circuit opened in a row; the cool-down doubles with each.
    circuit_opens        INTEGER NOT NULL DEFAULT 0,
    -- When the organization's admins were last told this sender fails (rate limit for that email).
    alerted_at           INTEGER,
    -- Bumped on every settings change: connection pools are keyed by it.
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX smtp_senders_org_idx ON smtp_senders (organization_id);
-- Exactly one default per organization (the API keeps one whenever any sender exists).
CREATE UNIQUE INDEX smtp_senders_default_key ON smtp_senders (organization_id) WHERE is_default = 1;

-- A team's emails go through its assigned sender; a team has at most one.
CREATE TABLE smtp_sender_teams (
    team_id   INTEGER PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
    sender_id INTEGER NOT NULL REFERENCES smtp_senders (id) ON DELETE CASCADE
);
CREATE INDEX smtp_sender_teams_sender_idx ON smtp_sender_teams (sender_id);
