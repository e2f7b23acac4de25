#!/usr/bin/env bash
# CTest: bench/fill.cpp takes requests to every state in flight through the use cases, and the
# audit chain it leaves verifies.   fill_test.sh WAIVER WAIVER_BENCH_FILL
set -euo pipefail
waiver=$1 fill=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/waiver-fill-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
db="sqlite://$work/fill.db"
/usr/bin/python3 "$here/generate.py" 0 "$work/org.yaml"
"$waiver" init --db "$db" >/dev/null
"$waiver" import "$work/org.yaml" --db "$db" >/dev/null
read -r written steps < <("$fill" "$db" 300)
"$waiver" audit verify --db "$db"
/usr/bin/python3 - "$work/fill.db" "$written" "$steps" <<'PY'
import sqlite3, sys
db, written, steps = sqlite3.connect(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
states = dict(db.execute("SELECT status, COUNT(*) FROM exceptions GROUP BY 1"))
problems = []
expected = {"department_review", "policy_review", "changes_requested", "withdrawn", "active", "denied",
            "appeal_legal", "appeal_executive", "denied_final", "superseded"}
if set(states) != expected:
    problems.append(f"states {sorted(states)}, expected {sorted(expected)}")
if sum(states.values()) != written:
    problems.append(f"{sum(states.values())} requests stored, the fill said {written}")
# Every superseded request has the active extension that superseded it.
orphans = db.execute("SELECT COUNT(*) FROM exceptions p WHERE p.status = 'superseded' AND NOT EXISTS "
                     "(SELECT 1 FROM exceptions c WHERE c.parent_id = p.id AND c.status = 'active')").fetchone()[0]
if orphans or not states.get("superseded"):
    problems.append(f"{orphans} superseded requests without an active extension")
# Each step is an audit event of a request; an extension is two more: the child's creation and, when
# it is approved, its parent's supersession.
events = db.execute("SELECT COUNT(*) FROM audit_events WHERE entity_type = 'exception'").fetchone()[0]
if events != steps + 2 * states["superseded"]:
    problems.append(f"{events} audit events of requests, expected {steps} steps + 2 × {states['superseded']} extensions")
# The slots a request waits on are pending in the stage it is in; RED data also waits on Legal.
pending = db.execute("SELECT COUNT(*) FROM exceptions, json_each(approvals_json) s WHERE status = 'policy_review' "
                     "AND json_extract(s.value, '$.slot') = 'owner' AND json_extract(s.value, '$.status') = 'pending'").fetchone()[0]
if pending != states["policy_review"]:
    problems.append(f"{pending} of {states['policy_review']} requests in policy review wait on their owner")
legal = db.execute("SELECT COUNT(*) FROM exceptions, json_each(approvals_json) s WHERE data_classification = 'RED' "
                   "AND status = 'denied_final' AND json_extract(s.value, '$.slot') = 'legal'").fetchone()[0]
if legal == 0:
    problems.append("no RED request carries a Legal slot")
for p in problems:
    print("fill_test:", p, file=sys.stderr)
print(f"fill_test: {written} requests, {steps} steps, states {states}")
sys.exit(1 if problems else 0)
PY
