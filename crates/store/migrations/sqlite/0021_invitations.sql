-- Invitation links (issue 13) are one-time codes too: their hash, the invitee and a week's expiry. SQLite can't
-- change a CHECK constraint in place, so the table is rebuilt with 'invitation' among the purposes.
CREATE TABLE one_time_codes_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose     TEXT NOT NULL CHECK (purpose IN ('email_verification', 'password_reset', 'invitation')),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
);
INSERT INTO one_time_codes_new (id, purpose, user_id, email, code_hash, attempts, expires_at, used_at, created_at)
    SELECT id, purpose, user_id, email, code_hash, attempts, expires_at, used_at, created_at FROM one_time_codes;
DROP TABLE one_time_codes;
ALTER TABLE one_time_codes_new RENAME TO one_time_codes;
CREATE INDEX one_time_codes_user_idx ON one_time_codes (user_id, purpose, email);
CREATE UNIQUE INDEX one_time_codes_hash_key ON one_time_codes (code_hash);
