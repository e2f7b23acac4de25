// Starts a real `waiver serve` on a free port with a fresh SQLite database and the built web
// interface (web/dist), for one spec file. Adapted from tests/api/helpers/server.ts: the same
// organisation, plus a password for everyone so the browser can sign in.
import { test, request as playwrightRequest } from '@playwright/test';
import type { APIRequestContext } from '@playwright/test';
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..', '..');

/** The binary under test: $WAIVER_BIN, else build/waiver. */
export const WAIVER_BIN = process.env.WAIVER_BIN ? resolve(process.env.WAIVER_BIN) : join(REPO, 'build', 'waiver');
/** The built interface: $WAIVER_WEB_ROOT, else web/dist. */
export const WEB_ROOT = process.env.WAIVER_WEB_ROOT ? resolve(process.env.WAIVER_WEB_ROOT) : join(REPO, 'web', 'dist');
/** Everyone's password in the tests. */
export const PASSWORD = 'correct horse battery staple';

export const USERS = [
  'ana', 'bob', 'carol', 'eng.head', 'maint', 'owner', 'sec', 'sec2', 'legal', 'ceo', 'cfo', 'auditor', 'admin', 'dpo',
] as const;
export type UserName = (typeof USERS)[number];
export const who = (u: UserName): string => `${u}@example.com`;

export const ORG_YAML = `users:
  - {email: ana@example.com, name: Ana Diaz, department: Engineering}
  - {email: bob@example.com, name: Bob Berg, department: Engineering}
  - {email: eng.head@example.com, name: Erin Head, department: Engineering}
  - {email: carol@example.com, name: Carol Cash, department: Finance}
  - {email: maint@example.com, name: Max Maint, department: Security}
  - {email: owner@example.com, name: Olga Owner, department: Security}
  - {email: sec@example.com, name: Sam Ek, department: Security, roles: [security_compliance]}
  - {email: sec2@example.com, name: Sara Two, department: Security, roles: [security_compliance]}
  - {email: legal@example.com, name: Lee Gal, department: Finance, roles: [legal]}
  - {email: ceo@example.com, name: Cee Eo, department: Finance, roles: [ceo]}
  - {email: cfo@example.com, name: Cef Oh, department: Finance, roles: [cfo]}
  - {email: auditor@example.com, name: Audrey Tor, department: Finance, roles: [auditor]}
  - {email: admin@example.com, name: Adam Min, department: Security, roles: [admin]}
  - {email: dpo@example.com, name: Dee Pee, department: Finance}
departments:
  - {name: Engineering, head: eng.head@example.com}
  - {name: Finance, head: cfo@example.com}
  - {name: Security, head: admin@example.com}
policies:
  - id: access-control
    title: Access Management Policy
    kind: policy
    owner: owner@example.com
    maintainers: [maint@example.com]
  - id: crypto-standard
    title: Cryptography Standard
    kind: standard
    owner: owner@example.com
    maintainers: [maint@example.com]
matrix:
  default: {first_approval: department_head, max_days: 90}
  rules:
    - when: {type: device}
      set: {max_days: 365}
    - when: {type: [technology, configuration]}
      set: {first_approval: maintainers}
    - when: {data_classification: RED}
      require:
        - {slot: legal, role: legal}
        - {slot: data_owner, user: dpo@example.com}
`;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WAIVER_')) env[k] = v;
  return { ...env, ...extra };
}

