#!/usr/bin/env bash
# Fallback benchmark (issue 5, the last "Done when" bullet), two parts in one run:
#
# (A) Black-hole fallback. An organization's SMTP host accepts TCP connections and never sends its greeting
#     (bench/blackhole.py); the platform default is Postfix's smtp-sink on 127.0.0.1. 100 booking emails of that
#     organization; how long until the first, and until all, are accepted by the platform default:
#     convene      a fresh SQLite data dir; an organization with the `custom-smtp` feature and one sender
#                  (provider SMTP, 127.0.0.1:<black hole>, smtp_secure 0 = STARTTLS required — it never gets
#                  that far) written straight into the database; 100 outbox rows of that organization; then
#                  `convene worker --until-idle` with FALLBACK_CONNECTIONS connections and the default timeouts
#                  (connect 5 s, greeting 10 s). Times come from the database: the `email_attempts` rows with
#                  route 'platform' and outcome 'sent' (started_at + duration_ms, epoch ms) against t0, taken
#                  just before the worker process starts (so its start-up is included).
#     Cal.com way  bench/peers/nodemailer/fallback.js: nodemailer 6.10.1, per email a NEW transport to the
#                  organization's host with nodemailer's default timeouts (greeting 30 s), and on error a NEW
#                  transport to the default. Run "one after another" (FALLBACK_SEQ_COUNT emails, default 20,
#                  ~10 minutes) and all at once (FALLBACK_CONCURRENT_COUNT, default 100, concurrency = count, as
#                  simultaneous bookings would). A figure for 100 sequential emails is COMPUTED from the
#                  measured per-email time and labelled so; it is not measured.
# (B) Routing cost. convene's email.sh run (ROUTING_COUNT emails, default 20000, into smtp-sink at
#     ROUTING_CONCURRENCIES, default "8 32"), twice per repeat: "default-only" (rows without an organization:
#     the platform route straight away) and "routed" (rows of an organization with the `custom-smtp` feature on
#     and NO sender: the worker looks up the feature and the sender directory for each email, then takes the
#     platform route). ROUTING_REPEATS runs of each (default 3, alternating which goes first); the table shows
#     medians, of every run and of the runs on a quiet machine only. A HEALTHY sender's own path is not measured: a sender with smtp_secure 0 requires STARTTLS (there
#     is no plaintext mode for organizations' senders) and smtp-sink cannot do TLS (postfix's smtp-sink has no
#     STARTTLS option), so a sender pointing at smtp-sink fails and falls back — that would measure fallback, not
#     routing. The sender path uses the same pooled SMTP client code as the platform route.
#
#   bench/fallback.sh                                   # everything (~15 minutes on a quiet machine, 10 of them
#                                                       # the sequential run; longer while waiting for quiet)
#   FALLBACK_SEQ_COUNT=2 ROUTING_REPEATS=1 bench/fallback.sh    # a quick check (~3 minutes on a quiet machine)
#   FALLBACK_PARTS=B bench/fallback.sh                  # only (B); FALLBACK_PARTS=A only (A)
#   SKIP_BUILD=1 BENCH_CONVENE_BIN=/path/to/convene bench/fallback.sh
#   bench/fallback.sh --summary bench/results/fallback-<date>.jsonl    # the summary of an earlier run again
#
# Every run prints a JSON line; all of them go to bench/results/fallback-<UTC date>.jsonl, and a Markdown
# summary with the machine info is printed at the end.
#
# Needs: postfix's smtp-sink (see the top of bench/email.sh; /usr/sbin), node + npm (nodemailer from
# bench/peers/nodemailer/package-lock.json via `npm ci` when missing), python3 (asyncio black hole, sqlite3).
# Knobs (environment; none may start with CONVENE_, which convene reads as its own settings):
#   FALLBACK_PARTS ("A B"), FALLBACK_COUNT (convene's emails in (A), 100), FALLBACK_CONNECTIONS (8),
#   FALLBACK_REPEATS (convene's (A) runs, 3: each takes ~10 s, and whether a second wave of emails reaches the
#   black hole before the circuit opens is a race, so one run can mislead),
#   FALLBACK_SEQ_COUNT (20), FALLBACK_CONCURRENT_COUNT (100), ROUTING_COUNT (20000), ROUTING_CONCURRENCIES
#   ("8 32"), ROUTING_REPEATS (3), SKIP_BUILD=1, BENCH_CONVENE_BIN, QUIET_WAIT (seconds to wait for other
#   processes to go quiet before each run, default 120).
# The machine is shared: each JSON line records how busy it was just before and after the run (busy_before,
# busy_after, 0…1; the table flags > 15%). (A)'s times are dominated by timeouts and barely move with load;
# (B)'s throughput moves a lot.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
root=$PWD

