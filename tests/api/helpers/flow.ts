// Building blocks for the process: request bodies, dates, moving a request through its states,
// and the assertions every refusal shares (problem+json, nothing changed).
import { expect } from '@playwright/test';
import type { Api, ApiResult, UserName, Waiver } from './server.js';
import { who } from './server.js';

/** Today in UTC, YYYY-MM-DD. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A YYYY-MM-DD date n days after d (UTC). */
export function addDays(d: string, n: number): string {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

export const REF_RE = /^EXC-\d{4}-\d{4}$/;

export const STATES = [
  'draft', 'department_review', 'policy_review', 'changes_requested', 'active', 'denied',
  'withdrawn', 'appeal_legal', 'appeal_executive', 'denied_final', 'expired', 'revoked', 'closed',
  'superseded',
];

/** A complete, submittable request (access-control, type access, YELLOW, 60 days from today). */
export function requestBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  const start = today();
  return {
    title: 'Local admin rights on the build agents',
    policy_id: 'access-control',
    requirement: 'AC-3.2: no standing administrative rights on shared hosts',
    type: 'access',
    data_classification: 'YELLOW',
    description: 'The build team needs local admin rights on the three build agents to install toolchains.',
    alternative: 'A just-in-time elevation tool, not yet available for these hosts.',
    justification: 'Release builds are blocked without the toolchain updates.',
    resources: 'The build team (3 people) maintains the agents; the hosts are already monitored.',
    scope: 'build-01, build-02, build-03; 3 people',
    likelihood: 2,
    impact: 3,
    compensating_controls: [
      {
        description: 'Weekly review of admin activity logs',
        owner: who('ana'),
        status: 'planned',
        evidence_url: 'https://wiki.example.com/build/log-review',
      },
    ],
    start_on: start,
    end_on: addDays(start, 60),
    links: ['https://wiki.example.com/build/agents'],
    ...over,
  };
}

/** The owner's approval, with valid defaults. */
export function ownerApproval(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    decision: 'approve',
    comment: 'Approved with the controls below.',
    risk_level: 'medium',
    compensating_controls: [
      { description: 'Admin activity logs forwarded to the SIEM', owner: who('ana'), status: 'implemented' },
      { description: 'Monthly access review by the department head', status: 'planned' },
    ],
    end_on: addDays(today(), 45),
    ...over,
  };
}

export const COMPLIANCE_APPROVAL = {
  decision: 'approve',
  comment: 'No new compliance implications beyond SOC 2 CC6.',
  implications: 'current',
  frameworks: ['SOC 2'],
};

/** A short user name from an email (ana@example.com → ana). */
export function nameOf(email: string): UserName {
  return email.split('@')[0] as UserName;
}

/** Asserts a problem+json error with that status and, if given, these fields in errors[]. */
export function expectProblem(r: ApiResult, status: number, fields: string[] = []): void {
  expect(r.status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 500)}`).toBe(status);
  expect(r.headers['content-type'] ?? '', `content-type of a ${status}`).toContain('application/problem+json');
  expect(r.body, `problem body of a ${status}: ${r.text.slice(0, 300)}`).toBeTruthy();
  expect(r.body.status).toBe(status);
  expect(typeof r.body.title).toBe('string');
  if (fields.length) {
    expect(Array.isArray(r.body.errors), `errors[] in ${r.text.slice(0, 500)}`).toBe(true);
    const named: string[] = r.body.errors.map((e: any) => String(e.field));
    for (const f of fields) {
      expect(
        named.some((n) => n === f || n.startsWith(`${f}.`) || n.startsWith(`${f}[`)),
        `errors[] should name "${f}"; named: ${JSON.stringify(named)}`,
      ).toBe(true);
    }
  }
}

/** Asserts a 2xx with a JSON body, showing the body when not. */
export function expectOk(r: ApiResult, status = 200): any {
  expect(r.status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 800)}`).toBe(status);
  return r.body;
}

/** GET /exceptions/{id} as api; must be 200. */
export async function getReq(api: Api, id: string | number): Promise<any> {
  return expectOk(await api.get(`/exceptions/${id}`));
}

export interface Snapshot {
  id: string | number;
  status: string;
  version: number;
  updated_at: string;
  events: number;
}

/** The state a refused request must keep: status, version, updated_at and its event count. */
export async function snapshot(api: Api, id: string | number): Promise<Snapshot> {
  const r = await getReq(api, id);
  const ev = expectOk(await api.get(`/exceptions/${id}/events`));
  return { id, status: r.status, version: r.version, updated_at: r.updated_at, events: ev.items.length };
}

