// 7. withdraw, close, revoke, reviews, invitations and inputs.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import {
  expectOk, expectProblem, expectRefused, getReq, decide, createDraft, createSubmitted,
  createInPolicyReview, createActive,
} from './helpers/flow.js';

const w = useWaiver();

test.describe('withdraw', () => {
  test('from draft, department_review, policy_review and changes_requested', async () => {
    const ana = await w.as('ana');
    const d = await createDraft(w);
    const s = await createSubmitted(w);
    const p = await createInPolicyReview(w);
    const c0 = await createSubmitted(w);
    const c = expectOk(await decide(w, c0.id, 'department', 'eng.head', { decision: 'request_changes', comment: 'more' }));
    expect(c.status).toBe('changes_requested');
    for (const r of [d, s, p, c]) {
      const x = expectOk(await ana.post(`/exceptions/${r.id}/withdraw`, { reason: 'No longer needed.' }));
      expect(x.status).toBe('withdrawn');
      expect((await getReq(ana, r.id)).status).toBe('withdrawn');
    }
    // withdrawn is final
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/submit`, {}), 409);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { title: 'again' }), 409);
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/withdraw`, {}), 409);
  });

  test('only the requester, and only before a decision', async () => {
    const ana = await w.as('ana');
    const s = await createSubmitted(w);
    await expectRefused(ana, s.id, async () => (await w.as('owner')).post(`/exceptions/${s.id}/withdraw`, { reason: 'x' }), 403);
    await expectRefused(ana, s.id, async () => (await w.as('eng.head')).post(`/exceptions/${s.id}/withdraw`, { reason: 'x' }), 403);
    await expectRefused(ana, s.id, async () => (await w.as('bob')).post(`/exceptions/${s.id}/withdraw`, { reason: 'x' }), 404);
    const a = await createActive(w);
    await expectRefused(ana, a.id, () => ana.post(`/exceptions/${a.id}/withdraw`, { reason: 'x' }), 409);
  });
});

