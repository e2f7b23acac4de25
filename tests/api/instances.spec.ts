// Several `waiver serve` instances on one database (issue 6).
//
// 1. Two instances on one database, many concurrent clients doing the whole process through
//    both (each step on the other instance than the one before), with races on purpose: PATCHes
//    with the same If-Match, PATCHes of different fields without one, several approvers on one slot
//    on both instances at once, the owner approving and rejecting at once. At the end: references
//    distinct, EXC-YYYY-NNNN and without gaps; every slot filled once (by the one who got the 200);
//    no acknowledged edit lost; events per request and in the whole chain consistent; the chain
//    verifies by the command and through both instances. On SQLite the two instances share one
//    file (SQLite serialises writers: BEGIN IMMEDIATE with busy_timeout); the same must hold.
//    Every notification: both instances deliver the outbox to one SMTP server on loopback; each
//    queued mail arrives exactly once (no duplicate Message-ID, nothing left undelivered).
// 2. PostgreSQL restarted in the middle of a load on both instances (`scripts/pg-cluster.sh
//    restart`, same port and URL; a cluster of the test's own, so that the spec files running in
//    the other worker keep theirs): while it is down, answers are the expected 2xx or a clean 503
//    problem+json, never a hang, another error or a crash; once it is back, requests succeed again
//    (the server reconnects); and every change acknowledged with a 2xx, before, during or after,
//    is there when read back. PostgreSQL only: SQLite has no database server to restart.
import { test, expect, request as playwrightRequest } from '@playwright/test';
import type { APIRequestContext } from '@playwright/test';
import { useWaiver, who, ENGINE, ORG_YAML, Waiver, ownPgCluster } from './helpers/server.js';
import type { ApiResult, UserName } from './helpers/server.js';
import { requestBody, ownerApproval, COMPLIANCE_APPROVAL, REF_RE } from './helpers/flow.js';
import { startSecondServer, auditEvents, sleep } from './helpers/session.js';
import { MailServer } from './helpers/mail.js';

// An SMTP server both instances deliver to (waiver.yaml in the spec's folder, read by each).
const smtp = new MailServer();
test.beforeAll(async () => {
  await smtp.start();
  w.configYaml = `smtp_url: ${smtp.url}\n`;
});
test.afterAll(async () => {
  await smtp.stop();
});
const w = useWaiver();

// One request context for every client here: Bearer tokens only (no cookie jar to share), and
// Playwright sends concurrent requests of one context on separate connections.
let ctx: APIRequestContext;
test.beforeAll(async () => {
  ctx = await playwrightRequest.newContext();
});
test.afterAll(async () => {
  await ctx?.dispose().catch(() => undefined);
});

/** The instances the tests talk to: base URL → the Waiver whose tokens to use, a name for messages. */
const instances = new Map<string, { of: Waiver; name: string }>();

interface Res extends ApiResult {
  /** When the request was sent and how long it took (ms). */
  started: number;
  ms: number;
  /** A transport failure (connection reset, timeout): status is 0 then. */
  error?: string;
  what: string;
}

/** One request to the instance at `base` as `u`; never throws (status 0 and `error` instead). */
async function call(
  base: string,
  u: UserName,
  method: string,
  path: string,
  data?: unknown,
  headers: Record<string, string> = {},
  timeout = 15_000,
): Promise<Res> {
  const inst = instances.get(base);
  if (!inst) throw new Error(`no instance at ${base}`);
  const token = inst.of.tokens.get(u);
  if (!token) throw new Error(`no token for ${u}`);
  const h: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${token}`, ...headers };
  if (data !== undefined) h['Content-Type'] = 'application/json';
  const what = `${method} ${path} on ${inst.name} as ${u}`;
  const started = Date.now();
  try {
    const r = await ctx.fetch(`${base}/api/v1${path}`, {
      method,
      headers: h,
      data: data === undefined ? undefined : (data as any),
      timeout,
      failOnStatusCode: false,
      maxRedirects: 0,
    });
    const text = await r.text();
    let body: any = undefined;
    try {
      body = text.length ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: r.status(), headers: r.headers(), body, text, started, ms: Date.now() - started, what };
  } catch (e) {
    return { status: 0, headers: {}, body: undefined, text: '', started, ms: Date.now() - started, what, error: String(e).split('\n')[0] };
  }
}

const show = (r: Res) => `${r.what} → ${r.status || r.error} ${r.text.slice(0, 300)}`;

/** A problem+json answer with that status (status in the body too). */
function isProblem(r: Res, status: number): boolean {
  return (
    r.status === status &&
    (r.headers['content-type'] ?? '').includes('application/problem+json') &&
    r.body?.status === status &&
    typeof r.body?.title === 'string'
  );
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const countBy = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

/** Every page of the register as `u` on `base`. */
async function register(base: string, u: UserName): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r = await call(base, u, 'GET', `/exceptions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status, show(r)).toBe(200);
    items.push(...r.body.items);
    cursor = r.body.next_cursor ?? null;
    if (!cursor) return items;
  }
  throw new Error('the register did not end within 100 pages');
}

