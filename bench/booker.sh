#!/usr/bin/env bash
# The booker page: bytes on the wire (HTML + CSS + JS, gzip), time to first byte at 8 connections for a host
# with 1,000 bookings in the month shown, and Lighthouse (mobile preset) scores, against a release build on SQLite.
#
#   bench/booker.sh
#
# Needs: wrk, curl, python3, npm (Lighthouse 12.2.3 is installed into target/npm; 13.x wants Node 22), and
# Chromium (CHROME_PATH, default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${BENCH_SECONDS:-20}
conns=8

cargo build --release -q -p convene
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/convene
npm_dir=$PWD/target/npm
[ -x "$npm_dir/node_modules/.bin/lighthouse" ] ||
  npm install --no-audit --no-fund --prefix "$npm_dir" lighthouse@12.2.3 >/dev/null

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
unset CONVENE_DATABASE_URL
# The seed books 1,000 times from one address as an anonymous caller: lift the limits meant for strangers.
export CONVENE_LIMIT_BOOKINGS_PER_ADDRESS=100000/minute CONVENE_LIMIT_BOOKINGS_PER_EVENT_TYPE=100000/minute \
  CONVENE_LIMIT_BOOKINGS_PER_ATTENDEE_EMAIL=100000/minute
(cd "$work" && CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOG=warn exec "$bin" serve >"$work/out.txt" 2>"$work/err.txt") &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
key=$(awk '/API key:/ {print $3}' "$work/out.txt")
eval "$(python3 bench/seed.py "http://127.0.0.1:$port" "$key" 1000)"
user=$(curl -s -H "authorization: Bearer $key" "http://127.0.0.1:$port/v2/me" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["username"])')
page="http://127.0.0.1:$port/$user/bench-slots?month=2030-01&date=2030-01-07&tz=UTC&clock=24"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "=== bytes on the wire (gzip) ==="
html=$(curl -s "$page")
total=0
for path in "" $(grep -oE '/static/[a-z]+\.[0-9a-f]+\.(css|js)' <<<"$html" | sort -u); do
  url=${path:+http://127.0.0.1:$port$path}
  url=${url:-$page}
  size=$(curl -s -o /dev/null -H 'accept-encoding: gzip' -w '%{size_download}' "$url")
  plain=$(curl -s -o /dev/null -w '%{size_download}' "$url")
  echo "${path:-booker HTML}: $size bytes gzip ($plain uncompressed)"
  total=$((total + size))
done
echo "total: $total bytes"

echo "=== booker page, 1,000 bookings in the month, $conns connections, ${duration}s ==="
wrk -t2 -c$conns -d${duration}s --latency "$page" | grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx'

echo "=== Lighthouse (mobile) ==="
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} "$npm_dir/node_modules/.bin/lighthouse" "$page" --quiet \
  --only-categories=performance,accessibility,best-practices --output=json --output-path="$work/lh.json" \
  --chrome-flags="--headless=new --no-sandbox --disable-gpu" >/dev/null 2>&1 || true
python3 - "$work/lh.json" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit(f"lighthouse produced no report: {e}")
for key, cat in report["categories"].items():
    print(f"{cat['title']}: {round(cat['score'] * 100)}")
for audit in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"):
    a = report["audits"][audit]
    print(f"{a['title']}: {a['displayValue']}")
PY
