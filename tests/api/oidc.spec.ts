// Single sign-on, black-box. Three servers:
// - against `oidc-provider` (an OpenID Certified provider) on loopback: the whole browser flow,
//   login form and consent included, for a known user and for one created on first sign-in with
//   roles from a claim; a replayed callback, an unknown state, a provider error are refused;
// - against a forging provider written here: tokens with a wrong audience, a bad signature, a
//   key of another pair, a replayed nonce, "alg": "none" are all refused, and nothing is created;
// - without single sign-on: 404.
// The browser is Node's fetch with manual redirects and a small cookie jar.
import { test, expect } from '@playwright/test';
import Provider from 'oidc-provider';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createHash, generateKeyPairSync, randomBytes, sign as rsaSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Waiver, freePort, who } from './helpers/server.js';

const CLIENT_ID = 'waiver';
const CLIENT_SECRET = 'a-long-client-secret-for-the-tests-only';

// ---- a browser: manual redirects, cookies per origin ----------------------------------------------

interface Step {
  status: number;
  location: string | null;
  url: string;
  body: string;
  contentType: string;
  setCookies: string[];
}

class Browser {
  private jar = new Map<string, Map<string, string>>();  // origin -> name -> value

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).origin)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const origin = new URL(url).origin;
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    this.jar.get(origin)!.set(name, value);
  }

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Step> {
    const origin = new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers: Record<string, string> = { Accept: 'text/html,application/json' };
    if (cookies) headers.Cookie = cookies;
    let body: string | undefined;
    if (init.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const r = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    const setCookies = r.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const gone =
        attrs.some((a) => /^max-age=0$/i.test(a)) ||
        attrs.some((a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now());
      if (!this.jar.has(origin)) this.jar.set(origin, new Map());
      if (gone) this.jar.get(origin)!.delete(name);
      else this.jar.get(origin)!.set(name, value);
    }
    const location = r.headers.get('location');
    return {
      status: r.status,
      location: location === null ? null : new URL(location, url).toString(),
      url,
      body: await r.text(),
      contentType: r.headers.get('content-type') ?? '',
      setCookies,
    };
  }
}

/** The first HTML form of a page: its absolute action and hidden fields. */
function htmlForm(page: Step): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.body);
  if (!form) throw new Error(`no form on ${page.url}:\n${page.body.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name && /type="hidden"/.test(input[0])) fields[name] = value;
  }
  return { action: new URL(form[1].replace(/&amp;/g, '&'), page.url).toString(), fields };
}

/**
 * Follows redirects from `start`, filling the provider's login form (any password) and its
 * consent form, until a redirect to `stopAt`; returns that URL (the callback with code and state).
 */
async function throughProvider(b: Browser, start: string, stopAt: string, login: string): Promise<string> {
  let step = await b.go(start);
  for (let i = 0; i < 20; i++) {
    if (step.location) {
      if (step.location.startsWith(stopAt)) return step.location;
      step = await b.go(step.location);
      continue;
    }
    if (step.status === 200 && step.contentType.includes('html')) {
      const { action, fields } = htmlForm(step);
      if (fields.prompt === 'login') step = await b.go(action, { form: { ...fields, login, password: 'any' } });
      else step = await b.go(action, { form: fields });
      continue;
    }
    throw new Error(`unexpected ${step.status} from ${step.url}: ${step.body.slice(0, 1000)}`);
  }
  throw new Error('too many redirects');
}

/** The problem+json 401 every refused callback answers, and no session cookie with it. */
function expectRefused(step: Step): { status: number; detail: string } {
  expect(step.status, step.body).toBe(401);
  expect(step.contentType).toContain('application/problem+json');
  const p = JSON.parse(step.body);
  expect(p.status).toBe(401);
  expect(typeof p.detail).toBe('string');
  expect(step.setCookies.some((l) => l.startsWith('waiver_session='))).toBe(false);
  return p;
}

async function me(w: Waiver, b: Browser): Promise<{ status: number; body: any }> {
  const r = await b.go(`${w.base}/api/v1/me`);
  return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined };
}

async function auditEvents(w: Waiver): Promise<any[]> {
  const r = await w.cli(['audit', 'export']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .map((e) => ({ ...e, data: e.data ? JSON.parse(e.data) : null }));
}

async function userCount(w: Waiver, email: string): Promise<number> {
  const rows = await w.sql(`SELECT COUNT(*) FROM users WHERE email = '${email.replace(/'/g, "''")}'`);
  return Number(rows[0][0]);
}

