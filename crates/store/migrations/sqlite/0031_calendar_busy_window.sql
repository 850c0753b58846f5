-- Every listing of slots reads a host's busy intervals in a window; an index holding every column that read needs
-- answers it without visiting the table once per interval (a month of three busy calendars is over a thousand).
-- It starts with the columns of the index it replaces, so every other use of that one is served as before.
CREATE INDEX calendar_busy_window_idx ON calendar_busy (user_id, start_at, end_at, calendar_id, event_uid);
DROP INDEX calendar_busy_user_idx;
