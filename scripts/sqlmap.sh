#!/usr/bin/env bash
# sqlmap (Debian's) against the API's query parameters, with a valid token: a throw-away demo
# database and `waiver serve` on a free port (rate limits off), every parameter of the register,
# its export and the events of a request. Exits non-zero when sqlmap reports an injectable one.
#   scripts/sqlmap.sh BUILD_DIR [LEVEL] [RISK]
set -euo pipefail
build=${1:?usage: scripts/sqlmap.sh BUILD_DIR [LEVEL] [RISK]}
level=${2:-2}
risk=${3:-1}
waiver=$(cd "$build" && pwd)/waiver
dir=$(mktemp -d "${TMPDIR:-/tmp}/waiver-sqlmap.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
export WAIVER_DB="sqlite://$dir/w.db" WAIVER_RATE_LIMIT_PER_TOKEN=0 WAIVER_RATE_LIMIT_PER_ADDRESS=0 WAIVER_LOG_LEVEL=info WAIVER_LOG_FORMAT=text
"$waiver" init --demo >/dev/null
token=$("$waiver" token create sec@example.com)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$waiver" serve --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port/api/v1"
id=$(curl -fs -H "Authorization: Bearer $token" "$base/exceptions?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
report="$dir/report.txt"
status=0
for url in \
  "$base/exceptions?q=admin&limit=10&sort=end_on&order=asc" \
  "$base/exceptions?status=active&policy=access-control&department=Engineering" \
  "$base/exceptions?requester=ana%40example.com&risk_level=medium&expiring_within_days=3650&waiting_for=me" \
  "$base/exceptions?cursor=5&q=x" \
  "$base/exceptions/export?format=csv&status=active&policy=access-control&q=admin" \
  "$base/exceptions/$id"; do
  echo "sqlmap: $url"
  sqlmap -u "$url" -H "Authorization: Bearer $token" --batch --level="$level" --risk="$risk" \
    --dbms=SQLite --skip-waf --flush-session --output-dir="$dir/out" --disable-coloring 2>&1 | tee -a "$report" \
    | grep -E "injectable|not injectable|appear|WARNING.*parameter|CRITICAL" || true
done
if grep -qiE "is vulnerable|sqlmap identified the following injection point" "$report"; then
  echo "sqlmap: an injection point was found (see above)" >&2
  status=1
fi
crit=$(grep -c "all tested parameters do not appear to be injectable" "$report" || true)
echo "sqlmap: $crit of 6 URLs: all tested parameters do not appear to be injectable"
requests=$(grep -c 'event=request' "$dir/serve.log" || true)
errors=$(grep -cE 'event=request .*status=5[0-9]{2}' "$dir/serve.log" || true)
echo "sqlmap: $requests requests served, $errors answered 5xx"
if [ "$errors" -gt 0 ]; then grep -E 'event=request .*status=5[0-9]{2}' "$dir/serve.log" | head >&2; status=1; fi
exit $status