parts=${FALLBACK_PARTS:-A B}
fb_count=${FALLBACK_COUNT:-100}
fb_connections=${FALLBACK_CONNECTIONS:-8}
fb_repeats=${FALLBACK_REPEATS:-3}
seq_count=${FALLBACK_SEQ_COUNT:-20}
conc_count=${FALLBACK_CONCURRENT_COUNT:-100}
routing_count=${ROUTING_COUNT:-20000}
routing_concurrencies=${ROUTING_CONCURRENCIES:-8 32}
routing_repeats=${ROUTING_REPEATS:-3}
peer_dir=$root/bench/peers/nodemailer
# convene's defaults, for the table (the worker runs with them: no timeout settings are passed).
greeting_timeout_s=10

# --- the summary (also `bench/fallback.sh --summary FILE` for an earlier results file) ---------------------
summary() {
  python3 - "$1" "$greeting_timeout_s" <<'EOF'
import json, statistics, sys
machine, conv, nm, routing = {}, [], {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "machine" in r:
        machine = r["machine"]
    elif r["peer"] == "convene-fallback":
        conv.append(r)
    elif r["peer"] == "nodemailer-fallback":
        nm[r["mode"]] = r
    elif r["peer"] == "convene-routing":
        routing.setdefault(r["concurrency"], {}).setdefault(r["variant"], []).append(r)
greet = int(sys.argv[2])
notes = []

def s(x):
    return "—" if x is None else f"{x:,.1f} s"

def busy(r, what):
    b = max(r.get("busy_before", 0), r.get("busy_after", 0))
    if b > 0.15:
        notes.append(f"{what}: the machine was {b:.0%} busy with other processes just before or after the run")

if conv or nm:
    print("### (A) Black-hole fallback: the organization's SMTP host accepts connections and never greets")
    print()
    print("| who | how | emails | first accepted by the default | all accepted by the default "
          "| org attempts failed / skipped | black-hole connections | all sent |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in conv:
        sa = r["sender_attempts"]
        print(f"| convene (run {r['repeat']}) | worker, {r['connections']} connections, greeting timeout {r['greeting_timeout_s']} s "
              f"| {r['count']} | {s(r['first_s'])} | {s(r['all_s'])} | {sa['failed']} / {sa['skipped']} "
              f"| {r['blackhole_connections']} | {'yes' if r['all_sent_via_platform'] else 'NO: ' + json.dumps(r['status'])} |")
        busy(r, "convene (A)")
    for mode in ("concurrent", "sequential"):
        r = nm.get(mode)
        if not r:
            continue
        how = ("all at once (concurrency {c})" if mode == "concurrent" else "one after another").format(c=r["concurrency"])
        print(f"| Cal.com way (nodemailer {machine.get('nodemailer')}, new transport per email, greeting timeout 30 s) "
              f"| {how} | {r['count']} | {s(r['first_s'])} | {s(r['all_s'])} | {r['org_failures']} / — "
              f"| {r['blackhole_connections']} | {'yes' if r['sent'] == r['count'] else 'NO: ' + str(r['failed']) + ' lost'} |")
        busy(r, f"nodemailer {mode} (A)")
    seq = nm.get("sequential")
    if seq and seq.get("all_s") and seq["count"] < 100:
        per = seq["all_s"] / seq["count"]
        print(f"| Cal.com way | one after another | 100 | — | ≈ {100 * per:,.0f} s (COMPUTED: 100 × {per:.1f} s, "
              f"the measured mean per email above; not measured) | — | — | — |")
    print()
    for r in conv:
        print()
        aim_first = r["first_s"] is not None and r["first_s"] <= greet + 1
        aim_all = r["all_s"] is not None and r["all_s"] <= 15
        print(f"convene run {r['repeat']}: aim (issue 5): first email through the default within the greeting timeout ({greet} s; 1 s allowed "
              f"for process start-up): {'met' if aim_first else 'NOT met'} ({s(r['first_s'])}); all "
              f"{r['count']} within 15 s: {'met' if aim_all else 'NOT met'} ({s(r['all_s'])}). convene's worker "
              f"exited after {s(r['worker_s'])}; the org sender's failed attempts took "
              f"{r['sender_fail_ms']['min'] if r['sender_fail_ms'] else '—'}–"
              f"{r['sender_fail_ms']['max'] if r['sender_fail_ms'] else '—'} ms "
              f"(\"{r['sender_error']}\") and started at {r['sender_failed_started_s']} s; sender health "
              f"afterwards: {json.dumps(r['sender_health'])}.")
    for r in nm.values():
        f = r.get("org_fail_s") or {}
        print(f"Cal.com way, {r['mode']}: each email first lost {f.get('median', '—')} s (median; "
              f"{f.get('min', '—')}–{f.get('max', '—')}) on the organization's host (\"{r['org_error']}\").")
    print()

if routing:
    print("### (B) Routing cost: convene worker throughput into smtp-sink, "
          f"{next(iter(next(iter(routing.values())).values()))[0]['count']:,} booking emails")
    print()
    print("| concurrency | default-only emails/s (median) | routed emails/s (median) | routed ÷ default-only "
          "| the same, quiet runs only (≤ 15% busy before and after) | every run: default-only; routed |")
    print("|---:|---:|---:|---:|---|---|")
    quiet = lambda x: max(x.get("busy_before", 0), x.get("busy_after", 0)) <= 0.15
    med = lambda xs: statistics.median(x["emails_per_sec"] for x in xs) if xs else None
    for c in sorted(routing):
        d = routing[c].get("default-only", [])
        o = routing[c].get("routed", [])
        md, mo = med(d), med(o)
        ratio = f"{mo / md:.2f}×" if md and mo else "—"
        qd, qo = [x for x in d if quiet(x)], [x for x in o if quiet(x)]
        qmd, qmo = med(qd), med(qo)
        qcell = (f"{qmd:,.0f} vs {qmo:,.0f} = {qmo / qmd:.2f}× ({len(qd)}; {len(qo)} runs)" if qmd and qmo
                 else f"— ({len(qd)}; {len(qo)} quiet runs)")
        runs = lambda xs: ", ".join(f"{x['emails_per_sec']:,.0f}" + ("" if quiet(x) else "*") for x in xs)
        fmt = lambda x: "—" if x is None else f"{x:,.0f}"
        print(f"| {c} | {fmt(md)} | {fmt(mo)} | {ratio} | {qcell} | {runs(d)}; {runs(o)} |")
        for x in d + o:
            busy(x, f"routing {x['variant']} C={c} repeat {x['repeat']}")
            if x["failed"]:
                notes.append(f"routing {x['variant']} C={c} repeat {x['repeat']}: {x['failed']} not sent via platform")
    if any(not quiet(x) for v in routing.values() for xs in v.values() for x in xs):
        print()
        print("\\* the machine was over 15% busy with other processes just before or after that run.")
    print()
    print("default-only: rows without an organization (platform route at once). routed: rows of an organization "
          "with the custom-smtp feature on and no sender, so every email goes through the routing decision "
          "(feature flag and sender directory, cached per organization for 2 s) and then the platform route. A "
          "healthy sender's own SMTP path is not measured: organizations' senders require TLS and smtp-sink has none.")
    print()

print(f"Machine: {machine.get('nproc')} cores ({machine.get('cpu')}), Linux {machine.get('kernel')}, "
      f"{machine.get('date')}; node {machine.get('node')}, nodemailer {machine.get('nodemailer')}, "
      f"postfix {machine.get('postfix')}; convene {machine.get('convene_bin')}"
      + (f" ({machine['convene_version']}; checkout {machine.get('checkout')} — the binary may be older than the "
         "checkout)" if "convene_version" in machine else "") + ".")
for n in dict.fromkeys(notes):
    print(f"- {n}")
print(f"Raw: {sys.argv[1]}")
EOF
}
if [ "${1:-}" = --summary ]; then
  summary "${2:?usage: bench/fallback.sh --summary bench/results/fallback-….jsonl}"
  exit 0
fi

# --- tools -------------------------------------------------------------------------------------
find_tool() {
  local t
  for t in "$(command -v "$1" 2>/dev/null || true)" "/usr/sbin/$1" "/usr/lib/postfix/sbin/$1"; do
    if [ -n "$t" ] && [ -x "$t" ]; then echo "$t"; return 0; fi
  done
  echo "fallback.sh: $1 not found; install Postfix (see the top of bench/email.sh)" >&2
  return 1
}
smtp_sink=$(find_tool smtp-sink)
command -v node >/dev/null || { echo "fallback.sh: node not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "fallback.sh: python3 not found" >&2; exit 1; }
if [ ! -d "$peer_dir/node_modules/nodemailer" ]; then
  (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
bin=${BENCH_CONVENE_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/convene}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -q -p convene
fi
[ -x "$bin" ] || { echo "fallback.sh: $bin is not an executable (build it, or set BENCH_CONVENE_BIN)" >&2; exit 1; }

# --- scratch space, the sink, and cleanup ------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/convene-fallback-bench.XXXXXX")
# Every background process this script starts is listed here (one pid a line), so cleanup stops exactly
# those — also ones started inside $(...) subshells, whose variables the main shell never sees.
: >"$work/pids"
track() { echo "$1" >>"$work/pids"; }
cleanup() {
  local p
  while read -r p; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null || true
    fi
  done <"$work/pids"
  while read -r p; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done <"$work/pids"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "fallback.sh: interrupted (SIGINT)" >&2; exit 130' INT
trap 'echo "fallback.sh: terminated (SIGTERM)" >&2; exit 143' TERM
# Say where a failing command stopped the run (-E: also inside functions and $(...)).
set -E
trap 'echo "fallback.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR

# run_tracked CMD...: run CMD in the background (tracked, so an interrupted run leaves nothing behind), wait for
# it and return its status; its stdout is ours.
run_tracked() {
  local p rc=0
  "$@" &
  p=$!
  track "$p"
  wait "$p" || rc=$?
  return "$rc"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
sink_port=$(free_port)
sink_args=()
if [ "$(id -u)" = 0 ]; then sink_args+=(-u nobody); fi
# Accept and discard (as bench/email.sh): -m 256 concurrent sessions, backlog 1024.
"$smtp_sink" "${sink_args[@]}" -m 256 127.0.0.1:"$sink_port" 1024 >"$work/sink.log" 2>&1 &
sink_pid=$!
track "$sink_pid"
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$sink_port") 2>/dev/null; then break; fi
  kill -0 "$sink_pid" 2>/dev/null || { echo "fallback.sh: smtp-sink died:" >&2; cat "$work/sink.log" >&2; exit 1; }
  sleep 0.1
done
check_sink() {
  kill -0 "$sink_pid" 2>/dev/null || { echo "fallback.sh: smtp-sink died:" >&2; cat "$work/sink.log" >&2; exit 1; }
}

# start_blackhole NAME: a fresh black hole per run (its connection count is that run's); sets bh_pid, bh_port.
start_blackhole() {
  local out=$work/blackhole-$1.out
  python3 "$root/bench/blackhole.py" --port 0 >"$out" 2>&1 &
  bh_pid=$!
  track "$bh_pid"
  bh_port=
  for _ in $(seq 100); do
    bh_port=$(awk '/^READY /{n=split($2,a,":"); print a[n]; exit}' "$out")
    [ -n "$bh_port" ] && return 0
    kill -0 "$bh_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "fallback.sh: the black hole did not start:" >&2
  cat "$out" >&2
  return 1
}
# stop_blackhole NAME: stop it and print its summary line (connections, max_open, open_at_exit).
stop_blackhole() {
  kill -TERM "$bh_pid" 2>/dev/null || true
  wait "$bh_pid" 2>/dev/null || true
  grep '^{' "$work/blackhole-$1.out" | tail -n 1
}

mkdir -p "$root/bench/results"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
results=$root/bench/results/fallback-$stamp.jsonl
: >"$results"
emit() {
  local line=$1
  if [ $# -gt 1 ]; then
    line=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1])
r["busy_before"], r["busy_after"] = float(sys.argv[2]), float(sys.argv[3])
print(json.dumps(r,separators=(",",":")))' "$1" "$2" "$3")
  fi
  echo "$line" | tee -a "$results"
}
# The machine's busy fraction over one second, and the quiet wait, as in bench/email.sh.
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
      echo "fallback.sh: still ${b} busy after $((SECONDS - start))s; running anyway (will be flagged)" >&2
      break
    fi
    [ "$waited" = 0 ] && echo "fallback.sh: machine ${b} busy with other processes; waiting for it to quieten" >&2
    waited=1
  done
  [ "$waited" = 1 ] && echo "fallback.sh: waited $((SECONDS - start))s" >&2
  echo "$b"
}
measure() {
  local before after out
  before=$(wait_quiet)
  out=$("$@")
  after=$(cpu_busy)
  emit "$out" "$before" "$after"
}

machine_json=$(python3 - "$(nproc)" "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(node -v)" \
  "$(dpkg-query -W -f='${Version}' postfix 2>/dev/null || echo unknown)" "$sink_port" "$bin" \
  "$(node -p 'require(process.argv[1]).version' "$peer_dir/node_modules/nodemailer/package.json")" \
  "$("$bin" --version 2>/dev/null || echo unknown)" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'EOF'
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
    "node": a[3], "postfix": a[4], "sink": f"127.0.0.1:{a[5]}", "convene_bin": a[6], "nodemailer": a[7],
    "convene_version": a[8], "checkout": a[9]}}))
EOF
)
emit "$machine_json"

