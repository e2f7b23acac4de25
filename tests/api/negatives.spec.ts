// 8. Refusals: authentication, roles, states, validation, If-Match, body limits. Each one must be
// problem+json with the right status, never a 5xx, and must change nothing (version, status,
// updated_at and the event count are compared before and after).
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import {
  addDays, today, requestBody, ownerApproval, COMPLIANCE_APPROVAL, expectOk, expectProblem, expectRefused,
  getReq, slotOf, decide, createDraft, createSubmitted, createInPolicyReview, createActive, snapshot,
  expectUnchanged, approveReviewSlots,
} from './helpers/flow.js';

const w = useWaiver();

test.describe('authentication', () => {
  test('no token → 401 problem+json', async () => {
    const anon = await w.anonymous();
    const d = await createDraft(w);
    expectProblem(await anon.get('/exceptions'), 401);
    expectProblem(await anon.get(`/exceptions/${d.id}`), 401);
    expectProblem(await anon.get('/me'), 401);
    expectProblem(await anon.get('/audit/verify'), 401);
    const before = await snapshot(await w.as('ana'), d.id);
    expectProblem(await anon.post('/exceptions', requestBody()), 401);
    expectProblem(await anon.patch(`/exceptions/${d.id}`, { title: 'anon' }), 401);
    expectProblem(await anon.post(`/exceptions/${d.id}/submit`, {}), 401);
    await expectUnchanged(await w.as('ana'), before);
  });

  test('unknown token → 401 problem+json', async () => {
    const bad = await w.withToken('not-a-real-token-0123456789');
    const d = await createDraft(w);
    const ana = await w.as('ana');
    const before = await snapshot(ana, d.id);
    expectProblem(await bad.get('/exceptions'), 401);
    expectProblem(await bad.get('/me'), 401);
    expectProblem(await bad.get(`/exceptions/${d.id}`), 401);
    expectProblem(await bad.patch(`/exceptions/${d.id}`, { title: 'bad' }), 401);
    await expectUnchanged(ana, before);
    // a token of another user with a character changed is unknown as well
    const t = w.tokens.get('ana')!;
    const mangled = await w.withToken(t.slice(0, -1) + (t.endsWith('a') ? 'b' : 'a'));
    expectProblem(await mangled.get('/me'), 401);
  });

  test('no request is created without authentication', async () => {
    const sec = await w.as('sec');
    const count = expectOk(await sec.get('/exceptions?limit=200')).items.length;
    expectProblem(await (await w.anonymous()).post('/exceptions', requestBody()), 401);
    expect(expectOk(await sec.get('/exceptions?limit=200')).items.length).toBe(count);
  });
});

test.describe('visibility', () => {
  test('unknown ids and references → 404', async () => {
    const ana = await w.as('ana');
    expectProblem(await ana.get('/exceptions/987654'), 404);
    expectProblem(await ana.get('/exceptions/EXC-1999-9999'), 404);
    expectProblem(await ana.post('/exceptions/987654/submit', {}), 404);
    expectProblem(await ana.patch('/exceptions/987654', { title: 'x' }), 404);
  });

  test('another employee may neither see nor act on the request (404)', async () => {
    const ana = await w.as('ana');
    const bob = await w.as('bob');
    const d = await createDraft(w);
    expectProblem(await bob.get(`/exceptions/${d.id}`), 404);
    await expectRefused(ana, d.id, () => bob.patch(`/exceptions/${d.id}`, { title: 'bob was here' }), 404);
    await expectRefused(ana, d.id, () => bob.post(`/exceptions/${d.id}/submit`, {}), 404);
    await expectRefused(ana, d.id, () => bob.post(`/exceptions/${d.id}/withdraw`, {}), 404);
    const s = await createSubmitted(w);
    await expectRefused(ana, s.id, () => bob.post(`/exceptions/${s.id}/approvals/department`, { decision: 'approve', comment: 'x' }), 404);
    // his own list does not show it
    expect(expectOk(await bob.get('/exceptions')).items.map((i: any) => i.id)).not.toContain(s.id);
    expect(expectOk(await bob.get(`/exceptions?q=${encodeURIComponent(s.ref)}`)).items).toHaveLength(0);
  });

  test('the body is checked before visibility (api.md order: 401 → 400/413 → 404): nothing leaks either way', async () => {
    const ana = await w.as('ana');
    const bob = await w.as('bob');
    const s = await createSubmitted(w);
    // a malformed, non-object or oversized body is refused as such, for a visible request or not
    await expectRefused(ana, s.id, () => bob.post(`/exceptions/${s.id}/approvals/department`, '{"decision":'), 400);
    await expectRefused(ana, s.id, () => bob.post(`/exceptions/${s.id}/withdraw`, '[]'), 400);
    await expectRefused(ana, s.id, () => bob.patch(`/exceptions/${s.id}`, '{"title":'), 400);
    await expectRefused(ana, s.id, () => bob.patch(`/exceptions/${s.id}`, { description: 'z'.repeat(1024 * 1024 + 1024) }), 413);
    expectProblem(await bob.post('/exceptions/987654/submit', 'not json'), 400);
    // fields with wrong names are refused with 422 before the request is looked up
    await expectRefused(ana, s.id, () => bob.patch(`/exceptions/${s.id}`, { titel: 'x' }), 422, ['titel']);
    expectProblem(await bob.patch('/exceptions/987654', { titel: 'x' }), 422, ['titel']);
    // a well-formed body from someone who cannot see the request: 404, as for an unknown one
    await expectRefused(ana, s.id, () => bob.patch(`/exceptions/${s.id}`, { title: 'x' }), 404);
    expectProblem(await bob.patch('/exceptions/987654', { title: 'x' }), 404);
  });

  test('the department head sees the department\'s requests; may not edit them (403)', async () => {
    const ana = await w.as('ana');
    const head = await w.as('eng.head');
    const d = await createDraft(w);
    expect((await getReq(head, d.id)).id).toBe(d.id);
    await expectRefused(ana, d.id, () => head.patch(`/exceptions/${d.id}`, { title: 'head edit' }), 403);
    await expectRefused(ana, d.id, () => head.post(`/exceptions/${d.id}/submit`, {}), 403);
  });
});

