-- Verified resources beyond a user's own emails (issue 12): a user's phone numbers, a team's emails and phone
-- numbers. Their codes are one-time codes like the email ones, so the purposes widen. For team codes `email`
-- holds the team and the address or number (`team 7 +37255556666`), so a code for one team never proves anything
-- to another.
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check
    CHECK (purpose IN ('email_verification', 'password_reset', 'invitation', 'phone_verification',
                       'team_email_verification', 'team_phone_verification'));

-- Numbers a user proved they own by entering a code texted there (E.164).
CREATE TABLE verified_phones (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX verified_phones_user_phone_key ON verified_phones (user_id, phone_number);

-- A team's verified addresses and numbers; `user_id` is the admin who entered the code (kept if they leave).
CREATE TABLE team_verified_emails (
    id          BIGSERIAL PRIMARY KEY,
    team_id     BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX team_verified_emails_team_email_key ON team_verified_emails (team_id, email);

CREATE TABLE team_verified_phones (
    id            BIGSERIAL PRIMARY KEY,
    team_id       BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    phone_number  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX team_verified_phones_team_phone_key ON team_verified_phones (team_id, phone_number);

-- sms_number / whatsapp_number steps: the verified number chosen, copied like email_address's address.
ALTER TABLE workflow_steps ADD COLUMN verified_phone_id BIGINT;
ALTER TABLE workflow_steps ADD COLUMN phone TEXT;
