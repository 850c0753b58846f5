-- Webhook subscriptions and their durable delivery queue.
-- Instants are INTEGER epoch milliseconds.

-- A subscription belongs to a user (fires for every booking they host) or to one event type.
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER REFERENCES users (id) ON DELETE CASCADE,
    event_type_id    INTEGER REFERENCES event_types (id) ON DELETE CASCADE,
    subscriber_url   TEXT NOT NULL,
    -- JSON array of trigger names, e.g. ["BOOKING_CREATED"].
    triggers         TEXT NOT NULL,
    active           INTEGER NOT NULL,
    payload_template TEXT,
    -- Sealed by the keyring (v1.<kid>.<…>), never plaintext; NULL when the subscriber set no secret.
    secret_sealed    TEXT,
    version          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (event_type_id IS NULL))
);
-- As Cal.com: one subscription per URL and owner.
CREATE UNIQUE INDEX webhooks_user_url ON webhooks (user_id, subscriber_url) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX webhooks_event_type_url ON webhooks (event_type_id, subscriber_url) WHERE event_type_id IS NOT NULL;

-- One row per (webhook, event): written in the transaction that changed the booking, then claimed by a worker
-- with a lease, sent outside any transaction, and never deleted, so its fate stays visible.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the webhook is deleted; the row stays as a record.
    webhook_id       INTEGER REFERENCES webhooks (id) ON DELETE SET NULL,
    trigger_event    TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'delivering', 'delivered', 'retrying', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- What the workers scan: rows still to send (or whose sender's lease may have expired), oldest due first.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('queued', 'retrying', 'delivering');
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id);