test.describe('wrong person (403)', () => {
  test('ana may not approve her own request; maint@ may not decide the compliance slot', async () => {
    const ana = await w.as('ana');
    const s = await createSubmitted(w);
    await expectRefused(ana, s.id, () => ana.post(`/exceptions/${s.id}/approvals/department`, { decision: 'approve', comment: 'self' }), 403);
    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, () => ana.post(`/exceptions/${p.id}/approvals/compliance`, COMPLIANCE_APPROVAL), 403);
    await expectRefused(ana, p.id, () => ana.post(`/exceptions/${p.id}/approvals/owner`, ownerApproval()), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'compliance', 'maint', COMPLIANCE_APPROVAL), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'compliance', 'eng.head', COMPLIANCE_APPROVAL), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'owner', 'sec', ownerApproval()), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'owner', 'maint', ownerApproval()), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'compliance', 'auditor', COMPLIANCE_APPROVAL), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'compliance', 'admin', COMPLIANCE_APPROVAL), 403);
  });

  test('matrix slots: only their role or user fills them', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w, { data_classification: 'RED' });
    await expectRefused(ana, p.id, () => decide(w, p.id, 'legal', 'dpo', { decision: 'approve', comment: 'x' }), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'data_owner', 'legal', { decision: 'approve', comment: 'x' }), 403);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'data_owner', 'owner', { decision: 'approve', comment: 'x' }), 403);
  });

  test('one person fills at most one slot of a request (403)', async () => {
    const ana = await w.as('ana');
    // crypto-standard adds a `security` slot by role security_compliance: sec@ and sec2@ are
    // eligible for both compliance and security
    const s = await createSubmitted(w, { policy_id: 'crypto-standard', data_classification: 'ORANGE' });
    expect([...slotOf(s, 'security').eligible].sort()).toEqual([who('sec'), who('sec2')].sort());
    expect([...slotOf(s, 'compliance').eligible].sort()).toEqual([who('sec'), who('sec2')].sort());
    const p = expectOk(await decide(w, s.id, 'department', 'eng.head', { decision: 'approve', comment: 'ok' }));
    expect(p.status).toBe('policy_review');
    expectOk(await decide(w, s.id, 'compliance', 'sec', COMPLIANCE_APPROVAL));
    await expectRefused(ana, s.id, () => decide(w, s.id, 'security', 'sec', { decision: 'approve', comment: 'me again' }), 403);
    // the slot is still open for the other person
    const ok = expectOk(await decide(w, s.id, 'security', 'sec2', { decision: 'approve', comment: 'ok' }));
    expect(slotOf(ok, 'security').by).toBe(who('sec2'));
    const a = expectOk(await decide(w, s.id, 'owner', 'owner', ownerApproval()));
    expect(a.status).toBe('active');
  });
});