export async function expectUnchanged(api: Api, before: Snapshot): Promise<void> {
  const now = await snapshot(api, before.id);
  expect(now, 'a refused action must change nothing').toEqual(before);
}

/**
 * Runs an action that must be refused with `status` (and these error fields), then checks through
 * `viewer` that the request did not change.
 */
export async function expectRefused(
  viewer: Api,
  id: string | number,
  action: () => Promise<ApiResult>,
  status: number,
  fields: string[] = [],
): Promise<ApiResult> {
  const before = await snapshot(viewer, id);
  const r = await action();
  expectProblem(r, status, fields);
  await expectUnchanged(viewer, before);
  return r;
}

export function slotOf(req: any, slot: string): any {
  const s = (req.approvals ?? []).find((a: any) => a.slot === slot);
  expect(s, `slot ${slot} in ${JSON.stringify(req.approvals)}`).toBeTruthy();
  return s;
}

/** Creates a draft as `as` (default ana). */
export async function createDraft(w: Waiver, over: Record<string, unknown> = {}, as: UserName = 'ana'): Promise<any> {
  const api = await w.as(as);
  const r = await api.post('/exceptions', requestBody(over));
  return expectOk(r, 201);
}

/** Creates and submits (→ department_review). */
export async function createSubmitted(w: Waiver, over: Record<string, unknown> = {}, as: UserName = 'ana'): Promise<any> {
  const d = await createDraft(w, over, as);
  const api = await w.as(as);
  const s = expectOk(await api.post(`/exceptions/${d.id}/submit`, {}));
  expect(s.status).toBe('department_review');
  return s;
}

export async function decide(
  w: Waiver,
  id: string | number,
  slot: string,
  as: UserName,
  body: Record<string, unknown>,
): Promise<ApiResult> {
  return (await w.as(as)).post(`/exceptions/${id}/approvals/${slot}`, body);
}

/** Approves the department slot with its first eligible person (→ policy_review). */
export async function approveDepartment(w: Waiver, req: any): Promise<any> {
  const dept = slotOf(req, 'department');
  const by = nameOf(dept.eligible[0]);
  const r = expectOk(await decide(w, req.id, 'department', by, { decision: 'approve', comment: 'Fine by the department.' }));
  expect(r.status).toBe('policy_review');
  return r;
}

/** Fills every policy_review slot but the owner's, each by a different person. */
export async function approveReviewSlots(w: Waiver, req: any): Promise<any> {
  const used = new Set<string>((req.approvals ?? []).filter((a: any) => a.by).map((a: any) => a.by));
  let cur = req;
  for (const s of req.approvals.filter((a: any) => a.stage === 'policy_review' && a.slot !== 'owner')) {
    if (s.status === 'approved') continue;
    const person: string | undefined = s.eligible.find((e: string) => !used.has(e));
    expect(person, `someone left for slot ${s.slot}`).toBeTruthy();
    used.add(person!);
    const body = s.slot === 'compliance' ? COMPLIANCE_APPROVAL : { decision: 'approve', comment: `ok for ${s.slot}` };
    cur = expectOk(await decide(w, req.id, s.slot, nameOf(person!), body));
    expect(cur.status).toBe('policy_review');
  }
  return cur;
}

/** A request taken all the way to active (as ana unless said otherwise). */
export async function createActive(
  w: Waiver,
  over: Record<string, unknown> = {},
  decision: Record<string, unknown> = {},
  as: UserName = 'ana',
): Promise<any> {
  const s = await createSubmitted(w, over, as);
  const p = await approveDepartment(w, s);
  await approveReviewSlots(w, p);
  const a = expectOk(await decide(w, s.id, 'owner', 'owner', ownerApproval(decision)));
  expect(a.status).toBe('active');
  return a;
}

/** A request in policy_review, department slot approved. */
export async function createInPolicyReview(w: Waiver, over: Record<string, unknown> = {}): Promise<any> {
  const s = await createSubmitted(w, over);
  return approveDepartment(w, s);
}

/** A request the owner rejected (→ denied). */
export async function createDenied(w: Waiver, over: Record<string, unknown> = {}): Promise<any> {
  const p = await createInPolicyReview(w, over);
  const d = expectOk(await decide(w, p.id, 'owner', 'owner', { decision: 'reject', comment: 'Too risky.' }));
  expect(d.status).toBe('denied');
  return d;
}

export async function events(api: Api, id: string | number): Promise<any[]> {
  const r = expectOk(await api.get(`/exceptions/${id}/events`));
  expect(Array.isArray(r.items)).toBe(true);
  return r.items;
}
