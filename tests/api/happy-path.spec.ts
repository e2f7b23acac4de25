// 1. The whole flow, each step by the role that owns it: draft → department_review →
// policy_review → active, with the state checked after every step.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import {
  REF_RE, addDays, today, requestBody, ownerApproval, expectOk, expectProblem, expectRefused,
  getReq, slotOf, decide, events, createActive, snapshot,
} from './helpers/flow.js';

const w = useWaiver();

test('RED request: draft → submit → department → compliance, legal, data owner → owner → active', async () => {
  const ana = await w.as('ana');
  const start = today();
  const requestedEnd = addDays(start, 80);
  let id: number | string = 0;
  let ref = '';

  await test.step('ana creates a draft (201)', async () => {
    const r = await ana.post('/exceptions', requestBody({ data_classification: 'RED', end_on: requestedEnd }));
    const d = expectOk(r, 201);
    id = d.id;
    ref = d.ref;
    expect(d.ref).toMatch(REF_RE);
    expect(d.status).toBe('draft');
    expect(d.requester).toBe(who('ana'));
    expect(d.department).toBe('Engineering');
    expect(d.policy_id).toBe('access-control');
    expect(d.type).toBe('access');
    expect(d.data_classification).toBe('RED');
    expect(d.likelihood).toBe(2);
    expect(d.impact).toBe(3);
    expect(d.start_on).toBe(start);
    expect(d.end_on).toBe(requestedEnd);
    expect(d.links).toEqual(['https://wiki.example.com/build/agents']);
    expect(d.compensating_controls).toHaveLength(1);
    expect(d.compensating_controls[0].description).toBe('Weekly review of admin activity logs');
    expect(d.compensating_controls[0].status).toBe('planned');
    expect(d.parent_id ?? null).toBeNull();
    expect(d.extension_ids).toEqual([]);
    expect(d.risk_level ?? null).toBeNull();
    expect(d.decision_end_on ?? null).toBeNull();
    expect(typeof d.version).toBe('number');
    expect(typeof d.created_at).toBe('string');
    expect(typeof d.updated_at).toBe('string');
    expect(d.allowed_actions).toEqual(expect.arrayContaining(['edit', 'submit', 'withdraw']));
    expect(r.headers['etag']).toBe(`"${d.version}"`);
  });

  await test.step('the draft can be read by id and by reference', async () => {
    const byId = await getReq(ana, id);
    const byRef = await getReq(ana, ref);
    expect(byRef.id).toBe(byId.id);
    expect(byRef.ref).toBe(ref);
  });

  await test.step('ana edits the draft (PATCH merges)', async () => {
    const before = await getReq(ana, id);
    const p = expectOk(await ana.patch(`/exceptions/${id}`, { title: 'Local admin on build agents (RED data)', alternative: null }));
    expect(p.title).toBe('Local admin on build agents (RED data)');
    expect([null, '']).toContain(p.alternative ?? null); // cleared (the server shows empty text as "")
    expect(p.requirement).toBe(before.requirement); // untouched fields stay
    expect(p.version).toBeGreaterThan(before.version);
    expect(p.status).toBe('draft');
    const again = await getReq(ana, id);
    expect(again.title).toBe('Local admin on build agents (RED data)');
  });

  await test.step('ana submits → department_review with the approvals section computed', async () => {
    const s = expectOk(await ana.post(`/exceptions/${id}/submit`, {}));
    expect(s.status).toBe('department_review');
    const slots = s.approvals.map((a: any) => a.slot);
    expect(slots).toEqual(expect.arrayContaining(['department', 'compliance', 'legal', 'data_owner', 'owner']));
    expect(slots).toHaveLength(5);
    const dept = slotOf(s, 'department');
    expect(dept.stage).toBe('department_review');
    expect(dept.eligible).toEqual([who('eng.head')]);
    const comp = slotOf(s, 'compliance');
    expect(comp.stage).toBe('policy_review');
    expect([...comp.eligible].sort()).toEqual([who('sec'), who('sec2')].sort());
    expect(slotOf(s, 'legal').eligible).toEqual([who('legal')]);
    expect(slotOf(s, 'data_owner').eligible).toEqual([who('dpo')]);
    const owner = slotOf(s, 'owner');
    expect(owner.stage).toBe('policy_review');
    expect(owner.eligible).toEqual([who('owner')]);
    for (const a of s.approvals) {
      expect(a.status).toBe('pending');
      expect(a.required).toBe(true);
      expect(a.by ?? null).toBeNull();
      expect(a.eligible).not.toContain(who('ana'));
    }
    expect(s.allowed_actions).not.toContain('submit');
    expect(s.allowed_actions).not.toContain('edit');
  });

  await test.step('the department head sees decide:department and approves → policy_review', async () => {
    const head = await w.as('eng.head');
    const seen = await getReq(head, id);
    expect(seen.allowed_actions).toContain('decide:department');
    const r = expectOk(await decide(w, id, 'department', 'eng.head', { decision: 'approve', comment: 'Needed for the release.' }));
    expect(r.status).toBe('policy_review');
    const dept = slotOf(r, 'department');
    expect(dept.status).toBe('approved');
    expect(dept.by).toBe(who('eng.head'));
    expect(typeof dept.at).toBe('string');
    expect(dept.comment).toBe('Needed for the release.');
  });

  await test.step('security compliance records its assessment', async () => {
    const sec = await w.as('sec');
    expect((await getReq(sec, id)).allowed_actions).toContain('decide:compliance');
    const r = expectOk(await decide(w, id, 'compliance', 'sec', {
      decision: 'approve', comment: 'In scope of SOC 2 and ISO 27001.', implications: 'current', frameworks: ['SOC 2', 'ISO 27001'],
    }));
    expect(r.status).toBe('policy_review');
    expect(slotOf(r, 'compliance').status).toBe('approved');
    expect(slotOf(r, 'compliance').by).toBe(who('sec'));
    expect(r.compliance.implications).toBe('current');
    expect(r.compliance.frameworks).toEqual(['SOC 2', 'ISO 27001']);
  });

  await test.step('the owner may not approve while legal and data_owner are pending (409)', async () => {
    await expectRefused(ana, id, () => decide(w, id, 'owner', 'owner', ownerApproval({ risk_level: 'low' })), 409);
  });

  await test.step('legal and the data owner approve their slots', async () => {
    const l = expectOk(await decide(w, id, 'legal', 'legal', { decision: 'approve', comment: 'No legal objection.' }));
    expect(slotOf(l, 'legal').status).toBe('approved');
    expect(slotOf(l, 'legal').by).toBe(who('legal'));
    const d = expectOk(await decide(w, id, 'data_owner', 'dpo', { decision: 'approve', comment: 'Data owner agrees.' }));
    expect(slotOf(d, 'data_owner').by).toBe(who('dpo'));
    expect(d.status).toBe('policy_review');
  });

  const decidedEnd = addDays(start, 75);
  const controls = [
    { description: 'Admin sessions recorded and reviewed weekly', owner: who('eng.head'), status: 'implemented' },
    { description: 'Agents isolated in their own VLAN', status: 'planned', evidence_url: 'https://wiki.example.com/net/vlan' },
  ];

  await test.step('the owner approves with risk, controls, action plan and end date → active', async () => {
    const owner = await w.as('owner');
    expect((await getReq(owner, id)).allowed_actions).toContain('decide:owner');
    const r = expectOk(await decide(w, id, 'owner', 'owner', {
      decision: 'approve', comment: 'Granted with the controls listed.', risk_level: 'high',
      compensating_controls: controls, action_plan: 'Move the agents to JIT elevation by Q3.', end_on: decidedEnd,
    }));
    expect(r.status).toBe('active');
    expect(r.risk_level).toBe('high');
    expect(r.decision_end_on).toBe(decidedEnd);
    expect(r.action_plan).toBe('Move the agents to JIT elevation by Q3.');
    expect(r.compensating_controls.map((c: any) => c.description)).toEqual(controls.map((c) => c.description));
    expect(slotOf(r, 'owner').status).toBe('approved');
    expect(slotOf(r, 'owner').by).toBe(who('owner'));
    for (const a of r.approvals) expect(a.status).toBe('approved');
    expect(typeof r.decided_at).toBe('string');
    const again = await getReq(ana, id);
    expect(again.status).toBe('active');
    expect(again.version).toBe(r.version);
  });

  await test.step('it is in the register for sec@ and auditor@, invisible to bob@', async () => {
    for (const u of ['sec', 'auditor'] as const) {
      const api = await w.as(u);
      const all = expectOk(await api.get('/exceptions'));
      expect(all.items.map((i: any) => i.ref)).toContain(ref);
      const act = expectOk(await api.get('/exceptions?status=active'));
      expect(act.items.map((i: any) => i.ref)).toContain(ref);
      for (const i of act.items) expect(i.status).toBe('active');
      expect((await getReq(api, id)).status).toBe('active');
    }
    const bob = await w.as('bob');
    const list = expectOk(await bob.get('/exceptions'));
    expect(list.items.map((i: any) => i.ref)).not.toContain(ref);
    expectProblem(await bob.get(`/exceptions/${id}`), 404);
    expectProblem(await bob.get(`/exceptions/${ref}`), 404);
    expectProblem(await bob.get(`/exceptions/${id}/events`), 404);
  });

  await test.step('events are listed oldest first; the decide event holds the approved snapshot', async () => {
    const auditor = await w.as('auditor');
    const items = await events(auditor, id);
    expect(items.length).toBeGreaterThanOrEqual(8); // create, edit, submit, 4 decisions, owner decision
    for (let i = 1; i < items.length; i++) {
      expect(items[i].at >= items[i - 1].at, 'events oldest first (at)').toBe(true);
      if (typeof items[i].id === 'number') expect(items[i].id).toBeGreaterThan(items[i - 1].id);
    }
    for (const e of items) {
      expect(typeof e.hash).toBe('string');
      expect(e.hash.length).toBeGreaterThan(0);
      expect('prev_hash' in e).toBe(true);
      expect(typeof e.action).toBe('string');
      expect(typeof e.actor === 'string' || e.actor === null).toBe(true);
    }
    expect(items[0].actor).toBe(who('ana'));
    const decisions = items.filter((e: any) => e.action === 'decide');
    expect(decisions.length, `decide events in ${JSON.stringify(items.map((e: any) => e.action))}`).toBeGreaterThanOrEqual(1);
    const final = decisions.find((e: any) => e.after && e.after.status === 'active');
    expect(final, 'a decide event whose after is the active request').toBeTruthy();
    expect(final.actor).toBe(who('owner'));
    expect(final.after.risk_level).toBe('high');
    expect(final.after.decision_end_on).toBe(decidedEnd);
    expect(final.after.action_plan).toBe('Move the agents to JIT elevation by Q3.');
    expect(final.after.compensating_controls.map((c: any) => c.description)).toEqual(controls.map((c) => c.description));
    expect(final.after.ref).toBe(ref);
    // the requester can read the same events
    expect((await events(ana, id)).length).toBe(items.length);
  });

  await test.step('GET /audit/verify: ok for auditor, admin and security compliance; 403 for ana', async () => {
    for (const u of ['auditor', 'admin', 'sec'] as const) {
      const v = expectOk(await (await w.as(u)).get('/audit/verify'));
      expect(v.ok).toBe(true);
      expect(v.events).toBeGreaterThanOrEqual(8);
      expect(typeof v.head).toBe('string');
    }
    expectProblem(await ana.get('/audit/verify'), 403);
    expectProblem(await (await w.as('bob')).get('/audit/verify'), 403);
  });

  await test.step('`waiver audit verify` exits 0', async () => {
    const r = await w.auditVerify();
    expect(r.code, r.stderr).toBe(0);
  });
});

