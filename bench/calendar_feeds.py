#!/usr/bin/env python3
"""Serves ICS feeds for the calendars benchmark (standard library only).

    calendar_feeds.py PORT EVENTS DELAY_MS [DELAY_MS ...]

Feed n (from 0) is /feed/n.ics: EVENTS events over the next 60 days (20 of them weekly series with a TZID and an
EXDATE, the rest single half-hour or hour-long events at seeded random times), answered after DELAY_MS[n]
milliseconds, as a slow calendar server would. Each feed carries an ETag and answers 304 to a matching
If-None-Match, so a warm refresh costs the server nothing; POST /bump changes every ETag (the next read is a full
one, as after an edit in the host's calendar).
"""
import random
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, EVENTS = int(sys.argv[1]), int(sys.argv[2])
DELAYS = [int(d) / 1000 for d in sys.argv[3:]]
generation = 0
lock = threading.Lock()


def stamp(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def feed(n):
    rng = random.Random(n)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//convene bench//feed {n}//EN",
             "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
             "BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
             "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
             "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
             "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE"]
    for i in range(EVENTS):
        lines += ["BEGIN:VEVENT", f"UID:bench-{n}-{i}@convene.test", f"DTSTAMP:{stamp(now)}",
                  f"SUMMARY:Feed {n} event {i}"]
        if i < 20:
            first = (now + timedelta(days=rng.randrange(7))).replace(hour=0) + timedelta(hours=8 + i % 9)
            local = first.strftime("%Y%m%dT%H%M%S")
            skipped = (first + timedelta(weeks=2)).strftime("%Y%m%dT%H%M%S")
            lines += [f"DTSTART;TZID=Europe/Berlin:{local}", "DURATION:PT45M", "RRULE:FREQ=WEEKLY;COUNT=9",
                      f"EXDATE;TZID=Europe/Berlin:{skipped}"]
        else:
            start = now + timedelta(minutes=30 * rng.randrange(60 * 48))
            lines += [f"DTSTART:{stamp(start)}", f"DTEND:{stamp(start + timedelta(minutes=rng.choice([30, 60])))}"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


BODIES = [feed(n) for n in range(len(DELAYS))]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def do_POST(self):
        global generation
        with lock:
            generation += 1
        self.send_response(204)
        self.end_headers()

    def do_GET(self):
        try:
            n = int(self.path.removeprefix("/feed/").removesuffix(".ics"))
            body = BODIES[n]
        except (ValueError, IndexError):
            self.send_response(404)
            self.end_headers()
            return
        time.sleep(DELAYS[n])
        etag = f'"{n}-{generation}"'
        if self.headers.get("if-none-match") == etag:
            self.send_response(304)
            self.send_header("etag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "text/calendar; charset=utf-8")
        self.send_header("etag", etag)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