# --- the database ---------------------------------------------------------------------------------
# new_data NAME: a fresh, migrated data dir; prints its path.
new_data() {
  local data
  data=$(mktemp -d "$work/convene-$1.XXXXXX")
  # (stderr kept aside: a fresh data dir makes convene print a banner about the encryption key it generated)
  if ! CONVENE_DATA_DIR=$data CONVENE_LOG=warn "$bin" migrate >/dev/null 2>"$work/migrate.err"; then
    echo "fallback.sh: convene migrate failed:" >&2
    cat "$work/migrate.err" >&2
    return 1
  fi
  echo "$data"
}
# setup_org DB [SENDER_PORT]: an organization with the custom-smtp feature on and, with a port, one default SMTP
# sender at 127.0.0.1:SENDER_PORT (smtp_secure 0: STARTTLS required; no credentials). Prints the organization id.
setup_org() {
  python3 - "$1" "${2:-}" <<'PY'
import sqlite3, sys, time
db, port = sys.argv[1], sys.argv[2]
now = int(time.time() * 1000)
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA foreign_keys = ON")
conn.execute("BEGIN IMMEDIATE")
org = conn.execute(
    "INSERT INTO teams (parent_id, is_organization, name, slug, time_zone, week_start, created_at, updated_at)"
    " VALUES (NULL, 1, 'Acme', 'acme-bench', 'UTC', 'Monday', ?, ?)", (now, now)).lastrowid
conn.execute("INSERT INTO organization_features (organization_id, flag, enabled, updated_at)"
             " VALUES (?, 'custom-smtp', 1, ?)", (org, now))
if port:
    conn.execute(
        "INSERT INTO smtp_senders (organization_id, from_email, from_name, provider, smtp_host, smtp_port,"
        " smtp_secure, is_default, created_at, updated_at)"
        " VALUES (?, 'bookings@acme.example', 'Acme', 'SMTP', '127.0.0.1', ?, 0, 1, ?, ?)",
        (org, int(port), now, now))
conn.execute("COMMIT")
print(org)
PY
}
now_ms() { date +%s%3N; }
# seed DB COUNT [--organization ID]: queue the emails (bench/email_seed.py); its progress line only on failure.
seed() {
  python3 "$root/bench/email_seed.py" "$@" 2>"$work/seed.err" || {
    echo "fallback.sh: email_seed.py failed:" >&2
    cat "$work/seed.err" >&2
    return 1
  }
}

