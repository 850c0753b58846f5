#!/usr/bin/env python3
"""Queue N booking emails in convene's SQLite outbox, for the email throughput benchmark.

    bench/email_seed.py <path to convene.db> <count>
    bench/email_seed.py <path to convene.db> <count> --organization <team id>
    bench/email_seed.py --self-test

Inserts <count> rows into `email_outbox` (crates/store/migrations/sqlite/0007_email.sql) in one
transaction, all due now: status 'queued', kind 'booking_scheduled_attendee', message_id
'<bench-N@convene.test>', to 'attendee+N@example.com', subject/text/HTML/ICS from bench/fixtures
(METHOD:REQUEST). Instants are epoch milliseconds. The database must already be migrated
(`convene migrate`); message_ids are unique, so seed a fresh database per run.

--organization ID sets every row's organization_id (default: none, so every email takes the platform
route). With it, routing looks at that organization's `custom-smtp` feature and senders (bench/fallback.sh
creates the organization, the flag and the sender first; the `teams` row must exist).

--self-test builds a throwaway database from the migration file (with stub teams/bookings/users
tables for its foreign keys), seeds 100 rows and checks them, then 10 rows with --organization.
"""
import contextlib
import io
import os
import sqlite3
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
MIGRATION = os.path.join(HERE, "..", "crates", "store", "migrations", "sqlite", "0007_email.sql")

SUBJECT = "New event: 30 min meeting between Ada and Bob"
KIND = "booking_scheduled_attendee"


def read_fixture(name):
    # newline="" keeps the .ics CRLF line endings as they are.
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as f:
        return f.read()


def seed(db_path, count, organization_id=None):
    html = read_fixture("email.html")
    text = read_fixture("email.txt")
    ics = read_fixture("invite.ics")
    now = int(time.time() * 1000)
    rows = [
        (f"<bench-{n}@convene.test>", KIND, organization_id, f"attendee+{n}@example.com", f"Attendee {n}",
         SUBJECT, "REQUEST", "queued", now, now, now, now)
        for n in range(count)
    ]
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        # The row the worker updates, and its bodies apart (as convene's own enqueue writes them).
        first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM email_outbox").fetchone()[0]
        conn.executemany(
            "INSERT INTO email_outbox (message_id, kind, organization_id, to_email, to_name, subject,"
            " ics_method, status, not_before, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT INTO email_contents (email_id, body_text, body_html, ics)"
            " SELECT id, ?, ?, ? FROM email_outbox WHERE id >= ?",
            (text, html, ics, first),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "convene.db")
        conn = sqlite3.connect(db)
        conn.executescript(
            "CREATE TABLE teams (id INTEGER PRIMARY KEY);"
            "CREATE TABLE bookings (id INTEGER PRIMARY KEY);"
            "CREATE TABLE users (id INTEGER PRIMARY KEY);"
        )
        with open(MIGRATION, encoding="utf-8") as f:
            conn.executescript(f.read())
        conn.close()
        seed(db, 100)
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("SELECT count(*) FROM email_outbox").fetchone()[0] == 100
        assert conn.execute(
            "SELECT count(*) FROM email_outbox WHERE status = 'queued' AND attempts = 0"
            " AND next_attempt_at <= ? AND ics_method = 'REQUEST'", (int(time.time() * 1000),)
        ).fetchone()[0] == 100
        mid, to, ics, html = conn.execute(
            "SELECT message_id, to_email, ics, body_html FROM email_outbox JOIN email_contents ON email_id = id"
            " WHERE message_id = '<bench-42@convene.test>'"
        ).fetchone()
        assert to == "attendee+42@example.com", to
        assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
        assert "METHOD:REQUEST\r\n" in ics and html.lstrip().startswith("<!DOCTYPE html>")
        # The due-index query a worker would run must use email_outbox_due_idx.
        plan = " ".join(str(r) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM email_outbox WHERE status IN ('queued', 'retrying', 'sending')"
            " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 32", (0,)))
        assert "email_outbox_due_idx" in plan, plan
        try:
            seed(db, 1)  # message_id <bench-0@convene.test> again: must fail, and insert nothing
            raise AssertionError("duplicate message_id accepted")
        except sqlite3.IntegrityError:
            pass
        assert conn.execute("SELECT count(*) FROM email_outbox").fetchone()[0] == 100
        assert conn.execute("SELECT count(*) FROM email_outbox WHERE organization_id IS NULL").fetchone()[0] == 100
        conn.close()
        # --organization: every row belongs to that organization (a fresh database: message_ids repeat).
        org_db = os.path.join(tmp, "org.db")
        conn = sqlite3.connect(org_db)
        conn.executescript(
            "CREATE TABLE teams (id INTEGER PRIMARY KEY);"
            "CREATE TABLE bookings (id INTEGER PRIMARY KEY);"
            "CREATE TABLE users (id INTEGER PRIMARY KEY);"
            "INSERT INTO teams (id) VALUES (7);"
        )
        with open(MIGRATION, encoding="utf-8") as f:
            conn.executescript(f.read())
        conn.close()
        with contextlib.redirect_stderr(io.StringIO()):
            assert main(["email_seed.py", org_db, "10", "--organization", "7"]) == 0
        conn = sqlite3.connect(org_db)
        assert conn.execute("SELECT count(*) FROM email_outbox WHERE organization_id = 7").fetchone()[0] == 10
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
        with contextlib.redirect_stderr(io.StringIO()):
            assert main(["email_seed.py", org_db, "10", "--organization"]) == 2
            assert main(["email_seed.py", org_db, "10", "--organization", "x"]) == 2
    print("email_seed.py self-test: ok")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    args, organization_id = argv[1:], None
    if len(args) == 4 and args[2] == "--organization" and args[3].isdigit():
        organization_id = int(args[3])
        args = args[:2]
    if len(args) != 2 or not args[1].isdigit():
        sys.stderr.write(__doc__)
        return 2
    db_path, count = args[0], int(args[1])
    if not os.path.exists(db_path):
        sys.stderr.write(f"email_seed.py: {db_path} does not exist (run `convene migrate` first)\n")
        return 1
    t0 = time.monotonic()
    seed(db_path, count, organization_id)
    whose = "" if organization_id is None else f" of organization {organization_id}"
    sys.stderr.write(f"email_seed.py: queued {count} emails{whose} in {db_path} ({time.monotonic() - t0:.2f}s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
