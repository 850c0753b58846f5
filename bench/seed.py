#!/usr/bin/env python3
"""Seeds a running convene for the scheduling benchmarks (standard library only).

Creates two hosts' worth of data with the bootstrap admin's key:
  * "bench-slots": available around the clock, 30-minute event, BOOKINGS bookings spread
    over the 30 days starting 2030-01-01 (the GET /v2/slots benchmark reads this window);
  * "bench-book": a 15-minute event available around the clock, left empty for the
    POST /v2/bookings benchmark (each request takes a different slot).
Prints `SLOTS_EVENT=<id>` and `BOOK_EVENT=<id>` for the shell script.
"""
import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

BASE, KEY = sys.argv[1], sys.argv[2]
BOOKINGS = int(sys.argv[3]) if len(sys.argv) > 3 else 1000


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
call("POST", "/v2/schedules", {"name": "Always", "timeZone": "UTC", "isDefault": True,
     "availability": [{"days": ALL_DAYS, "startTime": "00:00", "endTime": "24:00"}]}, "2024-06-11")
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

print(f"SLOTS_EVENT={slots_event}")
print(f"BOOK_EVENT={book_event}")