# --- (A) convene: 100 emails of an organization whose SMTP host is a black hole --------------------
run_convene_blackhole() {
  local repeat=$1 data org t0 t1 bh rc=0
  data=$(new_data blackhole)
  start_blackhole convene
  org=$(setup_org "$data/convene.db" "$bh_port")
  seed "$data/convene.db" "$fb_count" --organization "$org"
  t0=$(now_ms)
  CONVENE_DATA_DIR=$data CONVENE_EMAIL_TRANSPORT=smtp+insecure://127.0.0.1:$sink_port \
    CONVENE_SMTP_ALLOWED_PRIVATE_NETWORKS=127.0.0.0/8 CONVENE_EMAIL_CONNECTIONS=$fb_connections \
    CONVENE_LOG=warn run_tracked "$bin" worker --until-idle >/dev/null 2>"$work/worker-blackhole.err" || rc=$?
  t1=$(now_ms)
  bh=$(stop_blackhole convene)
  check_sink
  if [ "$rc" != 0 ]; then
    echo "fallback.sh: convene worker exited $rc:" >&2
    cat "$work/worker-blackhole.err" >&2
    return 1
  fi
  python3 - "$data/convene.db" "$fb_count" "$fb_connections" "$t0" "$t1" "$bh" "$greeting_timeout_s" "$repeat" <<'PY'
import json, sqlite3, sys
db, n, c, t0, t1, bh, greet = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), \
    json.loads(sys.argv[6] or "{}"), int(sys.argv[7])
