// 2. request_changes → changes_requested → the requester edits and resubmits → the flow goes on.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import {
  expectOk, expectRefused, getReq, slotOf, decide, createSubmitted, createInPolicyReview,
  approveDepartment, approveReviewSlots, ownerApproval, events,
} from './helpers/flow.js';

const w = useWaiver();

test('the department head requests changes; ana edits and resubmits; the request becomes active', async () => {
  const ana = await w.as('ana');
  const s = await createSubmitted(w);
  const id = s.id;

  const c = expectOk(await decide(w, id, 'department', 'eng.head', {
    decision: 'request_changes', comment: 'Please narrow the scope to build-01.',
  }));
  expect(c.status).toBe('changes_requested');
  const dept = slotOf(c, 'department');
  expect(dept.status).toBe('changes_requested');
  expect(dept.by).toBe(who('eng.head'));
  expect(dept.comment).toBe('Please narrow the scope to build-01.');

  const seen = await getReq(ana, id);
  expect(seen.status).toBe('changes_requested');
  expect(seen.allowed_actions).toEqual(expect.arrayContaining(['edit', 'submit', 'withdraw']));

  // the head cannot decide again while the requester is editing
  await expectRefused(ana, id, () => decide(w, id, 'department', 'eng.head', { decision: 'approve', comment: 'ok' }), 409);

  const p = expectOk(await ana.patch(`/exceptions/${id}`, { scope: 'build-01 only; 3 people' }));
  expect(p.status).toBe('changes_requested');
  expect(p.scope).toBe('build-01 only; 3 people');
  expect(p.version).toBeGreaterThan(c.version);

  const r = expectOk(await ana.post(`/exceptions/${id}/submit`, {}));
  expect(r.status).toBe('department_review');
  const again = slotOf(r, 'department');
  expect(again.status).toBe('pending');
  expect(again.by ?? null).toBeNull();

  const pr = await approveDepartment(w, r);
  await approveReviewSlots(w, pr);
  const a = expectOk(await decide(w, id, 'owner', 'owner', ownerApproval()));
  expect(a.status).toBe('active');
  expect(a.scope).toBe('build-01 only; 3 people');

  const actions = (await events(ana, id)).map((e: any) => e.action);
  expect(actions.length).toBeGreaterThanOrEqual(7);
});

test('security compliance requests changes in policy_review; resubmit clears earlier decisions', async () => {
  const ana = await w.as('ana');
  const p = await createInPolicyReview(w);
  const id = p.id;
  expect(slotOf(p, 'department').status).toBe('approved');

  const c = expectOk(await decide(w, id, 'compliance', 'sec', { decision: 'request_changes', comment: 'Add log retention.' }));
  expect(c.status).toBe('changes_requested');
  expect(slotOf(c, 'compliance').status).toBe('changes_requested');

  const e = expectOk(await ana.patch(`/exceptions/${id}`, {
    compensating_controls: [
      { description: 'Weekly review of admin activity logs', status: 'planned' },
      { description: 'Logs retained 400 days', status: 'implemented' },
    ],
  }));
  expect(e.compensating_controls).toHaveLength(2);

  const r = expectOk(await ana.post(`/exceptions/${id}/submit`, {}));
  expect(r.status).toBe('department_review');
  for (const s of r.approvals) {
    expect(s.status, `slot ${s.slot} after resubmit`).toBe('pending');
    expect(s.by ?? null).toBeNull();
  }
  // compliance may not decide before the department slot again
  await expectRefused(ana, id, () => decide(w, id, 'compliance', 'sec', {
    decision: 'approve', comment: 'ok', implications: 'none', frameworks: [],
  }), 409);
});

test('the owner requests changes in policy_review', async () => {
  const ana = await w.as('ana');
  const p = await createInPolicyReview(w);
  const c = expectOk(await decide(w, p.id, 'owner', 'owner', { decision: 'request_changes', comment: 'Shorter, please.' }));
  expect(c.status).toBe('changes_requested');
  expect(slotOf(c, 'owner').status).toBe('changes_requested');
  expect((await getReq(ana, p.id)).allowed_actions).toContain('submit');
});