export async function freePort(): Promise<number> {
  return await new Promise<number>((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr && typeof addr === 'object') {
        const port = addr.port;
        srv.close(() => ok(port));
      } else srv.close(() => fail(new Error('no port')));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ApiResult {
  status: number;
  body: any;
}

export class Waiver {
  dir = '';
  db = '';
  base = '';
  tokens = new Map<string, string>();
  private child: ChildProcess | null = null;
  private contexts: APIRequestContext[] = [];
  private logPath = '';
  /** Extra environment for `waiver serve` only (e.g. the WAIVER_OIDC_* settings). */
  serveEnv: Record<string, string> = {};

  async cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return await new Promise((ok) => {
      const child = execFile(
        WAIVER_BIN,
        [...args, '--db', this.db],
        { cwd: this.dir, env: childEnv(), timeout: 60_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
          ok({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      // A command that exits without reading its input closes the pipe first: that EPIPE is not a
      // failure of the test (the exit code and output are checked).
      child.stdin?.on('error', () => {});
      child.stdin?.end(input ?? '');
    });
  }

  private async cliOk(args: string[], input?: string): Promise<string> {
    const r = await this.cli(args, input);
    if (r.code !== 0) throw new Error(`waiver ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    if (!existsSync(WAIVER_BIN)) throw new Error(`waiver binary not found at ${WAIVER_BIN} (set WAIVER_BIN or build it)`);
    if (!existsSync(join(WEB_ROOT, 'index.html')))
      throw new Error(`${WEB_ROOT}/index.html is missing: run \`make web\` first`);
    this.dir = mkdtempSync(join(tmpdir(), 'waiver-browser-'));
    this.db = `sqlite://${join(this.dir, 'w.db')}`;
    writeFileSync(join(this.dir, 'org.yaml'), ORG_YAML);
    await this.cliOk(['init']);
    await this.cliOk(['import', join(this.dir, 'org.yaml')]);
    await Promise.all(
      USERS.map(async (u) => {
        this.tokens.set(u, (await this.cliOk(['token', 'create', who(u)])).trim());
        await this.cliOk(['user', 'set-password', who(u)], `${PASSWORD}\n`);
      }),
    );
    await this.serve();
  }

  async serve(): Promise<void> {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.logPath = join(this.dir, 'serve.log');
    const log = openSync(this.logPath, 'a');
    this.child = spawn(WAIVER_BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', this.db], {
      cwd: this.dir,
      env: childEnv({ WAIVER_BASE_URL: this.base, WAIVER_WEB_ROOT: WEB_ROOT, ...this.serveEnv }),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`waiver serve exited:\n${this.serverLog()}`);
      try {
        if ((await fetch(`${this.base}/api/v1/health`)).status === 200) return;
      } catch {
        /* not yet */
      }
      await sleep(100);
    }
    throw new Error(`waiver serve did not answer within 20 s:\n${this.serverLog()}`);
  }

  serverLog(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  /** A call to the API as that user, with their token (no browser). */
  async api(u: UserName, method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, data?: unknown): Promise<ApiResult> {
    const ctx = await playwrightRequest.newContext();
    this.contexts.push(ctx);
    let r;
    try {
      r = await ctx.fetch(`${this.base}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.tokens.get(u)}`, 'Content-Type': 'application/json' },
        data: method === 'GET' ? undefined : (data ?? {}),
      });
    } catch (e) {
      const alive = this.child && this.child.exitCode === null ? 'running' : `gone (exit code ${this.child?.exitCode}, signal ${this.child?.signalCode})`;
      throw new Error(`${method} ${path} as ${u} failed (${String(e)}); the server is ${alive}; its log:\n${this.serverLog()}`);
    }
    const text = await r.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: r.status(), body };
  }

  async stop(): Promise<void> {
    for (const c of this.contexts) await c.dispose().catch(() => undefined);
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
    }
    if (this.dir && !process.env.WAIVER_KEEP_TMP) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One fresh server and database for the calling spec file. */
export function useWaiver(): Waiver {
  const w = new Waiver();
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    await w.start();
  });
  // A failed test prints the end of the server's log: the only trace of a failure seen in CI.
  test.afterEach(async ({}, info) => {
    if (info.status !== info.expectedStatus) console.log(`--- waiver serve log (${info.title}) ---\n${w.serverLog()}`);
  });
  test.afterAll(async () => {
    await w.stop();
  });
  return w;
}
