-- External calendars (issue 14). A connection is one account or feed a user linked (its credential sealed with the
-- keyring); its calendars are what the account holds, each selectable as busy time; busy intervals of selected
-- calendars are cached here so slot listings never call out; a destination says where a user's new bookings go.
CREATE TABLE calendar_connections (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- ics_feed | caldav | apple | google | office365
    kind           TEXT NOT NULL,
    -- The CalDAV server or OAuth account name shown to the user (never the feed address, which is a secret).
    label          TEXT NOT NULL,
    username       TEXT,
    -- Password, feed address or OAuth tokens, sealed (scope calendar, owner = id, field credential).
    sealed_secret  TEXT NOT NULL,
    server_url     TEXT,
    last_error     TEXT,
    failing_since  INTEGER,
    last_synced    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX calendar_connections_user_idx ON calendar_connections (user_id);

CREATE TABLE external_calendars (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id  INTEGER NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    external_id    TEXT NOT NULL,
    name           TEXT NOT NULL,
    read_only      INTEGER NOT NULL DEFAULT 0,
    is_primary     INTEGER NOT NULL DEFAULT 0,
    selected       INTEGER NOT NULL DEFAULT 0,
    -- CTag / sync token / feed ETag as last seen, to skip reading an unchanged calendar.
    ctag           TEXT,
    sync_token     TEXT,
    etag           TEXT,
    last_modified  TEXT,
    -- The window the cached busy intervals cover.
    cached_from    INTEGER,
    cached_to      INTEGER,
    last_error     TEXT,
    failing_since  INTEGER,
    last_synced    INTEGER,
    UNIQUE (connection_id, external_id)
);
CREATE INDEX external_calendars_user_idx ON external_calendars (user_id);

CREATE TABLE calendar_busy (
    calendar_id    INTEGER NOT NULL REFERENCES external_calendars (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    start_at       INTEGER NOT NULL,
    end_at         INTEGER NOT NULL,
    event_uid      TEXT,
    summary        TEXT
);
CREATE INDEX calendar_busy_user_idx ON calendar_busy (user_id, start_at);
CREATE INDEX calendar_busy_calendar_idx ON calendar_busy (calendar_id);

-- Where new bookings are written: one per user (event_type_id NULL), optionally one per event type.
CREATE TABLE destination_calendars (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_type_id  INTEGER REFERENCES event_types (id) ON DELETE CASCADE,
    calendar_id    INTEGER NOT NULL REFERENCES external_calendars (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX destination_calendars_user_idx ON destination_calendars (user_id) WHERE event_type_id IS NULL;
CREATE UNIQUE INDEX destination_calendars_event_type_idx ON destination_calendars (user_id, event_type_id)
    WHERE event_type_id IS NOT NULL;

-- Writing bookings into destination calendars: one job per booking change, queued in the change's transaction,
-- worked with a lease and retried with backoff (queued → retrying → done | failed; never deleted). The job makes
-- the destination match the booking as it is when the job runs (created, moved or removed).
CREATE TABLE calendar_jobs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_uid    TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status         TEXT NOT NULL DEFAULT 'queued',
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before     INTEGER NOT NULL,
    lease_until    INTEGER,
    last_error     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX calendar_jobs_due_idx ON calendar_jobs (status, not_before);
CREATE INDEX calendar_jobs_booking_idx ON calendar_jobs (booking_uid);

-- The event a booking has in an external calendar (keyed by the booking's iCalendar UID, which a reschedule keeps).
CREATE TABLE booking_references (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_uid    TEXT NOT NULL,
    ical_uid       TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    calendar_id    INTEGER REFERENCES external_calendars (id) ON DELETE SET NULL,
    kind           TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    href           TEXT NOT NULL,
    etag           TEXT,
    deleted        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX booking_references_booking_idx ON booking_references (booking_uid);
CREATE INDEX booking_references_ical_idx ON booking_references (user_id, ical_uid);
