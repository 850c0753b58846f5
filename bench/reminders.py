#!/usr/bin/env python3
"""Workflow reminders on SQLite: what planning one costs a booking's transaction, and whether the worker's claim
of due emails stays flat as reminders for the future pile up (standard library only).

    bench/reminders.py              # 100,000 bookings with a reminder each (about a minute)
    BENCH_BOOKINGS=20000 bench/reminders.py

It builds a fresh database from crates/store/migrations/sqlite (every file, in order) in a temporary folder, with
convene's pragmas (WAL, synchronous=NORMAL, foreign keys), and writes what convene's store writes, statement for
statement (crates/store/src/{bookings,outbox,workflows}.rs):

1. Booking throughput, one transaction per booking as `scheduling::booking::create` commits it: the booking, its
   attendee and the two booking emails (outbox row + contents each) — then the same plus what
   `workflows::plan::on_booking` adds for a 24-hours-before reminder (one more outbox row + contents, due a day
   before the start, and its `workflow_reminders` link). The difference is the planning cost in the database.
   The rendering of the reminder's text happens in the server before the insert and is not measured here.
2. The claim: after 10,000 and after 100,000 bookings (each with its future reminder), 100 emails are due now; the
   worker's claim statement (crates/store/src/outbox.rs `claim`) is timed taking them, and its query plan shown.
"""
import glob
import os
import sqlite3
import statistics
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS = sorted(glob.glob(os.path.join(HERE, "..", "crates", "store", "migrations", "sqlite", "*.sql")))
TOTAL = int(os.environ.get("BENCH_BOOKINGS", "100000"))
HTML = "<p>" + "Your booking with Olga is confirmed. " * 40 + "</p>"
TEXT = "Your booking with Olga is confirmed. " * 40
DAY = 86_400_000
START = 1_893_456_000_000  # 2030-01-01T00:00:00Z

CLAIM = (
    "UPDATE email_outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?2, "
    "next_attempt_at = ?2, claimed_by = ?4, updated_at = ?1 "
    "WHERE id IN (SELECT id FROM email_outbox "
    "WHERE status IN ('queued', 'retrying', 'sending') AND next_attempt_at <= ?1 "
    "ORDER BY next_attempt_at, id LIMIT ?3) RETURNING id"
)


def connect(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn):
    for path in MIGRATIONS:
        with open(path, encoding="utf-8") as f:
            conn.executescript(f.read())
    now = int(time.time() * 1000)
    conn.execute(
        "INSERT INTO users (id, email, username, time_zone, locale, week_start, time_format, created_at, updated_at)"
        " VALUES (1, 'olga@example.test', 'olga', 'UTC', 'en', 'Monday', 24, ?1, ?1)",
        (now,),
    )
    conn.execute(
        "INSERT INTO event_types (id, owner_id, slug, title, length_minutes, created_at, updated_at)"
        " VALUES (1, 1, 'intro', 'Intro', 30, ?1, ?1)",
        (now,),
    )
    conn.execute(
        "INSERT INTO workflows (id, user_id, name, trigger_type, offset_value, offset_unit, active_on_all,"
        " created_at, updated_at) VALUES (1, 1, 'Day before', 'beforeEvent', 24, 'hour', 1, ?1, ?1)",
        (now,),
    )


def email(conn, n, kind, booking, due, now):
    row = conn.execute(
        "INSERT INTO email_outbox (message_id, kind, organization_id, team_id, booking_id, user_id, to_email, "
        "to_name, reply_to_email, reply_to_name, subject, ics_method, status, not_before, next_attempt_at, "
        "created_at, updated_at) VALUES (?1, ?2, NULL, NULL, ?3, 1, ?4, 'Ada', 'olga@example.test', 'Olga', "
        "'Intro with Olga', NULL, 'queued', ?5, ?5, ?6, ?6) RETURNING id",
        (f"<{kind}-{n}@bench.test>", kind, booking, f"ada+{n}@example.test", due, now),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO email_contents (email_id, body_text, body_html, ics) VALUES (?1, ?2, ?3, NULL)",
        (row, TEXT, HTML),
    )
    return row