test.describe('wrong moment (409)', () => {
  test('slots outside their stage', async () => {
    const ana = await w.as('ana');
    const s = await createSubmitted(w);
    await expectRefused(ana, s.id, () => decide(w, s.id, 'owner', 'owner', ownerApproval()), 409);
    await expectRefused(ana, s.id, () => decide(w, s.id, 'owner', 'owner', { decision: 'reject', comment: 'early' }), 409);
    await expectRefused(ana, s.id, () => decide(w, s.id, 'compliance', 'sec', COMPLIANCE_APPROVAL), 409);
    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'department', 'eng.head', { decision: 'approve', comment: 'twice' }), 409);
    // a draft has no approval slots yet (they are computed on submit): the project's OpenAPI
    // document answers "a slot the request does not have" with 404
    const d = await createDraft(w);
    await expectRefused(ana, d.id, () => decide(w, d.id, 'department', 'eng.head', { decision: 'approve', comment: 'draft' }), 404);
    await expectRefused(ana, s.id, () => decide(w, s.id, 'no_such_slot', 'eng.head', { decision: 'approve', comment: 'x' }), 404);
  });

  test('the owner may not approve before compliance is done (409)', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w);
    await expectRefused(ana, p.id, () => decide(w, p.id, 'owner', 'owner', ownerApproval()), 409);
    // but may reject at any point of policy_review
    const r = expectOk(await decide(w, p.id, 'owner', 'owner', { decision: 'reject', comment: 'No.' }));
    expect(r.status).toBe('denied');
  });

  test('submit, edit and re-decide at the wrong moment', async () => {
    const ana = await w.as('ana');
    const a = await createActive(w);
    await expectRefused(ana, a.id, () => ana.post(`/exceptions/${a.id}/submit`, {}), 409);
    await expectRefused(ana, a.id, () => ana.patch(`/exceptions/${a.id}`, { title: 'after the fact' }), 409);
    await expectRefused(ana, a.id, () => decide(w, a.id, 'owner', 'owner', ownerApproval()), 409);
    const s = await createSubmitted(w);
    await expectRefused(ana, s.id, () => ana.post(`/exceptions/${s.id}/submit`, {}), 409);
    await expectRefused(ana, s.id, () => ana.patch(`/exceptions/${s.id}`, { title: 'under review' }), 409);
  });
});

test.describe('owner and compliance decisions: validation (422)', () => {
  test('owner approve: controls, end date, risk level, action plan', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w);
    await approveReviewSlots(w, p);
    const id = p.id;
    const without = (k: string) => {
      const b = ownerApproval();
      delete b[k];
      return b;
    };
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', without('compensating_controls')), 422, ['compensating_controls']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ compensating_controls: [] })), 422, ['compensating_controls']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ end_on: addDays(today(), 91) })), 422, ['end_on']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ end_on: addDays(today(), -1) })), 422, ['end_on']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', without('end_on')), 422, ['end_on']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', without('risk_level')), 422, ['risk_level']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ risk_level: 'extreme' })), 422, ['risk_level']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ risk_level: 'high' })), 422, ['action_plan']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ risk_level: 'critical' })), 422, ['action_plan']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ decision: 'maybe' })), 422, ['decision']);
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ colour: 'red' })), 422, ['colour']);
    // the exact maximum is fine
    const a = expectOk(await decide(w, id, 'owner', 'owner', ownerApproval({ end_on: addDays(today(), 90), risk_level: 'critical', action_plan: 'Fix by Q4.' })));
    expect(a.status).toBe('active');
    expect(a.decision_end_on).toBe(addDays(today(), 90));
  });

  test('compliance approve needs implications, and frameworks unless none', async () => {
    const ana = await w.as('ana');
    const p = await createInPolicyReview(w);
    const id = p.id;
    await expectRefused(ana, id, () => decide(w, id, 'compliance', 'sec', { decision: 'approve', comment: 'x' }), 422, ['implications']);
    await expectRefused(ana, id, () => decide(w, id, 'compliance', 'sec', { decision: 'approve', comment: 'x', implications: 'maybe', frameworks: [] }), 422, ['implications']);
    await expectRefused(ana, id, () => decide(w, id, 'compliance', 'sec', { decision: 'approve', comment: 'x', implications: 'planned' }), 422, ['frameworks']);
    const r = expectOk(await decide(w, id, 'compliance', 'sec', { decision: 'approve', comment: 'none', implications: 'none' }));
    expect(r.compliance.implications).toBe('none');
  });
});

