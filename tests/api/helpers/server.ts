// Starts a real `waiver serve` against a fresh database for one spec file, and gives the tests an
// API client per user. Black-box: only the command line and the HTTP API are used (and, for the
// few tests that inspect or tamper with rows, plain SQL through `sql()`).
//
// The engine is SQLite (a file in the spec's temp folder) unless WAIVER_TEST_ENGINE=postgresql:
// then WAIVER_TEST_PG_DIR names a cluster started with `scripts/pg-cluster.sh start DIR`, and
// each spec file gets a new empty database in it (`make api-test-postgresql` does all that).
import { test, request as playwrightRequest } from '@playwright/test';
import type { APIRequestContext, APIResponse } from '@playwright/test';
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '..', '..', '..');
const PG_CLUSTER = join(REPO, 'scripts', 'pg-cluster.sh');

export type Engine = 'sqlite' | 'postgresql';

/** The database engine under test: $WAIVER_TEST_ENGINE, `sqlite` (default) or `postgresql`. */
export const ENGINE: Engine = (() => {
  const e = process.env.WAIVER_TEST_ENGINE || 'sqlite';
  if (e !== 'sqlite' && e !== 'postgresql')
    throw new Error(`WAIVER_TEST_ENGINE=${e}: expected sqlite or postgresql`);
  return e;
})();

/** The PostgreSQL test cluster's folder ($WAIVER_TEST_PG_DIR), when ENGINE is postgresql. */
const PG_DIR: string = (() => {
  if (ENGINE !== 'postgresql') return '';
  const d = process.env.WAIVER_TEST_PG_DIR;
  if (!d || !existsSync(join(d, 'url')))
    throw new Error(
      `WAIVER_TEST_ENGINE=postgresql needs WAIVER_TEST_PG_DIR to name a started cluster ` +
        `(${d ? `${d}/url is missing` : 'it is not set'}): run \`scripts/pg-cluster.sh start DIR\` ` +
        `and set WAIVER_TEST_PG_DIR=DIR, or use \`make api-test-postgresql\``,
    );
  return resolve(d);
})();

