// The audit trail: a 2xx survives a crash of the server; the hash chain detects an edited or a
// deleted row of `audit_events` (table named by the contract), by the command and by the API.
// Tampering is plain SQL on the test's own database (`w.sql`: python3's sqlite3 on SQLite, psql on
// PostgreSQL).
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server.js';
import { expectOk, createActive, createDraft, getReq, events } from './helpers/flow.js';

const w = useWaiver();

test('a 2xx answer survives a crash of the server process (SIGKILL right after it)', async () => {
  const ana = await w.as('ana');
  const d = await createDraft(w);
  const s = expectOk(await ana.post(`/exceptions/${d.id}/submit`, {}));
  expect(s.status).toBe('department_review');
  const n = (await events(ana, d.id)).length;
  await w.crashAndRestart();
  const after = await getReq(ana, d.id);
  expect(after.status).toBe('department_review');
  expect(after.version).toBe(s.version);
  expect((await events(ana, d.id)).length).toBe(n);
  const v = await w.auditVerify();
  expect(v.code, v.stderr).toBe(0);
});

test('`audit verify` and GET /audit/verify detect an edited and a deleted event', async () => {
  const auditor = await w.as('auditor');
  await createActive(w);
  const ok = expectOk(await auditor.get('/audit/verify'));
  expect(ok.ok).toBe(true);
  const good = await w.auditVerify();
  expect(good.code, good.stderr).toBe(0);

  const cols = await w.columns('audit_events');
  expect(cols).toEqual(expect.arrayContaining(['hash', 'prev_hash']));
  // SQLite has a rowid to fall back on; PostgreSQL has no such column, so there the table needs an id.
  if (w.engine === 'postgresql') expect(cols, 'audit_events has an id column').toContain('id');
  const idCol = cols.includes('id') ? 'id' : 'rowid';
  const target = cols.includes('actor') ? 'actor' : cols.find((c) => !['id', 'hash', 'prev_hash'].includes(c))!;
  const rows = await w.sql(`SELECT ${idCol}, ${target} FROM audit_events WHERE ${target} IS NOT NULL ORDER BY ${idCol} LIMIT 1 OFFSET 2`);
  expect(rows.length).toBe(1);
  const [badId, original] = rows[0];

  await test.step(`edit one column (${target}) of event ${badId}`, async () => {
    await w.sql(`UPDATE audit_events SET ${target} = ${target} || 'x' WHERE ${idCol} = ${badId}`);
    const r = await w.auditVerify();
    expect(r.code, 'audit verify must fail on an edited row').not.toBe(0);
    expect(r.stderr).toContain(String(badId));
    const v = expectOk(await auditor.get('/audit/verify'));
    expect(v.ok).toBe(false);
    expect(String(v.first_bad?.id)).toBe(String(badId));
  });

  await test.step('restored, the chain verifies again', async () => {
    await w.sql(`UPDATE audit_events SET ${target} = ${typeof original === 'number' ? original : `'${String(original).replace(/'/g, "''")}'`} WHERE ${idCol} = ${badId}`);
    const r = await w.auditVerify();
    expect(r.code, r.stderr).toBe(0);
    expect(expectOk(await auditor.get('/audit/verify')).ok).toBe(true);
  });

  await test.step(`delete event ${badId}`, async () => {
    await w.sql(`DELETE FROM audit_events WHERE ${idCol} = ${badId}`);
    const r = await w.auditVerify();
    expect(r.code, 'audit verify must fail on a deleted row').not.toBe(0);
    expect(r.stderr.trim().length).toBeGreaterThan(0);
    const v = expectOk(await auditor.get('/audit/verify'));
    expect(v.ok).toBe(false);
    expect(v.first_bad).toBeTruthy();
  });
});
