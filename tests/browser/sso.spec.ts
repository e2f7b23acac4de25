// Single sign-on in the browser: with a provider configured, the sign-in page offers it, and the
// whole flow (the provider's login form and consent, the callback) ends signed in, on the page
// the person asked for. The provider is `oidc-provider` (OpenID Certified) on loopback.
import { test, expect } from '@playwright/test';
import Provider from 'oidc-provider';
import type { Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { Waiver, freePort, who } from './helpers/server';
import { expectAccessible, expectNoPageErrors, screenshot, watch } from './helpers/browser';

const CLIENT_ID = 'waiver';
const CLIENT_SECRET = 'a-long-client-secret-for-the-browser-tests';

const w = new Waiver();
let provider: Server;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  w.serveEnv = { WAIVER_OIDC_ISSUER: issuer, WAIVER_OIDC_CLIENT_ID: CLIENT_ID, WAIVER_OIDC_CLIENT_SECRET: CLIENT_SECRET };
  await w.start();
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${w.base}/api/v1/oidc/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...key, kid: 'browser-test-key', use: 'sig', alg: 'RS256' }] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    pkce: { methods: ['S256'], required: () => true },
    cookies: { keys: ['a-cookie-signing-key-for-the-browser-tests'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    async findAccount(_ctx: unknown, id: string) {
      return { accountId: id, async claims() { return { sub: id, email: id, email_verified: true, name: id }; } };
    },
  });
  provider = oidc.listen(port, '127.0.0.1');
  await new Promise<void>((ok) => provider.once('listening', () => ok()));
});

test.afterAll(async () => {
  await new Promise((ok) => (provider ? provider.close(() => ok(undefined)) : ok(undefined)));
  await w.stop();
});

test('the sign-in page offers single sign-on, and the flow ends signed in on the page asked for', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: w.base });
  const page = await context.newPage();
  watch(page);
  await page.goto('/register');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fregister/);
  const sso = page.getByRole('link', { name: 'Sign in with single sign-on' });
  await expect(sso).toBeVisible();
  await expectAccessible(page, 'sign-in with single sign-on');
  await screenshot(page, 'sign-in-sso');
  expectNoPageErrors(page);
  await sso.click();
  // The provider's own pages: its development login form, then consent.
  await page.locator('input[name="login"]').fill(who('auditor'));
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(`${w.base}/register`);
  await expect(page.getByRole('heading', { name: 'Register' })).toBeVisible();
  await expect(page.locator('.who')).toContainText('Audrey Tor');
});