repeat = int(sys.argv[8])
q = sqlite3.connect(db).execute
done = [r[0] for r in q("SELECT started_at + duration_ms FROM email_attempts"
                        " WHERE route = 'platform' AND outcome = 'sent' ORDER BY 1")]
status = dict(q("SELECT status, count(*) FROM email_outbox GROUP BY status"))
routes = dict(q("SELECT coalesce(sent_route, '-'), count(*) FROM email_outbox GROUP BY sent_route"))
sender = dict(q("SELECT outcome, count(*) FROM email_attempts WHERE route LIKE 'sender:%' GROUP BY outcome"))
fails = [r[0] for r in q("SELECT duration_ms FROM email_attempts WHERE route LIKE 'sender:%'"
                         " AND outcome = 'failed' ORDER BY 1")]
# When each email that tried the black hole started (s after t0): one wave at 0 s is the minimum (the circuit
# can't know before the first greeting timeout); a later wave is emails admitted before the circuit opened.
fail_starts = [round((r[0] - t0) / 1000, 3) for r in q(
    "SELECT started_at FROM email_attempts WHERE route LIKE 'sender:%' AND outcome = 'failed' ORDER BY 1")]
reply = q("SELECT reply FROM email_attempts WHERE route LIKE 'sender:%' AND outcome = 'failed'"
          " ORDER BY id LIMIT 1").fetchone()
