// API tokens through the API: create (the secret shown once, only its SHA-256 stored), list
// (never the secret), expiry, revocation, last_used_at, who may manage whose tokens, and the
// audit events token_create, token_expiry and token_revoke.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem } from './helpers/flow.js';
import { useClients, instant, sha256, sleep, auditEvents, expectAuditVerifies } from './helpers/session.js';

const w = useWaiver();
const clients = useClients(w);

const TOKEN_FIELDS = ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'revoked_at', 'user'];
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** A Bearer client for a user's setup token (from `waiver token create`). */
const as = (u: Parameters<typeof who>[0]) => clients.bearer(w.tokens.get(u)!);

/** Creates a token as `by`; 201 required; returns the body (with `token`). */
async function create(by: Awaited<ReturnType<typeof as>>, body: Record<string, unknown>): Promise<any> {
  return expectOk(await by.post('/tokens', body), 201);
}

async function listOf(by: Awaited<ReturnType<typeof as>>, query = ''): Promise<any[]> {
  const r = expectOk(await by.get(`/tokens${query}`));
  expect(Array.isArray(r.items)).toBe(true);
  return r.items;
}

test('create: 201 with the secret once; it works; the list never shows it; only its hash is stored', async () => {
  const ana = await as('ana');
  const before = Date.now();
  const t = await create(ana, { name: 'laptop script' });
  expect(Object.keys(t).sort()).toEqual([...TOKEN_FIELDS, 'token'].sort());
  expect(t).toMatchObject({ user: who('ana'), name: 'laptop script', expires_at: null, last_used_at: null, revoked_at: null });
  expect(t.created_at).toMatch(INSTANT_RE);
  expect(Date.parse(t.created_at)).toBeGreaterThanOrEqual(before - 2_000);
  expect(typeof t.token).toBe('string');
  expect(t.token.length).toBeGreaterThanOrEqual(32);

  const me = expectOk(await (await clients.bearer(t.token)).get('/me'));
  expect(me.email).toBe(who('ana'));

  const items = await listOf(ana);
  const listed = items.find((i) => i.id === t.id);
  expect(listed, 'the new token is listed').toBeTruthy();
  for (const i of items) {
    expect(Object.keys(i).sort(), 'list items: no secret, no hash').toEqual([...TOKEN_FIELDS].sort());
    expect(JSON.stringify(i)).not.toContain(t.token);
  }
  expect(JSON.stringify(items)).not.toContain(sha256(t.token));
  // the database holds the SHA-256, never the secret
  expect(await w.sql(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = '${sha256(t.token)}'`)).toEqual([[1]]);
  const dump = JSON.stringify(await w.sql('SELECT * FROM api_tokens'));
  expect(dump).not.toContain(t.token);
});

test('create refuses a missing name, a past or malformed expiry, unknown fields (422), and creates nothing', async () => {
  const ana = await as('ana');
  const n = (await listOf(ana)).length;
  expectProblem(await ana.post('/tokens', {}), 422, ['name']);
  expectProblem(await ana.post('/tokens', { name: '   ' }), 422, ['name']);
  expectProblem(await ana.post('/tokens', { name: 'x', expires_at: instant(-60_000) }), 422, ['expires_at']);
  expectProblem(await ana.post('/tokens', { name: 'x', expires_at: 'next tuesday' }), 422, ['expires_at']);
  expectProblem(await ana.post('/tokens', { name: 'x', scope: 'all' }), 422, ['scope']);
  expectProblem(await ana.post('/tokens', { name: 'x', token: 'wvr_chosen_by_me' }), 422, ['token']);
  expectProblem(await ana.post('/tokens', '[]'), 400);
  expect((await listOf(ana)).length).toBe(n);
  // a future expiry, as an instant or a date, is kept
  const a = await create(ana, { name: 'until 2099', expires_at: '2099-01-31T00:00:00Z' });
  expect(a.expires_at).toBe('2099-01-31T00:00:00Z');
  const d = await create(ana, { name: 'until a date', expires_at: '2099-02-01' });
  expect(d.expires_at).toMatch(/^2099-02-01T/);
  expectOk(await (await clients.bearer(a.token)).get('/me'));
});

test('last_used_at is set when the token is used', async () => {
  const ana = await as('ana');
  const t = await create(ana, { name: 'used once' });
  expect((await listOf(ana)).find((i) => i.id === t.id).last_used_at).toBeNull();
  const before = Date.now();
  expectOk(await (await clients.bearer(t.token)).get('/me'));
  const used = (await listOf(ana)).find((i) => i.id === t.id);
  expect(used.last_used_at).toMatch(INSTANT_RE);
  expect(Date.parse(used.last_used_at)).toBeGreaterThanOrEqual(before - 2_000);
  expect(Date.parse(used.last_used_at)).toBeLessThanOrEqual(Date.now() + 2_000);
});

test('revoke: the token gets 401 at once; the list shows revoked_at; a revoked token cannot be re-dated', async () => {
  const ana = await as('ana');
  const t = await create(ana, { name: 'to revoke' });
  const user = await clients.bearer(t.token);
  expectOk(await user.get('/me'));
  const r = await ana.delete(`/tokens/${t.id}`);
  expect([200, 204], `${r.status} ${r.text}`).toContain(r.status);
  expectProblem(await user.get('/me'), 401);
  expectProblem(await user.post('/tokens', { name: 'from a revoked token' }), 401);
  const listed = (await listOf(ana)).find((i) => i.id === t.id);
  expect(listed.revoked_at).toMatch(INSTANT_RE);
  expectProblem(await ana.patch(`/tokens/${t.id}`, { expires_at: '2099-01-01T00:00:00Z' }), 409);
  // revoking again changes nothing
  const again = await ana.delete(`/tokens/${t.id}`);
  expect([200, 204, 404, 409], `${again.status} ${again.text}`).toContain(again.status);
  expect((await listOf(ana)).find((i) => i.id === t.id).revoked_at).toBe(listed.revoked_at);
  expectProblem(await user.get('/me'), 401);
});

test('a token can revoke itself', async () => {
  const ana = await as('ana');
  const t = await create(ana, { name: 'self-revoking' });
  const self = await clients.bearer(t.token);
  const r = await self.delete(`/tokens/${t.id}`);
  expect([200, 204], `${r.status} ${r.text}`).toContain(r.status);
  expectProblem(await self.get('/me'), 401);
});

test('expiry: a past expires_at is refused (422); one a few seconds ahead ends the token then (401)', async () => {
  const ana = await as('ana');
  const t = await create(ana, { name: 'short-lived' });
  const user = await clients.bearer(t.token);
  expectProblem(await ana.patch(`/tokens/${t.id}`, { expires_at: instant(-3_600_000) }), 422, ['expires_at']);
  expectProblem(await ana.patch(`/tokens/${t.id}`, {}), 422, ['expires_at']);
  expectProblem(await ana.patch(`/tokens/${t.id}`, { expires_at: 'soon' }), 422, ['expires_at']);
  expectProblem(await ana.patch(`/tokens/${t.id}`, { expires_at: '2099-01-01T00:00:00Z', name: 'renamed' }), 422, ['name']);
  expect((await listOf(ana)).find((i) => i.id === t.id).expires_at, 'refused changes change nothing').toBeNull();

  const end = instant(4_000);
  const p = expectOk(await ana.patch(`/tokens/${t.id}`, { expires_at: end }));
  expect(p.expires_at).toBe(end);
  expect(expectOk(await user.get('/me')).email).toBe(who('ana'));
  await sleep(Math.max(0, Date.parse(end) - Date.now()) + 1_200);
  expectProblem(await user.get('/me'), 401);
  expectProblem(await user.get('/session'), 401);
  const listed = (await listOf(ana)).find((i) => i.id === t.id);
  expect(listed.expires_at).toBe(end);
  expect(listed.revoked_at).toBeNull();

  // expires_at: null removes the expiry of a live token
  const u = await create(ana, { name: 'no end', expires_at: '2099-01-01T00:00:00Z' });
  expect(expectOk(await ana.patch(`/tokens/${u.id}`, { expires_at: null })).expires_at).toBeNull();
  expectOk(await (await clients.bearer(u.token)).get('/me'));
});

test('a non-admin sees and manages only their own tokens (403 for ?user=, 404 for another\'s id)', async () => {
  const ana = await as('ana');
  const bob = await as('bob');
  const bobs = await create(bob, { name: 'bob only' });
  const bobClient = await clients.bearer(bobs.token);

  const mine = await listOf(ana);
  expect(mine.length).toBeGreaterThan(0);
  for (const i of mine) expect(i.user).toBe(who('ana'));
  expect(mine.map((i) => i.id)).not.toContain(bobs.id);
  expectProblem(await ana.get(`/tokens?user=${encodeURIComponent(who('bob'))}`), 403);
  for (const i of await listOf(ana, `?user=${encodeURIComponent(who('ana'))}`)) expect(i.user).toBe(who('ana'));

  expectProblem(await ana.delete(`/tokens/${bobs.id}`), 404);
  expectProblem(await ana.patch(`/tokens/${bobs.id}`, { expires_at: instant(3_600_000) }), 404);
  // the unknown id gets the same answer as someone else's
  const unknown = await ana.delete('/tokens/99999999');
  expectProblem(unknown, 404);
  expectProblem(await ana.delete('/tokens/abc'), 404);
  expect(expectOk(await bobClient.get('/me')).email).toBe(who('bob'));
  const still = (await listOf(bob)).find((i) => i.id === bobs.id);
  expect(still).toMatchObject({ revoked_at: null, expires_at: null });

  // nor create one for someone else (403), nothing created
  const nBob = (await listOf(bob)).length;
  expectProblem(await ana.post('/tokens', { name: 'for bob', user: who('bob') }), 403);
  expect((await listOf(bob)).length).toBe(nBob);
  // the auditor and security compliance are not admins either
  expectProblem(await (await as('auditor')).get(`/tokens?user=${encodeURIComponent(who('bob'))}`), 403);
  expectProblem(await (await as('sec')).delete(`/tokens/${bobs.id}`), 404);
  expectProblem(await (await clients.browser()).get('/tokens'), 401);
});

test('an admin lists everyone\'s tokens, creates one for another user, re-dates and revokes it', async () => {
  const admin = await as('admin');
  const all = await listOf(admin);
  const users = new Set(all.map((i) => i.user));
  expect(users.size, 'everyone\'s tokens (the setup made one per user)').toBeGreaterThanOrEqual(10);
  for (const i of all) expect(i.token).toBeUndefined();

  const t = await create(admin, { name: 'for bob by admin', user: who('bob') });
  expect(t.user).toBe(who('bob'));
  const bobToken = await clients.bearer(t.token);
  expect(expectOk(await bobToken.get('/me')).email).toBe(who('bob'));
  const bobs = await listOf(admin, `?user=${encodeURIComponent(who('bob'))}`);
  expect(bobs.map((i) => i.id)).toContain(t.id);
  for (const i of bobs) expect(i.user).toBe(who('bob'));
  // bob sees it among his own
  expect((await listOf(await as('bob'))).map((i) => i.id)).toContain(t.id);

  expectProblem(await admin.post('/tokens', { name: 'for nobody', user: 'nobody@example.com' }), 422, ['user']);

  const p = expectOk(await admin.patch(`/tokens/${t.id}`, { expires_at: '2099-06-30T00:00:00Z' }));
  expect(p.expires_at).toBe('2099-06-30T00:00:00Z');
  const r = await admin.delete(`/tokens/${t.id}`);
  expect([200, 204], `${r.status} ${r.text}`).toContain(r.status);
  expectProblem(await bobToken.get('/me'), 401);
  expect((await listOf(admin, `?user=${encodeURIComponent(who('bob'))}`)).find((i) => i.id === t.id).revoked_at).toMatch(INSTANT_RE);
});

test('token_create, token_expiry and token_revoke are audit events naming actor and owner; the chain verifies', async () => {
  const admin = await as('admin');
  const t = await create(admin, { name: 'audited', user: who('carol') });
  expectOk(await admin.patch(`/tokens/${t.id}`, { expires_at: '2099-01-01T00:00:00Z' }));
  const r = await admin.delete(`/tokens/${t.id}`);
  expect([200, 204]).toContain(r.status);
  const ev = (await auditEvents(w)).filter((e) => e.entity_type === 'token' && String(e.entity_id) === String(t.id));
  const actions = ev.map((e) => e.action);
  expect(actions).toEqual(['token_create', 'token_expiry', 'token_revoke']);
  for (const e of ev) expect(e.actor).toBe(who('admin'));
  expect(ev[0].data?.user).toBe(who('carol'));
  expect(ev[2].data?.user).toBe(who('carol'));
  // the secret is nowhere in the trail
  const all = JSON.stringify(await auditEvents(w));
  expect(all).not.toContain(t.token);
  expect(all).not.toContain(sha256(t.token));
  await expectAuditVerifies(w);
});