/** References grouped by year; each year's numbers must be exactly 1..n. */
function gapsIn(refs: string[]): string[] {
  const byYear = new Map<string, number[]>();
  for (const r of refs) {
    const [, y, n] = r.split('-');
    byYear.set(y, [...(byYear.get(y) ?? []), Number(n)]);
  }
  const out: string[] = [];
  for (const [y, ns] of byYear) {
    ns.sort((a, b) => a - b);
    const want = range(ns.length).map((k) => k + 1);
    if (JSON.stringify(ns) !== JSON.stringify(want)) out.push(`${y}: ${JSON.stringify(ns)} (want 1..${ns.length})`);
  }
  return out;
}

/** The audit chain verifies by `waiver audit verify` and through every instance; its summary. */
async function chainIntact(x: Waiver, bases: string[]): Promise<{ events: number; head: string }> {
  const v = await x.auditVerify();
  expect(v.code, `waiver audit verify: ${v.stderr}${v.stdout}`).toBe(0);
  const seen: { events: number; head: string }[] = [];
  for (const b of bases) {
    const r = await call(b, 'auditor', 'GET', '/audit/verify');
    expect(r.status, show(r)).toBe(200);
    expect(r.body.ok, show(r)).toBe(true);
    seen.push({ events: r.body.events, head: r.body.head });
  }
  for (const s of seen) expect(s, 'both instances see one chain').toEqual(seen[0]);
  return seen[0];
}

