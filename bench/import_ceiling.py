#!/usr/bin/env python3
"""The ceiling of `waiver requests import`: the same rows written by SQLite itself.

    import_ceiling.py BEFORE.db IMPORTED.db   -> milliseconds

BEFORE.db is a copy of the database taken just before the import; IMPORTED.db the database after
it. In one transaction, with the settings `waiver` uses for a one-shot command (WAL,
synchronous = FULL, a 128 MiB page cache), SQLite copies every row the import added into BEFORE.db
with one INSERT ... SELECT per table: the requests (with all their indexes and the search
index), who may see them, their audit events, and the chain's head and reference counters. No
parsing, validation, JSON or hashing: the least any import of these rows can cost here.
"""
import sqlite3
import sys
import time

before, imported = sys.argv[1], sys.argv[2]
db = sqlite3.connect(before, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
db.execute("PRAGMA cache_size = -131072")
db.execute("ATTACH DATABASE ? AS src", (imported,))
start = time.monotonic()
db.execute("BEGIN IMMEDIATE")
last_event = db.execute("SELECT COALESCE(MAX(id), 0) FROM audit_events").fetchone()[0]
# The requests already there (bench/fill.cpp's, in flight) are not the import's.
last_request = db.execute("SELECT COALESCE(MAX(id), 0) FROM exceptions").fetchone()[0]
db.execute("INSERT INTO exceptions SELECT * FROM src.exceptions WHERE id > ?", (last_request,))
# The search index, as the import writes it: one pass over the new rows (no trigger since migration 11).
db.execute("INSERT INTO exceptions_search (rowid, ref, title, requirement, description) "
           "SELECT id, ref, title, requirement, description FROM exceptions WHERE id > ?", (last_request,))
db.execute("INSERT INTO exception_access SELECT * FROM src.exception_access WHERE exception_id > ?", (last_request,))
db.execute("INSERT INTO audit_events SELECT * FROM src.audit_events WHERE id > ?", (last_event,))
db.execute("DELETE FROM audit_head")
db.execute("INSERT INTO audit_head SELECT * FROM src.audit_head")
db.execute("INSERT OR REPLACE INTO ref_counters SELECT * FROM src.ref_counters")
db.execute("COMMIT")
print(int((time.monotonic() - start) * 1000))
