// 6. Expiry by `waiver jobs run --now`: valid through the end date, expired at the start of the
// next day (UTC); running the jobs again changes nothing.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server.js';
import { addDays, today, expectOk, expectRefused, getReq, createActive, snapshot, events } from './helpers/flow.js';

const w = useWaiver();

test('an active request expires the day after its end date, once', async () => {
  const ana = await w.as('ana');
  const end = addDays(today(), 10);
  const a = await createActive(w, { end_on: end }, { end_on: end });
  expect(a.decision_end_on).toBe(end);
  const id = a.id;

  await test.step('on its last day (23:59:59Z) it is still active', async () => {
    const before = await snapshot(ana, id);
    const r = await w.jobsRun(`${end}T23:59:59Z`);
    expect(r.code, r.stderr).toBe(0);
    const now = await getReq(ana, id);
    expect(now.status).toBe('active');
    expect(now.version).toBe(before.version);
  });

  let afterExpiry: Awaited<ReturnType<typeof snapshot>>;
  await test.step('at 00:00:00Z the next day → expired', async () => {
    const before = await snapshot(ana, id);
    const r = await w.jobsRun(`${addDays(end, 1)}T00:00:00Z`);
    expect(r.code, r.stderr).toBe(0);
    const now = await getReq(ana, id);
    expect(now.status).toBe('expired');
    expect(now.version).toBeGreaterThan(before.version);
    afterExpiry = await snapshot(ana, id);
    expect(afterExpiry.events).toBeGreaterThan(before.events);
    const last = (await events(ana, id)).at(-1);
    expect(last.after?.status ?? 'expired').toBe('expired');
  });

  await test.step('running the jobs again changes nothing', async () => {
    const r1 = await w.jobsRun(`${addDays(end, 1)}T00:00:00Z`);
    expect(r1.code, r1.stderr).toBe(0);
    expect(await snapshot(ana, id)).toEqual(afterExpiry);
    const r2 = await w.jobsRun(`${addDays(end, 5)}T12:00:00Z`);
    expect(r2.code, r2.stderr).toBe(0);
    expect(await snapshot(ana, id)).toEqual(afterExpiry);
  });

  await test.step('an expired request is out of the active register and cannot be closed or extended', async () => {
    const act = expectOk(await (await w.as('auditor')).get('/exceptions?status=active'));
    expect(act.items.map((i: any) => i.id)).not.toContain(id);
    const exp = expectOk(await (await w.as('auditor')).get('/exceptions?status=expired'));
    expect(exp.items.map((i: any) => i.id)).toContain(id);
    await expectRefused(ana, id, () => ana.post(`/exceptions/${id}/close`, { reason: 'done' }), 409);
    await expectRefused(ana, id, () => ana.post(`/exceptions/${id}/extensions`, { end_on: addDays(end, 20), justification: 'x' }), 409);
  });

  await test.step('the audit chain is intact', async () => {
    const r = await w.auditVerify();
    expect(r.code, r.stderr).toBe(0);
    const v = expectOk(await (await w.as('auditor')).get('/audit/verify'));
    expect(v.ok).toBe(true);
  });
});

test('jobs run leaves a request that is still valid alone', async () => {
  const ana = await w.as('ana');
  const end = addDays(today(), 60);
  const a = await createActive(w, { end_on: end }, { end_on: end });
  const before = await snapshot(ana, a.id);
  const r = await w.jobsRun(`${addDays(end, -3)}T08:00:00Z`);
  expect(r.code, r.stderr).toBe(0);
  const now = await snapshot(ana, a.id);
  expect(now.status).toBe('active');
  expect(now.version).toBe(before.version);
});
