-- Schedules, event types, bookings and slot reservations.
-- Instants are INTEGER epoch milliseconds; structured settings that are always read whole
-- (weekly availability, booking fields, locations, limits) are JSON text.

CREATE TABLE schedules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    is_default   INTEGER NOT NULL,
    availability TEXT NOT NULL,
    overrides    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX schedules_user_idx ON schedules (user_id);
-- One default schedule per user.
CREATE UNIQUE INDEX schedules_one_default ON schedules (user_id) WHERE is_default = 1;

CREATE TABLE event_types (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id               INTEGER REFERENCES users (id) ON DELETE CASCADE,
    team_id                INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    scheduling_type        TEXT,
    slug                   TEXT NOT NULL,
    title                  TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    length_minutes         INTEGER NOT NULL,
    length_options         TEXT NOT NULL DEFAULT '[]',
    locations              TEXT NOT NULL DEFAULT '[]',
    booking_fields         TEXT NOT NULL DEFAULT '[]',
    disable_guests         INTEGER NOT NULL DEFAULT 0,
    slot_interval          INTEGER,
    minimum_booking_notice INTEGER NOT NULL DEFAULT 0,
    before_event_buffer    INTEGER NOT NULL DEFAULT 0,
    after_event_buffer     INTEGER NOT NULL DEFAULT 0,
    requires_confirmation  INTEGER NOT NULL DEFAULT 0,
    hidden                 INTEGER NOT NULL DEFAULT 0,
    schedule_id            INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    booking_limits_count   TEXT,
    booking_limits_duration TEXT,
    email_settings         TEXT,
    metadata               TEXT NOT NULL DEFAULT '{}',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    CHECK ((owner_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX event_types_owner_slug ON event_types (owner_id, slug) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX event_types_team_slug ON event_types (team_id, slug) WHERE team_id IS NOT NULL;

-- Hosts of team event types.
CREATE TABLE event_type_hosts (
    event_type_id INTEGER NOT NULL REFERENCES event_types (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (event_type_id, user_id)
);

CREATE TABLE bookings (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    uid                  TEXT NOT NULL UNIQUE,
    event_type_id        INTEGER REFERENCES event_types (id) ON DELETE SET NULL,
    host_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title                TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    start_at             INTEGER NOT NULL,
    end_at               INTEGER NOT NULL,
    -- The buffers in force when booked, so later edits to the event type don't move old blocks.
    before_buffer_ms     INTEGER NOT NULL DEFAULT 0,
    after_buffer_ms      INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL CHECK (status IN ('accepted', 'pending', 'cancelled', 'rejected')),
    location             TEXT,
    metadata             TEXT NOT NULL DEFAULT '{}',
    responses            TEXT NOT NULL DEFAULT '{}',
    cancellation_reason  TEXT,
    cancelled_by_email   TEXT,
    rescheduling_reason  TEXT,
    rescheduled_by_email TEXT,
    rescheduled_from_uid TEXT,
    rescheduled_to_uid   TEXT,
    -- Calendar invite identity: the UID survives reschedules, SEQUENCE grows on each change.
    ical_uid             TEXT NOT NULL,
    ical_sequence        INTEGER NOT NULL DEFAULT 0,
    absent_host          INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX bookings_host_time_idx ON bookings (host_id, start_at);
CREATE INDEX bookings_event_type_idx ON bookings (event_type_id, start_at);

CREATE TABLE booking_attendees (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    time_zone  TEXT NOT NULL,
    language   TEXT NOT NULL DEFAULT 'en',
    phone      TEXT,
    is_guest   INTEGER NOT NULL DEFAULT 0,
    absent     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX booking_attendees_booking_idx ON booking_attendees (booking_id);
CREATE INDEX booking_attendees_email_idx ON booking_attendees (email);

-- Slots held for a few minutes while someone completes a booking.
CREATE TABLE slot_reservations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uid           TEXT NOT NULL UNIQUE,
    event_type_id INTEGER NOT NULL REFERENCES event_types (id) ON DELETE CASCADE,
    host_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    start_at      INTEGER NOT NULL,
    end_at        INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX slot_reservations_host_idx ON slot_reservations (host_id, start_at);
