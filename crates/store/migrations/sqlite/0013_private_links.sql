-- Private links (Cal.com's "private links" / hashed links): a secret URL that books an event type, hidden or not,
-- until a date (expires_at) or for a number of bookings (max_usage_count).
CREATE TABLE private_links (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id         TEXT NOT NULL UNIQUE,
    event_type_id   INTEGER NOT NULL REFERENCES event_types (id) ON DELETE CASCADE,
    expires_at      INTEGER,
    max_usage_count INTEGER,
    usage_count     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX private_links_event_type_idx ON private_links (event_type_id);
