-- An organization's own ways to send its booking emails: an SMTP server, or a provider API (SendGrid,
-- SparkPost) with optional SMTP credentials as that provider's second path.
CREATE TABLE smtp_senders (
    id                   BIGSERIAL PRIMARY KEY,
    organization_id      BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    from_email           TEXT NOT NULL,
    from_name            TEXT NOT NULL,
    provider             TEXT NOT NULL CHECK (provider IN ('SMTP', 'SENDGRID', 'SPARKPOST')),
    smtp_host            TEXT,
    smtp_port            BIGINT,
    smtp_secure          BOOLEAN NOT NULL,
    -- Sealed by the keyring (v1.<kid>.<…>) and bound to this row and field; never plaintext.
    smtp_user_sealed     TEXT,
    smtp_password_sealed TEXT,
    api_key_sealed       TEXT,
    ip_pool              TEXT,
    is_default           BOOLEAN NOT NULL,
    -- Health as last seen by a test or a send, and the circuit breaker's state.
    health_status        TEXT NOT NULL DEFAULT 'UNTESTED'
                         CHECK (health_status IN ('UNTESTED', 'OK', 'FAILING', 'AUTH_FAILED')),
    last_error           TEXT,
    last_success_at      BIGINT,
    last_failure_at      BIGINT,
    last_tested_at       BIGINT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    circuit_open_until   BIGINT,
    -- How many times the circuit opened in a row; the cool-down doubles with each.
    circuit_opens        BIGINT NOT NULL DEFAULT 0,
    -- When the organization's admins were last told this sender fails (rate limit for that email).
    alerted_at           BIGINT,
    -- Bumped on every settings change: connection pools are keyed by it.
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX smtp_senders_org_idx ON smtp_senders (organization_id);
-- Exactly one default per organization (the API keeps one whenever any sender exists).
CREATE UNIQUE INDEX smtp_senders_default_key ON smtp_senders (organization_id) WHERE is_default;

-- A team's emails go through its assigned sender; a team has at most one.
CREATE TABLE smtp_sender_teams (
    team_id   BIGINT PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
    sender_id BIGINT NOT NULL REFERENCES smtp_senders (id) ON DELETE CASCADE
);
CREATE INDEX smtp_sender_teams_sender_idx ON smtp_sender_teams (sender_id);
