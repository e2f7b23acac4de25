// Races on one server (issue 8): many clients, 24 to 32 HTTP calls sent at once, after the same
// slot, decision or version of one request. After every race:
// - one winner per thing raced for (one 200 per slot, per executive, per version); every other
//   answer is the problem+json the rules give it: 409 for the right person too late, 412 for a
//   stale If-Match, 403 for someone the rules exclude (a stranger, or an approver who has just
//   filled the other slot); never a 5xx, never a second 200;
// - GET shows the winners' result (status, the slot's `by`, the edited field);
// - the request's audit events written during the race are the 200 answers one to one, in the order
//   of their versions (action, actor, status and version of each event's `after`), the versions
//   follow on without a gap, the final state is the last winner's, and `audit_events` in the
//   database holds the same rows as the events endpoint;
// - `waiver audit verify` passes and the server is still up.
// Raced: approvers on one slot (the same person 20 times, six eligible people, strangers) and on
// two slots at once; the owner's approve, reject and request changes; submit against withdraw, and
// withdraw against the department's decision; appeal, legal opinion, the CEO's and the CFO's
// dispositions; one If-Match on PATCHes, actions and a decision; PATCHes without one; extensions
// of one active request; close against revoke. Last, a regression found here: extensions raced
// on two instances of one database.
import { test, expect } from '@playwright/test';
import { useWaiver, who, ORG_YAML, ENGINE } from './helpers/server.js';
import type { Api, ApiResult, UserName } from './helpers/server.js';
import {
  COMPLIANCE_APPROVAL, addDays, approveReviewSlots, createActive, createDenied, createDraft, createInPolicyReview,
  createSubmitted, events, getReq, ownerApproval, slotOf,
} from './helpers/flow.js';
import { startSecondServer } from './helpers/session.js';

// Four more security compliance officers: with sec and sec2, six people eligible for the
// compliance slot and, on crypto-standard requests, for the `security` slot too.
const MORE_SEC = ['sec3', 'sec4', 'sec5', 'sec6'] as const;
const w = useWaiver(
  ORG_YAML.replace(
    'departments:\n',
    MORE_SEC.map((s) => `  - {email: ${s}@example.com, name: ${s}, department: Security, roles: [security_compliance]}\n`).join('') +
      'departments:\n',
  ),
);

type Person = UserName | (typeof MORE_SEC)[number];
const SECS: Person[] = ['sec', 'sec2', ...MORE_SEC];
const extra = new Map<string, Api>();
test.beforeAll(async () => {
  for (const s of MORE_SEC) {
    const r = await w.cli(['token', 'create', `${s}@example.com`]);
    expect(r.code, r.stderr).toBe(0);
    extra.set(s, await w.withToken(r.stdout.trim()));
  }
});

