#!/usr/bin/env bash
# What planning a workflow reminder costs a booking, measured through the server: POST /v2/bookings at 8
# connections on one team event type, in alternating rounds without and with an active "24 hours before" workflow
# (one reminder email planned in each booking's transaction; two with BENCH_STEPS=2), on SQLite, release build. Complements
# bench/reminders.py, which measures the same writes inside the database alone.
#
#   BENCH_SECONDS=10 BENCH_ROUNDS=3 bench/reminders_api.sh
#
# BENCH_STEPS=1 (default) plans one reminder per booking, to the attendee; BENCH_STEPS=2 reminds the host as well.
#
# Needs: wrk, curl, python3. BENCH_BIN names a convene binary to measure instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release -q -p convene; fi
bin=${BENCH_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/convene}

# Each measurement gets a fresh server and database, so the rounds compare like with like (one database growing
# through every round made later rounds slower whatever they measured).
measure() {
  local with=$1 work port pid base key
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$work" && CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOG=warn exec "$bin" serve >"$work/out.txt" 2>"$work/err.txt") &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
  base="http://127.0.0.1:$port"
  key=$(awk '/API key:/ {print $3}' "$work/out.txt")
  eval "$(python3 bench/reminders_api.py "$base" "$key")"
  if [ "$with" = yes ]; then
    curl -sf -H "authorization: Bearer $key" -H 'content-type: application/json' "$base$WORKFLOWS" -d "$WORKFLOW" >/dev/null
  fi
  BOOK_EVENT=$TEAM_EVENT wrk -t2 -c8 -d${duration}s --latency -s bench/book.lua "$base" |
    awk '/^ +50%/ {p50=$2} /Requests\/sec/ {rps=$2} /non-2xx/ {bad=$NF}
         END {printf "%s req/s  p50 %s%s", rps, p50, (bad != "0" ? "  non-2xx " bad : "")}'
  python3 - "$work/convene-data/convene.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
bookings = db.execute("SELECT count(*) FROM bookings").fetchone()[0]
reminders = db.execute("SELECT count(*) FROM workflow_reminders").fetchone()[0]
print(f"  ({bookings} bookings, {reminders} reminder rows)")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}

unset CONVENE_DATABASE_URL
export CONVENE_LIMIT_BOOKINGS_PER_ADDRESS=1000000/minute CONVENE_LIMIT_BOOKINGS_PER_ATTENDEE_EMAIL=1000000/minute \
  CONVENE_LIMIT_BOOKINGS_PER_EVENT_TYPE=1000000/minute
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
for r in $(seq "$rounds"); do
  echo "round $r without a workflow: $(measure no)"
  echo "round $r with the reminder:    $(measure yes)"
done