test('two instances, one database: 12 concurrent flows with racing PATCHes and approvers; every reference, slot and event once', async () => {
  test.setTimeout(30_000);
  const second = await startSecondServer(w);
  const problems: string[] = [];
  const check = (ok: boolean, msg: string) => {
    if (!ok) problems.push(msg);
  };
  // How the races went (race → status → count), shown in the report.
  const stats: Record<string, Record<string, number>> = {};
  const tally = (race: string, rs: Res[]) => {
    const m = (stats[race] ??= {});
    for (const r of rs) m[String(r.status || r.error)] = (m[String(r.status || r.error)] ?? 0) + 1;
  };
  try {
    const bases = [w.base, second.base];
    instances.set(w.base, { of: w, name: 'A' });
    instances.set(second.base, { of: w, name: 'B' });
    // Each step of flow i goes to the other instance than the step before.
    const at = (i: number, step: number) => bases[(i + step) % 2];
    const FLOWS = 12;
    const people: { requester: UserName; head: UserName }[] = [
      { requester: 'ana', head: 'eng.head' },
      { requester: 'bob', head: 'eng.head' },
      { requester: 'carol', head: 'cfo' },
    ];
    const FIELDS = ['description', 'alternative', 'resources', 'justification'] as const;

    interface Outcome {
      i: number;
      id: number;
      ref: string;
      v0: number;
      requester: UserName;
      scope: string;
      fields: Record<string, string>;
      winners: Record<string, string>;
      status: string;
    }

    const flow = async (i: number): Promise<Outcome> => {
      const { requester, head } = people[i % people.length];
      const must = (r: Res, status: number) => {
        if (r.status !== status) throw new Error(`flow ${i}: ${show(r)} (expected ${status})`);
        return r.body;
      };

      // Create (step 0).
      const created = must(
        await call(at(i, 0), requester, 'POST', '/exceptions', requestBody({ title: `Flow ${i} on two instances`, scope: 'initial' })),
        201,
      );
      const id: number = created.id;
      const v0: number = created.version;

      // Race A: four PATCHes with the same If-Match, two on each instance: exactly one wins.
      const etag = `"${v0}"`;
      const a = await Promise.all(
        range(4).map((k) =>
          call(at(i, k), requester, 'PATCH', `/exceptions/${id}`, { scope: `scope ${i}.${k}` }, { 'If-Match': etag }),
        ),
      );
      tally('PATCH, same If-Match', a);
      const aWins = a.filter((r) => r.status === 200);
      check(aWins.length === 1, `flow ${i}: same If-Match PATCHes: ${aWins.length} won (want 1): ${a.map(show).join(' | ')}`);
      for (const r of a) if (r.status !== 200) check(isProblem(r, 412), `flow ${i}: a losing If-Match PATCH must be 412 problem+json: ${show(r)}`);
      if (aWins.length !== 1) throw new Error(`flow ${i}: cannot go on without one winning PATCH`);
      const scope: string = aWins[0].body.scope;
      check(/^scope \d+\.\d$/.test(scope), `flow ${i}: the winning PATCH's answer shows scope ${scope}`);

      // Race B: PATCHes of four different fields without If-Match, spread over both instances.
      // Each one answered 200 must be there at the end; one refused as changed meanwhile (409 or
      // 412 problem+json) is sent again, as a client would, until all have landed.
      const fields: Record<string, string> = {};
      let pending: string[] = [...FIELDS];
      for (let round = 0; pending.length && round < 8; round++) {
        const rs = await Promise.all(
          pending.map((f, k) => call(at(i, k + round), requester, 'PATCH', `/exceptions/${id}`, { [f]: `${f} of flow ${i}, round ${round}` })),
        );
        tally('PATCH, no If-Match', rs);
        rs.forEach((r, k) => {
          const f = pending[k];
          if (r.status === 200) {
            fields[f] = `${f} of flow ${i}, round ${round}`;
            check(r.body[f] === fields[f], `flow ${i}: a 200 PATCH of ${f} answers ${JSON.stringify(r.body[f])}`);
          } else {
            check(isProblem(r, 412) || isProblem(r, 409), `flow ${i}: a concurrent PATCH without If-Match must be 200, or 409/412 problem+json: ${show(r)}`);
          }
        });
        pending = pending.filter((f) => !(f in fields));
      }
      check(pending.length === 0, `flow ${i}: PATCHes of ${pending.join(', ')} never landed in 8 rounds`);

      // Nothing acknowledged is lost: read back through the other instance.
      const mid = must(await call(at(i, 1), requester, 'GET', `/exceptions/${id}`), 200);
      check(mid.scope === scope, `flow ${i}: scope is ${JSON.stringify(mid.scope)}, the acknowledged PATCH set ${JSON.stringify(scope)}`);
      for (const [f, v] of Object.entries(fields)) check(mid[f] === v, `flow ${i}: ${f} is ${JSON.stringify(mid[f])}, acknowledged ${JSON.stringify(v)}`);
      check(mid.version === v0 + 1 + Object.keys(fields).length, `flow ${i}: version ${mid.version} after ${1 + Object.keys(fields).length} acknowledged edits from ${v0}`);

      // Submit (step 1).
      const submitted = must(await call(at(i, 1), requester, 'POST', `/exceptions/${id}/submit`, {}), 200);
      check(submitted.status === 'department_review', `flow ${i}: submitted → ${submitted.status}`);
      const slots = (submitted.approvals ?? []).map((s: any) => s.slot).sort();
      check(JSON.stringify(slots) === JSON.stringify(['compliance', 'department', 'owner']), `flow ${i}: slots ${JSON.stringify(slots)}`);

      const winners: Record<string, string> = {};
      // One slot raced: `racers` may win (exactly one 200 among them; the rest 403/409/412
      // problem+json); `strangers` are not eligible (403 whatever the timing).
      const race = async (
        slot: string,
        racers: { u: UserName; body: Record<string, unknown> }[],
        strangers: UserName[],
        after: string[],
      ): Promise<Res> => {
        const all = [
          ...racers.map((x, k) => call(at(i, k), x.u, 'POST', `/exceptions/${id}/approvals/${slot}`, x.body)),
          ...strangers.map((u, k) => call(at(i, k), u, 'POST', `/exceptions/${id}/approvals/${slot}`, { decision: 'approve', comment: 'not mine to fill' })),
        ];
        const rs = await Promise.all(all);
        const racing = rs.slice(0, racers.length);
        tally(`slot ${slot}`, racing);
        tally(`slot ${slot}, not eligible`, rs.slice(racers.length));
        const wins = racing.filter((r) => r.status === 200);
        check(wins.length === 1, `flow ${i}: slot ${slot}: ${wins.length} of ${racers.length} racers got 200 (want 1): ${racing.map(show).join(' | ')}`);
        for (const r of racing)
          if (r.status !== 200)
            check([403, 409, 412].some((s) => isProblem(r, s)), `flow ${i}: slot ${slot}: a losing racer must get 403/409/412 problem+json: ${show(r)}`);
        for (const r of rs.slice(racers.length)) check(isProblem(r, 403), `flow ${i}: slot ${slot}: not eligible → 403: ${show(r)}`);
        if (wins.length !== 1) throw new Error(`flow ${i}: slot ${slot} has no single winner`);
        const win = wins[0];
        const winner = racers[racing.indexOf(win)].u;
        const filled = (win.body.approvals ?? []).find((s: any) => s.slot === slot);
        check(filled?.by === who(winner), `flow ${i}: slot ${slot} answered by ${who(winner)} shows by=${filled?.by}`);
        check(after.includes(win.body.status), `flow ${i}: after slot ${slot}: ${win.body.status}, want one of ${after.join('/')}`);
        winners[slot] = who(winner);
        return win;
      };

      // Department (step 2): the head four times, twice on each instance; the requester and a
      // compliance officer are not eligible.
      const dept = { decision: 'approve', comment: `department ok for flow ${i}` };
      await race('department', range(4).map(() => ({ u: head, body: dept })), [requester, 'sec2'], ['policy_review']);

      // Compliance (step 3): sec and sec2, each on both instances; legal is not eligible.
      await race(
        'compliance',
        [
          { u: 'sec', body: COMPLIANCE_APPROVAL },
          { u: 'sec2', body: COMPLIANCE_APPROVAL },
          { u: 'sec2', body: COMPLIANCE_APPROVAL },
          { u: 'sec', body: COMPLIANCE_APPROVAL },
        ],
        ['legal'],
        ['policy_review'],
      );

      // Owner (step 4): every fourth flow the owner approves on one instance and rejects on the
      // other at the same moment: exactly one decision counts, and the final state is its result.
      const reject = { decision: 'reject', comment: `too risky, flow ${i}` };
      const ownerRacers = i % 4 === 3 ? [{ u: 'owner' as UserName, body: ownerApproval() }, { u: 'owner' as UserName, body: reject }] : [
        { u: 'owner' as UserName, body: ownerApproval() },
        { u: 'owner' as UserName, body: ownerApproval() },
      ];
      const won = await race('owner', ownerRacers, [head], ['active', 'denied']);
      const status = won.body.status;
      return { i, id, ref: created.ref, v0, requester, scope, fields, winners, status };
    };

    const settled = await Promise.allSettled(range(FLOWS).map((i) => flow(i)));
    const raced = Object.entries(stats)
      .map(([k, m]) => `${k}: ${Object.entries(m).map(([st, n]) => `${n}×${st}`).join(' ')}`)
      .join('; ');
    test.info().annotations.push({ type: 'races', description: raced });
    console.log(`instances.spec.ts (${ENGINE}): ${raced}`);
    const outcomes: Outcome[] = [];
    for (const s of settled) {
      if (s.status === 'fulfilled') outcomes.push(s.value);
      else problems.push(String(s.reason?.message ?? s.reason));
    }
    expect(problems, `concurrent flows:\n${problems.join('\n')}`).toEqual([]);
    expect(outcomes.length).toBe(FLOWS);

    await test.step('references: distinct, EXC-YYYY-NNNN, no gaps', async () => {
      const refs = outcomes.map((o) => o.ref);
      for (const r of refs) expect(r).toMatch(REF_RE);
      expect(new Set(refs).size, `duplicate references: ${JSON.stringify(countBy(refs))}`).toBe(refs.length);
      for (const b of bases) {
        const all = (await register(b, 'auditor')).map((x) => x.ref);
        expect(new Set(all).size, `duplicates in the register: ${JSON.stringify(countBy(all))}`).toBe(all.length);
        expect(all).toEqual(expect.arrayContaining(refs));
        expect(gapsIn(all), 'references per year are 1..n').toEqual([]);
      }
    });

    const exported = await auditEvents(w);
    await test.step('every request: final state, every slot filled once by its winner, events, both instances alike', async () => {
      for (const o of outcomes) {
        const seen = [];
        for (const b of bases) {
          const r = await call(b, 'auditor', 'GET', `/exceptions/${o.id}`);
          expect(r.status, show(r)).toBe(200);
          seen.push(r.body);
        }
        const [x, y] = seen;
        expect({ status: y.status, version: y.version, approvals: y.approvals, scope: y.scope }, `flow ${o.i}: both instances see the same request`).toEqual({
          status: x.status,
          version: x.version,
          approvals: x.approvals,
          scope: x.scope,
        });
        expect(x.status, `flow ${o.i}`).toBe(o.status);
        expect(x.ref).toBe(o.ref);
        expect(x.scope, `flow ${o.i}: the If-Match winner's scope`).toBe(o.scope);
        for (const [f, v] of Object.entries(o.fields)) expect(x[f], `flow ${o.i}: ${f}`).toBe(v);
        const bys: string[] = [];
        for (const s of x.approvals) {
          expect(s.by, `flow ${o.i}: slot ${s.slot} filled by the one who got the 200`).toBe(o.winners[s.slot]);
          expect(s.eligible).toContain(s.by);
          expect(s.at, `flow ${o.i}: slot ${s.slot} has its time`).toBeTruthy();
          const want = s.slot === 'owner' && o.status === 'denied' ? 'rejected' : 'approved';
          expect(s.status, `flow ${o.i}: slot ${s.slot}`).toBe(want);
          bys.push(s.by);
        }
        expect(new Set(bys).size, `flow ${o.i}: one person per slot: ${JSON.stringify(bys)}`).toBe(bys.length);

        const evs: any[][] = [];
        for (const b of bases) {
          const r = await call(b, 'auditor', 'GET', `/exceptions/${o.id}/events`);
          expect(r.status, show(r)).toBe(200);
          evs.push(r.body.items);
        }
        expect(evs[1].map((e) => e.id), `flow ${o.i}: the same events through both instances`).toEqual(evs[0].map((e) => e.id));
        const actions = countBy(evs[0].map((e) => e.action));
        expect(actions, `flow ${o.i}: one create, 1 + ${FIELDS.length} edits, one submit, one decide per slot`).toEqual({
          create: 1,
          edit: 1 + FIELDS.length,
          submit: 1,
          decide: x.approvals.length,
        });
        // Every change is one event and one version: no write without its event, none twice.
        expect(x.version - o.v0, `flow ${o.i}: versions vs events`).toBe(evs[0].length - 1);
        // Each decide event is by a different winner, in the order department, compliance, owner.
        const decideBy = evs[0].filter((e) => e.action === 'decide').map((e) => e.actor);
        expect(decideBy, `flow ${o.i}: decide events`).toEqual(['department', 'compliance', 'owner'].map((s) => o.winners[s]));
        // The exported chain holds exactly these events for the request.
        const mine = exported.filter((e) => e.entity_type === 'exception' && String(e.entity_id) === String(o.id));
        expect(mine.map((e) => e.id), `flow ${o.i}: the export holds the request's events`).toEqual(evs[0].map((e) => e.id));
      }
    });

    await test.step('the audit chain: intact by the command and through both instances; counts agree', async () => {
      const { events } = await chainIntact(w, bases);
      expect(exported.length, 'waiver audit export has as many events as the chain').toBe(events);
      const ids = exported.map((e) => Number(e.id));
      expect(new Set(ids).size, 'no event id twice').toBe(ids.length);
      // One global order: ids increase along the export and each prev_hash is the hash before.
      for (let k = 1; k < exported.length; k++) {
        expect(ids[k], `event ${ids[k]} after ${ids[k - 1]}`).toBeGreaterThan(ids[k - 1]);
        expect(exported[k].prev_hash, `event ${ids[k]} chains to event ${ids[k - 1]}`).toBe(exported[k - 1].hash);
      }
      const creates = exported.filter((e) => e.action === 'create' && e.entity_type === 'exception');
      expect(creates.length, 'one create event per request in the register').toBe((await register(w.base, 'auditor')).length);
    });

    await test.step('every notification queued through either instance is delivered exactly once', async () => {
      const refs = outcomes.map((o) => o.ref);
      const rows = await w.sql(`SELECT ref, COUNT(*) FROM outbox WHERE channel = 'email' GROUP BY ref`);
      const queued = new Map(rows.map(([r, n]) => [String(r), Number(n)]));
      // At least: the first approver, the requester told of three decisions, compliance (2), the owner.
      for (const ref of refs) expect(queued.get(ref) ?? 0, `mails queued for ${ref}`).toBeGreaterThanOrEqual(7);
      const about = (ref: string) => smtp.mails.filter((m) => m.subject.includes(ref));
      await smtp.waitFor(() => refs.every((ref) => about(ref).length >= queued.get(ref)!), 30_000, 'every queued mail');
      await sleep(1500);
      for (const ref of refs) {
        const mine = about(ref);
        expect(mine.length, `mails for ${ref}`).toBe(queued.get(ref));
        const pairs = mine.map((m) => `${m.rcpt.join(',')} ${m.subject}`);
        expect(new Set(pairs).size, `no mail twice for ${ref}: ${pairs.join('; ')}`).toBe(pairs.length);
      }
      const ids = smtp.mails.map((m) => m.messageId);
      expect(new Set(ids).size, 'no Message-ID twice').toBe(ids.length);
      const left = await w.sql(`SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL`);
      expect(Number(left[0][0]), 'nothing left undelivered').toBe(0);
    });

    expect(w.alive(), `instance A crashed:\n${w.serverLog()}`).toBe(true);
    expect(second.alive(), `instance B crashed:\n${second.log()}`).toBe(true);
  } finally {
    await second.stop();
  }
});