test('device request: 365-day maximum, three slots, department head first', async () => {
  const start = today();
  const a = await createActive(
    w,
    { type: 'device', data_classification: 'GREEN', end_on: addDays(start, 300) },
    { end_on: addDays(start, 300), risk_level: 'low' },
  );
  expect(a.max_days).toBe(365);
  expect(a.approvals.map((s: any) => s.slot).sort()).toEqual(['compliance', 'department', 'owner']);
  expect(slotOf(a, 'department').by).toBe(who('eng.head'));
  expect(a.decision_end_on).toBe(addDays(start, 300));
  expect(a.risk_level).toBe('low');
});

test('technology request: the policy maintainers give the first approval', async () => {
  const ana = await w.as('ana');
  const d = expectOk(await ana.post('/exceptions', requestBody({ type: 'technology' })), 201);
  const s = expectOk(await ana.post(`/exceptions/${d.id}/submit`, {}));
  expect(slotOf(s, 'department').eligible).toEqual([who('maint')]);
  // the department head is not eligible for it now
  await expectRefused(ana, d.id, () => decide(w, d.id, 'department', 'eng.head', { decision: 'approve', comment: 'x' }), 403);
  const before = await snapshot(ana, d.id);
  const p = expectOk(await decide(w, d.id, 'department', 'maint', { decision: 'approve', comment: 'Maintainers agree.' }));
  expect(p.status).toBe('policy_review');
  expect(p.version).toBeGreaterThan(before.version);
  expect(slotOf(p, 'department').by).toBe(who('maint'));
});

test('a requester who heads the department: the department slot goes to the maintainers', async () => {
  const head = await w.as('eng.head');
  const d = expectOk(await head.post('/exceptions', requestBody()), 201);
  expect(d.requester).toBe(who('eng.head'));
  const s = expectOk(await head.post(`/exceptions/${d.id}/submit`, {}));
  expect(slotOf(s, 'department').eligible).toEqual([who('maint')]);
  await expectRefused(head, d.id, () => head.post(`/exceptions/${d.id}/approvals/department`, { decision: 'approve', comment: 'mine' }), 403);
});
