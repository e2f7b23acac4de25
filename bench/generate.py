#!/usr/bin/python3
"""Writes a realistic organisation (YAML) and N exception requests (CSV for `waiver requests import`).

The requests in review and under appeal are not here: bench/fill.cpp makes them through the use
cases, on the same organisation.

The requests spread over five years before today: drafts, active exceptions ending in the coming
months, expired, denied, withdrawn, revoked and closed ones, each with one to three compensating
controls, by 600 people in 20 departments, against 30 policies. Deterministic for a given N.
"""
import csv
import datetime
import random
import sys

WORDS = ("legacy vpn admin rights database export vendor laptop usb mfa password rotation firewall "
         "rule cloud bucket public logging retention backup encryption tls certificate sso token "
         "shared account patch window scanner agent build server privileged access review").split()
KINDS = ["policy", "standard", "procedure"]
TYPES = ["technology", "access", "configuration", "process", "device"]
CLASSES = ["RED", "ORANGE", "YELLOW", "GREEN"]
RISKS = ["low", "medium", "high", "critical"]


def organisation(path):
    with open(path, "w") as f:
        f.write("users:\n")
        for d in range(20):
            f.write(f"  - {{email: head{d}@bench.test, name: Head {d}, department: Dept {d}}}\n")
        for u in range(600):
            f.write(f"  - {{email: user{u}@bench.test, name: User {u}, department: Dept {u % 20}}}\n")
        for p in range(30):
            f.write(f"  - {{email: owner{p}@bench.test, name: Owner {p}, department: Security}}\n")
            f.write(f"  - {{email: maint{p}@bench.test, name: Maintainer {p}, department: Security}}\n")
        for role in ["security_compliance", "legal", "ceo", "cfo", "auditor", "admin"]:
            f.write(f"  - {{email: {role}@bench.test, name: {role}, department: Security, roles: [{role}]}}\n")
        f.write("departments:\n")
        for d in range(20):
            f.write(f"  - {{name: Dept {d}, head: head{d}@bench.test}}\n")
        f.write("  - {name: Security, head: admin@bench.test}\n")
        f.write("policies:\n")
        for p in range(30):
            f.write(f"  - {{id: policy-{p}, title: Policy {p}, kind: {KINDS[p % 3]}, owner: owner{p}@bench.test, "
                    f"maintainers: [maint{p}@bench.test]}}\n")
        # The demo's rules: technology and configuration go to the policy's maintainers first, RED
        # data also needs Legal.
        f.write("matrix:\n  default: {first_approval: department_head, max_days: 365}\n  rules:\n"
                "    - when: {type: [technology, configuration]}\n      set: {first_approval: maintainers}\n"
                "    - when: {data_classification: RED}\n      require:\n        - {slot: legal, role: legal}\n")


def requests(path, n):
    rnd = random.Random(n)
    today = datetime.date.today()
    start = today - datetime.timedelta(days=5 * 365)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["title", "policy_id", "requester", "status", "type", "data_classification", "description",
                    "justification", "compensating_controls", "start_on", "end_on", "risk_level", "created_at",
                    "source_ref"])
        for i in range(n):
            created = start + datetime.timedelta(days=int(5 * 365 * i / max(n, 1)))
            title = " ".join(rnd.choice(WORDS) for _ in range(4)).capitalize() + f" #{i}"
            roll = rnd.random()
            begin = created + datetime.timedelta(days=rnd.randint(0, 14))
            end = begin + datetime.timedelta(days=rnd.randint(30, 360))
            if roll < 0.25 and end > today:
                status = "active"
            elif roll < 0.25:
                status = "expired"
            elif roll < 0.45:
                status = "expired" if end < today else "active"
            elif roll < 0.55:
                status = "denied"
            elif roll < 0.62:
                status = "withdrawn"
            elif roll < 0.70:
                status = "revoked"
            elif roll < 0.80:
                status = "closed"
            elif roll < 0.85:
                status = "draft"
            else:
                status = "active" if end >= today else "expired"
            if status == "active" and end < today:
                status = "expired"
            controls = "\n".join(f"{rnd.choice(WORDS).capitalize()} {rnd.choice(WORDS)} review"
                                 for _ in range(rnd.randint(1, 3)))
            decided = status in ("active", "expired", "revoked", "closed")
            w.writerow([title, f"policy-{rnd.randrange(30)}", f"user{rnd.randrange(600)}@bench.test", status,
                        rnd.choice(TYPES), rnd.choice(CLASSES),
                        "The team needs " + " ".join(rnd.choice(WORDS) for _ in range(12)) + ".",
                        "Without it " + " ".join(rnd.choice(WORDS) for _ in range(8)) + ".",
                        controls, begin.isoformat(), end.isoformat(), rnd.choice(RISKS) if decided else "",
                        created.isoformat(), f"OLD-{i}"])


if __name__ == "__main__":
    # generate.py N ORGANISATION.yaml [REQUESTS.csv]
    n = int(sys.argv[1])
    organisation(sys.argv[2])
    if len(sys.argv) > 3:
        requests(sys.argv[3], n)
