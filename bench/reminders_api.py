#!/usr/bin/env python3
"""Seeds a running convene for bench/reminders_api.sh (standard library only), with the bootstrap admin's key.

Makes an organization owned by the admin, a team in it and a 15-minute collective team event type hosted by the
admin (available around the clock), and prints `TEAM_EVENT=<id>`, `WORKFLOWS=<path>` and `WORKFLOW=<json>`: the
team's workflow collection and the body of a workflow that emails the attendee and the host 24 hours before each
booking of that event type.
"""
import json
import os
import sys
import urllib.request

BASE, KEY = sys.argv[1], sys.argv[2]


def call(method, path, body=None, version=None):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("content-type", "application/json")
    req.add_header("authorization", f"Bearer {KEY}")
    if version:
        req.add_header("cal-api-version", version)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data) as resp:
        return json.load(resp)


ALL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
call("POST", "/v2/schedules", {"name": "Always", "timeZone": "UTC", "isDefault": True,
     "availability": [{"days": ALL_DAYS, "startTime": "00:00", "endTime": "24:00"}]}, "2024-06-11")
me = call("GET", "/v2/me")["data"]["id"]
org = call("POST", "/v2/admin/organizations", {"name": "Reminders", "slug": "reminders"})["data"]["id"]
team = call("POST", f"/v2/organizations/{org}/teams", {"name": "Desk", "slug": "desk"})["data"]["id"]
try:
    call("POST", f"/v2/organizations/{org}/teams/{team}/memberships", {"userId": me, "role": "OWNER", "accepted": True})
except urllib.error.HTTPError as e:
    if e.code != 409:  # already a member as the team's creator
        raise
event = call("POST", f"/v2/organizations/{org}/teams/{team}/event-types",
             {"title": "Reminded", "slug": "reminded", "lengthInMinutes": 15, "schedulingType": "collective",
              "hosts": [{"userId": me}]})["data"]["id"]
workflow = {
    "name": "Day before",
    "activation": {"isActiveOnAllEventTypes": False, "activeOnEventTypeIds": [event]},
    "trigger": {"type": "beforeEvent", "offset": {"value": 24, "unit": "hour"}},
    "steps": [
        {"action": "email_attendee", "stepNumber": 1, "recipient": "attendee", "template": "reminder",
         "sender": "Bench", "includeCalendarEvent": False,
         "message": {"subject": "Reminder: {EVENT_NAME} at {EVENT_TIME} {TIMEZONE}",
                     "html": "<p>Hi {ATTENDEE}, {EVENT_NAME} with {ORGANIZER} is at {EVENT_TIME}.</p>"}},
        {"action": "email_host", "stepNumber": 2, "recipient": "const", "template": "reminder",
         "sender": "Bench", "includeCalendarEvent": False,
         "message": {"subject": "Soon: {EVENT_NAME} with {ATTENDEE}", "html": "<p>{ATTENDEE} {CANCEL_URL}</p>"}},
    ],
}
# BENCH_STEPS=1 (the default): one reminder per booking, to the attendee, as the aim is stated;
# BENCH_STEPS=2: the host is reminded too, two emails per booking.
steps = int(os.environ.get("BENCH_STEPS", "1"))
workflow["steps"] = workflow["steps"][:steps]
print(f"TEAM_EVENT={event}")
print(f"WORKFLOWS=/v2/organizations/{org}/teams/{team}/workflows")
print(f"WORKFLOW='{json.dumps(workflow)}'")
