#!/usr/bin/env bash
# Scheduling benchmarks: GET /v2/slots (30-day window, 1,000 bookings) and POST /v2/bookings
# (8 connections, no conflicts; one host, then 8 hosts), against a release build on SQLite and on PostgreSQL.
# The limits on anonymous callers are raised for the run (every request comes from 127.0.0.1).
#
#   bench/run.sh            # both backends
#   bench/run.sh sqlite     # one backend
#
# Needs: wrk (apt-get install wrk), python3, psql for the PostgreSQL run
# (CONVENE_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/convene_bench, recreated).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
if [ $# -gt 0 ]; then backends=("$@"); else backends=(sqlite postgres); fi
duration=${BENCH_SECONDS:-20}
conns=8

cargo build --release -q -p convene
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/convene

run_backend() {
  local backend=$1 work port url pid key
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$backend" = postgres ]; then
    url=${CONVENE_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/convene_bench}
    psql "${url%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${url##*/}" -c "CREATE DATABASE ${url##*/}" >/dev/null
    export CONVENE_DATABASE_URL=$url
    # Processes on PostgreSQL share an encryption key; make one up for the run when none is set.
    if [ -z "${CONVENE_ENCRYPTION_KEYS:-}" ] && key=$("$bin" keys generate 2>/dev/null); then
      export CONVENE_ENCRYPTION_KEYS=$key
    fi
  else
    unset CONVENE_DATABASE_URL
  fi
  export CONVENE_LIMIT_SLOTS_PER_ADDRESS=1000000/minute CONVENE_LIMIT_BOOKINGS_PER_ADDRESS=1000000/minute \
    CONVENE_LIMIT_BOOKINGS_PER_ATTENDEE_EMAIL=1000000/minute CONVENE_LIMIT_BOOKINGS_PER_EVENT_TYPE=1000000/minute
  (cd "$work" && CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOG=warn exec "$bin" serve >"$work/out.txt" 2>"$work/err.txt") &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
  key=$(awk '/API key:/ {print $3}' "$work/out.txt")
  eval "$(cd "$work" && BENCH_BIN=$bin python3 "$repo/bench/seed.py" "http://127.0.0.1:$port" "$key" 1000 8)"
  echo "=== $backend: GET /v2/slots, 30 days, 1,000 bookings, $conns connections, ${duration}s ==="
  wrk -t2 -c$conns -d${duration}s --latency -H 'cal-api-version: 2024-09-04' \
    "http://127.0.0.1:$port/v2/slots?eventTypeId=$SLOTS_EVENT&start=2030-01-01&end=2030-01-30&timeZone=UTC" \
    | grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx'
  echo "=== $backend: POST /v2/bookings, one host, no conflicts, $conns connections, ${duration}s ==="
  BOOK_EVENT=$BOOK_EVENT wrk -t2 -c$conns -d${duration}s --latency -s bench/book.lua "http://127.0.0.1:$port" \
    | grep -E 'Latency|50%|90%|99%|Requests/sec|non-2xx'
  echo "=== $backend: POST /v2/bookings, 8 hosts, no conflicts, $conns connections, ${duration}s ==="
  BOOK_EVENTS=$BOOK_EVENTS wrk -t2 -c$conns -d${duration}s --latency -s bench/book_many.lua "http://127.0.0.1:$port" \
    | grep -E 'Latency|50%|90%|99%|Requests/sec|non-2xx'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
for b in "${backends[@]}"; do run_backend "$b"; done