test.describe('request validation (422)', () => {
  test('a draft needs title and policy_id; a known policy', async () => {
    const ana = await w.as('ana');
    const minimal = expectOk(await ana.post('/exceptions', { title: 'Just a title', policy_id: 'access-control' }), 201);
    expect(minimal.status).toBe('draft');
    expectProblem(await ana.post('/exceptions', {}), 422, ['title', 'policy_id']);
    expectProblem(await ana.post('/exceptions', { title: 'x', policy_id: 'no-such-policy' }), 422, ['policy_id']);
  });

  test('field values are checked when present', async () => {
    const ana = await w.as('ana');
    const sec = await w.as('sec');
    const count = expectOk(await sec.get('/exceptions?limit=200')).items.length;
    expectProblem(await ana.post('/exceptions', requestBody({ likelihood: 7 })), 422, ['likelihood']);
    expectProblem(await ana.post('/exceptions', requestBody({ impact: 0 })), 422, ['impact']);
    expectProblem(await ana.post('/exceptions', requestBody({ type: 'laptop' })), 422, ['type']);
    expectProblem(await ana.post('/exceptions', requestBody({ data_classification: 'PURPLE' })), 422, ['data_classification']);
    expectProblem(await ana.post('/exceptions', requestBody({ end_on: '2026-13-45' })), 422, ['end_on']);
    expectProblem(await ana.post('/exceptions', requestBody({ links: ['ftp://example.com/x'] })), 422, ['links']);
    expectProblem(await ana.post('/exceptions', requestBody({ compensating_controls: [{ description: 'x', status: 'done' }] })), 422, ['compensating_controls']);
    expectProblem(await ana.post('/exceptions', requestBody({ title: 'x'.repeat(201) })), 422, ['title']);
    expectProblem(await ana.post('/exceptions', requestBody({ description: 'y'.repeat(20_001) })), 422, ['description']);
    expect(expectOk(await sec.get('/exceptions?limit=200')).items.length).toBe(count);
  });

  test('unknown and read-only fields are refused naming them', async () => {
    const ana = await w.as('ana');
    expectProblem(await ana.post('/exceptions', { ...requestBody(), titel: 'typo' }), 422, ['titel']);
    const d = await createDraft(w);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { titel: 'typo' }), 422, ['titel']);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { status: 'active' }), 422, ['status']);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { requester: who('bob') }), 422, ['requester']);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { risk_level: 'low' }), 422, ['risk_level']);
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/withdraw`, { reason: 'x', force: true }), 422, ['force']);
  });

  test('submit with missing fields → 422 listing each; stays a draft', async () => {
    const ana = await w.as('ana');
    const d = expectOk(await ana.post('/exceptions', { title: 'Only a title', policy_id: 'access-control' }), 201);
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/submit`, {}), 422, [
      'requirement', 'type', 'data_classification', 'description', 'justification', 'resources', 'scope',
      'likelihood', 'impact', 'start_on', 'end_on', 'compensating_controls',
    ]);
    expect((await getReq(ana, d.id)).status).toBe('draft');
  });

  test('submit beyond the matrix maximum → 422 end_on', async () => {
    const ana = await w.as('ana');
    const d = await createDraft(w, { end_on: addDays(today(), 91) });
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/submit`, {}), 422, ['end_on']);
    // a device request may run 365 days
    const dev = await createDraft(w, { type: 'device', end_on: addDays(today(), 365) });
    expect(expectOk(await ana.post(`/exceptions/${dev.id}/submit`, {})).status).toBe('department_review');
    const dev2 = await createDraft(w, { type: 'device', end_on: addDays(today(), 366) });
    await expectRefused(ana, dev2.id, () => ana.post(`/exceptions/${dev2.id}/submit`, {}), 422, ['end_on']);
  });

  test('submit when nobody but the requester could fill a slot → 422 naming it', async () => {
    // maint@ is the only maintainer of access-control; technology requests go to the maintainers
    const maint = await w.as('maint');
    const d = await createDraft(w, { type: 'technology' }, 'maint');
    await expectRefused(maint, d.id, () => maint.post(`/exceptions/${d.id}/submit`, {}), 422, ['approvals.department']);
    // the owner of the policy requesting an exception to it: nobody left for the owner slot
    const owner = await w.as('owner');
    const o = await createDraft(w, {}, 'owner');
    await expectRefused(owner, o.id, () => owner.post(`/exceptions/${o.id}/submit`, {}), 422, ['approvals.owner']);
  });
});

test.describe('If-Match and ETag', () => {
  test('ETag is "<version>"; a stale If-Match → 412, the current one passes', async () => {
    const ana = await w.as('ana');
    const d = await createDraft(w);
    const g1 = await ana.get(`/exceptions/${d.id}`);
    expect(g1.headers['etag']).toBe(`"${g1.body.version}"`);
    const stale = g1.headers['etag'];
    const p = await ana.patch(`/exceptions/${d.id}`, { scope: 'one host' }, { 'If-Match': stale });
    expectOk(p);
    expect(p.headers['etag']).toBe(`"${p.body.version}"`);
    expect(p.body.version).toBeGreaterThan(g1.body.version);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { scope: 'two hosts' }, { 'If-Match': stale }), 412);
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/submit`, {}, { 'If-Match': stale }), 412);
    expect((await getReq(ana, d.id)).scope).toBe('one host');
    // 412 comes before 403: the head's stale write is a 412
    await expectRefused(ana, d.id, async () => (await w.as('eng.head')).patch(`/exceptions/${d.id}`, { scope: 'x' }, { 'If-Match': stale }), 412);
    const cur = (await ana.get(`/exceptions/${d.id}`)).headers['etag'];
    const s = expectOk(await ana.post(`/exceptions/${d.id}/submit`, {}, { 'If-Match': cur }));
    expect(s.status).toBe('department_review');
  });

  test('a stale If-Match on a decision → 412', async () => {
    const ana = await w.as('ana');
    const s = await createSubmitted(w);
    const head = await w.as('eng.head');
    const g = await head.get(`/exceptions/${s.id}`);
    const current = g.headers['etag'];
    expect(current).toBe(`"${g.body.version}"`);
    const stale = `"${g.body.version - 1}"`; // the draft's version before submit
    await expectRefused(ana, s.id, () => head.post(`/exceptions/${s.id}/approvals/department`, { decision: 'approve', comment: 'x' }, { 'If-Match': stale }), 412);
    const ok = expectOk(await head.post(`/exceptions/${s.id}/approvals/department`, { decision: 'approve', comment: 'x' }, { 'If-Match': current }));
    expect(ok.status).toBe('policy_review');
  });
});

