#!/usr/bin/env bash
# Email throughput benchmark: how many booking emails per second reach an SMTP server that
# accepts and discards everything (Postfix's smtp-sink on 127.0.0.1), at 1, 8 and 32 connections.
#
#   bench/email.sh                          # concurrencies 1 8 32
#   CONCURRENCIES="1 4" bench/email.sh      # others
#   SKIP_BUILD=1 bench/email.sh             # don't `cargo build --release -p convene` first
#
# For each concurrency C it runs:
#   smtp-source  the ceiling: Postfix's C test client, C parallel sessions, each reusing its
#                connection (-d), messages the size of ours (-l). It also runs once more with a new
#                connection per message (no -d), reported as "smtp-source-reconnect".
#   nodemailer   "the Cal.com way": bench/peers/nodemailer/send.js, nodemailer 6.10.1 with a NEW
#                transport (new connection) per email, C emails in flight, the fixture email
#                (HTML + text + inline METHOD:REQUEST invite + invite.ics attachment, ~10 KiB).
#   convene      `convene worker --until-idle` draining N queued emails from a SQLite outbox with
#                C SMTP connections (run_convene below; a placeholder until the worker exists).
# Every run prints a JSON line; all of them go to bench/results/email-<UTC date>.jsonl, and a
# Markdown table plus the machine info is printed at the end.
#
# Needs: postfix's smtp-sink/smtp-source (Debian: `echo "postfix postfix/main_mailer_type select
# No configuration" | debconf-set-selections; apt-get install -y postfix`; they live in /usr/sbin),
# node + npm (nodemailer is installed from bench/peers/nodemailer/package-lock.json with `npm ci`
# when missing), python3 (JSON, the table, and bench/email_seed.py for convene).
# Knobs (environment): CONCURRENCIES, SOURCE_COUNT (smtp-source messages per run, default 20000),
# RECONNECT_COUNT (default 10000), NODEMAILER_COUNT (default 150×C, at most 3000, so each run takes
# ≥ ~5 s), BENCH_CONVENE_COUNT (default 20000), SKIP_BUILD=1, BENCH_CONVENE_BIN, QUIET_WAIT (seconds to wait
# for other processes to go quiet before each run, default 120).
# Both sides share the machine's cores: smtp-sink is one single-threaded process, so on a 2-core
# VM the client under test gets about one core. Anything else running (a cargo build) skews the
# figures badly; each JSON line records how busy the machine was just before and after the run
# (busy_before/busy_after, 0…1) and the table flags runs where that exceeded 15%.
set -euo pipefail
shopt -s inherit_errexit   # a failing smtp-source inside $(run_source ...) stops the script
cd "$(dirname "$0")/.."
root=$PWD

concurrencies=${CONCURRENCIES:-1 8 32}
source_count=${SOURCE_COUNT:-20000}
reconnect_count=${RECONNECT_COUNT:-10000}
convene_count=${BENCH_CONVENE_COUNT:-20000}
peer_dir=$root/bench/peers/nodemailer

