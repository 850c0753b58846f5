-- Out-of-office periods: they block the user's availability like a busy calendar.
CREATE TABLE out_of_office (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL,
    notes      TEXT,
    reason     TEXT NOT NULL DEFAULT 'unspecified',
    to_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX out_of_office_user_idx ON out_of_office (user_id, start_at);
