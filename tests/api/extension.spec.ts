// 5. Extensions: a new request linked to the active parent, through the whole flow; when it is
// active the parent is superseded.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import {
  REF_RE, addDays, today, expectOk, expectRefused, getReq, slotOf, decide, createActive,
  approveDepartment, approveReviewSlots, ownerApproval, createSubmitted,
} from './helpers/flow.js';

const w = useWaiver();

test('extension: 201 draft linked to the parent; approved → active, parent superseded', async () => {
  const ana = await w.as('ana');
  const start = today();
  const end = addDays(start, 40);
  const decidedControls = [{ description: 'Quarterly access recertification', status: 'implemented' }];
  const parent = await createActive(
    w,
    { end_on: end },
    { end_on: end, compensating_controls: decidedControls, risk_level: 'medium' },
  );
  expect(parent.decision_end_on).toBe(end);
  const newEnd = addDays(end, 30);
  let child: any;

  await test.step('ana asks for an extension → 201 draft', async () => {
    const r = await ana.post(`/exceptions/${parent.id}/extensions`, { end_on: newEnd, justification: 'JIT tooling slipped a month.' });
    child = expectOk(r, 201);
    expect(child.status).toBe('draft');
    expect(child.id).not.toBe(parent.id);
    expect(child.ref).toMatch(REF_RE);
    expect(child.ref).not.toBe(parent.ref);
    expect(child.parent_id).toBe(parent.id);
    expect(child.start_on).toBe(end);
    expect(child.end_on).toBe(newEnd);
    expect(child.requester).toBe(who('ana'));
    expect(child.policy_id).toBe(parent.policy_id);
    expect(child.title).toBe(parent.title);
    expect(child.requirement).toBe(parent.requirement);
    expect(child.type).toBe(parent.type);
    expect(child.data_classification).toBe(parent.data_classification);
    expect(child.compensating_controls.map((c: any) => c.description)).toEqual(['Quarterly access recertification']);
    expect(child.extension_ids).toEqual([]);
  });

  await test.step('the parent lists it and stays active', async () => {
    const p = await getReq(ana, parent.id);
    expect(p.status).toBe('active');
    expect(p.extension_ids).toContain(child.id);
  });

  await test.step('the extension goes through the whole flow', async () => {
    const s = expectOk(await ana.post(`/exceptions/${child.id}/submit`, {}));
    expect(s.status).toBe('department_review');
    expect(slotOf(s, 'department').eligible).toEqual([who('eng.head')]);
    const pr = await approveDepartment(w, s);
    await approveReviewSlots(w, pr);
    // the parent is still active until the owner decides
    expect((await getReq(ana, parent.id)).status).toBe('active');
    const a = expectOk(await decide(w, child.id, 'owner', 'owner', ownerApproval({ end_on: newEnd })));
    expect(a.status).toBe('active');
    expect(a.decision_end_on).toBe(newEnd);
  });

  await test.step('the parent is superseded', async () => {
    const p = await getReq(ana, parent.id);
    expect(p.status).toBe('superseded');
    expect(p.extension_ids).toContain(child.id);
    const c = await getReq(ana, child.id);
    expect(c.status).toBe('active');
    expect(c.parent_id).toBe(parent.id);
    // a superseded request can no longer be extended
    await expectRefused(ana, parent.id, () => ana.post(`/exceptions/${parent.id}/extensions`, { end_on: addDays(newEnd, 10), justification: 'x' }), 409);
  });
});

test('extension refusals: not later than the parent, not the requester, not active', async () => {
  const ana = await w.as('ana');
  const end = addDays(today(), 30);
  const parent = await createActive(w, { end_on: end }, { end_on: end });

  // end_on must be later than the parent's end date
  await expectRefused(ana, parent.id, () => ana.post(`/exceptions/${parent.id}/extensions`, { end_on: end, justification: 'same day' }), 422, ['end_on']);
  await expectRefused(ana, parent.id, () => ana.post(`/exceptions/${parent.id}/extensions`, { end_on: addDays(end, -5), justification: 'earlier' }), 422, ['end_on']);
  // who: the requester only
  await expectRefused(ana, parent.id, async () => (await w.as('owner')).post(`/exceptions/${parent.id}/extensions`, { end_on: addDays(end, 10), justification: 'x' }), 403);
  await expectRefused(ana, parent.id, async () => (await w.as('eng.head')).post(`/exceptions/${parent.id}/extensions`, { end_on: addDays(end, 10), justification: 'x' }), 403);
  await expectRefused(ana, parent.id, async () => (await w.as('bob')).post(`/exceptions/${parent.id}/extensions`, { end_on: addDays(end, 10), justification: 'x' }), 404);
  // unknown field
  await expectRefused(ana, parent.id, () => ana.post(`/exceptions/${parent.id}/extensions`, { end_on: addDays(end, 10), justification: 'x', ends: 'y' }), 422, ['ends']);
  expect((await getReq(ana, parent.id)).extension_ids).toEqual([]);

  // not active: a request under review cannot be extended
  const s = await createSubmitted(w);
  await expectRefused(ana, s.id, () => ana.post(`/exceptions/${s.id}/extensions`, { end_on: addDays(today(), 200), justification: 'x' }), 409);
});
