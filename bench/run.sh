#!/usr/bin/env bash
# make bench: the figures of docs/performance.md, each beside its ceiling measured in the same run.
#   bench/run.sh [N ...]     sizes of the register (default: 10000 100000 1000000)
#   BENCH_BUILD=build-release (a Release build made here), BENCH_SECONDS=10 (each wrk run)
# Needs wrk and python3 (scripts/install-deps.sh --with-bench installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BENCH_BUILD:-build-release}
seconds=${BENCH_SECONDS:-10}
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)

if [ "$build" = build-release ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWAIVER_BENCH=ON >/dev/null
  cmake --build "$build" --target waiver waiver-approve-bench waiver-bench-fill >/dev/null
fi
approvals=${BENCH_APPROVALS:-1000}
waiver="$root/$build/waiver"
[ -x "$waiver" ] || { echo "bench: no waiver binary at $waiver" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/waiver-bench.XXXXXX")
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
# The server's CPU time so far (user + system, in clock ticks), from /proc.
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
# The 99th percentile, in ms, of the "microseconds count" lines of bench/latency.lua.
p99_of() {
  sort -n "$1" | awk '{ v[NR] = $1; c[NR] = $2; total += $2 }
    END { need = total * 0.99; for (i = 1; i <= NR; i++) { seen += c[i]; if (seen >= need) { printf "%.2f", v[i] / 1000; exit } } }'
}

# wrk's requests/s, its p99 in ms from --latency output, and the server's CPU time per request in
# µs (its user + system time over the run, divided by the requests: less swayed than req/s by what
# else the machine runs, so a change can be measured on a busy machine).
wrk_run() {  # connections script [env…]
  local conns=$1 script=$2 out ticks0 ticks1
  # Two seconds of the same load first, not counted: each pooled connection prepares its
  # statements, and the route's pages come into SQLite's cache.
  WAIVER_BENCH_LATENCY_FILE="" wrk -t2 -c"$conns" -d2s -s "$root/bench/$script" "http://127.0.0.1:$port" >/dev/null 2>&1
  ticks0=$(server_ticks)
  out=$(wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$root/bench/$script" "http://127.0.0.1:$port" 2>&1)
  ticks1=$(server_ticks)
  local rps p99 cpu
  rps=$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")
  cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$(getconf CLK_TCK)" '/requests in/ {n=$1} END {if (n > 0) printf "%.0f", (b-a)/hz*1e6/n; else print "-"}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; printf "%.2f", v}' <<<"$out")
  local errors
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -n "$errors" ] && echo "bench: $script answered $errors non-2xx" >&2
  echo "$rps $p99 $cpu"
}

report="$root/$build/bench.md"
{
  echo "# make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); build: $build"
  echo
} >"$report"

for n in "${sizes[@]}"; do
  db="sqlite://$work/bench-$n.db"
  /usr/bin/python3 bench/generate.py "$n" "$work/org.yaml"
  "$waiver" init --db "$db" >/dev/null
  "$waiver" import "$work/org.yaml" --db "$db" >/dev/null
  # One request in a hundred is in flight (in review, sent back, under appeal, superseded…), taken
  # there through the use cases over the last 60 days (bench/fill.cpp); the import brings the rest.
  t0=$(now_ms)
  read -r flying fill_steps < <("$root/$build/waiver-bench-fill" "$db" "$(( n / 100 > 100 ? n / 100 : 100 ))")
  t1=$(now_ms)
  fill_rate=$(( fill_steps * 1000 / (t1 - t0 + 1) ))
  rows=$(( n - flying ))
  /usr/bin/python3 bench/generate.py "$rows" "$work/org.yaml" "$work/requests-$n.csv"
  # The database as it is before the import, for the import's ceiling (bench/import_ceiling.py).
  /usr/bin/python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
    "$work/bench-$n.db" "$work/before-$n.db"
  t0=$(now_ms)
  "$waiver" requests import "$work/requests-$n.csv" --db "$db" >/dev/null
  t1=$(now_ms)
  import_rate=$(( rows * 1000 / (t1 - t0 + 1) ))
  ceiling_ms=$(/usr/bin/python3 bench/import_ceiling.py "$work/before-$n.db" "$work/bench-$n.db")
  import_ceiling=$(( rows * 1000 / (ceiling_ms + 1) ))
  rm -f "$work/before-$n.db"*
  token=$("$waiver" token create auditor@bench.test --db "$db")
  # How many requests each state holds, and the events of the audit trail.
  read -r states events < <(/usr/bin/python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(", ".join(f"{s} {n:,}" for s, n in c.execute("SELECT status, COUNT(*) FROM exceptions GROUP BY 1 ORDER BY 2 DESC")).replace(" ", "_"),
      c.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0])' "$work/bench-$n.db")

  t0=$(now_ms); "$waiver" audit export --db "$db" >/dev/null; t1=$(now_ms); read_ms=$((t1 - t0))
  t0=$(now_ms); "$waiver" audit verify --db "$db" >/dev/null; t1=$(now_ms); verify_ms=$((t1 - t0))

  # The database file read once, so that it is in the OS page cache as it is on a server that has
  # run for a while: the import's and the ceiling's copies (several GB at 1 M) may have pushed it
  # out, and the random reads below would then measure the disk (by id at 1 M: 564 req/s cold).
  cat "$work/bench-$n.db" >/dev/null

  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  t0=$(now_ms)
  # One token at thousands of requests per second: the per-token and per-address rate limits off.
  WAIVER_LOG_LEVEL=warn WAIVER_RATE_LIMIT_PER_TOKEN=0 WAIVER_RATE_LIMIT_PER_ADDRESS=0 \
    "$waiver" serve --listen "127.0.0.1:$port" --db "$db" >"$work/serve.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do sleep 0.005; done
  t1=$(now_ms); start_ms=$((t1 - t0))
  # The server's first jobs run (the expiry reminders of the imported register, the reminders and
  # escalations of the requests in flight) and the delivery of what it and the fill queued, before
  # anything is measured: a server that has been running has delivered them. Mail is only logged
  # (no SMTP server), so this is the outbox's own work: a claim, and a commit for each message.
  read -r outbox_messages outbox_ms < <(/usr/bin/python3 - "$work/bench-$n.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
start = time.monotonic()
waiting = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL"
while db.execute(waiting).fetchone()[0] > 0:
    time.sleep(0.05)
print(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0], int((time.monotonic() - start) * 1000))
PY
  )

  export WAIVER_BENCH_TOKEN=$token WAIVER_BENCH_N=$n
  # The ceiling and by id alternately, four times each for a quarter of the time, so that a drift
  # of the machine's speed (other guests of the host) weighs on both alike: the mean req/s and CPU
  # time of the rounds, and the p99 of all the requests of the four rounds (wrk's latency
  # histograms, written by bench/latency.lua, merged).
  full=$seconds
  rounds=4
  seconds=$(( (full + rounds - 1) / rounds ))
  : >"$work/health.latency"; : >"$work/byid.latency"
  health_rps=0 health_cpu=0 byid_rps=0 byid_cpu=0
  for _ in $(seq "$rounds"); do
    read -r rps _ cpu < <(WAIVER_BENCH_LATENCY_FILE="$work/health.latency" WAIVER_BENCH_PATH=/api/v1/health wrk_run 64 path.lua)
    health_rps=$((health_rps + rps)); health_cpu=$((health_cpu + cpu))
    read -r rps _ cpu < <(WAIVER_BENCH_LATENCY_FILE="$work/byid.latency" wrk_run 64 by_id.lua)
    byid_rps=$((byid_rps + rps)); byid_cpu=$((byid_cpu + cpu))
  done
  seconds=$full
  health_rps=$((health_rps / rounds)); health_cpu=$((health_cpu / rounds))
  byid_rps=$((byid_rps / rounds)); byid_cpu=$((byid_cpu / rounds))
  health_p99=$(p99_of "$work/health.latency"); byid_p99=$(p99_of "$work/byid.latency")
  read -r reg_rps reg_p99 reg_cpu < <(WAIVER_BENCH_PATH="/api/v1/exceptions?status=active&policy=policy-7&limit=50" wrk_run 16 path.lua)
  read -r q_rps q_p99 q_cpu < <(WAIVER_BENCH_PATH="/api/v1/exceptions?q=firewall&limit=50" wrk_run 16 path.lua)
  rss_mb=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$server/status")
  # Approvals over HTTP by 8 clients, then the same rows by the raw SQLite C API (bench/approve.cpp).
  read -r approve_rps approve_ceiling < <("$root/$build/waiver-approve-bench" "http://127.0.0.1:$port" "$work/bench-$n.db" \
    "$("$waiver" token create user0@bench.test --db "$db")" "$("$waiver" token create head0@bench.test --db "$db")" \
    "$approvals" 8)
  kill "$server"; wait "$server" 2>/dev/null || true; server=""

  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100*a/b; else print "-" }'; }
  {
    echo "## $n requests"
    echo
    echo "By state: ${states//_/ }. $flying of them made through the use cases ($fill_steps steps at $fill_rate steps/s), $rows imported."
    echo
    echo "| figure | measured | ceiling in the same run | ratio | target |"
    echo "| --- | --- | --- | --- | --- |"
    echo "| one request by id, JSON, authenticated (wrk, 64 connections) | $byid_rps req/s, p99 $byid_p99 ms, $byid_cpu µs CPU a request | /health: $health_rps req/s, $health_cpu µs CPU a request | $(ratio "$byid_rps" "$health_rps") (CPU a request: $(ratio "$health_cpu" "$byid_cpu")) | ≥ 30 %, p99 ≤ 10 ms |"
    echo "| the register: 50 rows, filtered (wrk, 16 connections) | $reg_rps req/s, p99 $reg_p99 ms, $reg_cpu µs CPU a request | — | — | p99 ≤ 20 ms at 1 M |"
    echo "| text search in the register (wrk, 16 connections) | $q_rps req/s, p99 $q_p99 ms, $q_cpu µs CPU a request | — | — | p99 ≤ 50 ms at 1 M |"
    echo "| \`audit verify\` ($events events) | $verify_ms ms | reading them (\`audit export\`): $read_ms ms | $(awk -v a="$verify_ms" -v b="$read_ms" 'BEGIN { printf "%.1f ×", (b > 0 ? a/b : 0) }') | ≤ 2 × |"
    echo "| importing $rows requests (\`waiver requests import\`) | $import_rate requests/s | the same rows copied by SQLite (INSERT … SELECT): $import_ceiling/s | $(ratio "$import_rate" "$import_ceiling") | ≥ 50,000/s |"
    echo "| peak RSS of \`waiver serve\` under the read load | $rss_mb MB | — | — | ≤ 150 MB |"
    echo "| start to first answer | $start_ms ms | — | — | ≤ 300 ms |"
    echo "| the first jobs run and the outbox delivered after it ($outbox_messages messages, mail logged) | $outbox_ms ms from the first answer, $(( outbox_messages * 1000 / (outbox_ms + start_ms + 1) )) messages/s | — | — | — |"
    echo "| an approval over HTTP (slot, state, audit event, outbox; 8 clients, $approvals approvals) | $approve_rps approvals/s | the same rows by the raw SQLite C API: $approve_ceiling/s | $(ratio "$approve_rps" "$approve_ceiling") | ≥ 50 % |"
    echo
  } >>"$report"
done
cat "$report"
