// Abuse limits of `waiver serve`, each on a server of its own with the limit set low through the
// environment: rate limits per token and per address (429, problem+json, Retry-After with the
// seconds left in the window), the connection limit, the read timeout against slow clients
// (slowloris), and SIGTERM finishing the requests in flight.
import { test, expect } from '@playwright/test';
import { ORG_YAML, Waiver, useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem, requestBody } from './helpers/flow.js';
import { KeptAlive, idleConnection, rawExchange, rawRequest } from './helpers/raw.js';
import { connect } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function health(w: Waiver): Promise<number> {
  return (await fetch(`${w.base}/api/v1/health`)).status;
}

test.describe('rate limit per token', () => {
  const WINDOW = 8;
  const LIMIT = 10;
  const w = useWaiver(ORG_YAML, {
    WAIVER_RATE_LIMIT_PER_TOKEN: String(LIMIT),
    WAIVER_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW),
    WAIVER_RATE_LIMIT_PER_ADDRESS: '0',
  });

  test('past the limit a token gets 429 with the seconds left in its window; other tokens do not', async () => {
    const ana = await w.as('ana');
    const windowStart = Date.now();
    expectOk(await ana.get('/me'));
    await sleep(3000); // so that the seconds left differ from the whole window
    for (let i = 1; i < LIMIT; i++) expectOk(await ana.get('/me'));
    const r = await ana.get('/me');
    const elapsed = (Date.now() - windowStart) / 1000;
    expectProblem(r, 429);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['retry-after']).toMatch(/^\d+$/);
    const retry = Number(r.headers['retry-after']);
    expect(retry, 'Retry-After is at least 1').toBeGreaterThanOrEqual(1);
    expect(retry, `Retry-After ${retry} is the seconds left (${elapsed.toFixed(1)} s of ${WINDOW} s used)`).toBeLessThanOrEqual(
      Math.ceil(WINDOW - elapsed) + 1,
    );
    expect(retry, 'not the whole window').toBeLessThan(WINDOW);

    // a write is refused too, and changes nothing
    const sec = await w.as('sec');
    const before = expectOk(await sec.get('/audit/verify')).events;
    expectProblem(await ana.post('/exceptions', requestBody({ title: 'throttled' })), 429);
    expect(expectOk(await sec.get('/audit/verify')).events).toBe(before);

    // another token, and the health check, are not affected
    expect(expectOk(await (await w.as('bob')).get('/me')).email).toBe(who('bob'));
    expect(await health(w)).toBe(200);

    // after Retry-After, the token may go on
    await sleep(retry * 1000 + 300);
    expect(expectOk(await ana.get('/me')).email).toBe(who('ana'));
  });

  test('an unknown token is counted too (before authentication)', async () => {
    const bad = await w.withToken('wvr_not-a-token');
    for (let i = 0; i < LIMIT; i++) expectProblem(await bad.get('/me'), 401);
    const r = await bad.get('/me');
    expectProblem(r, 429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

test.describe('rate limit per address', () => {
  const LIMIT = 15;
  const w = useWaiver(ORG_YAML, {
    WAIVER_RATE_LIMIT_PER_ADDRESS: String(LIMIT),
    WAIVER_RATE_LIMIT_WINDOW_SECONDS: '30',
    WAIVER_RATE_LIMIT_PER_TOKEN: '0',
  });

  test('requests from one address add up over tokens and anonymous calls; then every API call gets 429', async () => {
    const users = ['ana', 'bob', 'sec', 'owner', 'auditor'] as const;
    let sent = 0;
    for (const u of users) {
      for (let i = 0; i < 3; i++) {
        expectOk(await (await w.as(u)).get('/me'));
        sent++;
      }
    }
    expect(sent).toBe(LIMIT);
    for (const u of ['cfo', 'ceo'] as const) {
      const r = await (await w.as(u)).get('/me');
      expectProblem(r, 429);
      const retry = Number(r.headers['retry-after']);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(30);
    }
    expectProblem(await (await w.anonymous()).get('/exceptions'), 429);
    // health and readiness stay open for load balancers and monitoring
    expect(await health(w)).toBe(200);
    expect((await fetch(`${w.base}/api/v1/ready`)).status).toBe(200);
  });
});

test.describe('connection limit', () => {
  const MAX = 3;
  const w = useWaiver(ORG_YAML, { WAIVER_MAX_CONNECTIONS: String(MAX), WAIVER_READ_TIMEOUT_SECONDS: '60' });

  test(`past ${MAX} open connections a new one waits until one closes, then is served`, async () => {
    const idle = await Promise.all(Array.from({ length: MAX }, () => idleConnection(w.port)));
    await sleep(300);
    const pending = rawExchange(w.port, [rawRequest('GET /api/v1/health HTTP/1.1')], { timeoutMs: 15_000 });
    const early = await Promise.race([pending.then(() => 'answered'), sleep(1500).then(() => 'waiting')]);
    expect(early, 'a connection past the limit is not served while the others stay open').toBe('waiting');
    for (const c of idle) c.socket.destroy();
    const r = await pending;
    expect(r.status, 'served once the others closed').toBe(200);
    expect(await health(w)).toBe(200);
  });
});

test.describe('slow clients (slowloris)', () => {
  const w = useWaiver(ORG_YAML, { WAIVER_READ_TIMEOUT_SECONDS: '2' });

  test('a client sending its headers byte by byte is cut off after the read timeout, and others are served meanwhile', async () => {
    const head = Buffer.from(`GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'s'.repeat(80)}\r\n`);
    const chunks = [...head].map((b) => Buffer.from([b]));
    const slow = rawExchange(w.port, chunks, { gapMs: 100, timeoutMs: 20_000 });
    // While it trickles, everyone else is served at once.
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      expect(await health(w)).toBe(200);
      expect(Date.now() - t).toBeLessThan(1000);
      await sleep(200);
    }
    const r = await slow;
    expect(r.status, 'no answer to a request that never finished').toBeUndefined();
    expect(r.closed, 'the server closed the connection').toBe(true);
    expect(r.ms, `closed after ${r.ms} ms; sending everything would take ${chunks.length * 100} ms`).toBeLessThan(5000);
    expect(r.ms).toBeGreaterThanOrEqual(1500);
  });

  test('a body sent byte by byte is cut off too, and creates nothing', async () => {
    const sec = await w.as('sec');
    const before = expectOk(await sec.get('/audit/verify')).events;
    const body = JSON.stringify(requestBody({ title: 'slow body' }));
    const head = `POST /api/v1/exceptions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${w.tokens.get('ana')}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const chunks = [Buffer.from(head), ...[...Buffer.from(body)].map((b) => Buffer.from([b]))];
    const r = await rawExchange(w.port, chunks, { gapMs: 50, timeoutMs: 20_000 });
    expect(r.status).toBeUndefined();
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(5000);
    expect(expectOk(await sec.get('/audit/verify')).events).toBe(before);
  });

  test('an idle connection that never sends a byte is closed after the read timeout', async () => {
    const c = await idleConnection(w.port);
    const ms = await Promise.race([c.closedByServer, sleep(8000).then(() => -1)]);
    c.socket.destroy();
    expect(ms, 'closed by the server').toBeGreaterThan(0);
    expect(ms).toBeLessThan(5000);
  });
});

test.describe('SIGTERM', () => {
  const w = useWaiver(ORG_YAML, {});

  test('a large export being written when SIGTERM comes is written to its end, and the process exits 0', async () => {
    // About 9 MB of CSV: 10 requests, each with 45 controls of 20000 characters.
    const ana = await w.as('ana');
    const controls = Array.from({ length: 45 }, (_, i) => ({ description: `${i} ${'c'.repeat(19_990)}` }));
    for (let i = 0; i < 10; i++) expectOk(await ana.post('/exceptions', requestBody({ title: `big ${i}`, compensating_controls: controls })), 201);
    const sock = connect(w.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
    const ended = new Promise<void>((ok) => {
      sock.on('data', (d) => {
        chunks.push(d);
        if (!exit) {
          // The answer has begun: stop reading for a while, so that most of it is still to be
          // written when the signal comes.
          sock.pause();
          exit = w.terminate();
          setTimeout(() => sock.resume(), 1500);
        }
      });
      sock.on('end', () => ok());
      sock.on('close', () => ok());
      sock.on('error', () => ok());
    });
    sock.write(`GET /api/v1/exceptions/export?format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${w.tokens.get('ana')}\r\n\r\n`);
    await ended;
    const all = Buffer.concat(chunks);
    const head = all.subarray(0, all.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
    expect(length, 'a large answer').toBeGreaterThan(8_000_000);
    expect(all.length - head.length - 4, 'the whole body arrived').toBe(length);
    expect(exit, 'SIGTERM was sent while the answer was being written').not.toBeNull();
    const { code, signal } = await exit!;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    await w.serve();
  });

  test('requests in flight are all answered, the process exits 0, and their changes are there', async () => {
    const N = 40;
    const token = w.tokens.get('ana');
    // Connections opened and in use before the signal: every request sent on them has started.
    const conns = await Promise.all(Array.from({ length: N }, () => KeptAlive.open(w.port)));
    for (const c of conns) expect((await c.send('GET', '/api/v1/health')).status).toBe(200);
    let killedAt = 0;
    const answeredAt: number[] = [];
    const results = conns.map((c, i) =>
      c
        .send('POST', '/api/v1/exceptions', [`Authorization: Bearer ${token}`, 'Content-Type: application/json'],
          JSON.stringify(requestBody({ title: `in flight ${i}` })))
        .then((r) => {
          answeredAt.push(Date.now());
          return r;
        }),
    );
    // The signal as soon as the first answer is out: the others are queued or being handled.
    await Promise.race(results);
    killedAt = Date.now();
    const exit = w.terminate();
    const answers = await Promise.all(results);
    const { code, signal } = await exit;
    for (const c of conns) c.close();

    expect(signal, 'ended by itself, not killed').toBeNull();
    expect(code, 'exit status').toBe(0);
    const ids: number[] = [];
    answers.forEach((r, i) => {
      expect(r.status, `request ${i}: a complete answer (closed=${r.closed}, body ${r.body.slice(0, 200)})`).toBe(201);
      const body = JSON.parse(r.body);
      expect(body.title).toBe(`in flight ${i}`);
      ids.push(body.id);
    });
    expect(
      answeredAt.filter((t) => t >= killedAt).length,
      'some answers came after SIGTERM (the test caught requests in flight)',
    ).toBeGreaterThan(0);

    // A new server on the same database has every one of them, and the audit chain is intact.
    await w.serve();
    const ana = await w.as('ana');
    for (const [i, id] of ids.entries()) expect(expectOk(await ana.get(`/exceptions/${id}`)).title).toBe(`in flight ${i}`);
    const v = await w.auditVerify();
    expect(v.code, v.stderr).toBe(0);
  });
});
