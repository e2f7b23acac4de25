// Sign-in throttling per account (defaults: 5 failures within 15 minutes → 429 with Retry-After,
// even with the right password). Every failure here also counts for the address (127.0.0.1,
// limit 20 per file's server); this file stays below it: 18 failures in all. The per-address
// limit and concurrent attempts are in throttle-address.spec.ts.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem } from './helpers/flow.js';
import { useClients, setPassword, sessionCookieLine, auditEvents, PASSWORD } from './helpers/session.js';

const w = useWaiver();
const clients = useClients(w);
const WRONG = 'definitely not the password';

test.beforeAll(async () => {
  for (const u of ['ana', 'bob', 'carol', 'dpo'] as const) await setPassword(w, who(u));
});

function expectThrottled(r: { status: number; headers: Record<string, string>; text: string; body: any }): void {
  expectProblem(r, 429);
  const after = r.headers['retry-after'];
  expect(after, `Retry-After on a 429: ${JSON.stringify(r.headers)}`).toMatch(/^\d+$/);
  expect(Number(after)).toBeGreaterThan(0);
  expect(Number(after), 'at most the 15-minute window').toBeLessThanOrEqual(15 * 60);
  expect(sessionCookieLine(r as any), 'no session cookie on a 429').toBeUndefined();
}

test('5 wrong passwords, then even the right one gets 429 with Retry-After; another account still signs in', async () => {
  const ana = await clients.signedIn(who('ana')); // a session from before the attack
  const b = await clients.browser();
  for (let i = 1; i <= 5; i++) expectProblem(await b.signIn(who('bob'), WRONG), 401);
  expectThrottled(await b.signIn(who('bob'), PASSWORD));
  expectThrottled(await b.signIn(who('bob'), WRONG));
  expectProblem(await b.get('/me'), 401);

  // the throttle is per account: ana signs in from the same address
  const other = await clients.browser();
  expect(expectOk(await other.signIn(who('ana'))).email).toBe(who('ana'));
  // and it only guards signing in: bob's token and ana's earlier session keep working
  expect(expectOk(await (await w.as('bob')).get('/me')).email).toBe(who('bob'));
  expect(expectOk(await ana.get('/me')).email).toBe(who('ana'));

  const ev = await auditEvents(w);
  expect(ev.filter((e) => e.action === 'sign_in_failed' && e.actor === who('bob')).length).toBe(5);
});

test('an unknown email is throttled exactly like a known one (no way to tell them apart)', async () => {
  const b = await clients.browser();
  for (let i = 1; i <= 5; i++) expectProblem(await b.signIn('nobody.at.all@example.com', WRONG), 401);
  const t = await b.signIn('nobody.at.all@example.com', WRONG);
  expectThrottled(t);
  // bob is throttled since the test above: the same 429 body and Retry-After
  const k = await b.signIn(who('bob'), WRONG);
  expectThrottled(k);
  expect(t.text).toBe(k.text);
  expect(t.headers['retry-after']).toBe(k.headers['retry-after']);
});

test('a successful sign-in clears the account\'s failures', async () => {
  const b = await clients.browser();
  for (let i = 1; i <= 4; i++) expectProblem(await b.signIn(who('carol'), WRONG), 401);
  expectOk(await b.signIn(who('carol')));
  for (let i = 1; i <= 4; i++) expectProblem(await b.signIn(who('carol'), WRONG), 401);
  expect(expectOk(await b.signIn(who('carol'))).email).toBe(who('carol'));
});

test('while throttled, the right and the wrong password get the same 429; an untouched account signs in', async () => {
  // bob is throttled since the first test: the answer must not tell whether the password was right
  const b = await clients.browser();
  const r1 = await b.signIn(who('bob'), PASSWORD);
  const r2 = await b.signIn(who('bob'), WRONG);
  expectThrottled(r1);
  expectThrottled(r2);
  expect(r1.text, 'right and wrong password get the same 429').toBe(r2.text);
  // dpo was never attacked and still signs in
  expectOk(await (await clients.browser()).signIn(who('dpo')));
});