test.describe('bodies', () => {
  test('malformed JSON → 400', async () => {
    const ana = await w.as('ana');
    expectProblem(await ana.post('/exceptions', '{"title": "x", "policy_id": '), 400);
    expectProblem(await ana.post('/exceptions', 'not json at all'), 400);
    const d = await createDraft(w);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, '{"title": "broken"'), 400);
    await expectRefused(ana, d.id, () => ana.post(`/exceptions/${d.id}/submit`, '{'), 400);
  });

  test('a JSON value that is not an object → 400; nesting deeper than 32 → 400', async () => {
    const ana = await w.as('ana');
    expectProblem(await ana.post('/exceptions', '[]'), 400);
    expectProblem(await ana.post('/exceptions', '"a string"'), 400);
    const d = await createDraft(w);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, '[{"title":"x"}]'), 400);
    const deep = '{"title":' + '['.repeat(40) + ']'.repeat(40) + ',"policy_id":"access-control"}';
    expectProblem(await ana.post('/exceptions', deep), 400);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, '{"links":' + '['.repeat(40) + ']'.repeat(40) + '}'), 400);
  });

  test('a body over 1 MiB → 413', async () => {
    const ana = await w.as('ana');
    const sec = await w.as('sec');
    const count = expectOk(await sec.get('/exceptions?limit=200')).items.length;
    const big = 'z'.repeat(1024 * 1024 + 1024);
    expectProblem(await ana.post('/exceptions', requestBody({ description: big })), 413);
    expect(expectOk(await sec.get('/exceptions?limit=200')).items.length).toBe(count);
    const d = await createDraft(w);
    await expectRefused(ana, d.id, () => ana.patch(`/exceptions/${d.id}`, { description: big }), 413);
    // the server still answers afterwards
    expect(expectOk(await ana.get('/me')).email).toBe(who('ana'));
  });

  test('none of the refusals above took the server down', async () => {
    expect(w.alive()).toBe(true);
    expectOk(await (await w.anonymous()).get('/health'));
  });
});
