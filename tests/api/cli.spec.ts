// The command line beside the API: export, token errors, audit export and verify against the
// same database the server writes.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, createActive } from './helpers/flow.js';

const w = useWaiver();

test('`waiver export` prints the organisation as it stands', async () => {
  const r = await w.cli(['export']);
  expect(r.code, r.stderr).toBe(0);
  for (const s of ['access-control', 'crypto-standard', who('ana'), who('dpo'), 'Engineering', 'max_days'])
    expect(r.stdout).toContain(s);
});

test('`waiver token create` for an unknown user fails with a one-line reason', async () => {
  const r = await w.cli(['token', 'create', 'nobody@example.com']);
  expect(r.code).not.toBe(0);
  expect(r.stdout.trim()).toBe('');
  expect(r.stderr.trim().length).toBeGreaterThan(0);
});

test('`waiver audit export` prints every event as JSON Lines; `audit verify` agrees with the API', async () => {
  const a = await createActive(w);
  const ex = await w.cli(['audit', 'export']);
  expect(ex.code, ex.stderr).toBe(0);
  const lines = ex.stdout.split('\n').filter((l) => l.trim().length);
  const events = lines.map((l) => JSON.parse(l));
  expect(events.some((e: any) => e.ref === a.ref || e.entity_id === a.id || String(e.entity_id) === String(a.id))).toBe(true);
  for (const e of events) {
    expect(typeof e.hash).toBe('string');
    expect('prev_hash' in e).toBe(true);
  }
  const v = await w.auditVerify();
  expect(v.code, v.stderr).toBe(0);
  const api = expectOk(await (await w.as('auditor')).get('/audit/verify'));
  expect(api.ok).toBe(true);
  expect(api.events).toBe(events.length);
});
