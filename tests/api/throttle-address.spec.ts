// Sign-in throttling under load and per address: concurrent wrong passwords for one account must
// not get more than 5 guesses checked; after 20 failures from one address (any accounts) within
// 15 minutes, every sign-in from it gets 429 with Retry-After, even a first one with the right
// password. This file's server is left throttled for the address: nothing may sign in after it.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import type { UserName } from './helpers/server.js';
import { expectOk, expectProblem } from './helpers/flow.js';
import { useClients, setPassword, sessionCookieLine, PASSWORD } from './helpers/session.js';

const w = useWaiver();
const clients = useClients(w);
const WRONG = 'definitely not the password';
const ACCOUNTS: UserName[] = ['ana', 'bob', 'carol', 'dpo', 'legal', 'ceo', 'cfo', 'maint', 'owner', 'sec2'];
/** Every 401 a sign-in got in this file: each one is a failure counted for 127.0.0.1. */
let failures = 0;

test.beforeAll(async () => {
  for (const u of [...ACCOUNTS, 'auditor' as const]) await setPassword(w, who(u));
});

async function attempt(email: string, password: string) {
  const r = await (await clients.browser()).signIn(email, password);
  if (r.status === 401) failures++;
  return r;
}

test('8 concurrent wrong passwords for one account: at most 5 are checked, the rest get 429', async () => {
  const rs = await Promise.all(Array.from({ length: 8 }, () => attempt(who('legal'), WRONG)));
  const statuses = rs.map((r) => r.status).sort();
  for (const r of rs) expect([401, 429], r.text).toContain(r.status);
  const checked = statuses.filter((s) => s === 401).length;
  expect(checked, `statuses of 8 concurrent attempts: ${statuses.join(',')}`).toBeLessThanOrEqual(5);
  expectProblem(await attempt(who('legal'), PASSWORD), 429);
});

test('20 failures from one address, spread over accounts: then every sign-in from it gets 429', async () => {
  const sessionBefore = await clients.signedIn(who('auditor'));
  let throttled: Awaited<ReturnType<typeof attempt>> | null = null;
  outer: for (const u of ACCOUNTS.filter((a) => a !== 'legal')) {
    for (let i = 0; i < 4; i++) {  // below the per-account limit of 5
      const r = await attempt(who(u), WRONG);
      if (r.status === 429) {
        throttled = r;
        break outer;
      }
      expectProblem(r, 401);
    }
  }
  expect(throttled, 'a 429 once the address had 20 failures').not.toBeNull();
  expect(failures, 'failures from the address before the first 429').toBe(20);
  expect(throttled!.headers['retry-after']).toMatch(/^\d+$/);

  // an account that never failed, with the right password: 429 too
  const r = await attempt(who('auditor'), PASSWORD);
  expectProblem(r, 429);
  expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  expect(sessionCookieLine(r)).toBeUndefined();
  // existing sessions and tokens are not affected
  expect(expectOk(await sessionBefore.get('/me')).email).toBe(who('auditor'));
  expect(expectOk(await (await w.as('ana')).get('/me')).email).toBe(who('ana'));
});
