-- Every listing of slots reads a host's busy intervals in a window; an index holding every column that read needs
-- answers it from the index alone (a month of three busy calendars is over a thousand intervals). It keeps the
-- key of the index it replaces, so every other use of that one is served as before.
CREATE INDEX calendar_busy_window_idx ON calendar_busy (user_id, start_at) INCLUDE (end_at, calendar_id, event_uid);
DROP INDEX calendar_busy_user_idx;
