#!/usr/bin/env bash
# Instructions a request in the server, under valgrind's callgrind: steadier than CPU time on a
# machine whose speed drifts, so a small change can be measured (docs/performance.md).
#   bench/instructions.sh BIN DB TOKEN N [SCRIPT [PATH]]
# BIN a waiver binary (a Release build), DB a SQLite database made by make bench (or any), TOKEN
# an API token of it, N its number of requests (by_id.lua asks for ids 1..N). SCRIPT defaults to
# by_id.lua; path.lua GETs PATH. The counters are zeroed after 3 s of load, then 10 s of wrk at
# 4 connections are counted; the call graph is kept in the printed file for callgrind_annotate.
set -euo pipefail
[ $# -ge 4 ] || { sed -n 4,9p "$0" >&2; exit 2; }
bin=$1 db=$2 token=$3 n=$4 script=${5:-by_id.lua} path=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
for tool in valgrind callgrind_control callgrind_annotate wrk curl; do
  command -v "$tool" >/dev/null || { echo "instructions: $tool is missing" >&2; exit 1; }
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(mktemp -d "${TMPDIR:-/tmp}/waiver-callgrind.XXXXXX")
WAIVER_LOG_LEVEL=warn WAIVER_RATE_LIMIT_PER_TOKEN=0 WAIVER_RATE_LIMIT_PER_ADDRESS=0 \
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" \
  "$bin" serve --listen "127.0.0.1:$port" --db "sqlite://$db" >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null; do
  kill -0 $server 2>/dev/null || { cat "$out/serve.log" >&2; exit 1; }
  sleep 0.2
done
export WAIVER_BENCH_TOKEN=$token WAIVER_BENCH_N=$n WAIVER_BENCH_PATH=$path
wrk -t1 -c4 -d3s -s "$here/$script" "http://127.0.0.1:$port" >/dev/null
callgrind_control -z $server >/dev/null
result=$(wrk -t1 -c4 -d10s -s "$here/$script" "http://127.0.0.1:$port")
callgrind_control -d $server >/dev/null
sleep 1
requests=$(awk '/requests in/ {print $1}' <<<"$result")
if grep -q "Non-2xx" <<<"$result"; then echo "instructions: some answers were not 2xx" >&2; exit 1; fi
dump=$(ls "$out"/callgrind.*.* | head -1)
total=$(awk '/^summary:/ {print $2}' "$dump")
echo "requests: $requests; instructions: $total; a request: $((total / requests)) (call graph: $dump)"
echo "a request, by function (instructions, inclusive):"
callgrind_annotate --inclusive=yes --threshold=100 "$dump" 2>/dev/null |
  grep -E "http::dispatch\(|SqlUnitOfWork::(find|actor|token_by_hash|notes|list)\(|request_from\(|controls_from_text|write_request|sha256_hex|sqlite3_step \[" |
  awk -v n="$requests" '{gsub(",", "", $1); name = $0; sub(/^.*\?\?\?:/, "", name); printf "  %9d %s\n", $1 / n, substr(name, 1, 100)}'
