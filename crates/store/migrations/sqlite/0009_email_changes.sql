-- A user's request to move their account to another address: the address stays pending (and grants nothing)
-- until the code or link mailed to it comes back. One pending change per user; a new request replaces it.
-- Only hashes of the code and the link token are stored.
CREATE TABLE email_changes (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    new_email  TEXT NOT NULL,
    -- The short code, hashed together with the user and the address (codes are short; see accounts/).
    code_hash  TEXT NOT NULL,
    -- The long token in the emailed link, hashed on its own: the link alone identifies the change.
    link_hash  TEXT NOT NULL UNIQUE,
    -- Wrong codes tried so far; the change stops accepting codes after a few.
    attempts   INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
