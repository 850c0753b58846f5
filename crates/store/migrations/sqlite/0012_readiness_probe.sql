-- One row that readiness checks write to: the only honest test that the database accepts writes (a full disk or
-- a read-only file still answers reads).
CREATE TABLE readiness_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, 0);