const email = (p: Person) => `${p}@example.com`;
async function as(p: Person): Promise<Api> {
  return extra.get(p) ?? w.as(p as UserName);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One call of a race: who sends what, and what the audit event of its 200 is called. */
interface Shot {
  p: Person;
  /** e.g. `decide owner approve`, for messages and tallies. */
  what: string;
  /** The audit action a 200 writes. */
  action: string;
  send: (api: Api) => Promise<ApiResult>;
  /** The statuses this call may get besides 200 (the rules; without If-Match 412 is never right). */
  may: number[];
  /** The comment a decision sends. */
  comment?: string;
}
interface Hit extends Shot {
  r: ApiResult;
}

const show = (h: Hit) => `${h.what} as ${h.p} → ${h.r.status} ${h.r.text.slice(0, 200)}`;

/** Sends every shot at once, in a shuffled order; transport failures become status 0. */
async function fire(shots: Shot[]): Promise<Hit[]> {
  const order = shots.map((s) => ({ s, k: Math.random() })).sort((a, b) => a.k - b.k).map((x) => x.s);
  const apis = await Promise.all(order.map((s) => as(s.p)));
  const rs = await Promise.all(
    order.map((s, k) =>
      s.send(apis[k]).catch((e): ApiResult => ({ status: 0, headers: {}, body: undefined, text: String(e).split('\n')[0] })),
    ),
  );
  return order.map((s, k) => ({ ...s, r: rs[k] }));
}

/** Every answer is a 200 or a problem+json with a status its shot allows. */
function expectAllowedAnswers(hits: Hit[]): void {
  const bad = hits.filter((h) => {
    if (h.r.status === 200) return false;
    const problem =
      (h.r.headers['content-type'] ?? '').includes('application/problem+json') &&
      h.r.body?.status === h.r.status &&
      typeof h.r.body?.title === 'string';
    return !(problem && h.may.includes(h.r.status));
  });
  expect(bad.map(show), 'answers other than 200 or the problem+json the rules allow').toEqual([]);
}

const wins = (hits: Hit[], f: (h: Hit) => boolean = () => true) => hits.filter((h) => h.r.status === 200 && f(h));

/** Exactly one 200 among the hits f selects; that one. */
function oneWinner(hits: Hit[], f: (h: Hit) => boolean, what: string): Hit {
  const won = wins(hits, f);
  expect(won.map(show), `${what}: exactly one 200`).toHaveLength(1);
  return won[0];
}

// How the races went, shown in the report: race → answer → count.
const tallies: string[] = [];
function tally(race: string, hits: Hit[]): void {
  const m = new Map<string, number>();
  for (const h of hits) m.set(`${h.what} ${h.r.status}`, (m.get(`${h.what} ${h.r.status}`) ?? 0) + 1);
  tallies.push(`${race}: ${[...m].sort().map(([k, n]) => `${n}× ${k}`).join(', ')}`);
}
test.afterAll(() => {
  if (tallies.length) console.log(`races.spec.ts (${ENGINE}):\n  ${tallies.join('\n  ')}`);
});

/**
 * The audit trail of request `id` after the race: the events past the first `from` are the 200
 * answers, one each, in the order of their versions, which follow `v0` without a gap; the request
 * stands as the last winner left it; the table agrees with the endpoint; the chain verifies.
 */
async function expectTrail(id: number, from: number, v0: number, hits: Hit[]): Promise<any[]> {
  const auditor = await w.as('auditor');
  const all = await events(auditor, id);
  const fresh = all.slice(from);
  const won = wins(hits).sort((a, b) => a.r.body.version - b.r.body.version);
  expect(won.map((h) => h.r.body.version), 'the winners\' versions follow on one by one').toEqual(won.map((_, k) => v0 + 1 + k));
  expect(
    fresh.map((e) => ({ action: e.action, actor: e.actor, status: e.after?.status, version: e.after?.version, before: e.before?.version })),
    'one audit event per 200, in order',
  ).toEqual(
    won.map((h) => ({ action: h.action, actor: email(h.p), status: h.r.body.status, version: h.r.body.version, before: h.r.body.version - 1 })),
  );
  const now = await getReq(auditor, id);
  const last = won.length ? won[won.length - 1].r.body : null;
  expect(now.version, 'the version is the last winner\'s').toBe(last ? last.version : v0);
  if (last) expect(now.status, 'the status is the last winner\'s').toBe(last.status);
  // The table itself, beside the endpoint: the same rows, and nothing for the request elsewhere.
  const rows = await w.sql(
    `SELECT id, action, actor FROM audit_events WHERE entity_type = 'exception' AND entity_id = '${id}' ORDER BY id`,
  );
  expect(rows.map(([i, a, by]) => [Number(i), a, by]), 'audit_events rows of the request').toEqual(
    all.map((e) => [Number(e.id), e.action, e.actor]),
  );
  const v = await w.auditVerify();
  expect(v.code, `waiver audit verify: ${v.stderr}${v.stdout}`).toBe(0);
  expect(w.alive(), `the server died:\n${w.serverLog()}`).toBe(true);
  return fresh;
}

/** The version and event count a race starts from. */
async function start(id: number): Promise<{ v0: number; from: number }> {
  const auditor = await w.as('auditor');
  return { v0: (await getReq(auditor, id)).version, from: (await events(auditor, id)).length };
}

// Every decision's comment is unique, so that the one recorded names its call.
let shots = 0;
const decideShot = (id: number, p: Person, slot: string, body: Record<string, unknown>, may: number[]): Shot => {
  const comment = `${body.comment ?? 'ok'} (${p}, call ${++shots})`;
  return {
    p,
    what: `decide ${slot} ${body.decision}`,
    action: 'decide',
    send: (api) => api.post(`/exceptions/${id}/approvals/${slot}`, { ...body, comment }),
    may,
    comment,
  };
};

test('one slot, many approvers: the department head 20 times among strangers; six officers on two slots at once', async () => {
  // crypto-standard adds a `security` slot for security compliance: sec..sec6 are each eligible
  // for it and for `compliance`, and one person fills one slot of a request.
  const s = await createSubmitted(w, { policy_id: 'crypto-standard', title: 'Races on the slots' });
  const id: number = s.id;
  expect(s.approvals.map((a: any) => a.slot).sort()).toEqual(['compliance', 'department', 'owner', 'security']);
  for (const slot of ['compliance', 'security']) expect([...slotOf(s, slot).eligible].sort()).toEqual(SECS.map(email).sort());

  await test.step('department: eng.head 20 times; the requester, a compliance officer and the owner 4 times each', async () => {
    const { v0, from } = await start(id);
    const approve = { decision: 'approve', comment: 'department ok' };
    const hits = await fire([
      ...range(20).map(() => decideShot(id, 'eng.head', 'department', approve, [409])),
      ...(['ana', 'sec', 'owner'] as Person[]).flatMap((p) => range(4).map(() => decideShot(id, p, 'department', approve, [403]))),
    ]);
    tally('department slot', hits);
    expectAllowedAnswers(hits);
    const win = oneWinner(hits, () => true, 'department slot');
    expect(win.p).toBe('eng.head');
    expect(win.r.body.status).toBe('policy_review');
    const now = await getReq(await w.as('auditor'), id);
    expect(slotOf(now, 'department').by).toBe(who('eng.head'));
    expect(slotOf(now, 'department').comment, 'the winner\'s comment').toBe(win.comment);
    const fresh = await expectTrail(id, from, v0, hits);
    expect(fresh.map((e) => e.data)).toEqual([{ slot: 'department', decision: 'approve' }]);
  });

  await test.step('compliance and security at once: six officers twice on each, four strangers', async () => {
    const { v0, from } = await start(id);
    // An officer who loses a slot gets 409 (filled) or, having just filled the other, 403.
    const hits = await fire([
      ...SECS.flatMap((p) => range(2).map(() => decideShot(id, p, 'compliance', COMPLIANCE_APPROVAL, [403, 409]))),
      ...SECS.flatMap((p) => range(2).map(() => decideShot(id, p, 'security', { decision: 'approve', comment: 'security ok' }, [403, 409]))),
      ...range(2).map(() => decideShot(id, 'legal', 'compliance', COMPLIANCE_APPROVAL, [403])),
      ...range(2).map(() => decideShot(id, 'ana', 'compliance', COMPLIANCE_APPROVAL, [403])),
      ...range(2).map(() => decideShot(id, 'maint', 'security', { decision: 'approve' }, [403])),
      // eng.head filled the department slot: one person, one slot.
      ...range(2).map(() => decideShot(id, 'eng.head', 'security', { decision: 'approve' }, [403])),
    ]);
    tally('compliance and security slots', hits);
    expectAllowedAnswers(hits);
    const c = oneWinner(hits, (h) => h.what.startsWith('decide compliance'), 'compliance slot');
    const sWin = oneWinner(hits, (h) => h.what.startsWith('decide security'), 'security slot');
    expect(SECS).toContain(c.p);
    expect(SECS).toContain(sWin.p);
    expect(c.p, 'one person fills one slot').not.toBe(sWin.p);
    // The winner of each slot was refused the other with 403, never let in.
    for (const h of hits.filter((x) => x.p === c.p && x.what.startsWith('decide security'))) expect(h.r.status).not.toBe(200);
    const now = await getReq(await w.as('auditor'), id);
    expect(now.status).toBe('policy_review');
    expect(slotOf(now, 'compliance')).toMatchObject({ status: 'approved', by: email(c.p), comment: c.comment });
    expect(slotOf(now, 'security')).toMatchObject({ status: 'approved', by: email(sWin.p), comment: sWin.comment });
    const fresh = await expectTrail(id, from, v0, hits);
    expect(fresh.map((e) => e.data.slot).sort()).toEqual(['compliance', 'security']);
    const rows = await w.sql(
      `SELECT COUNT(*) FROM audit_events WHERE entity_type = 'exception' AND entity_id = '${id}' AND action = 'decide'`,
    );
    expect(Number(rows[0][0]), 'one decide event per slot filled').toBe(3);
  });
});

test('the owner approves, rejects and asks for changes at once, 32 calls on each of 4 requests: one decision counts', async () => {
  const outcomes: string[] = [];
  for (let round = 0; round < 4; round++) {
    const p = await approveReviewSlots(w, await createInPolicyReview(w, { title: `Owner race ${round}` }));
    const id: number = p.id;
    const { v0, from } = await start(id);
    const reject = { decision: 'reject', comment: 'too risky' };
    const changes = { decision: 'request_changes', comment: 'narrow the scope' };
    const hits = await fire([
      ...range(13).map(() => decideShot(id, 'owner', 'owner', ownerApproval(), [409])),
      ...range(13).map(() => decideShot(id, 'owner', 'owner', reject, [409])),
      ...range(2).map(() => decideShot(id, 'owner', 'owner', changes, [409])),
      // Neither eligible for the owner slot (sec filled compliance; eng.head the department).
      ...range(2).map(() => decideShot(id, 'sec2', 'owner', reject, [403])),
      ...range(2).map(() => decideShot(id, 'eng.head', 'owner', reject, [403])),
    ]);
    tally(`owner slot, round ${round}`, hits);
    expectAllowedAnswers(hits);
    const win = oneWinner(hits, () => true, `owner slot, round ${round}`);
    const decision = win.what.split(' ')[2];
    const want = { approve: 'active', reject: 'denied', request_changes: 'changes_requested' }[decision];
    expect(win.r.body.status, `the owner's ${decision} won`).toBe(want);
    const now = await getReq(await w.as('auditor'), id);
    expect(now.status).toBe(want);
    const owner = slotOf(now, 'owner');
    expect(owner.by).toBe(who('owner'));
    expect(owner.comment, 'the winner\'s comment').toBe(win.comment);
    expect(owner.status).toBe({ approve: 'approved', reject: 'rejected', request_changes: 'changes_requested' }[decision]);
    if (decision === 'approve') expect(now.risk_level).toBe('medium');
    const fresh = await expectTrail(id, from, v0, hits);
    expect(fresh.map((e) => e.data)).toEqual([{ slot: 'owner', decision }]);
    outcomes.push(decision);
  }
  test.info().annotations.push({ type: 'owner races won by', description: outcomes.join(', ') });
});

test('submit and withdraw at once: 16 of each on 3 drafts; withdraw, approvals and a rejection on 2 submitted requests', async () => {
  const submitShot = (id: number): Shot => ({
    p: 'ana', what: 'submit', action: 'submit', may: [409], send: (api) => api.post(`/exceptions/${id}/submit`, {}),
  });
  const withdrawShot = (id: number): Shot => ({
    p: 'ana', what: 'withdraw', action: 'withdraw', may: [409], send: (api) => api.post(`/exceptions/${id}/withdraw`, { reason: 'no longer needed' }),
  });

  for (let round = 0; round < 3; round++) {
    const d = await createDraft(w, { title: `Submit or withdraw ${round}` });
    const id: number = d.id;
    const { v0, from } = await start(id);
    const hits = await fire([...range(16).map(() => submitShot(id)), ...range(16).map(() => withdrawShot(id))]);
    tally(`submit vs withdraw, draft ${round}`, hits);
    expectAllowedAnswers(hits);
    // A draft and a submitted request can both be withdrawn: exactly one withdraw wins, whenever
    // it comes; at most one submit, and only before it.
    const wd = oneWinner(hits, (h) => h.what === 'withdraw', 'withdraw');
    const sub = wins(hits, (h) => h.what === 'submit');
    expect(sub.length, 'at most one submit').toBeLessThanOrEqual(1);
    expect(wd.r.body.status).toBe('withdrawn');
    if (sub.length) {
      expect(sub[0].r.body.status).toBe('department_review');
      expect(sub[0].r.body.version, 'the submit came before the withdraw').toBeLessThan(wd.r.body.version);
    }
    const fresh = await expectTrail(id, from, v0, hits);
    expect(fresh.map((e) => e.action)).toEqual([...sub.map(() => 'submit'), 'withdraw']);
    expect((await getReq(await w.as('ana'), id)).status).toBe('withdrawn');
  }

  for (let round = 0; round < 2; round++) {
    // In department_review: the requester withdraws while the head approves and rejects and the
    // requester submits again (always too late). Whatever came first decides what may follow.
    const s = await createSubmitted(w, { title: `Withdraw or decide ${round}` });
    const id: number = s.id;
    const { v0, from } = await start(id);
    const hits = await fire([
      ...range(12).map(() => withdrawShot(id)),
      ...range(10).map(() => decideShot(id, 'eng.head', 'department', { decision: 'approve' }, [409])),
      ...range(6).map(() => decideShot(id, 'eng.head', 'department', { decision: 'reject' }, [409])),
      ...range(4).map(() => submitShot(id)),
    ]);
    tally(`withdraw vs department decision, request ${round}`, hits);
    expectAllowedAnswers(hits);
    expect(wins(hits, (h) => h.what === 'submit'), 'no submit in department_review').toEqual([]);
    const wd = wins(hits, (h) => h.what === 'withdraw');
    const dec = wins(hits, (h) => h.what.startsWith('decide'));
    expect(wd.length, 'at most one withdraw').toBeLessThanOrEqual(1);
    expect(dec.length, 'at most one department decision').toBeLessThanOrEqual(1);
    expect(wd.length + dec.length, 'someone won').toBeGreaterThan(0);
    const fresh = await expectTrail(id, from, v0, hits);
    const now = await getReq(await w.as('auditor'), id);
    if (dec.length && dec[0].what.endsWith('reject')) {
      // A denied request cannot be withdrawn: the rejection must have been the last word.
      expect(now.status).toBe('denied');
      expect(fresh.map((e) => e.action).at(-1)).toBe('decide');
    } else {
      // An approval leaves it in policy_review, which can still be withdrawn: a withdraw always wins.
      expect(wd.length, `a withdraw wins unless a rejection came first: ${hits.filter((h) => h.r.status === 200).map(show).join(' | ')}`).toBe(1);
      expect(now.status).toBe('withdrawn');
    }
  }
});

test('the appeal raced at each step: appellants, legal opinions, then the CEO and the CFO 12 times each', async () => {
  const outcomes: string[] = [];
  for (let round = 0; round < 3; round++) {
    const d = await createDenied(w, { title: `Appeal race ${round}` });
    const id: number = d.id;

    await test.step(`round ${round}: the requester and her department head appeal at once`, async () => {
      const { v0, from } = await start(id);
      const appeal = (p: Person, may: number[]): Shot => ({
        p, what: 'appeal', action: 'appeal', may, send: (api) => api.post(`/exceptions/${id}/appeal`, { reason: `${p} appeals` }),
      });
      const hits = await fire([
        ...range(12).map(() => appeal('ana', [409])),
        ...range(12).map(() => appeal('eng.head', [409])),
        ...range(4).map(() => appeal('owner', [403])),
        ...range(4).map(() => appeal('sec', [403])),
      ]);
      tally(`appeal, round ${round}`, hits);
      expectAllowedAnswers(hits);
      const win = oneWinner(hits, () => true, 'appeal');
      expect(win.r.body.status).toBe('appeal_legal');
      expect((await getReq(await w.as('ana'), id)).appeal).toMatchObject({ by: email(win.p), reason: `${win.p} appeals` });
      await expectTrail(id, from, v0, hits);
    });

    await test.step(`round ${round}: legal writes the opinion 26 times at once`, async () => {
      const { v0, from } = await start(id);
      const opinion = (p: Person, k: number, may: number[]): Shot => ({
        p, what: 'legal_opinion', action: 'legal_opinion', may,
        send: (api) => api.post(`/exceptions/${id}/legal-opinion`, { opinion: `opinion ${k}` }),
      });
      const hits = await fire([
        ...range(26).map((k) => opinion('legal', k, [409])),
        ...range(3).map((k) => opinion('ceo', k, [403])),
        ...range(3).map((k) => opinion('ana', k, [403])),
      ]);
      tally(`legal opinion, round ${round}`, hits);
      expectAllowedAnswers(hits);
      const win = oneWinner(hits, () => true, 'legal opinion');
      expect(win.r.body.status).toBe('appeal_executive');
      const now = await getReq(await w.as('ana'), id);
      expect(now.appeal.legal_opinion).toBe(win.r.body.appeal.legal_opinion);
      expect(now.appeal.legal_by).toBe(who('legal'));
      await expectTrail(id, from, v0, hits);
    });

    await test.step(`round ${round}: the CEO and the CFO decide 12 times each, grant and uphold mixed`, async () => {
      const { v0, from } = await start(id);
      // Round 0 everyone grants (so the appeal must be granted); later rounds mix.
      const choice = (k: number) => (round === 0 || k % 3 !== 0 ? 'grant' : 'uphold');
      const dispose = (p: Person, k: number, may: number[]): Shot => ({
        p, what: `disposition ${choice(k)}`, action: 'disposition', may,
        send: (api) => api.post(`/exceptions/${id}/disposition`, { decision: choice(k), comment: `${p} ${k}` }),
      });
      const hits = await fire([
        // An executive who has recorded a disposition is refused any other with 403 (the two come
        // from two different people), before the state is looked at.
        ...range(12).map((k) => dispose('ceo', k, [403])),
        ...range(12).map((k) => dispose('cfo', k, [403])),
        ...range(4).map((k) => dispose('legal', k, [403])),
        ...range(4).map((k) => dispose('ana', k, [403])),
      ]);
      tally(`dispositions, round ${round}`, hits);
      expectAllowedAnswers(hits);
      const ceo = oneWinner(hits, (h) => h.p === 'ceo', 'the CEO\'s disposition');
      const cfo = oneWinner(hits, (h) => h.p === 'cfo', 'the CFO\'s disposition');
      const [first, second] = [ceo, cfo].sort((a, b) => a.r.body.version - b.r.body.version);
      expect(first.r.body.status, 'one disposition leaves the appeal open').toBe('appeal_executive');
      const granted = [ceo, cfo].every((h) => h.what === 'disposition grant');
      const want = granted ? 'active' : 'denied_final';
      expect(second.r.body.status, 'the second disposition closes it').toBe(want);
      if (round === 0) expect(want).toBe('active');
      const now = await getReq(await w.as('ana'), id);
      expect(now.status).toBe(want);
      const recorded = now.appeal.dispositions.map((x: any) => ({ role: x.role, by: x.by, decision: x.decision }));
      expect(recorded).toEqual(
        [first, second].map((h) => ({ role: h.p, by: email(h.p), decision: h.what.split(' ')[1] })),
      );
      const fresh = await expectTrail(id, from, v0, hits);
      expect(fresh.map((e) => e.data?.decision)).toEqual([first, second].map((h) => h.what.split(' ')[1]));
      outcomes.push(want);
    });
  }
  test.info().annotations.push({ type: 'appeal outcomes', description: outcomes.join(', ') });
});

test('one If-Match, many writers: 32 PATCHes, then PATCHes, submits and withdraws, then approvals; one 200 each, the rest 412', async () => {
  const d = await createDraft(w, { title: 'If-Match races', scope: 'first' });
  const id: number = d.id;
  const ana = await w.as('ana');
  expect((await ana.get(`/exceptions/${id}`)).headers['etag']).toBe(`"${d.version}"`);

  const patch = (v: number, k: number, what = 'PATCH'): Shot => ({
    p: 'ana', what, action: 'edit', may: [412],
    send: (api) => api.patch(`/exceptions/${id}`, { scope: `scope ${v}.${k}` }, { 'If-Match': `"${v}"` }),
  });

  await test.step('32 PATCHes with the same If-Match', async () => {
    const { v0, from } = await start(id);
    const hits = await fire(range(32).map((k) => patch(v0, k)));
    tally('PATCH, one If-Match', hits);
    expectAllowedAnswers(hits);
    const win = oneWinner(hits, () => true, 'PATCH with one If-Match');
    const scope = win.r.body.scope;
    expect(scope).toMatch(new RegExp(`^scope ${v0}\\.\\d+$`));
    expect(win.r.headers['etag']).toBe(`"${v0 + 1}"`);
    const now = await getReq(ana, id);
    expect(now.scope, 'the winner\'s edit, and only it').toBe(scope);
    const fresh = await expectTrail(id, from, v0, hits);
    expect(fresh[0].after.scope).toBe(scope);
    expect(fresh[0].before.scope).toBe('first');
  });

  await test.step('PATCHes with the current and a stale If-Match, submits and withdraws with the current one', async () => {
    const { v0, from } = await start(id);
    const ifMatch = { 'If-Match': `"${v0}"` };
    const hits = await fire([
      ...range(12).map((k) => patch(v0, k)),
      ...range(8).map((k) => patch(v0 - 1, k, 'PATCH, stale If-Match')), // stale from the start
      ...range(6).map((): Shot => ({ p: 'ana', what: 'submit', action: 'submit', may: [412], send: (api) => api.post(`/exceptions/${id}/submit`, {}, ifMatch) })),
      ...range(6).map((): Shot => ({
        p: 'ana', what: 'withdraw', action: 'withdraw', may: [412], send: (api) => api.post(`/exceptions/${id}/withdraw`, { reason: 'r' }, ifMatch),
      })),
    ]);
    tally('PATCH, submit, withdraw, one If-Match', hits);
    expectAllowedAnswers(hits);
    const win = oneWinner(hits, () => true, 'one If-Match across PATCH, submit and withdraw');
    expect(win.r.body.version).toBe(v0 + 1);
    expect(win.what, 'a stale If-Match never wins').not.toBe('PATCH, stale If-Match');
    const want = { PATCH: 'draft', submit: 'department_review', withdraw: 'withdrawn' }[win.what];
    expect(win.r.body.status).toBe(want);
    await expectTrail(id, from, v0, hits);
  });

  await test.step('the department head approves 24 times with one If-Match', async () => {
    // A request of its own in department_review (the draft above may have been withdrawn).
    const s = await createSubmitted(w, { title: 'If-Match on a decision' });
    const { v0, from } = await start(s.id);
    const hits = await fire(
      range(24).map((k): Shot => ({
        p: 'eng.head', what: 'decide department approve', action: 'decide', may: [412],
        send: (api) => api.post(`/exceptions/${s.id}/approvals/department`, { decision: 'approve', comment: `ok ${k}` }, { 'If-Match': `"${v0}"` }),
      })),
    );
    tally('department slot, one If-Match', hits);
    expectAllowedAnswers(hits);
    const win = oneWinner(hits, () => true, 'decision with one If-Match');
    expect(win.r.body.status).toBe('policy_review');
    await expectTrail(s.id, from, v0, hits);
  });

  await test.step('24 PATCHes of one field without If-Match: each 200 is an edit of its own, the last one stays', async () => {
    const e = await createDraft(w, { title: 'Last writer wins' });
    const { v0, from } = await start(e.id);
    const hits = await fire(
      range(24).map((k): Shot => ({
        p: 'ana', what: 'PATCH', action: 'edit', may: [409],
        send: (api) => api.patch(`/exceptions/${e.id}`, { scope: `unconditional ${k}` }),
      })),
    );
    tally('PATCH, no If-Match', hits);
    expectAllowedAnswers(hits);
    const won = wins(hits).sort((a, b) => a.r.body.version - b.r.body.version);
    expect(won.length, 'most land').toBeGreaterThan(0);
    for (const h of won) expect(h.r.body.scope).toMatch(/^unconditional \d+$/);
    const fresh = await expectTrail(e.id, from, v0, hits);
    expect(fresh.map((x) => x.after.scope), 'each event holds its own PATCH\'s value').toEqual(won.map((h) => h.r.body.scope));
    expect((await getReq(ana, e.id)).scope).toBe(won[won.length - 1].r.body.scope);
  });
});

test('an active request: 32 extension requests at once make one draft; closes and revocations at once end it once', async () => {
  const parent = await createActive(w, { title: 'Extension race' });
  const id: number = parent.id;

  await test.step('the requester asks for an extension 24 times; the owner and her head 4 times each', async () => {
    const auditor = await w.as('auditor');
    const { v0, from } = await start(id);
    const extend = (p: Person, k: number, may: number[]): Shot => ({
      p, what: 'extension', action: 'extend', may,
      send: (api) => api.post(`/exceptions/${id}/extensions`, { end_on: addDays(parent.decision_end_on, 10 + k), justification: `call ${k}` }),
    });
    const hits = await fire([
      ...range(24).map((k) => extend('ana', k, [409])),
      ...range(4).map((k) => extend('owner', k, [403])),
      ...range(4).map((k) => extend('eng.head', k, [403])),
    ]);
    tally('extensions', hits);
    const created = hits.filter((h) => h.r.status === 201);
    expect(created.map(show), 'exactly one extension created').toHaveLength(1);
    expectAllowedAnswers(hits.filter((h) => h.r.status !== 201));
    const child = created[0].r.body;
    expect(child).toMatchObject({ status: 'draft', parent_id: id, requester: who('ana') });
    // The parent itself does not change: same version and status; it lists the one extension.
    const now = await getReq(auditor, id);
    expect(now).toMatchObject({ status: 'active', version: v0, extension_ids: [child.id] });
    const children = await w.sql(`SELECT id FROM exceptions WHERE parent_id = ${id}`);
    expect(children.map((r) => Number(r[0])), 'one request made from the parent').toEqual([child.id]);
    const fresh = (await events(auditor, id)).slice(from);
    expect(fresh.map((e) => [e.action, e.actor, e.data])).toEqual([
      ['extend', who('ana'), { extension: child.ref, end_on: child.end_on }],
    ]);
    expect((await events(auditor, child.id)).map((e) => [e.action, e.data])).toEqual([['create', { extension_of: parent.ref }]]);
    const v = await w.auditVerify();
    expect(v.code, `waiver audit verify: ${v.stderr}${v.stdout}`).toBe(0);
  });

  await test.step('the requester closes while the owner and compliance revoke, 12 + 12 + 4 times', async () => {
    const a = await createActive(w, { title: 'Close or revoke' });
    const { v0, from } = await start(a.id);
    const end = (p: Person, verb: 'close' | 'revoke', may: number[]): Shot => ({
      p, what: verb, action: verb, may, send: (api) => api.post(`/exceptions/${a.id}/${verb}`, { reason: `${verb} by ${p}` }),
    });
    const hits = await fire([
      ...range(12).map(() => end('ana', 'close', [409])),
      ...range(12).map(() => end('owner', 'revoke', [409])),
      ...range(4).map(() => end('sec', 'revoke', [409])),
      ...range(4).map(() => end('eng.head', 'close', [403])),
    ]);
    tally('close vs revoke', hits);
    expectAllowedAnswers(hits);
    const win = oneWinner(hits, () => true, 'close or revoke');
    expect(win.r.body.status).toBe(win.what === 'close' ? 'closed' : 'revoked');
    await expectTrail(a.id, from, v0, hits);
  });
});

// Regression: on PostgreSQL, two instances each made an extension of the same parent at the same
// moment (two in progress, where the rules allow one): extending changes no row of the parent, so
// no versioned update caught the second. The parent is now locked before its extensions are read.
// (On SQLite the instances write one at a time, so this passed there before the fix too.)
test('two instances: 24 extension requests at once, alternating between them, make one draft', async () => {
  const second = await startSecondServer(w);
  try {
    const token = w.tokens.get('ana')!;
    for (let round = 0; round < 4; round++) {
      const parent = await createActive(w, { title: `Extension race on two instances ${round}` });
      const rs = await Promise.all(
        range(24).map(async (k) => {
          const r = await fetch(`${[w.base, second.base][k % 2]}/api/v1/exceptions/${parent.id}/extensions`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ end_on: addDays(parent.decision_end_on, 10 + k), justification: `call ${k}` }),
          });
          return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.json().catch(() => undefined) };
        }),
      );
      const created = rs.filter((r) => r.status === 201);
      expect(created.length, `round ${round}: extensions created: ${JSON.stringify(rs.map((r) => r.status))}`).toBe(1);
      for (const r of rs.filter((x) => x.status !== 201)) {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(r.type).toContain('application/problem+json');
      }
      const children = await w.sql(`SELECT id FROM exceptions WHERE parent_id = ${parent.id}`);
      expect(children.map((x) => Number(x[0])), `round ${round}: requests made from the parent`).toEqual([created[0].body.id]);
      const extend = (await events(await w.as('auditor'), parent.id)).filter((e) => e.action === 'extend');
      expect(extend.map((e) => e.data.extension)).toEqual([created[0].body.ref]);
    }
    const v = await w.auditVerify();
    expect(v.code, `waiver audit verify: ${v.stderr}${v.stdout}`).toBe(0);
    expect(second.alive(), `the second instance died:\n${second.log()}`).toBe(true);
  } finally {
    await second.stop();
  }
});
