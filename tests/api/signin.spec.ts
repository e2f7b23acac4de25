// Signing in with a password: the session cookie and its attributes, the same answer for an
// unknown email and a wrong password, rotation, signing out, idle and absolute expiry (simulated
// by editing the session row), and CSRF on cookie-authenticated writes.
import { test, expect } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem, requestBody, snapshot, expectUnchanged, createDraft } from './helpers/flow.js';
import {
  useClients, setPassword, sessionCookieLine, cookieAttributes, sessionRow, editSession, instant, sha256,
  auditEvents, expectAuditVerifies, startSecondServer, PASSWORD,
} from './helpers/session.js';

const w = useWaiver();
const clients = useClients(w);

test.beforeAll(async () => {
  for (const u of ['ana', 'bob', 'sec', 'carol'] as const) await setPassword(w, who(u));
});

test.describe('POST /session', () => {
  test('signs in: the body, the cookie (HttpOnly, SameSite=Lax, Path=/, Max-Age of 12 h), /me by cookie', async () => {
    const b = await clients.browser();
    const before = Date.now();
    const r = await b.signIn(who('sec'));
    const s = expectOk(r);
    expect(r.headers['content-type']).toContain('application/json');
    expect(s).toMatchObject({ email: who('sec'), name: 'Sam Ek', via: 'session' });
    expect(s.roles).toEqual(['security_compliance']);
    expect(typeof s.csrf_token).toBe('string');
    expect(s.csrf_token.length).toBeGreaterThanOrEqual(32);
    // expires_at: the absolute limit, 12 hours after sign-in
    expect(s.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const end = Date.parse(s.expires_at);
    expect(end).toBeGreaterThanOrEqual(before - 2_000 + 12 * 3600_000);
    expect(end).toBeLessThanOrEqual(Date.now() + 2_000 + 12 * 3600_000);

    const line = sessionCookieLine(r);
    expect(line, `Set-Cookie: ${r.headers['set-cookie']}`).toBeTruthy();
    const { value, attrs } = cookieAttributes(line!);
    expect(value).toMatch(/^[0-9A-Za-z_-]{32,}$/);
    expect(value).not.toBe(s.csrf_token);
    expect(attrs.has('httponly'), line).toBe(true);
    expect(attrs.get('samesite')?.toLowerCase(), line).toBe('lax');
    expect(attrs.get('path'), line).toBe('/');
    const maxAge = Number(attrs.get('max-age'));
    expect(maxAge, line).toBeGreaterThan(12 * 3600 - 10);
    expect(maxAge, line).toBeLessThanOrEqual(12 * 3600);
    // served over plain http here (WAIVER_BASE_URL=http://…): no Secure
    expect(attrs.has('secure'), line).toBe(false);

    const me = expectOk(await b.get('/me'));
    expect(me.email).toBe(who('sec'));
    expect(me.roles).toContain('security_compliance');
    // the same cookie sent by another client works too: the session lives on the server
    const other = await clients.withCookie(value);
    expect(expectOk(await other.get('/me')).email).toBe(who('sec'));
    // only the cookie's hash is stored
    expect(await w.sql(`SELECT COUNT(*) FROM sessions WHERE id_hash = '${value}'`)).toEqual([[0]]);
    expect(await sessionRow(w, value)).not.toBeNull();
  });

  test('GET /session answers the current session with its csrf_token; without one, 401', async () => {
    const b = await clients.browser();
    const s = expectOk(await b.signIn(who('ana')));
    const g = expectOk(await b.get('/session'));
    expect(g).toMatchObject({ email: who('ana'), via: 'session', csrf_token: s.csrf_token });
    expect(g.roles).toEqual([]);
    // by token: no CSRF token, via token
    const t = expectOk(await (await clients.bearer(w.tokens.get('ana')!)).get('/session'));
    expect(t).toMatchObject({ email: who('ana'), via: 'token' });
    expect(t.csrf_token ?? null).toBeNull();
    expectProblem(await (await clients.browser()).get('/session'), 401);
    expectProblem(await (await clients.withCookie('0'.repeat(64))).get('/session'), 401);
    expectProblem(await (await clients.withCookie('garbage')).get('/me'), 401);
  });

  test('GET /session by cookie gives the same expires_at as the sign-in', async () => {
    const b = await clients.browser();
    const s = expectOk(await b.signIn(who('ana')));
    const g = expectOk(await b.get('/session'));
    expect(g.expires_at, 'GET /session should say when the session ends').toBe(s.expires_at);
  });

  test('a wrong password, an unknown email and a user without a password get the same 401 and body', async () => {
    const anon = await clients.browser();
    const wrong = await anon.signIn(who('ana'), 'not the right password');
    const unknown = await anon.signIn('nobody@example.com', 'not the right password');
    const noPassword = await anon.signIn(who('dpo'), 'not the right password');
    for (const r of [wrong, unknown, noPassword]) {
      expectProblem(r, 401);
      expect(sessionCookieLine(r), 'no session cookie on a failed sign-in').toBeUndefined();
    }
    expect(unknown.text, 'unknown email vs wrong password: the same body').toBe(wrong.text);
    expect(noPassword.text, 'user without a password vs wrong password: the same body').toBe(wrong.text);
    expect(unknown.headers['content-type']).toBe(wrong.headers['content-type']);
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
    // still not signed in
    expectProblem(await anon.get('/me'), 401);
  });

  test('a malformed sign-in is refused without a session: missing fields 422, not JSON 400, unknown field 422', async () => {
    const anon = await clients.browser();
    expectProblem(await anon.post('/session', { email: who('ana') }), 422, ['password']);
    expectProblem(await anon.post('/session', { password: PASSWORD }), 422, ['email']);
    expectProblem(await anon.post('/session', { email: who('ana'), password: PASSWORD, remember: true }), 422, ['remember']);
    expectProblem(await anon.post('/session', { email: who('ana'), password: 42 }), 422, ['password']);
    expectProblem(await anon.post('/session', '{"email": '), 400);
    expectProblem(await anon.get('/me'), 401);
  });

  test('signing in again rotates the session: the old cookie no longer works, the new one does', async () => {
    const b = await clients.browser();
    const first = expectOk(await b.signIn(who('bob')));
    const oldCookie = b.cookie!;
    expect(oldCookie).toBeTruthy();
    // a session of the same person in another browser is not this browser's to end
    const elsewhere = await clients.signedIn(who('bob'));

    const second = expectOk(await b.signIn(who('bob')));
    const newCookie = b.cookie!;
    expect(newCookie).not.toBe(oldCookie);
    expect(second.csrf_token).not.toBe(first.csrf_token);

    expectProblem(await (await clients.withCookie(oldCookie)).get('/me'), 401);
    expect(await sessionRow(w, oldCookie), 'the old session is gone from the database').toBeNull();
    expect(expectOk(await (await clients.withCookie(newCookie)).get('/me')).email).toBe(who('bob'));
    expect(expectOk(await b.get('/me')).email).toBe(who('bob'));
    expect(expectOk(await elsewhere.get('/me')).email).toBe(who('bob'));
    // the old CSRF token is not accepted with the new session
    const n = expectOk(await b.get('/tokens')).items.length;
    expectProblem(await b.post('/tokens', { name: 'stale csrf' }, { csrf: first.csrf_token }), 403);
    expect(expectOk(await b.get('/tokens')).items.length).toBe(n);
  });
});

test('over https (WAIVER_BASE_URL=https://…) the cookie is Secure; a second instance on the same database shares the sessions', async () => {
  const second = await startSecondServer(w, { WAIVER_BASE_URL: 'https://waiver.example.com' });
  try {
    const b = await clients.browserAt(second.base);
    const r = await b.signIn(who('ana'));
    expectOk(r);
    const line = sessionCookieLine(r);
    expect(line).toBeTruthy();
    const { value, attrs } = cookieAttributes(line!);
    expect(attrs.has('secure'), line).toBe(true);
    expect(attrs.has('httponly'), line).toBe(true);
    expect(attrs.get('samesite')?.toLowerCase(), line).toBe('lax');
    // the session made by the second instance works on the first, and signing out on the first ends it on both
    const first = await clients.withCookie(value, r.body.csrf_token);
    expect(expectOk(await first.get('/me')).email).toBe(who('ana'));
    expect((await first.delete('/session')).status).toBe(204);
    expectProblem(await (await clients.withCookie(value)).get('/me'), 401);
  } finally {
    await second.stop();
  }
});

test('WAIVER_SESSION_ABSOLUTE_HOURS, WAIVER_SESSION_IDLE_MINUTES, WAIVER_MAX_FAILURES_PER_ACCOUNT, WAIVER_THROTTLE_WINDOW_MINUTES take effect', async () => {
  const second = await startSecondServer(w, {
    WAIVER_SESSION_ABSOLUTE_HOURS: '1',
    WAIVER_SESSION_IDLE_MINUTES: '5',
    WAIVER_MAX_FAILURES_PER_ACCOUNT: '2',
    WAIVER_THROTTLE_WINDOW_MINUTES: '1',
  });
  try {
    const b = await clients.browserAt(second.base);
    const r = await b.signIn(who('bob'));
    const s = expectOk(r);
    const maxAge = Number(cookieAttributes(sessionCookieLine(r)!).attrs.get('max-age'));
    expect(maxAge).toBeGreaterThan(3600 - 10);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(Math.abs(Date.parse(s.expires_at) - (Date.now() + 3600_000))).toBeLessThan(5_000);
    // idle for 6 minutes: ended on this instance (5 minutes)
    await editSession(w, b.cookie!, { last_seen_at: instant(-6 * 60_000) });
    expectProblem(await b.get('/me'), 401);
    // 2 failures per account, 1-minute window → Retry-After at most 60 s
    const x = await clients.browserAt(second.base);
    expectProblem(await x.signIn(who('legal'), 'wrong wrong wrong'), 401);
    expectProblem(await x.signIn(who('legal'), 'wrong wrong wrong'), 401);
    const t = await x.signIn(who('legal'), 'wrong wrong wrong');
    expectProblem(t, 429);
    expect(Number(t.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(t.headers['retry-after'])).toBeLessThanOrEqual(60);
  } finally {
    await second.stop();
  }
});

test('the configuration file takes the session and throttle settings docs/api.md names', async () => {
  const file = join(w.dir, 'session-settings.yaml');
  writeFileSync(file, 'session_idle_minutes: 30\nsession_absolute_hours: 8\nthrottle_window_minutes: 10\nmax_failures_per_account: 3\nmax_failures_per_address: 10\n');
  const r = await w.cli(['export', '--config', file]);
  expect(r.code, `waiver export --config with session settings: ${r.stderr.trim()}`).toBe(0);
});

test.describe('DELETE /session', () => {
  test('signs out: 204, the cookie is cleared and no longer works (401)', async () => {
    const b = await clients.signedIn(who('carol'));
    const cookie = b.cookie!;
    const r = await b.delete('/session');
    expect(r.status, r.text).toBe(204);
    const line = sessionCookieLine(r);
    expect(line, 'sign-out clears the cookie').toBeTruthy();
    const { value, attrs } = cookieAttributes(line!);
    expect(value).toBe('');
    expect(attrs.get('max-age')).toBe('0');
    expectProblem(await b.get('/me'), 401);
    expectProblem(await (await clients.withCookie(cookie)).get('/me'), 401);
    expectProblem(await (await clients.withCookie(cookie)).get('/session'), 401);
    expect(await sessionRow(w, cookie)).toBeNull();
  });

  test('by cookie it needs X-CSRF-Token (403, still signed in); with it, 204', async () => {
    const b = await clients.signedIn(who('carol'));
    expectProblem(await b.delete('/session', { csrf: null }), 403);
    expectProblem(await b.delete('/session', { csrf: 'f'.repeat(64) }), 403);
    expect(expectOk(await b.get('/me')).email).toBe(who('carol'));
    expect((await b.delete('/session')).status).toBe(204);
    expectProblem(await b.get('/me'), 401);
  });

  test('without a session: 401', async () => {
    expectProblem(await (await clients.browser()).delete('/session'), 401);
  });
});

test.describe('session lifetime (the session row edited to simulate time passing)', () => {
  test('past its absolute end (12 h after sign-in): 401, even while in use', async () => {
    const b = await clients.signedIn(who('ana'));
    expectOk(await b.get('/me'));
    await editSession(w, b.cookie!, { expires_at: instant(-1_000), last_seen_at: instant() });
    expectProblem(await b.get('/me'), 401);
    expectProblem(await b.get('/session'), 401);
    expectProblem(await b.post('/exceptions', requestBody()), 401);
  });

  test('idle for 60 minutes: 401; idle for 59 minutes: still signed in, and the request counts as activity', async () => {
    const idle = await clients.signedIn(who('ana'));
    await editSession(w, idle.cookie!, { last_seen_at: instant(-61 * 60_000) });
    expectProblem(await idle.get('/me'), 401);
    expectProblem(await idle.get('/session'), 401);

    const fresh = await clients.signedIn(who('ana'));
    const was = instant(-59 * 60_000);
    await editSession(w, fresh.cookie!, { last_seen_at: was });
    expect(expectOk(await fresh.get('/me')).email).toBe(who('ana'));
    const row = await sessionRow(w, fresh.cookie!);
    expect(Date.parse(row!.last_seen_at), 'last_seen_at moves forward on use').toBeGreaterThan(Date.parse(was) + 50 * 60_000);
    expect(expectOk(await fresh.get('/me')).email).toBe(who('ana'));
  });

  test('an idle or expired session cannot sign out either, and a new sign-in works', async () => {
    const b = await clients.signedIn(who('bob'));
    await editSession(w, b.cookie!, { expires_at: instant(-60_000) });
    expectProblem(await b.delete('/session'), 401);
    expectOk(await b.signIn(who('bob')));
    expect(expectOk(await b.get('/me')).email).toBe(who('bob'));
  });
});

test.describe('CSRF', () => {
  test('a cookie-authenticated POST without X-CSRF-Token: 403 and nothing created; with it, 201', async () => {
    const b = await clients.signedIn(who('ana'));
    const sec = await w.as('sec');
    const count = async () => expectOk(await sec.get('/exceptions?limit=200')).items.length;
    const n = await count();
    const refused = await b.post('/exceptions', requestBody({ title: 'CSRF probe' }), { csrf: null });
    expectProblem(refused, 403);
    expect(await count(), 'nothing created').toBe(n);
    // a wrong token, an empty one, and another session's token are refused alike
    const other = await clients.signedIn(who('bob'));
    for (const bad of ['', 'x', 'f'.repeat(64), other.csrf!, b.csrf!.toUpperCase()]) {
      if (bad === b.csrf) continue;
      expectProblem(await b.post('/exceptions', requestBody({ title: 'CSRF probe' }), { csrf: bad }), 403);
    }
    expect(await count(), 'nothing created').toBe(n);

    const ok = expectOk(await b.post('/exceptions', requestBody({ title: 'Created by cookie' })), 201);
    expect(ok.requester).toBe(who('ana'));
    expect(await count()).toBe(n + 1);
  });

  test('a cookie-authenticated PATCH and action without the header change nothing', async () => {
    const ana = await w.as('ana');
    const d = await createDraft(w);
    const b = await clients.signedIn(who('ana'));
    const before = await snapshot(ana, d.id);
    expectProblem(await b.patch(`/exceptions/${d.id}`, { title: 'changed by a forged request' }, { csrf: null }), 403);
    expectProblem(await b.post(`/exceptions/${d.id}/submit`, {}, { csrf: null }), 403);
    expectProblem(await b.post(`/exceptions/${d.id}/withdraw`, { reason: 'forged' }, { csrf: null }), 403);
    await expectUnchanged(ana, before);
    const p = expectOk(await b.patch(`/exceptions/${d.id}`, { title: 'changed by the page' }));
    expect(p.title).toBe('changed by the page');
  });

  test('another origin cannot read the session (no CORS grant) and the answers are not cached', async () => {
    const b = await clients.signedIn(who('ana'));
    const r = await b.send('GET', '/session', undefined, { headers: { Origin: 'https://evil.example' } });
    expectOk(r);
    expect(r.headers['access-control-allow-origin'], 'no CORS grant to another origin').toBeUndefined();
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
    expect(r.headers['cache-control'] ?? '', 'the CSRF token must not be cached').toContain('no-store');
    const pre = await b.send('OPTIONS', '/tokens', undefined, {
      csrf: null,
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-csrf-token' },
    });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('GET by cookie needs no header; a Bearer request needs none for writes', async () => {
    const b = await clients.signedIn(who('ana'));
    expectOk(await b.get('/exceptions'));
    expectOk(await b.get('/tokens'));
    const bearer = await clients.bearer(w.tokens.get('ana')!);
    expectOk(await bearer.post('/exceptions', requestBody({ title: 'By token, no CSRF header' }), { csrf: null }), 201);
    expectOk(await bearer.post('/tokens', { name: 'by token' }, { csrf: null }), 201);
  });

  test('Bearer wins over a cookie: a request with both is the token holder\'s and needs no CSRF header', async () => {
    const b = await clients.signedIn(who('bob'));
    const r = await b.send('POST', '/exceptions', requestBody({ title: 'Both credentials' }), {
      csrf: null,
      headers: { Authorization: `Bearer ${w.tokens.get('ana')}` },
    });
    expect(expectOk(r, 201).requester).toBe(who('ana'));
    // a bad Bearer is not rescued by a good cookie
    expectProblem(await b.send('GET', '/me', undefined, { headers: { Authorization: 'Bearer wvr_nope' } }), 401);
  });
});

test('openapi.json documents the sign-in, token and administration endpoints', async () => {
  const r = expectOk(await (await clients.browser()).get('/openapi.json'));
  const norm = (p: string) => p.replace(/^\/api\/v1(?=\/)/, '').replace(/\{[^}]+\}/g, '{}');
  const paths: Record<string, any> = {};
  for (const [p, v] of Object.entries(r.paths ?? {})) paths[norm(p)] = v;
  const expected: [string, string][] = [
    ['post', '/session'], ['get', '/session'], ['delete', '/session'],
    ['get', '/tokens'], ['post', '/tokens'], ['patch', '/tokens/{}'], ['delete', '/tokens/{}'],
    ['get', '/users'], ['post', '/users'], ['get', '/users/{}'], ['patch', '/users/{}'], ['put', '/users/{}/password'],
    ['get', '/departments'], ['post', '/departments'], ['patch', '/departments/{}'],
  ];
  const missing = expected.filter(([m, p]) => !paths[p] || !paths[p][m]).map(([m, p]) => `${m.toUpperCase()} ${p}`);
  expect(missing, `missing from openapi.json (has: ${Object.keys(r.paths ?? {}).join(', ')})`).toEqual([]);
});

test('sign-ins, failed sign-ins and sign-outs are audit events; the chain verifies', async () => {
  const b = await clients.browser();
  expectProblem(await b.signIn(who('sec'), 'a wrong password for the audit'), 401);
  expectProblem(await b.signIn('ghost@example.com', 'a wrong password for the audit'), 401);
  expectOk(await b.signIn(who('sec')));
  const cookie = b.cookie!;
  expect((await b.delete('/session')).status).toBe(204);

  const ev = await auditEvents(w);
  const of = (action: string, actor: string) => ev.filter((e) => e.action === action && e.actor === actor);
  expect(of('sign_in', who('sec')).length).toBeGreaterThanOrEqual(1);
  expect(of('sign_in_failed', who('sec')).length).toBeGreaterThanOrEqual(1);
  expect(of('sign_in_failed', 'ghost@example.com').length).toBe(1);
  expect(of('sign_out', who('sec')).length).toBeGreaterThanOrEqual(1);
  const last = of('sign_in', who('sec')).at(-1);
  expect(last.entity_id).toBe(who('sec'));
  expect(last.data?.method).toBe('password');
  // no secret ends up in the trail: neither the password nor a session cookie
  const trail = JSON.stringify(ev);
  expect(trail).not.toContain(PASSWORD);
  expect(trail).not.toContain('a wrong password for the audit');
  expect(trail).not.toContain(cookie);
  expect(trail).not.toContain(sha256(cookie));
  await expectAuditVerifies(w);
  expect(expectOk(await (await w.as('auditor')).get('/audit/verify')).ok).toBe(true);
});