/** Runs scripts/pg-cluster.sh with these arguments; its stdout, trimmed. */
async function pgCluster(args: string[]): Promise<string> {
  return await new Promise<string>((ok, fail) => {
    execFile(PG_CLUSTER, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`scripts/pg-cluster.sh ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
      else ok(String(stdout).trim());
    });
  });
}

/**
 * A PostgreSQL cluster of a test's own (`scripts/pg-cluster.sh start DIR` in a new temp folder),
 * for tests that must not disturb the shared one, such as restarting it while other spec files
 * run: give its `dir` to `new Waiver(ORG_YAML, { pgDir })`. `restart()` is a fast stop and a start
 * on the same port and URL (every connection the servers hold is cut); `stop()` removes it.
 */
export async function ownPgCluster(): Promise<{ dir: string; restart: () => Promise<void>; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'waiver-pg-own-'));
  try {
    await pgCluster(['start', dir]);
  } catch (e) {
    await pgCluster(['stop', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    restart: async () => {
      await pgCluster(['restart', dir]);
    },
    stop: async () => {
      await pgCluster(['stop', dir]);
    },
  };
}

/**
 * Wraps one PostgreSQL statement so that psql prints its rows as one JSON array of arrays (columns
 * in order, numbers as numbers), like the SQLite branch's json.dumps. Statements that return no
 * rows (UPDATE, DELETE, INSERT without RETURNING, DDL) run as they are: null means "no rows".
 */
function pgRowsAsJson(query: string): string | null {
  const q = query.trim().replace(/;+\s*$/, '');
  const first = q.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '').split(/[\s(]/, 1)[0].toLowerCase();
  const rows =
    ['select', 'with', 'values', 'table'].includes(first) ||
    (['insert', 'update', 'delete'].includes(first) && /\breturning\b/i.test(q));
  if (!rows) return null;
  return (
    `WITH q AS (${q}) ` +
    `SELECT coalesce(json_agg(r ORDER BY n), '[]'::json) FROM (` +
    `SELECT (SELECT coalesce(json_agg(e.v ORDER BY e.i), '[]'::json) ` +
    `FROM json_each(row_to_json(t)) WITH ORDINALITY AS e(k, v, i)) AS r, ` +
    `row_number() OVER () AS n FROM q AS t) AS s`
  );
}

/** The binary under test: $WAIVER_BIN, else ../../build/waiver relative to tests/api. */
export const WAIVER_BIN = process.env.WAIVER_BIN
  ? resolve(process.env.WAIVER_BIN)
  : resolve(here, '..', '..', '..', 'build', 'waiver');

export const DOMAIN = 'example.com';

/** Short names of the test organisation's people; `who('ana')` is ana@example.com. */
export const USERS = [
  'ana', 'bob', 'carol', 'eng.head', 'maint', 'owner', 'sec', 'sec2', 'legal', 'ceo', 'cfo',
  'auditor', 'admin', 'dpo',
] as const;
export type UserName = (typeof USERS)[number];
export const who = (u: UserName): string => `${u}@${DOMAIN}`;

/**
 * The organisation every spec file starts from.
 * - Engineering: ana and bob (employees), eng.head (head).
 * - Finance: carol (employee, never involved in anything), legal, ceo, cfo, auditor, dpo.
 * - Security: maint, owner, sec, sec2, admin.
 * - access-control (policy) and crypto-standard (standard) are owned by owner@, maintained by maint@;
 *   onboarding-procedure (procedure) likewise.
 * - Matrix: default department_head / 90 days; device → 365 days; technology, configuration →
 *   maintainers; RED → legal (role legal) and data_owner (user dpo@); policy crypto-standard →
 *   an extra `security` slot by role security_compliance (so sec@ and sec2@ are each eligible for
 *   two slots of such a request: compliance and security).
 */
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
  - id: onboarding-procedure
    title: Onboarding Procedure
    kind: procedure
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
    - when: {policy: crypto-standard}
      require:
        - {slot: security, role: security_compliance}
`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: any;
  text: string;
}

/** Environment for child processes: the caller's, less any WAIVER_* setting that could interfere. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WAIVER_')) env[k] = v;
  return { ...env, ...extra };
}

/** A free TCP port on 127.0.0.1: bind port 0, read it, close, reuse. */
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
      } else {
        srv.close(() => fail(new Error('no port')));
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A thin JSON client for one user (or none) against /api/v1. */
export class Api {
  constructor(
    private readonly ctx: APIRequestContext,
    private readonly root: () => string,
    readonly email: string | null,
    private readonly token: string | null,
  ) {}

  private headers(extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (this.token !== null) h.Authorization = `Bearer ${this.token}`;
    return { ...h, ...(extra ?? {}) };
  }

  private async wrap(r: APIResponse): Promise<ApiResult> {
    const text = await r.text();
    let body: any = undefined;
    try {
      body = text.length ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: r.status(), headers: r.headers(), body, text };
  }

  url(path: string): string {
    return `${this.root()}/api/v1${path}`;
  }

  async get(path: string, headers?: Record<string, string>): Promise<ApiResult> {
    return this.wrap(await this.ctx.get(this.url(path), { headers: this.headers(headers) }));
  }

  /** `data` may be an object (sent as JSON) or a raw string (sent as is, as application/json). */
  async post(path: string, data?: unknown, headers?: Record<string, string>): Promise<ApiResult> {
    return this.wrap(
      await this.ctx.post(this.url(path), {
        headers: this.headers({ 'Content-Type': 'application/json', ...(headers ?? {}) }),
        data: data === undefined ? {} : (data as any),
      }),
    );
  }

  async patch(path: string, data: unknown, headers?: Record<string, string>): Promise<ApiResult> {
    return this.wrap(
      await this.ctx.patch(this.url(path), {
        headers: this.headers({ 'Content-Type': 'application/json', ...(headers ?? {}) }),
        data: data as any,
      }),
    );
  }
}

export class Waiver {
  /** The engine this server runs on (the same for every spec file of a run). */
  readonly engine: Engine = ENGINE;
  dir = '';
  /** The --db URL: sqlite:///tmp/…/w.db, or postgresql://waiver:…@127.0.0.1:PORT/NAME. */
  db = '';
  /** The PostgreSQL database made for this spec file (dropped by stop()); '' on SQLite. */
  private pgName = '';
  port = 0;
  base = '';
  tokens = new Map<string, string>();
  private child: ChildProcess | null = null;
  private contexts: APIRequestContext[] = [];
  private clients = new Map<string, Api>();
  private logPath = '';
  /** Extra environment for `waiver serve` only (e.g. the WAIVER_OIDC_* settings). */
  serveEnv: Record<string, string> = {};
  /** When set, written as waiver.yaml in the working folder before the first command runs. */
  configYaml: string | null = null;

  /** The cluster this server's database lives in (PostgreSQL): $WAIVER_TEST_PG_DIR unless given. */
  private readonly pgDir: string;

  /** `opts.pgDir`: another cluster than the shared one (see ownPgCluster()). */
  constructor(
    readonly orgYaml: string = ORG_YAML,
    opts: { pgDir?: string } = {},
  ) {
    this.pgDir = opts.pgDir ?? PG_DIR;
  }

  /** Runs `waiver ARGS --db URL` in the temp folder. */
  async cli(args: string[], opts: { input?: string; withDb?: boolean } = {}): Promise<CliResult> {
    const full = opts.withDb === false ? args : [...args, '--db', this.db];
    return await new Promise<CliResult>((ok) => {
      const child = execFile(
        WAIVER_BIN,
        full,
        { cwd: this.dir, env: childEnv(), timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
          ok({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      // A command that exits without reading its input closes the pipe first: that EPIPE is not a
      // failure of the test (the exit code and output are checked).
      child.stdin?.on('error', () => {});
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  private async cliOk(args: string[]): Promise<string> {
    const r = await this.cli(args);
    if (r.code !== 0)
      throw new Error(`waiver ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** `waiver jobs run --now INSTANT` (e.g. 2027-01-31T00:00:00Z). */
  async jobsRun(now: string): Promise<CliResult> {
    return this.cli(['jobs', 'run', '--now', now]);
  }

  /** `waiver audit verify`. */
  async auditVerify(): Promise<CliResult> {
    return this.cli(['audit', 'verify']);
  }

  async start(): Promise<void> {
    if (!existsSync(WAIVER_BIN))
      throw new Error(`waiver binary not found at ${WAIVER_BIN} (set WAIVER_BIN or build it)`);
    this.dir = mkdtempSync(join(tmpdir(), 'waiver-api-'));
    if (this.engine === 'postgresql') {
      // A new empty database per spec file (and per worker restart) in the shared test cluster
      // (or in the one given to the constructor).
      this.pgName = `waiver_${process.pid}_${randomBytes(4).toString('hex')}`;
      this.db = await pgCluster(['createdb', this.pgDir, this.pgName]);
      writeFileSync(join(this.dir, 'db-url'), `${this.db}\n`);
    } else {
      // sqlite:///abs/path.db — the scheme's // followed by the absolute path.
      this.db = `sqlite://${join(this.dir, 'w.db')}`;
    }
    writeFileSync(join(this.dir, 'org.yaml'), this.orgYaml);
    if (this.configYaml !== null) writeFileSync(join(this.dir, 'waiver.yaml'), this.configYaml);
    await this.cliOk(['init']);
    await this.cliOk(['import', join(this.dir, 'org.yaml')]);
    for (const u of USERS) {
      const out = await this.cliOk(['token', 'create', who(u)]);
      const token = out.trim();
      if (!token || /\s/.test(token)) throw new Error(`token create ${who(u)} printed ${JSON.stringify(out)}`);
      this.tokens.set(u, token);
    }
    await this.serve();
  }

  /** Starts `waiver serve` on a free port and waits for /api/v1/health. */
  async serve(): Promise<void> {
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.logPath = join(this.dir, 'serve.log');
    const log = openSync(this.logPath, 'a');
    const child = spawn(WAIVER_BIN, ['serve', '--listen', `127.0.0.1:${this.port}`, '--db', this.db], {
      cwd: this.dir,
      env: childEnv({ WAIVER_BASE_URL: this.base, ...this.serveEnv }),
      stdio: ['ignore', log, log],
    });
    this.child = child;
    closeSync(log);
    let exited: number | null | undefined = undefined;
    child.on('exit', (code) => {
      exited = code;
    });
    const deadline = Date.now() + 20_000;
    let lastErr = '';
    while (Date.now() < deadline) {
      if (exited !== undefined)
        throw new Error(`waiver serve exited (${exited}) before answering:\n${this.serverLog()}`);
      try {
        const r = await fetch(`${this.base}/api/v1/health`);
        if (r.status === 200) return;
        lastErr = `health answered ${r.status}`;
      } catch (e) {
        lastErr = String(e);
      }
      await sleep(100);
    }
    throw new Error(`waiver serve did not answer /api/v1/health within 20 s (${lastErr}):\n${this.serverLog()}`);
  }

  /** Kills the server without warning (SIGKILL) and starts a new one on the same database. */
  async crashAndRestart(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    }
    await this.serve();
  }

  /**
   * Runs one SQL statement on this spec's database; its rows as arrays (numbers as numbers, text
   * as strings), [] for a statement without rows. SQLite: python3's sqlite3 module. PostgreSQL:
   * psql (Debian's postgresql-client). Write SQL both engines accept; `columns()` replaces PRAGMA.
   */
  async sql(query: string): Promise<unknown[][]> {
    return this.engine === 'postgresql' ? this.sqlPostgresql(query) : this.sqlSqlite(query);
  }

  /** The column names of a table, in order (PRAGMA table_info or information_schema). */
  async columns(table: string): Promise<string[]> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`columns(): bad table name ${table}`);
    const rows =
      this.engine === 'postgresql'
        ? await this.sql(
            `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() ` +
              `AND table_name = '${table}' ORDER BY ordinal_position`,
          )
        : (await this.sql(`PRAGMA table_info(${table})`)).map((r) => [r[1]]);
    return rows.map((r) => String(r[0]));
  }

  private async sqlPostgresql(query: string): Promise<unknown[][]> {
    const wrapped = pgRowsAsJson(query);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(childEnv())) if (!k.startsWith('PG')) env[k] = v;
    env.PGCONNECT_TIMEOUT = '10';
    const args = [this.db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', wrapped ?? query];
    return await new Promise((ok, fail) => {
      execFile('psql', args, { env, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`sql failed: ${String(stderr).trim() || err.message}\n  query: ${query}`));
        else ok(wrapped === null ? [] : JSON.parse(String(stdout)));
      });
    });
  }

  private async sqlSqlite(query: string): Promise<unknown[][]> {
    const path = this.db.replace(/^sqlite:\/\//, '');
    const script =
      'import sqlite3,sys,json\n' +
      'c=sqlite3.connect(sys.argv[1])\n' +
      'r=c.execute(sys.argv[2]).fetchall()\n' +
      'c.commit()\n' +
      'print(json.dumps([list(x) for x in r], default=str))\n';
    return await new Promise((ok, fail) => {
      execFile('python3', ['-c', script, path, query], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`sql failed: ${stderr || err.message}`));
        else ok(JSON.parse(String(stdout)));
      });
    });
  }

  serverLog(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  /** Whether the server process is still alive (a crash would show here). */
  alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server's process id (0 when it is not running). */
  pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Sends SIGTERM and waits for the server to exit: its exit code, or the signal that ended it. */
  async terminate(timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      throw new Error('terminate(): the server is not running');
    const gone = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => r({ code, signal })),
    );
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await gone;
    clearTimeout(t);
    this.child = null;
    return result;
  }

  async stop(): Promise<void> {
    for (const c of this.contexts) await c.dispose().catch(() => undefined);
    this.contexts = [];
    this.clients.clear();
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
    }
    if (this.dir && !process.env.WAIVER_KEEP_TMP) rmSync(this.dir, { recursive: true, force: true });
    if (this.pgName && !process.env.WAIVER_KEEP_TMP) {
      // WITH (FORCE) also ends connections of servers a test started and left running.
      await pgCluster(['dropdb', this.pgDir, this.pgName]).catch((e) => console.warn(String(e)));
      this.pgName = '';
    }
  }

  private async client(key: string, token: string | null, email: string | null): Promise<Api> {
    const have = this.clients.get(key);
    if (have) return have;
    const ctx = await playwrightRequest.newContext();
    this.contexts.push(ctx);
    const api = new Api(ctx, () => this.base, email, token);
    this.clients.set(key, api);
    return api;
  }

  /** An API client signed in as that user. */
  async as(u: UserName): Promise<Api> {
    const token = this.tokens.get(u);
    if (!token) throw new Error(`no token for ${u}`);
    return this.client(`user:${u}`, token, who(u));
  }

  /** An API client with no Authorization header. */
  async anonymous(): Promise<Api> {
    return this.client('anonymous', null, null);
  }

  /** An API client with a token the server never issued. */
  async withToken(token: string): Promise<Api> {
    return this.client(`token:${token}`, token, null);
  }
}

/**
 * Registers beforeAll/afterAll in the calling spec file: one fresh server and database for the
 * file (Playwright starts a new one should a failed test restart the worker).
 */
export function useWaiver(orgYaml: string = ORG_YAML, serveEnv: Record<string, string> = {}): Waiver {
  const w = new Waiver(orgYaml);
  w.serveEnv = serveEnv;
  test.beforeAll(async () => {
    test.setTimeout(90_000);
    await w.start();
  });
  test.afterAll(async () => {
    await w.stop();
  });
  return w;
}
