#!/usr/bin/env bash
# GET /v2/slots for a host whose busy time comes from 3 connected calendars holding 1,000 events each (ICS feeds
# served locally by bench/calendar_feeds.py, one answering in 50 ms, one in 150 ms, one in 400 ms), against a
# release build on SQLite:
#   - warm: slots over the next 30 days at 8 connections, the busy cache current (aim: p50 ≤ 10 ms), beside the
#     same request before any calendar was connected;
#   - cold: reading all three calendars again after each changed (`GET /v2/calendars/ics-feed/check` after the
#     feeds' ETags change), which should take about as long as the slowest feed, not the sum of all three.
#
#   BENCH_SECONDS=10 bench/calendars.sh
#
# Needs: wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_SECONDS:-10}
conns=8
read -r -a delays <<<"${BENCH_FEED_DELAYS:-50 150 400}"

# BENCH_BIN names a convene binary to measure instead of building one.
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release -q -p convene; fi
bin=${BENCH_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/convene}

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
feeds=$(free_port)
unset CONVENE_DATABASE_URL
# One address asks all the slot listings: lift the limit meant for anonymous strangers.
export CONVENE_LIMIT_SLOTS_PER_ADDRESS=1000000/minute
python3 bench/calendar_feeds.py "$feeds" 1000 "${delays[@]}" &
feeds_pid=$!
# The feeds are on 127.0.0.1, which calendar URLs may only reach when the instance allows that network.
(cd "$work" && CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOG=warn CONVENE_SMTP_ALLOWED_PRIVATE_NETWORKS=127.0.0.0/8 \
  exec "$bin" serve >"$work/out.txt" 2>"$work/err.txt") &
pid=$!
trap 'kill $pid $feeds_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
key=$(awk '/API key:/ {print $3}' "$work/out.txt")
auth=(-H "authorization: Bearer $key")

curl -sf "${auth[@]}" -H 'content-type: application/json' -H 'cal-api-version: 2024-06-11' "$base/v2/schedules" \
  -d '{"name":"Always","timeZone":"UTC","isDefault":true,"availability":[{"days":["Monday","Tuesday","Wednesday",
  "Thursday","Friday","Saturday","Sunday"],"startTime":"00:00","endTime":"24:00"}]}' >/dev/null
event=$(curl -sf "${auth[@]}" -H 'content-type: application/json' -H 'cal-api-version: 2024-06-14' \
  "$base/v2/event-types" -d '{"title":"Calendars bench","slug":"bench-calendars","lengthInMinutes":30}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
from=$(date -u -d tomorrow +%F)
to=$(date -u -d '+30 days' +%F)
slots="$base/v2/slots?eventTypeId=$event&start=$from&end=$to&timeZone=UTC"
count_slots() {
  curl -sf -H 'cal-api-version: 2024-09-04' "$slots" |
    python3 -c 'import json,sys; print(sum(len(v) for v in json.load(sys.stdin)["data"].values()))'
}
measure() {
  wrk -t2 -c$conns -d${duration}s --latency -H 'cal-api-version: 2024-09-04' "$slots" |
    awk '/^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF}
         END {printf "p50 %s  p90 %s  p99 %s  %s req/s%s\n", p50, p90, p99, rps, (bad ? "  non-2xx " bad : "")}'
}
ms() { python3 -c 'import sys,time; print(round((time.time() - float(sys.argv[1])) * 1000))' "$1"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "slots $from .. $to, $conns connections, ${duration}s each"
echo "no calendars:        $(count_slots) slots;  $(measure)"

urls=$(python3 -c 'import json,sys; print(json.dumps({"urls": [f"http://127.0.0.1:{sys.argv[1]}/feed/{n}.ics" for n in range(int(sys.argv[2]))]}))' "$feeds" ${#delays[@]})
t0=$(date +%s.%N)
curl -sf "${auth[@]}" -H 'content-type: application/json' "$base/v2/calendars/ics-feed/save" -d "$urls" >/dev/null
echo "connect (3 feeds, first read): $(ms "$t0") ms"
echo "3 calendars x 1,000: $(count_slots) slots;  $(measure)"

echo "cold: all three feeds changed, read again (feed delays ${delays[*]} ms)"
for i in 1 2 3 4 5; do
  curl -sf -X POST "http://127.0.0.1:$feeds/bump" >/dev/null
  t0=$(date +%s.%N)
  curl -sf "${auth[@]}" "$base/v2/calendars/ics-feed/check" >/dev/null
  echo "  check $i: $(ms "$t0") ms"
done
t0=$(date +%s.%N)
curl -sf "${auth[@]}" "$base/v2/calendars/ics-feed/check" >/dev/null
echo "  unchanged (304s): $(ms "$t0") ms"