def book(conn, n, with_reminder):
    """One booking's transaction; returns its duration in seconds."""
    began = time.perf_counter()
    now = int(time.time() * 1000)
    start = START + (n % 50_000) * DAY // 48 + (n // 50_000) * 365 * DAY
    conn.execute("BEGIN IMMEDIATE")
    booking = conn.execute(
        "INSERT INTO bookings (uid, host_id, event_type_id, title, start_at, end_at, status, ical_uid, created_at, "
        "updated_at) VALUES (?1, 1, 1, 'Intro', ?2, ?3, 'accepted', ?1, ?4, ?4) RETURNING id",
        (f"b{n}-{with_reminder}", start, start + 1_800_000, now),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO booking_attendees (booking_id, name, email, time_zone, language, phone, is_guest) "
        "VALUES (?1, 'Ada', ?2, 'UTC', 'en', NULL, 0)",
        (booking, f"ada+{n}@example.test"),
    )
    for kind in ("booking_scheduled_attendee", "booking_scheduled_host"):
        email(conn, f"{n}-{with_reminder}", kind, booking, now, now)
    if with_reminder:
        reminder = email(conn, f"{n}-r", "workflow_email", booking, start - DAY, now)
        conn.execute(
            "INSERT INTO workflow_reminders (email_id, workflow_id, booking_id) VALUES (?1, 1, ?2)", (reminder, booking)
        )
    conn.execute("COMMIT")
    return time.perf_counter() - began


def settle_all(conn):
    """Marks the booking emails sent (a worker would have), leaving only the future reminders pending."""
    conn.execute("UPDATE email_outbox SET status = 'sent' WHERE kind <> 'workflow_email' AND status = 'queued'")


def claim_timing(conn, label, rounds=20):
    now = int(time.time() * 1000)
    plan = conn.execute("EXPLAIN QUERY PLAN " + CLAIM, (now, now + 60_000, 100, "bench")).fetchall()
    times = []
    for r in range(rounds):
        conn.execute("BEGIN IMMEDIATE")
        for i in range(100):
            email(conn, f"due-{label}-{r}-{i}", "booking_scheduled_attendee", None, now - 1_000, now)
        conn.execute("COMMIT")
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        taken = conn.execute(CLAIM, (now, now + 60_000, 100, "bench")).fetchall()
        conn.execute("COMMIT")
        times.append(time.perf_counter() - began)
        assert len(taken) == 100, len(taken)
        conn.execute("UPDATE email_outbox SET status = 'sent' WHERE status = 'sending'")
    pending = conn.execute(
        "SELECT count(*) FROM email_outbox WHERE status = 'queued' AND next_attempt_at > ?1", (now,)
    ).fetchone()[0]
    print(f"claim of 100 due with {pending:,} future reminders pending: median {statistics.median(times) * 1e3:.2f} ms,"
          f" max {max(times) * 1e3:.2f} ms ({rounds} claims)")
    for row in plan:
        print("   plan:", row[3])


def throughput(conn, count, with_reminder, offset):
    durations = [book(conn, offset + n, with_reminder) for n in range(count)]
    total = sum(durations)
    return count / total, statistics.median(durations) * 1e3


def main():
    folder = tempfile.mkdtemp(prefix="convene-reminders-")
    conn = connect(os.path.join(folder, "bench.db"))
    migrate(conn)
    print(f"machine: {os.cpu_count()} cores; SQLite {sqlite3.sqlite_version}; {TOTAL:,} bookings")

    # Alternate blocks so both kinds see the same table sizes; the baseline's blocks are smaller (their bookings
    # add no reminders, so the reminder count reaches the total with every booking that has one).
    block, base_block = 1_000, 250
    rates = {False: [], True: []}
    with_reminders = baseline = 0
    while with_reminders < TOTAL:
        rates[False].append(throughput(conn, base_block, False, TOTAL + baseline)[0])
        baseline += base_block
        rates[True].append(throughput(conn, block, True, with_reminders)[0])
        with_reminders += block
        if with_reminders in (10_000, TOTAL):
            settle_all(conn)
            claim_timing(conn, str(with_reminders))
    base, planned = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"bookings/s without a reminder: {base:,.0f}; with a 24-hours-before reminder planned: {planned:,.0f}"
          f" → planning costs {100 * (base - planned) / base:.1f} % of throughput (median of {len(rates[True])} blocks)")


if __name__ == "__main__":
    main()
