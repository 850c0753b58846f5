-- Users, organizations/teams, memberships, API keys, feature flags and web sessions.
-- Instants are INTEGER epoch milliseconds on both backends (see DESIGN.md, "Storage").

CREATE TABLE teams (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id               INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    is_organization         INTEGER NOT NULL,
    name                    TEXT NOT NULL,
    slug                    TEXT NOT NULL,
    bio                     TEXT,
    logo_url                TEXT,
    banner_url              TEXT,
    brand_color             TEXT,
    dark_brand_color        TEXT,
    theme                   TEXT,
    hide_branding           INTEGER NOT NULL DEFAULT 0,
    is_private              INTEGER NOT NULL DEFAULT 0,
    hide_book_a_team_member INTEGER NOT NULL DEFAULT 0,
    time_zone               TEXT NOT NULL,
    week_start              TEXT NOT NULL,
    time_format             INTEGER,
    metadata                TEXT NOT NULL DEFAULT '{}',
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    CHECK (is_organization = (parent_id IS NULL))
);
CREATE UNIQUE INDEX teams_org_slug_key ON teams (slug) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX teams_team_slug_key ON teams (parent_id, slug) WHERE parent_id IS NOT NULL;

CREATE TABLE users (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    email             TEXT NOT NULL UNIQUE,
    username          TEXT NOT NULL UNIQUE,
    name              TEXT,
    bio               TEXT,
    avatar_url        TEXT,
    time_zone         TEXT NOT NULL,
    locale            TEXT NOT NULL,
    week_start        TEXT NOT NULL,
    time_format       INTEGER NOT NULL,
    metadata          TEXT NOT NULL DEFAULT '{}',
    -- Like Cal.com, a user belongs to at most one organization.
    organization_id   INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    password_hash     TEXT,
    is_instance_admin INTEGER NOT NULL DEFAULT 0,
    email_verified_at INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE memberships (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id               INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                  TEXT NOT NULL CHECK (role IN ('MEMBER', 'ADMIN', 'OWNER')),
    accepted              INTEGER NOT NULL,
    disable_impersonation INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    UNIQUE (team_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the whole key, hex: the key itself is shown once and never stored.
    key_hash     TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    note         TEXT,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE organization_features (
    organization_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    flag            TEXT NOT NULL,
    enabled         INTEGER NOT NULL,
    updated_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, flag)
);

CREATE TABLE web_sessions (
    -- SHA-256 of the cookie value, hex.
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
