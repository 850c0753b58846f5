#!/usr/bin/env bash
# Memory of GET /v2/slots under 100 concurrent anonymous callers (issue 10, item 5), on SQLite.
#
#   bench/slots_memory.sh
#
# For each case a fresh release server is started, one host available around the clock with a 1-minute and a
# 5-minute event type is seeded, then wrk keeps 100 connections asking for slots for BENCH_SECONDS (default 15).
# Printed per case: RSS at rest before the load, the peak (VmHWM), RSS 5 s after the load, and wrk's status mix.
# Cases:
#   unbounded-93d-1min   the issue's probe (93 days of 1-minute slots, 133,920 starts) with the bounds
#                        switched off through their settings: what the server did before them;
#   bounded-93d-1min     the same probe with the default bounds (400: too many starts);
#   bounded-60d-5min     the largest kind of answer the defaults allow (60 days of 5-minute slots, 17,280
#                        starts, ~0.8 MB), 100 at once: the shared budget queues them;
#   …-arena2             the same with MALLOC_ARENA_MAX=2 (glibc keeps fewer per-thread heaps).
# Needs: wrk, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_SECONDS:-15}
cargo build --release -q -p convene
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/convene

rss() { awk -v k="$2:" '$1 == k {print int($2 / 1024)}' "/proc/$1/status"; }

run_case() {
  local name=$1 minutes=$2 end=$3 env_extra=$4 work port pid key event
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # shellcheck disable=SC2086 # env_extra is a list of NAME=value words
  (cd "$work" && exec env $env_extra CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOG=warn \
    CONVENE_LIMIT_SLOTS_PER_ADDRESS=1000000/minute "$bin" serve >"$work/out.txt" 2>"$work/err.txt") &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
  key=$(awk '/API key:/ {print $3}' "$work/out.txt")
  event=$(python3 - "http://127.0.0.1:$port" "$key" "$minutes" <<'EOF'
import json, sys, urllib.request
base, key, minutes = sys.argv[1], sys.argv[2], int(sys.argv[3])
def call(path, body, version):
    req = urllib.request.Request(base + path, method="POST", data=json.dumps(body).encode())
    for k, v in {"content-type": "application/json", "authorization": f"Bearer {key}", "cal-api-version": version}.items():
        req.add_header(k, v)
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)
days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
call("/v2/schedules", {"name": "Always", "timeZone": "UTC", "isDefault": True,
     "availability": [{"days": days, "startTime": "00:00", "endTime": "24:00"}]}, "2024-06-11")
print(call("/v2/event-types", {"title": "Mem", "slug": f"mem-{minutes}", "lengthInMinutes": minutes}, "2024-06-14")["data"]["id"])
EOF
)
  sleep 1
  local before peak after mix
  before=$(rss "$pid" VmRSS)
  mix=$(wrk -t2 -c100 -d"${duration}s" --timeout 30s -H 'cal-api-version: 2024-09-04' -s bench/status.lua \
    "http://127.0.0.1:$port/v2/slots?eventTypeId=$event&start=2030-01-01&end=$end&timeZone=UTC" | grep -E 'Requests/sec|status')
  peak=$(rss "$pid" VmHWM)
  sleep 5
  after=$(rss "$pid" VmRSS)
  echo "=== $name (${env_extra:-defaults}) ==="
  echo "RSS before ${before} MB, peak ${peak} MB, 5 s after ${after} MB"
  echo "$mix"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}

unbounded="CONVENE_SLOTS_MAX_STARTS_PER_ANSWER=1000000 CONVENE_SLOTS_MAX_STARTS_IN_FLIGHT=1000000000"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
run_case unbounded-93d-1min 1 2030-04-03 "$unbounded"
run_case unbounded-93d-1min-arena2 1 2030-04-03 "$unbounded MALLOC_ARENA_MAX=2"
run_case bounded-93d-1min 1 2030-04-03 ""
run_case bounded-60d-5min 5 2030-03-01 ""
run_case bounded-60d-5min-arena2 5 2030-03-01 "MALLOC_ARENA_MAX=2"