function oidcEnv(issuer: string): Record<string, string> {
  return { WAIVER_OIDC_ISSUER: issuer, WAIVER_OIDC_CLIENT_ID: CLIENT_ID, WAIVER_OIDC_CLIENT_SECRET: CLIENT_SECRET };
}

const SSO_CONFIG = `oidc_create_users: true
oidc_default_department: Engineering
oidc_roles_claim: groups
oidc_role_map:
  waiver-auditors: auditor
  waiver-admins: admin
`;

// ---- against oidc-provider ----------------------------------------------------------------------

test.describe('single sign-on with oidc-provider', () => {
  const w = new Waiver();
  let provider: Server;
  let issuer = '';
  const groups: Record<string, string[]> = { 'new.person@example.com': ['waiver-auditors', 'staff'] };

  test.beforeAll(async () => {
    test.setTimeout(90_000);
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    w.serveEnv = oidcEnv(issuer);
    w.configYaml = SSO_CONFIG;
    await w.start();  // the server reads the provider's discovery document only at the first sign-in
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
      jwks: { keys: [{ ...key, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
      features: { devInteractions: { enabled: true } },
      pkce: { methods: ['S256'], required: () => true },
      cookies: { keys: ['a-cookie-signing-key-for-the-tests'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      async findAccount(_ctx: unknown, id: string) {
        return {
          accountId: id,
          async claims() {
            return { sub: id, email: id, email_verified: true, name: 'Newly Signed', groups: groups[id] ?? [] };
          },
        };
      },
    });
    provider = oidc.listen(port, '127.0.0.1');
    await new Promise<void>((ok) => provider.once('listening', () => ok()));
  });

  test.afterAll(async () => {
    await new Promise((ok) => (provider ? provider.close(() => ok(undefined)) : ok(undefined)));
    await w.stop();
  });

  test('login form, consent, callback: signed in as the user of the email claim', async () => {
    const b = new Browser();
    const callbackUrl = `${w.base}/api/v1/oidc/callback`;
    const start = await b.go(`${w.base}/api/v1/oidc/login?return_to=/exceptions?status=active`);
    expect(start.status).toBe(302);
    const auth = new URL(start.location!);
    expect(auth.origin).toBe(issuer);
    expect(auth.searchParams.get('response_type')).toBe('code');
    expect(auth.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(auth.searchParams.get('redirect_uri')).toBe(callbackUrl);
    expect(auth.searchParams.get('scope')).toBe('openid email profile');
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    const stateLine = start.setCookies.find((l) => l.startsWith('waiver_oidc_state='))!;
    expect(stateLine).toContain('HttpOnly');
    expect(stateLine).toContain('SameSite=Lax');
    expect(b.cookie(w.base, 'waiver_oidc_state')).toBe(auth.searchParams.get('state'));

    const back = await throughProvider(b, start.location!, callbackUrl, who('ana'));
    expect(new URL(back).searchParams.get('code')).toBeTruthy();
    const done = await b.go(back);
    expect(done.status, done.body).toBe(302);
    expect(done.location).toBe(`${w.base}/exceptions?status=active`);
    const session = done.setCookies.find((l) => l.startsWith('waiver_session='));
    expect(session).toContain('HttpOnly');
    expect(session).toContain('SameSite=Lax');
    const m = await me(w, b);
    expect(m.status).toBe(200);
    expect(m.body.email).toBe(who('ana'));

    const events = await auditEvents(w);
    const signIn = events.filter((e) => e.action === 'sign_in' && e.entity_id === who('ana'));
    expect(signIn.at(-1)?.data?.method).toBe('oidc');
  });

  test('replaying the callback, an unknown state, a missing state cookie, a provider error: 401', async () => {
    const b = new Browser();
    const callbackUrl = `${w.base}/api/v1/oidc/callback`;
    const start = await b.go(`${w.base}/api/v1/oidc/login`);
    const state = b.cookie(w.base, 'waiver_oidc_state')!;
    const back = await throughProvider(b, start.location!, callbackUrl, who('bob'));
    const first = await b.go(back);
    expect(first.status, first.body).toBe(302);
    expect(first.location).toBe(`${w.base}/`);

    // The same callback again, with the state cookie the browser had (an attacker who saw both).
    const replayer = new Browser();
    replayer.setCookie(w.base, 'waiver_oidc_state', state);
    expectRefused(await replayer.go(back));

    // A state this server never gave, with a matching cookie; and a callback without the cookie.
    const forged = randomBytes(32).toString('hex');
    const stranger = new Browser();
    stranger.setCookie(w.base, 'waiver_oidc_state', forged);
    expectRefused(await stranger.go(`${callbackUrl}?code=abc&state=${forged}`));
    expectRefused(await new Browser().go(back));

    // The provider says no (the user cancelled).
    const c = new Browser();
    await c.go(`${w.base}/api/v1/oidc/login`);
    const s = c.cookie(w.base, 'waiver_oidc_state')!;
    expectRefused(await c.go(`${callbackUrl}?error=access_denied&state=${s}`));
    expect((await me(w, c)).status).toBe(401);
    const refusals = (await auditEvents(w)).filter((e) => e.action === 'sign_in_failed' && e.data?.method === 'oidc');
    expect(refusals.some((e) => String(e.data.reason).includes('access_denied'))).toBe(true);
  });

  test('an unknown email becomes a user of the default department, roles from the mapped claim', async () => {
    const email = 'new.person@example.com';
    expect(await userCount(w, email)).toBe(0);
    const b = new Browser();
    const start = await b.go(`${w.base}/api/v1/oidc/login`);
    const done = await b.go(await throughProvider(b, start.location!, `${w.base}/api/v1/oidc/callback`, email));
    expect(done.status, done.body).toBe(302);
    const m = await me(w, b);
    expect(m.status).toBe(200);
    expect(m.body.email).toBe(email);
    expect(m.body.roles).toEqual(['auditor']);
    const rows = await w.sql(`SELECT name, department FROM users WHERE email = '${email}'`);
    expect(rows).toEqual([['Newly Signed', 'Engineering']]);
    const created = (await auditEvents(w)).filter((e) => e.action === 'user_create' && e.entity_id === email);
    expect(created).toHaveLength(1);
  });

  test('return_to must be a path on this server', async () => {
    for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'relative']) {
      const r = await new Browser().go(`${w.base}/api/v1/oidc/login?return_to=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(422);
      expect(r.contentType).toContain('application/problem+json');
    }
  });
});

// ---- against a forging provider -------------------------------------------------------------------

type Forgery = 'good' | 'wrong-audience' | 'tampered' | 'other-key' | 'replayed-nonce' | 'alg-none' | 'expired';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A provider that signs in anyone at once, and whose token endpoint answers the ID token asked for. */
class ForgingProvider {
  issuer = '';
  forgery: Forgery = 'good';
  email = who('carol');
  private server: Server | null = null;
  private published = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private pending = new Map<string, { nonce: string; challenge: string }>();
  private nonces: string[] = [];

  async start(port: number): Promise<void> {
    this.issuer = `http://127.0.0.1:${port}`;
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.issuer);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/openid-configuration')
        return json(200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/auth`,
          token_endpoint: `${this.issuer}/token`,
          jwks_uri: `${this.issuer}/jwks`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_post'],
        });
      if (url.pathname === '/jwks')
        return json(200, { keys: [{ ...this.published.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] });
      if (url.pathname === '/auth') {
        const code = randomBytes(16).toString('hex');
        this.pending.set(code, {
          nonce: url.searchParams.get('nonce') ?? '',
          challenge: url.searchParams.get('code_challenge') ?? '',
        });
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { Location: back.toString() });
        return res.end();
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          const form = new URLSearchParams(body);
          const p = this.pending.get(form.get('code') ?? '');
          this.pending.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          if (
            !p ||
            form.get('client_id') !== CLIENT_ID ||
            form.get('client_secret') !== CLIENT_SECRET ||
            createHash('sha256').update(verifier).digest('base64url') !== p.challenge
          )
            return json(400, { error: 'invalid_grant' });
          const previous = this.nonces.at(-1);
          this.nonces.push(p.nonce);
          json(200, { id_token: this.idToken(p.nonce, previous), access_token: 'at', token_type: 'Bearer' });
        });
        return;
      }
      json(404, { error: 'not_found' });
    });
    await new Promise<void>((ok) => this.server!.listen(port, '127.0.0.1', () => ok()));
  }

  async stop(): Promise<void> {
    await new Promise((ok) => (this.server ? this.server.close(() => ok(undefined)) : ok(undefined)));
  }

  private idToken(nonce: string, previousNonce: string | undefined): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: `sub-${this.email}`,
      aud: CLIENT_ID,
      iat: now,
      exp: now + 300,
      nonce,
      email: this.email,
      email_verified: true,
    };
    let key: KeyObject = this.published.privateKey;
    const header: Record<string, unknown> = { alg: 'RS256', kid: 'k1', typ: 'JWT' };
    if (this.forgery === 'wrong-audience') claims.aud = 'another-client';
    if (this.forgery === 'replayed-nonce') claims.nonce = previousNonce ?? 'never-issued';
    if (this.forgery === 'expired') {
      claims.iat = now - 900;
      claims.exp = now - 600;
    }
    if (this.forgery === 'other-key') key = this.other.privateKey;
    if (this.forgery === 'alg-none') return `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify(claims))}.`;
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = b64url(rsaSign('sha256', Buffer.from(input), key));
    if (this.forgery === 'tampered') {
      const forged = { ...claims, email: who('admin') };
      return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(forged))}.${signature}`;
    }
    return `${input}.${signature}`;
  }
}

test.describe('single sign-on refuses forged ID tokens', () => {
  const w = new Waiver();
  const idp = new ForgingProvider();

  test.beforeAll(async () => {
    test.setTimeout(90_000);
    const port = await freePort();
    await idp.start(port);
    w.serveEnv = oidcEnv(idp.issuer);
    w.configYaml = SSO_CONFIG;
    await w.start();
  });

  test.afterAll(async () => {
    await idp.stop();
    await w.stop();
  });

  async function signIn(forgery: Forgery, email: string): Promise<{ b: Browser; step: Step }> {
    idp.forgery = forgery;
    idp.email = email;
    const b = new Browser();
    const start = await b.go(`${w.base}/api/v1/oidc/login`);
    expect(start.status, start.body).toBe(302);
    const back = await b.go(start.location!);  // the provider answers at once
    expect(back.status).toBe(302);
    return { b, step: await b.go(back.location!) };
  }

  test('a well-formed token signs in (client_secret_post, PKCE checked by the provider)', async () => {
    const { b, step } = await signIn('good', who('carol'));
    expect(step.status, step.body).toBe(302);
    expect((await me(w, b)).body.email).toBe(who('carol'));
  });

  const why: Record<Exclude<Forgery, 'good'>, string> = {
    'wrong-audience': 'another client',
    tampered: 'signature is not valid',
    'other-key': 'signature is not valid',
    'replayed-nonce': 'nonce',
    'alg-none': "'none' is not accepted",
    expired: 'expired',
  };
  for (const forgery of Object.keys(why) as (keyof typeof why)[]) {
    test(`${forgery}: refused with 401, no session, no user created`, async () => {
      const email = `forged.${forgery}@example.com`;
      const before = (await auditEvents(w)).length;
      const { b, step } = await signIn(forgery, email);
      expect(expectRefused(step).detail).toContain(why[forgery]);
      expect((await me(w, b)).status).toBe(401);
      expect(await userCount(w, email)).toBe(0);
      const added = (await auditEvents(w)).slice(before);
      expect(added.map((e) => e.action)).toEqual(['sign_in_failed']);
      expect(added[0].data.method).toBe('oidc');
    });
  }
});

// ---- without single sign-on -----------------------------------------------------------------------

test.describe('single sign-on not configured', () => {
  const w = new Waiver();
  test.beforeAll(async () => {
    test.setTimeout(90_000);
    await w.start();
  });
  test.afterAll(async () => {
    await w.stop();
  });

  test('login and callback are 404', async () => {
    for (const path of ['/api/v1/oidc/login', '/api/v1/oidc/callback?code=a&state=b']) {
      const r = await new Browser().go(`${w.base}${path}`);
      expect(r.status, path).toBe(404);
      expect(r.contentType).toContain('application/problem+json');
    }
  });
});
