-- no-transaction
-- Teams outside organizations (Cal.com's `/v2/teams`): a team with no parent that is not an organization.
-- 0001 tied `is_organization` to `parent_id IS NULL`; the rule now is only that an organization has no parent.
-- SQLite can't drop a CHECK, so the table is rebuilt the documented way (sqlite.org/lang_altertable.html):
-- foreign keys off (outside a transaction, where the pragma takes effect), copy, swap, check, foreign keys on.
-- Other tables' `REFERENCES teams` keep pointing at the rebuilt table by name.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE teams_rebuilt (
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
    CHECK (NOT is_organization OR parent_id IS NULL)
);
INSERT INTO teams_rebuilt (id, parent_id, is_organization, name, slug, bio, logo_url, banner_url, brand_color,
    dark_brand_color, theme, hide_branding, is_private, hide_book_a_team_member, time_zone, week_start,
    time_format, metadata, created_at, updated_at)
SELECT id, parent_id, is_organization, name, slug, bio, logo_url, banner_url, brand_color,
    dark_brand_color, theme, hide_branding, is_private, hide_book_a_team_member, time_zone, week_start,
    time_format, metadata, created_at, updated_at
FROM teams;
DROP TABLE teams;
ALTER TABLE teams_rebuilt RENAME TO teams;
-- Organizations and teams outside them share one slug space (the public `/team/{slug}` pages and org slugs);
-- teams inside an organization are unique within it.
CREATE UNIQUE INDEX teams_org_slug_key ON teams (slug) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX teams_team_slug_key ON teams (parent_id, slug) WHERE parent_id IS NOT NULL;
-- Organization webhooks (`/v2/organizations/{orgId}/webhooks`): a subscription may belong to an organization,
-- and hears about the bookings of its members and of its teams' event types. The owner CHECK changes, so this
-- table is rebuilt the same way.
CREATE TABLE webhooks_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER REFERENCES users (id) ON DELETE CASCADE,
    event_type_id    INTEGER REFERENCES event_types (id) ON DELETE CASCADE,
    organization_id  INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    subscriber_url   TEXT NOT NULL,
    triggers         TEXT NOT NULL,
    active           INTEGER NOT NULL,
    payload_template TEXT,
    secret_sealed    TEXT,
    version          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((user_id IS NOT NULL) + (event_type_id IS NOT NULL) + (organization_id IS NOT NULL) = 1)
);
INSERT INTO webhooks_rebuilt (id, user_id, event_type_id, organization_id, subscriber_url, triggers, active,
    payload_template, secret_sealed, version, created_at, updated_at)
SELECT id, user_id, event_type_id, NULL, subscriber_url, triggers, active, payload_template, secret_sealed, version,
    created_at, updated_at
FROM webhooks;
DROP TABLE webhooks;
ALTER TABLE webhooks_rebuilt RENAME TO webhooks;
CREATE UNIQUE INDEX webhooks_user_url ON webhooks (user_id, subscriber_url) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX webhooks_event_type_url ON webhooks (event_type_id, subscriber_url) WHERE event_type_id IS NOT NULL;
CREATE UNIQUE INDEX webhooks_organization_url ON webhooks (organization_id, subscriber_url)
    WHERE organization_id IS NOT NULL;
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
