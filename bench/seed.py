#!/usr/bin/env python3
"""Seeds a running convene for the scheduling benchmarks (standard library only).

Creates two hosts' worth of data with the bootstrap admin's key:
  * "bench-slots": available around the clock, 30-minute event, BOOKINGS bookings spread
    over the 30 days starting 2030-01-01 (the GET /v2/slots benchmark reads this window);
  * "bench-book": a 15-minute event available around the clock, left empty for the
    POST /v2/bookings benchmark (each request takes a different slot).
  * with HOSTS > 1 (fourth argument) and BENCH_BIN naming the convene binary: HOSTS more hosts in an
    organization, each with its own 15-minute event available around the clock, for the many-hosts
    booking run (their API keys come from `convene api-keys create`, run in the server's folder).
Prints `SLOTS_EVENT=<id>`, `BOOK_EVENT=<id>` and `BOOK_EVENTS=<id,id,…>` for the shell script.
"""
import json
import os
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

BASE, KEY = sys.argv[1], sys.argv[2]
BOOKINGS = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
HOSTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def call(method, path, body=None, version=None, key=KEY):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("content-type", "application/json")
    if key:
        req.add_header("authorization", f"Bearer {key}")
    if version:
        req.add_header("cal-api-version", version)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data) as resp:
        return json.load(resp)


ALL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ALWAYS = {"name": "Always", "timeZone": "UTC", "isDefault": True,
          "availability": [{"days": ALL_DAYS, "startTime": "00:00", "endTime": "24:00"}]}
call("POST", "/v2/schedules", ALWAYS, "2024-06-11")
slots_event = call("POST", "/v2/event-types", {"title": "Slots bench", "slug": "bench-slots", "lengthInMinutes": 30},
                   "2024-06-14")["data"]["id"]
book_event = call("POST", "/v2/event-types", {"title": "Booking bench", "slug": "bench-book", "lengthInMinutes": 15},
                  "2024-06-14")["data"]["id"]

# 30 days hold 1,440 half-hour slots; take BOOKINGS of them, evenly spread.
start = datetime(2030, 1, 1, tzinfo=timezone.utc)
stride = 1440 / BOOKINGS
for i in range(BOOKINGS):
    at = start + timedelta(minutes=30 * int(i * stride))
    call("POST", "/v2/bookings", {"eventTypeId": slots_event, "start": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
         "attendee": {"name": "Seed", "email": f"seed{i}@example.com", "timeZone": "UTC"}}, "2024-08-13", key=None)

book_events = []
if HOSTS > 1:
    org = call("POST", "/v2/admin/organizations", {"name": "Bench", "slug": "bench"})["data"]["id"]
    for h in range(HOSTS):
        email = f"host{h}@bench.example.com"
        call("POST", f"/v2/organizations/{org}/users", {"email": email, "username": f"host{h}"})
        host_key = subprocess.run([os.environ["BENCH_BIN"], "api-keys", "create", "--user", email],
                                  check=True, capture_output=True, text=True).stdout.split()[-1]
        call("POST", "/v2/schedules", ALWAYS, "2024-06-11", key=host_key)
        book_events.append(call("POST", "/v2/event-types", {"title": "Booking bench", "slug": "bench-book",
                                "lengthInMinutes": 15}, "2024-06-14", key=host_key)["data"]["id"])

print(f"SLOTS_EVENT={slots_event}")
print(f"BOOK_EVENT={book_event}")
print(f"BOOK_EVENTS={','.join(map(str, book_events))}")