# --- tools -------------------------------------------------------------------------------------
find_tool() {
  local t
  for t in "$(command -v "$1" 2>/dev/null || true)" "/usr/sbin/$1" "/usr/lib/postfix/sbin/$1"; do
    if [ -n "$t" ] && [ -x "$t" ]; then echo "$t"; return 0; fi
  done
  echo "email.sh: $1 not found; install Postfix (see the top of bench/email.sh)" >&2
  return 1
}
smtp_sink=$(find_tool smtp-sink)
smtp_source=$(find_tool smtp-source)
command -v node >/dev/null || { echo "email.sh: node not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "email.sh: python3 not found" >&2; exit 1; }
if [ ! -d "$peer_dir/node_modules/nodemailer" ]; then
  (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

# Set to 1 once run_convene below is filled in; until then convene is neither built nor run.
CONVENE_WIRED=1
bin=${BENCH_CONVENE_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/convene}
if [ "$CONVENE_WIRED" = 1 ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -q -p convene
fi

# --- scratch space, the sink, and cleanup ------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/convene-email-bench.XXXXXX")
sink_pid=
cleanup() {
  if [ -n "$sink_pid" ] && kill -0 "$sink_pid" 2>/dev/null; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)
# -u: smtp-sink refuses to run as root without dropping privileges after binding.
sink_args=()
if [ "$(id -u)" = 0 ]; then sink_args+=(-u nobody); fi
# Accept and discard: no -d/-D (no dumping), no -c (counters on stdout); backlog 1024.
"$smtp_sink" "${sink_args[@]}" -m 256 127.0.0.1:"$port" 1024 >"$work/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$sink_pid" 2>/dev/null || { echo "email.sh: smtp-sink died:" >&2; cat "$work/sink.log" >&2; exit 1; }
  sleep 0.1
done
check_sink() {
  kill -0 "$sink_pid" 2>/dev/null || { echo "email.sh: smtp-sink died:" >&2; cat "$work/sink.log" >&2; exit 1; }
}

# The size of the MIME message nodemailer builds for the fixture email (smtp-source -l).
node "$peer_dir/send.js" --print-message >"$work/message.eml"
msg_bytes=$(wc -c <"$work/message.eml")

mkdir -p "$root/bench/results"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
results=$root/bench/results/email-$stamp.jsonl
: >"$results"
# emit JSON [busy_before busy_after]: print the result line and append it to $results.
emit() {
  local line=$1
  if [ $# -gt 1 ]; then
    line=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1])
r["busy_before"], r["busy_after"] = float(sys.argv[2]), float(sys.argv[3])
print(json.dumps(r,separators=(",",":")))' "$1" "$2" "$3")
  fi
  echo "$line" | tee -a "$results"
}
# How busy the machine is without us (the sink is idle): the fraction of all CPUs not idle over
# one second. Other processes (a cargo build…) eat straight into these figures, so each run
# first waits up to QUIET_WAIT seconds (default 120) for the machine to be under 10% busy, and
# the table flags any run with the machine over 15% busy just before or just after it.
cpu_busy() {
  python3 - <<'PY'
import time
def snap():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v), v[3] + v[4]          # total, idle + iowait
t0, i0 = snap(); time.sleep(1); t1, i1 = snap()
print(round(1 - (i1 - i0) / max(t1 - t0, 1), 3))
PY
}
wait_quiet() {
  local b waited=0 start=$SECONDS deadline=$((SECONDS + ${QUIET_WAIT:-120}))
  while b=$(cpu_busy); python3 -c 'import sys; sys.exit(float(sys.argv[1]) <= 0.10)' "$b"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "email.sh: still ${b} busy after $((SECONDS - start))s; running anyway (will be flagged)" >&2
      break
    fi
    [ "$waited" = 0 ] && echo "email.sh: machine ${b} busy with other processes; waiting for it to quieten" >&2
    waited=1
  done
  [ "$waited" = 1 ] && echo "email.sh: waited $((SECONDS - start))s" >&2
  echo "$b"
}
# measure NAME ARGS...: wait for quiet, run `NAME ARGS...` (prints one JSON line), emit it.
measure() {
  local before after out
  before=$(wait_quiet)
  out=$("$@")
  after=$(cpu_busy)
  emit "$out" "$before" "$after"
}

machine_json=$(python3 - "$(nproc)" "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(node -v)" \
  "$(dpkg-query -W -f='${Version}' postfix 2>/dev/null || echo unknown)" "$msg_bytes" "$port" <<'EOF'
import json, sys
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
a = sys.argv[1:]
print(json.dumps(separators=(",", ":"), obj={"machine": {"nproc": int(a[0]), "kernel": a[1], "date": a[2], "cpu": cpu,
    "node": a[3], "postfix": a[4], "message_bytes": int(a[5]), "sink": f"127.0.0.1:{a[6]}"}}))
EOF
)
emit "$machine_json"

# --- (a) the ceiling: smtp-source ---------------------------------------------------------------
# -s C parallel sessions; -m total messages; -l payload bytes (smtp-source adds ~150 bytes of
# headers); -d keep each session's connection for its next message (without -d it reconnects
# per message); -N distinct recipients; -M fixed HELO name (no hostname lookup); -C retry a
# connect that gets RST from a full listen queue. smtp-source exits non-zero on any non-2xx reply.
run_source() {
  local c=$1 mode=$2 n=$3 t0 t1 flags=()
  [ "$mode" = reuse ] && flags+=(-d)
  t0=$(date +%s.%N)
  "$smtp_source" "${flags[@]}" -s "$c" -m "$n" -l "$msg_bytes" -N -C 5 -M bench.convene.test \
    -f notifications@convene.example.com -t attendee@example.com 127.0.0.1:"$port"
  t1=$(date +%s.%N)
  check_sink
  local peer=smtp-source
  [ "$mode" = reconnect ] && peer=smtp-source-reconnect
  python3 -c 'import json,sys; p,c,n,t0,t1,b=sys.argv[1:]; s=float(t1)-float(t0)
print(json.dumps(separators=(",",":"),obj={"peer":p,"concurrency":int(c),"count":int(n),"seconds":round(s,3),
  "emails_per_sec":round(int(n)/s,1),"failed":0,"message_bytes":int(b)}))' \
    "$peer" "$c" "$n" "$t0" "$t1" "$msg_bytes"
}

# --- (b) the Cal.com way: nodemailer, a new transport per email ---------------------------------
run_nodemailer() {
  local c=$1 n
  n=${NODEMAILER_COUNT:-$((150 * c > 3000 ? 3000 : 150 * c))}
  node "$peer_dir/send.js" --host 127.0.0.1 --port "$port" --count "$n" --concurrency "$c"
  check_sink
}

# --- (c) convene ---------------------------------------------------------------------------------
# A fresh data dir per run; N booking emails (the fixtures: HTML, text, METHOD:REQUEST invite) queued
# straight into the SQLite outbox, all due; then `convene worker --until-idle` drains them into the sink
# with C connections. The time covers the whole process: start, migrations check, every claim, send and
# record, and the final idle check — end to end through the outbox.
run_convene() {
  local c=$1 data t0 t1
  data=$(mktemp -d "$work/convene.XXXXXX")
  CONVENE_DATA_DIR=$data CONVENE_LOG=warn "$bin" migrate >/dev/null
  python3 "$root/bench/email_seed.py" "$data/convene.db" "$convene_count" >/dev/null
  t0=$(date +%s.%N)
  CONVENE_DATA_DIR=$data CONVENE_EMAIL_TRANSPORT=smtp+insecure://127.0.0.1:$port \
    CONVENE_EMAIL_CONNECTIONS=$c CONVENE_LOG=warn "$bin" worker --until-idle >/dev/null
  t1=$(date +%s.%N)
  check_sink
  python3 - "$data/convene.db" "$c" "$convene_count" "$t0" "$t1" <<'PY'
import json, sqlite3, sys
db, c, n, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
sent = sqlite3.connect(db).execute("SELECT count(*) FROM email_outbox WHERE status = 'sent'").fetchone()[0]
s = t1 - t0
print(json.dumps(separators=(",", ":"), obj={"peer": "convene", "concurrency": c, "count": n, "seconds": round(s, 3),
    "emails_per_sec": round(sent / s, 1), "failed": n - sent}))
PY
  rm -rf "$data"
}

# --- the runs ------------------------------------------------------------------------------------
for c in $concurrencies; do
  echo "=== concurrency $c ===" >&2
  measure run_source "$c" reuse "$source_count"
  measure run_source "$c" reconnect "$reconnect_count"
  measure run_nodemailer "$c"
  if [ "$CONVENE_WIRED" = 1 ]; then measure run_convene "$c"; else emit "$(run_convene "$c")"; fi
done

# --- the table -----------------------------------------------------------------------------------
echo
python3 - "$results" <<'EOF'
import json, sys
rows, machine = {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "machine" in r:
        machine = r["machine"]; continue
    rows.setdefault(r["concurrency"], {})[r["peer"]] = r

def rate(r):
    if not r or "skipped" in r or "emails_per_sec" not in r:
        return None
    return r["emails_per_sec"]

def fmt(x):
    return "—" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"

def ratio(a, b):
    return "—" if a is None or not b else f"{a / b:.2f}×"

print("| concurrency | smtp-source emails/s | nodemailer emails/s | convene emails/s "
      "| convene ÷ nodemailer | convene ÷ smtp-source | smtp-source, new connection per email |")
print("|---:|---:|---:|---:|---:|---:|---:|")
notes = []
for c in sorted(rows):
    p = rows[c]
    src, nm, cv, rc = (rate(p.get(k)) for k in ("smtp-source", "nodemailer", "convene", "smtp-source-reconnect"))
    print(f"| {c} | {fmt(src)} | {fmt(nm)} | {fmt(cv)} | {ratio(cv, nm)} | {ratio(cv, src)} | {fmt(rc)} |")
    for k, r in p.items():
        if r.get("failed"):
            notes.append(f"{k} at concurrency {c}: {r['failed']} of {r['count']} failed")
        busy = max(r.get("busy_before", 0), r.get("busy_after", 0))
        if busy > 0.15 and "skipped" not in r:
            notes.append(f"{k} at concurrency {c}: the machine was {busy:.0%} busy with other processes"
                         " just before or after the run; its figure is likely low, rerun on a quiet machine")
        if "skipped" in r:
            notes.append(f"{k} at concurrency {c}: skipped ({r['skipped']})")
print()
print(f"Machine: {machine.get('nproc')} cores ({machine.get('cpu')}), Linux {machine.get('kernel')}, "
      f"{machine.get('date')}; node {machine.get('node')}, postfix {machine.get('postfix')}; "
      f"message {machine.get('message_bytes'):,} bytes (nodemailer's MIME for the fixture email).")
for n in dict.fromkeys(notes):
    print(f"- {n}")
print(f"Raw: {sys.argv[1]}")
EOF
