-- Invitation links (issue 13) are one-time codes too: their hash, the invitee and a week's expiry.
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check
    CHECK (purpose IN ('email_verification', 'password_reset', 'invitation'));
