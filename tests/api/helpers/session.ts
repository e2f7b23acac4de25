// Clients for signing in: a "browser" that keeps the session cookie the server sets (Playwright's
// request context is the cookie jar) and answers X-CSRF-Token like the web page would; a client
// that sends a cookie value it was given (an old or stolen one); a Bearer client with DELETE and
// PUT. Also: setting passwords through the command line, reading `waiver audit export`, and
// editing a session row (idle, absolute expiry) through `w.sql` (SQLite or PostgreSQL).
import { test, expect, request as playwrightRequest } from '@playwright/test';
import type { APIRequestContext, APIResponse } from '@playwright/test';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WAIVER_BIN, freePort } from './server.js';
import type { ApiResult, Waiver } from './server.js';

export const SESSION_COOKIE = 'waiver_session';

/** A password long enough for the server's rule (12 characters or more). */
export const PASSWORD = 'correct horse battery staple';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** An RFC 3339 UTC instant with seconds, `ms` milliseconds from now (negative: in the past). */
export function instant(ms = 0): string {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `waiver user set-password EMAIL` with the password on standard input; must succeed. */
export async function setPassword(w: Waiver, email: string, password = PASSWORD): Promise<void> {
  const r = await w.cli(['user', 'set-password', email], { input: `${password}\n` });
  expect(r.code, `set-password ${email}: ${r.stderr}`).toBe(0);
}

/** `waiver audit export` as objects; `data`, `before` and `after` parsed when they hold JSON text. */
export async function auditEvents(w: Waiver): Promise<any[]> {
  const r = await w.cli(['audit', 'export']);
  expect(r.code, r.stderr).toBe(0);
  const parse = (v: unknown) => {
    if (typeof v !== 'string') return v ?? null;
    if (v === '') return null;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  };
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().length)
    .map((l) => {
      const e = JSON.parse(l);
      return { ...e, data: parse(e.data), before: parse(e.before), after: parse(e.after) };
    });
}

/** `waiver audit verify` exits 0. */
export async function expectAuditVerifies(w: Waiver): Promise<void> {
  const v = await w.auditVerify();
  expect(v.code, `audit verify: ${v.stderr}`).toBe(0);
}

/** The Set-Cookie lines of a response. */
export function setCookies(r: ApiResult): string[] {
  return (r.headers['set-cookie'] ?? '').split('\n').filter((l) => l.trim().length);
}

/** The session cookie's line of a response, or undefined. */
export function sessionCookieLine(r: ApiResult): string | undefined {
  return setCookies(r).find((l) => l.trim().startsWith(`${SESSION_COOKIE}=`));
}

/** The attributes of a Set-Cookie line: name → value (lower-case names; flags map to ''). */
export function cookieAttributes(line: string): { value: string; attrs: Map<string, string> } {
  const [first, ...rest] = line.split(';').map((s) => s.trim());
  const value = first.slice(first.indexOf('=') + 1);
  const attrs = new Map<string, string>();
  for (const a of rest) {
    if (!a) continue;
    const eq = a.indexOf('=');
    if (eq < 0) attrs.set(a.toLowerCase(), '');
    else attrs.set(a.slice(0, eq).toLowerCase(), a.slice(eq + 1));
  }
  return { value, attrs };
}

type Csrf = { csrf?: string | null };

/**
 * A JSON client against /api/v1. `mode` decides the credentials: the context's cookie jar
 * ("browser"), an explicit Cookie header, or a Bearer token.
 */
export class Client {
  /** The session's CSRF token after a successful sign-in (sent on non-GET requests by default). */
  csrf: string | null = null;
  /** The last session cookie value the server set for this client. */
  cookie: string | null = null;

  constructor(
    private readonly ctx: APIRequestContext,
    private readonly w: Waiver,
    private readonly auth: { bearer?: string; cookie?: string; base?: string } = {},
  ) {}

  private async wrap(r: APIResponse): Promise<ApiResult> {
    const text = await r.text();
    let body: any = undefined;
    try {
      body = text.length ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    // Playwright joins repeated headers; keep every Set-Cookie line on its own line.
    const headers = r.headers();
    const cookies = r.headersArray().filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value);
    if (cookies.length) headers['set-cookie'] = cookies.join('\n');
    return { status: r.status(), headers, body, text };
  }

  url(path: string): string {
    return `${this.auth.base ?? this.w.base}/api/v1${path}`;
  }

