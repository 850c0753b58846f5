-- Verified resources beyond a user's own emails (issue 12): a user's phone numbers, a team's emails and phone
-- numbers. Their codes are one-time codes like the email ones, so the purposes widen; SQLite can't change a CHECK
-- constraint in place, so the table is rebuilt. For team codes `email` holds the team and the address or number
-- (`team 7 +37255556666`), so a code for one team never proves anything to another.
CREATE TABLE one_time_codes_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose     TEXT NOT NULL CHECK (purpose IN ('email_verification', 'password_reset', 'invitation',
                                                 'phone_verification', 'team_email_verification',
                                                 'team_phone_verification')),
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

-- Numbers a user proved they own by entering a code texted there (E.164).
CREATE TABLE verified_phones (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX verified_phones_user_phone_key ON verified_phones (user_id, phone_number);

-- A team's verified addresses and numbers; `user_id` is the admin who entered the code (kept if they leave).
CREATE TABLE team_verified_emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    email       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX team_verified_emails_team_email_key ON team_verified_emails (team_id, email);

CREATE TABLE team_verified_phones (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id       INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    phone_number  TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX team_verified_phones_team_phone_key ON team_verified_phones (team_id, phone_number);

-- sms_number / whatsapp_number steps: the verified number chosen, copied like email_address's address.
ALTER TABLE workflow_steps ADD COLUMN verified_phone_id INTEGER;
ALTER TABLE workflow_steps ADD COLUMN phone TEXT;
