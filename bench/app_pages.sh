#!/usr/bin/env bash
# The host's app pages, signed in, for a host with 1,000 bookings (bench/seed.py), against a release build on
# SQLite: p50 / p90 / p99 of each page at 8 connections (the aim: p50 ≤ 20 ms).
#
#   BENCH_SECONDS=5 bench/app_pages.sh
#
# Needs: wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_SECONDS:-10}
conns=8

# BENCH_BIN names a convene binary to measure instead of building one.
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release -q -p convene; fi
bin=${BENCH_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/convene}

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
unset CONVENE_DATABASE_URL
# The seed books 1,000 times from one address as an anonymous caller: lift the limits meant for strangers.
export CONVENE_LIMIT_BOOKINGS_PER_ADDRESS=100000/minute CONVENE_LIMIT_BOOKINGS_PER_EVENT_TYPE=100000/minute \
  CONVENE_LIMIT_BOOKINGS_PER_ATTENDEE_EMAIL=100000/minute
export CONVENE_ADMIN_EMAIL=host@bench.localhost CONVENE_ADMIN_PASSWORD=bench-host-password CONVENE_SECURE_COOKIES=false
(cd "$work" && CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOG=warn exec "$bin" serve --demo >"$work/out.txt" 2>"$work/err.txt") &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
key=$(awk '/API key:/ {print $3}' "$work/out.txt")
eval "$(python3 bench/seed.py "$base" "$key" 1000)"

# Sign in as the host: the login form's CSRF cookie and token, then the session cookie.
jar=$work/cookies.txt
csrf=$(curl -s -c "$jar" "$base/auth/login" | grep -oE 'name="csrf" value="[^"]+"' | head -1 | cut -d'"' -f4)
curl -s -o /dev/null -b "$jar" -c "$jar" -H "origin: $base" \
  --data-urlencode "email=$CONVENE_ADMIN_EMAIL" --data-urlencode "password=$CONVENE_ADMIN_PASSWORD" \
  --data-urlencode "csrf=$csrf" "$base/auth/login"
session=$(awk '$6 == "convene_session" {print $7}' "$jar")
[ -n "$session" ] || { echo "sign-in failed" >&2; exit 1; }
org=$(grep -oE 'id [0-9]+\) with team' "$work/out.txt" | grep -oE '[0-9]+' | head -1)
# The email senders page is the organization's only with the `custom-smtp` feature on (else it says it is off).
curl -sf -o /dev/null -X PUT -H "authorization: Bearer $key" -H 'content-type: application/json' \
  "$base/v2/admin/organizations/$org/features/custom-smtp" -d '{"enabled": true}'

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
pages="/event-types /availability /bookings /bookings?tab=past /bookings?q=bench /settings/profile /settings/api-keys
  /settings/webhooks /settings/notifications /admin/organizations /settings/organizations/$org/members
  /settings/organizations/$org/teams /settings/organizations/$org/email-senders /routing-forms /workflows
  /settings/calendars /availability/troubleshoot"
for page in $pages; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "cookie: convene_session=$session" "$base$page")
  printf '%-48s %s ' "$page" "$status"
  wrk -t2 -c$conns -d${duration}s --latency -H "cookie: convene_session=$session" "$base$page" |
    awk '/^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF}
         END {printf "p50 %s  p90 %s  p99 %s  %s req/s%s\n", p50, p90, p99, rps, (bad ? "  non-2xx " bad : "")}'
done