test.describe('close and revoke', () => {
  test('the requester closes an active request', async () => {
    const ana = await w.as('ana');
    const a = await createActive(w);
    const c = expectOk(await ana.post(`/exceptions/${a.id}/close`, { reason: 'Toolchain migrated; no longer needed.' }));
    expect(c.status).toBe('closed');
    expect(c.closed_reason).toBe('Toolchain migrated; no longer needed.');
    await expectRefused(ana, a.id, () => ana.post(`/exceptions/${a.id}/close`, { reason: 'again' }), 409);
    await expectRefused(ana, a.id, async () => (await w.as('sec')).post(`/exceptions/${a.id}/revoke`, { reason: 'x' }), 409);
  });

  test('the policy owner closes; others may not', async () => {
    const ana = await w.as('ana');
    const a = await createActive(w);
    await expectRefused(ana, a.id, async () => (await w.as('sec')).post(`/exceptions/${a.id}/close`, { reason: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('eng.head')).post(`/exceptions/${a.id}/close`, { reason: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('auditor')).post(`/exceptions/${a.id}/close`, { reason: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('bob')).post(`/exceptions/${a.id}/close`, { reason: 'x' }), 404);
    const c = expectOk(await (await w.as('owner')).post(`/exceptions/${a.id}/close`, { reason: 'Policy changed.' }));
    expect(c.status).toBe('closed');
    // close is for active requests only
    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, () => ana.post(`/exceptions/${p.id}/close`, { reason: 'x' }), 409);
  });

  test('security compliance revokes; the policy owner revokes; the requester may not', async () => {
    const ana = await w.as('ana');
    const a = await createActive(w);
    await expectRefused(ana, a.id, () => ana.post(`/exceptions/${a.id}/revoke`, { reason: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('eng.head')).post(`/exceptions/${a.id}/revoke`, { reason: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('auditor')).post(`/exceptions/${a.id}/revoke`, { reason: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('bob')).post(`/exceptions/${a.id}/revoke`, { reason: 'x' }), 404);
    const r = expectOk(await (await w.as('sec')).post(`/exceptions/${a.id}/revoke`, { reason: 'Controls not implemented.' }));
    expect(r.status).toBe('revoked');
    await expectRefused(ana, a.id, async () => (await w.as('owner')).post(`/exceptions/${a.id}/revoke`, { reason: 'again' }), 409);

    const b = await createActive(w);
    const r2 = expectOk(await (await w.as('owner')).post(`/exceptions/${b.id}/revoke`, { reason: 'Incident.' }));
    expect(r2.status).toBe('revoked');
    // revoke is for active requests only
    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, async () => (await w.as('sec')).post(`/exceptions/${p.id}/revoke`, { reason: 'x' }), 409);
  });
});

test.describe('reviews', () => {
  test('the policy owner and security compliance add review notes to an active request', async () => {
    const ana = await w.as('ana');
    const a = await createActive(w);
    const r1 = expectOk(await (await w.as('owner')).post(`/exceptions/${a.id}/reviews`, { notes: 'Controls verified in the SIEM.' }));
    expect(r1.status).toBe('active');
    expect(r1.reviews.map((x: any) => x.notes)).toContain('Controls verified in the SIEM.');
    expect(r1.reviews.find((x: any) => x.notes === 'Controls verified in the SIEM.').by).toBe(who('owner'));
    const r2 = expectOk(await (await w.as('sec')).post(`/exceptions/${a.id}/reviews`, { notes: 'Still needed; reviewed with the team.' }));
    expect(r2.reviews).toHaveLength(2);
    expect((await getReq(ana, a.id)).reviews).toHaveLength(2);

    await expectRefused(ana, a.id, () => ana.post(`/exceptions/${a.id}/reviews`, { notes: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('auditor')).post(`/exceptions/${a.id}/reviews`, { notes: 'x' }), 403);
    await expectRefused(ana, a.id, async () => (await w.as('bob')).post(`/exceptions/${a.id}/reviews`, { notes: 'x' }), 404);

    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, async () => (await w.as('owner')).post(`/exceptions/${p.id}/reviews`, { notes: 'x' }), 409);
  });
});

test.describe('invitations and inputs', () => {
  test('an invited expert can read the request and give input; an uninvited employee gets 404', async () => {
    const ana = await w.as('ana');
    const carol = await w.as('carol');
    const bob = await w.as('bob');
    const p = await createInPolicyReview(w);
    const id = p.id;

    expectProblem(await carol.get(`/exceptions/${id}`), 404);
    await expectRefused(ana, id, () => carol.post(`/exceptions/${id}/inputs`, { body: 'before invitation' }), 404);

    const inv = expectOk(await (await w.as('owner')).post(`/exceptions/${id}/invitations`, {
      email: who('carol'), note: 'Finance view on the licence cost, please.',
    }));
    expect(inv.status).toBe('policy_review');
    const entry = inv.invitations.find((i: any) => i.email === who('carol'));
    expect(entry).toBeTruthy();
    expect(entry.by).toBe(who('owner'));
    expect(entry.note).toBe('Finance view on the licence cost, please.');

    const seen = await getReq(carol, id);
    expect(seen.ref).toBe(p.ref);
    expect(seen.allowed_actions).toContain('comment');
    const i = expectOk(await carol.post(`/exceptions/${id}/inputs`, { body: 'Cost is covered by the build budget.' }));
    expect(i.status).toBe('policy_review');
    const mine = i.inputs.find((x: any) => x.body === 'Cost is covered by the build budget.');
    expect(mine).toBeTruthy();
    expect(mine.by).toBe(who('carol'));
    // the invitee does not get to decide anything
    await expectRefused(ana, id, () => carol.post(`/exceptions/${id}/approvals/owner`, { decision: 'reject', comment: 'x' }), 403);

    // bob was not invited
    expectProblem(await bob.get(`/exceptions/${id}`), 404);
    await expectRefused(ana, id, () => bob.post(`/exceptions/${id}/inputs`, { body: 'sneaky' }), 404);

    // the requester and security compliance may comment too
    expectOk(await ana.post(`/exceptions/${id}/inputs`, { body: 'Happy to answer questions.' }));
    const s = expectOk(await (await w.as('sec')).post(`/exceptions/${id}/invitations`, { email: who('bob'), note: 'Build expert.' }));
    expect(s.invitations.map((x: any) => x.email)).toEqual(expect.arrayContaining([who('carol'), who('bob')]));
    expect((await getReq(bob, id)).id).toBe(id);
  });

  test('invitation refusals', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w);
    // only the policy owner and security compliance invite
    await expectRefused(ana, p.id, () => ana.post(`/exceptions/${p.id}/invitations`, { email: who('carol'), note: 'x' }), 403);
    await expectRefused(ana, p.id, async () => (await w.as('eng.head')).post(`/exceptions/${p.id}/invitations`, { email: who('carol'), note: 'x' }), 403);
    // the invitee must be an existing user
    await expectRefused(ana, p.id, async () => (await w.as('owner')).post(`/exceptions/${p.id}/invitations`, { email: 'nobody@example.com', note: 'x' }), 422, ['email']);
    // not on a draft, nor on an active request
    const d = await createDraft(w);
    await expectRefused(ana, d.id, async () => (await w.as('owner')).post(`/exceptions/${d.id}/invitations`, { email: who('carol'), note: 'x' }), 409);
    const a = await createActive(w);
    await expectRefused(ana, a.id, async () => (await w.as('owner')).post(`/exceptions/${a.id}/invitations`, { email: who('carol'), note: 'x' }), 409);
  });

  test('the auditor reads but may not comment', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w);
    const auditor = await w.as('auditor');
    expect((await getReq(auditor, p.id)).id).toBe(p.id);
    await expectRefused(ana, p.id, () => auditor.post(`/exceptions/${p.id}/inputs`, { body: 'x' }), 403);
  });

  test('an empty input is refused with 422', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, () => ana.post(`/exceptions/${p.id}/inputs`, {}), 422, ['body']);
  });
});