test('PostgreSQL restarted under load: clean 503s while it is down, success after, nothing acknowledged lost', async () => {
  test.skip(
    ENGINE !== 'postgresql',
    'SQLite has no database server to restart: the file is opened inside the waiver process, so a database restart cannot happen there',
  );
  test.setTimeout(45_000);
  // A cluster of this test's own: restarting the shared one would cut the connections of the spec
  // files running meanwhile in other workers.
  const pg = await ownPgCluster();
  const v = new Waiver(ORG_YAML, { pgDir: pg.dir });
  let second: Awaited<ReturnType<typeof startSecondServer>> | null = null;
  try {
    await v.start();
    second = await startSecondServer(v);
    const bases = [v.base, second.base];
    instances.set(v.base, { of: v, name: 'A' });
    instances.set(second.base, { of: v, name: 'B' });
    const WORKERS: UserName[] = ['ana', 'bob', 'carol', 'dpo', 'maint', 'legal'];
    const PAUSE_MS = 20;
    const stopAt = { t: Number.POSITIVE_INFINITY };
    const restart = { begun: 0, ended: 0 };
    const all: Res[] = [];
    const bad: string[] = [];

    // What each worker knows of its own drafts (nobody else writes them).
    interface Draft {
      id: number;
      title: string;
      v0: number;
      /** The version the worker last saw acknowledged, or null when an attempt went unanswered. */
      version: number | null;
      ackedScope: string | null;
      ackedVersion: number;
      /** Scopes sent after the last acknowledged one whose answer was not a 2xx (may have landed). */
      maybe: string[];
      acked: number;
      attempted: number;
    }
    const drafts: Draft[] = [];
    const unacknowledgedCreates: string[] = [];

    /** Every answer must be the expected one, or a clean 503; never a hang or a transport error. */
    const judge = (r: Res, ok: number[]): 'ok' | 'down' | 'other' => {
      all.push(r);
      if (ok.includes(r.status)) return 'ok';
      if (isProblem(r, 503)) return 'down';
      return 'other';
    };

    const worker = async (k: number) => {
      const u = WORKERS[k];
      const base = bases[k % 2];
      let cur: Draft | null = null;
      for (let n = 0; Date.now() < stopAt.t; n++) {
        if (n) await sleep(PAUSE_MS); // a bounded load: at most ~1000 / PAUSE_MS rounds a second per worker
        // Reads: the health check (no database), the register, the worker's draft.
        const h = await call(base, u, 'GET', '/health', undefined, {}, 10_000);
        if (judge(h, [200]) !== 'ok') bad.push(`health must answer 200 whatever the database: ${show(h)}`);
        const l = await call(base, u, 'GET', '/exceptions?limit=5', undefined, {}, 10_000);
        if (judge(l, [200]) === 'other') bad.push(show(l));
        if (!cur || cur.attempted >= 6) {
          const title = `restart load ${u} ${n}`;
          const c = await call(base, u, 'POST', '/exceptions', requestBody({ title, scope: 'first' }), {}, 10_000);
          const v = judge(c, [201]);
          if (v === 'ok') {
            cur = { id: c.body.id, title, v0: c.body.version, version: c.body.version, ackedScope: 'first', ackedVersion: c.body.version, maybe: [], acked: 0, attempted: 0 };
            drafts.push(cur);
          } else {
            if (v === 'other') bad.push(show(c));
            unacknowledgedCreates.push(title);
          }
          continue;
        }
        if (cur.version === null) {
          const g = await call(base, u, 'GET', `/exceptions/${cur.id}`, undefined, {}, 10_000);
          const v = judge(g, [200]);
          if (v === 'ok') cur.version = g.body.version;
          else if (v === 'other') bad.push(show(g));
          continue;
        }
        const scope = `${u} ${n}`;
        cur.attempted++;
        const p = await call(base, u, 'PATCH', `/exceptions/${cur.id}`, { scope }, { 'If-Match': `"${cur.version}"` }, 10_000);
        const v = judge(p, [200]);
        if (v === 'ok') {
          cur.acked++;
          cur.version = p.body.version;
          cur.ackedVersion = p.body.version;
          cur.ackedScope = scope;
          cur.maybe = [];
          if (p.body.scope !== scope) bad.push(`a 200 PATCH answers scope ${p.body.scope}: ${show(p)}`);
        } else {
          cur.maybe.push(scope);
          cur.version = null; // an unanswered write may have landed: read the version again
          if (v === 'other') bad.push(show(p));
        }
      }
    };

    const load = Promise.all(range(WORKERS.length).map((k) => worker(k)));
    await sleep(1_500);
    restart.begun = Date.now();
    await pg.restart();
    restart.ended = Date.now();
    await sleep(3_000);
    stopAt.t = Date.now();
    await load;

    const during = all.filter((r) => r.started + r.ms >= restart.begun && r.started <= restart.ended);
    const down = all.filter((r) => r.status === 503);
    const graceMs = 1_000;
    const lateFailures = all.filter((r) => r.started > restart.ended + graceMs && r.status === 503);
    const slowest = all.reduce((m, r) => Math.max(m, r.ms), 0);
    const summary =
      `${all.length} requests, ${during.length} in flight while the cluster restarted ` +
      `(${restart.ended - restart.begun} ms), ${down.length} answered 503, slowest ${slowest} ms, ` +
      `${lateFailures.length} still 503 more than ${graceMs} ms after the restart; ` +
      `${drafts.length} drafts created, ${unacknowledgedCreates.length} creations not acknowledged`;
    test.info().annotations.push({ type: 'restart', description: summary });
    console.log(`instances.spec.ts: ${summary}`);

    expect(v.alive(), `instance A died during the restart:\n${v.serverLog()}`).toBe(true);
    expect(second.alive(), `instance B died during the restart:\n${second.log()}`).toBe(true);
    expect(bad, `answers other than the expected 2xx or a clean 503 problem+json (${summary}):\n${bad.slice(0, 20).join('\n')}`).toEqual([]);
    expect(during.length, 'the load was running while the cluster restarted').toBeGreaterThan(0);
    expect(drafts.length, 'some creations were acknowledged').toBeGreaterThan(0);

    await test.step('once PostgreSQL is back, every instance answers reads and writes', async () => {
      // First, how long each instance takes to answer a read again (at most 10 s of polling).
      const logs = [() => v.serverLog(), () => second!.log()];
      for (const [k, b] of bases.entries()) {
        const t0 = Date.now();
        let last: Res | null = null;
        while (Date.now() - t0 < 10_000) {
          last = await call(b, 'auditor', 'GET', '/exceptions?limit=1', undefined, {}, 10_000);
          if (last.status === 200) break;
          await sleep(200);
        }
        const errors = logs[k]()
          .split('\n')
          .filter((l) => l.includes('[error]'))
          .slice(-3)
          .join('\n');
        expect(
          last?.status,
          `instance ${'AB'[k]} still fails ${Date.now() - restart.ended} ms after \`pg-cluster.sh restart\` returned ` +
            `(${Date.now() - t0} ms of polling): it does not reconnect to PostgreSQL.\n${last ? show(last) : ''}\n` +
            `its log ends with:\n${errors}`,
        ).toBe(200);
      }
      expect(
        lateFailures.map(show).slice(0, 10),
        `requests begun more than ${graceMs} ms after \`pg-cluster.sh restart\` returned still got 503 (the server does not reconnect?)`,
      ).toEqual([]);
      for (const [i, b] of bases.entries()) {
        for (let k = 0; k < 5; k++) {
          const c = await call(b, 'ana', 'POST', '/exceptions', requestBody({ title: `after the restart ${k}` }));
          expect(c.status, show(c)).toBe(201);
          const p = await call(b, 'ana', 'PATCH', `/exceptions/${c.body.id}`, { scope: 'after' }, { 'If-Match': `"${c.body.version}"` });
          expect(p.status, show(p)).toBe(200);
          const g = await call(bases[1 - i], 'ana', 'GET', `/exceptions/${c.body.id}`);
          expect(g.status, show(g)).toBe(200);
          expect(g.body.scope).toBe('after');
        }
      }
    });

    await test.step('every change acknowledged before, during or after the restart is there', async () => {
      const reg = new Map((await register(v.base, 'auditor')).map((x) => [x.id, x]));
      for (const d of drafts) {
        const g = await call(bases[d.id % 2], 'auditor', 'GET', `/exceptions/${d.id}`);
        expect(g.status, `acknowledged draft ${d.id} (${d.title}): ${show(g)}`).toBe(200);
        expect(reg.has(d.id), `acknowledged draft ${d.id} is in the register`).toBe(true);
        expect(g.body.title).toBe(d.title);
        // The last acknowledged scope, or one sent after it whose answer was lost.
        expect([d.ackedScope, ...d.maybe], `draft ${d.id}: scope ${g.body.scope}`).toContain(g.body.scope);
        expect(g.body.version, `draft ${d.id}: version`).toBeGreaterThanOrEqual(d.ackedVersion);
        expect(g.body.version, `draft ${d.id}: version`).toBeLessThanOrEqual(d.ackedVersion + d.maybe.length);
        const e = await call(v.base, 'auditor', 'GET', `/exceptions/${d.id}/events`);
        expect(e.status, show(e)).toBe(200);
        const edits = e.body.items.filter((x: any) => x.action === 'edit').length;
        expect(edits, `draft ${d.id}: edit events vs acknowledged PATCHes`).toBeGreaterThanOrEqual(d.acked);
        expect(edits, `draft ${d.id}: edit events vs attempted PATCHes`).toBeLessThanOrEqual(d.attempted);
        expect(e.body.items.length - 1, `draft ${d.id}: one event per version`).toBe(g.body.version - d.v0);
      }
      const refs = [...reg.values()].map((x) => x.ref);
      expect(new Set(refs).size, 'no duplicate reference').toBe(refs.length);
      expect(gapsIn(refs), 'references per year are 1..n (a failed creation leaves no gap)').toEqual([]);
    });

    await test.step('the audit chain is intact', async () => {
      await chainIntact(v, bases);
    });
    expect(v.alive()).toBe(true);
    expect(second.alive()).toBe(true);
  } finally {
    await second?.stop();
    await v.stop();
    await pg.stop();
  }
});