health = q("SELECT health_status, consecutive_failures, circuit_opens FROM smtp_senders").fetchone()
ok = status == {"sent": n} and routes == {"platform": n}
print(json.dumps(separators=(",", ":"), obj={
    "peer": "convene-fallback", "connections": c, "count": n, "repeat": repeat,
    "first_s": round((done[0] - t0) / 1000, 3) if done else None,
    "all_s": round((done[-1] - t0) / 1000, 3) if len(done) == n else None,
    "worker_s": round((t1 - t0) / 1000, 3),
    "greeting_timeout_s": greet,
    "status": status, "sent_route": routes, "all_sent_via_platform": ok,
    "sender_attempts": {"failed": sender.get("failed", 0), "skipped": sender.get("skipped", 0),
                        "sent": sender.get("sent", 0)},
    "sender_fail_ms": {"min": fails[0], "median": fails[len(fails) // 2], "max": fails[-1]} if fails else None,
    "sender_failed_started_s": fail_starts,
    "sender_error": reply[0] if reply else None,
    "sender_health": {"status": health[0], "consecutive_failures": health[1], "circuit_opens": health[2]}
    if health else None,
    "blackhole_connections": bh.get("connections"), "blackhole_max_open": bh.get("max_open"),
    "failed": n - status.get("sent", 0)}))
PY
  rm -rf "$data"
}

# --- (A) the Cal.com way ------------------------------------------------------------------------------
run_nodemailer_fallback() {
  local name=$1 count=$2 concurrency=$3 out bh
  start_blackhole "$name"
  out=$(run_tracked node "$peer_dir/fallback.js" --org-host 127.0.0.1 --org-port "$bh_port" \
    --default-host 127.0.0.1 --default-port "$sink_port" --count "$count" --concurrency "$concurrency")
  bh=$(stop_blackhole "$name")
  check_sink
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); b=json.loads(sys.argv[2] or "{}")
r["mode"] = sys.argv[3]   # as run here (fallback.js calls a single email "sequential" whatever was meant)
r["blackhole_connections"], r["blackhole_max_open"] = b.get("connections"), b.get("max_open")
print(json.dumps(r,separators=(",",":")))' "$out" "$bh" "$name"
}