  /**
   * Any method. Non-GET requests carry X-CSRF-Token with the client's own token unless
   * `opts.csrf` says otherwise (null: no header; a string: that value).
   */
  async send(
    method: string,
    path: string,
    data?: unknown,
    opts: Csrf & { headers?: Record<string, string> } = {},
  ): Promise<ApiResult> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (this.auth.bearer !== undefined) h.Authorization = `Bearer ${this.auth.bearer}`;
    if (this.auth.cookie !== undefined) h.Cookie = `${SESSION_COOKIE}=${this.auth.cookie}`;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (method !== 'GET' && csrf !== null && csrf !== undefined) h['X-CSRF-Token'] = csrf;
    if (data !== undefined) h['Content-Type'] = 'application/json';
    const r = await this.ctx.fetch(this.url(path), {
      method,
      headers: { ...h, ...(opts.headers ?? {}) },
      data: data === undefined ? undefined : (data as any),
      maxRedirects: 0,
    });
    const out = await this.wrap(r);
    const line = sessionCookieLine(out);
    if (line) this.cookie = cookieAttributes(line).value || null;
    return out;
  }

  get(path: string, opts: Csrf = {}) {
    return this.send('GET', path, undefined, opts);
  }
  post(path: string, data: unknown = {}, opts: Csrf = {}) {
    return this.send('POST', path, data, opts);
  }
  patch(path: string, data: unknown, opts: Csrf = {}) {
    return this.send('PATCH', path, data, opts);
  }
  put(path: string, data: unknown, opts: Csrf = {}) {
    return this.send('PUT', path, data, opts);
  }
  delete(path: string, opts: Csrf = {}) {
    return this.send('DELETE', path, undefined, opts);
  }

  /** POST /session; on 200 keeps the CSRF token (the cookie is kept by the jar and in `cookie`). */
  async signIn(email: string, password: string = PASSWORD): Promise<ApiResult> {
    const r = await this.send('POST', '/session', { email, password }, { csrf: null });
    if (r.status === 200 && r.body?.csrf_token) this.csrf = r.body.csrf_token;
    return r;
  }
}

/**
 * Registers an afterAll that disposes every request context made through it. One fresh context
 * per client, so no two clients share a cookie jar.
 */
export function useClients(w: Waiver) {
  const contexts: APIRequestContext[] = [];
  test.afterAll(async () => {
    for (const c of contexts.splice(0)) await c.dispose().catch(() => undefined);
  });
  const fresh = async () => {
    const ctx = await playwrightRequest.newContext();
    contexts.push(ctx);
    return ctx;
  };
  return {
    /** A browser: keeps whatever cookie the server sets, sends it back. */
    async browser(): Promise<Client> {
      return new Client(await fresh(), w);
    },
    /** A browser already signed in (200 required). */
    async signedIn(email: string, password: string = PASSWORD): Promise<Client> {
      const b = new Client(await fresh(), w);
      const r = await b.signIn(email, password);
      expect(r.status, `sign in ${email}: ${r.text.slice(0, 300)}`).toBe(200);
      return b;
    },
    /** Sends exactly this session cookie value (and no other), e.g. one the server has ended. */
    async withCookie(value: string, csrf: string | null = null): Promise<Client> {
      const c = new Client(await fresh(), w, { cookie: value });
      c.csrf = csrf;
      return c;
    },
    /** A browser against another server (e.g. a second instance on the same database). */
    async browserAt(base: string): Promise<Client> {
      return new Client(await fresh(), w, { base });
    },
    /** Authorization: Bearer TOKEN. */
    async bearer(token: string): Promise<Client> {
      return new Client(await fresh(), w, { bearer: token });
    },
  };
}

/** The sessions row of a cookie value (only its SHA-256 is stored), as {expires_at, last_seen_at}. */
export async function sessionRow(w: Waiver, cookie: string): Promise<{ expires_at: string; last_seen_at: string } | null> {
  const rows = await w.sql(`SELECT expires_at, last_seen_at FROM sessions WHERE id_hash = '${sha256(cookie)}'`);
  if (!rows.length) return null;
  return { expires_at: String(rows[0][0]), last_seen_at: String(rows[0][1]) };
}

/** Edits the session of that cookie (e.g. to move its last request or its end into the past). */
export async function editSession(w: Waiver, cookie: string, set: { expires_at?: string; last_seen_at?: string; created_at?: string }): Promise<void> {
  const parts = Object.entries(set).map(([k, v]) => `${k} = '${v}'`);
  await w.sql(`UPDATE sessions SET ${parts.join(', ')} WHERE id_hash = '${sha256(cookie)}'`);
  expect(await sessionRow(w, cookie), 'the session row to edit').not.toBeNull();
}

/**
 * A second `waiver serve` on the same database with extra environment (e.g. an https
 * WAIVER_BASE_URL); stop it before the file ends. Its log is serve-PORT.log in the temp folder;
 * `alive()` tells whether the process still runs, `log()` gives the end of its log.
 */
export async function startSecondServer(
  w: Waiver,
  env: Record<string, string> = {},
): Promise<{ base: string; stop: () => Promise<void>; alive: () => boolean; log: () => string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logPath = join(w.dir, `serve-${port}.log`);
  const log = openSync(logPath, 'a');
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WAIVER_')) clean[k] = v;
  const child = spawn(WAIVER_BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', w.db], {
    cwd: w.dir,
    env: { ...clean, WAIVER_BASE_URL: base, ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(t);
  };
  const alive = () => child.exitCode === null && child.signalCode === null;
  const logTail = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${base}/api/v1/health`)).status === 200) return { base, stop, alive, log: logTail };
    } catch {
      // not yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`second waiver serve did not start:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
}