# --- (B) routing cost ----------------------------------------------------------------------------------
# run_routing VARIANT C REPEAT: VARIANT default-only (rows without an organization) or routed (rows of an
# organization with custom-smtp on and no sender). As bench/email.sh's convene run otherwise.
run_routing() {
  local variant=$1 c=$2 repeat=$3 data org t0 t1
  data=$(new_data "routing-$variant")
  if [ "$variant" = routed ]; then
    org=$(setup_org "$data/convene.db")
    seed "$data/convene.db" "$routing_count" --organization "$org"
  else
    seed "$data/convene.db" "$routing_count"
  fi
  t0=$(date +%s.%N)
  CONVENE_DATA_DIR=$data CONVENE_EMAIL_TRANSPORT=smtp+insecure://127.0.0.1:$sink_port \
    CONVENE_SMTP_ALLOWED_PRIVATE_NETWORKS=127.0.0.0/8 CONVENE_EMAIL_CONNECTIONS=$c CONVENE_LOG=warn \
    run_tracked "$bin" worker --until-idle >/dev/null 2>"$work/worker-routing.err" || {
    echo "fallback.sh: convene worker failed:" >&2
    cat "$work/worker-routing.err" >&2
    return 1
  }
  t1=$(date +%s.%N)
  check_sink
  python3 - "$data/convene.db" "$variant" "$c" "$routing_count" "$repeat" "$t0" "$t1" <<'PY'
import json, sqlite3, sys
db, variant, c, n, repeat, t0, t1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), \
    float(sys.argv[6]), float(sys.argv[7])
q = sqlite3.connect(db).execute
sent = q("SELECT count(*) FROM email_outbox WHERE status = 'sent' AND sent_route = 'platform'").fetchone()[0]
org_rows = q("SELECT count(*) FROM email_outbox WHERE organization_id IS NOT NULL").fetchone()[0]
s = t1 - t0
print(json.dumps(separators=(",", ":"), obj={"peer": "convene-routing", "variant": variant, "concurrency": c,
    "count": n, "repeat": repeat, "seconds": round(s, 3), "emails_per_sec": round(sent / s, 1),
    "org_rows": org_rows, "failed": n - sent}))
PY
  rm -rf "$data"
}

# --- the runs ------------------------------------------------------------------------------------------
for part in $parts; do
  case $part in
    A)
      for r in $(seq "$fb_repeats"); do
        echo "=== (A) black-hole fallback: convene, $fb_count emails, run $r ===" >&2
        measure run_convene_blackhole "$r"
      done
      echo "=== (A) black-hole fallback: the Cal.com way, $conc_count at once ===" >&2
      measure run_nodemailer_fallback concurrent "$conc_count" "$conc_count"
      echo "=== (A) black-hole fallback: the Cal.com way, $seq_count one after another (~$((seq_count * 30)) s) ===" >&2
      measure run_nodemailer_fallback sequential "$seq_count" 1
      ;;
    B)
      for c in $routing_concurrencies; do
        for r in $(seq "$routing_repeats"); do
          echo "=== (B) routing cost: concurrency $c, repeat $r ===" >&2
          if [ $((r % 2)) = 1 ]; then order="default-only routed"; else order="routed default-only"; fi
          for v in $order; do measure run_routing "$v" "$c" "$r"; done
        done
      done
      ;;
    *) echo "fallback.sh: unknown part $part (FALLBACK_PARTS: A, B)" >&2; exit 2 ;;
  esac
done

# --- the summary ---------------------------------------------------------------------------------------
echo
summary "$results"
