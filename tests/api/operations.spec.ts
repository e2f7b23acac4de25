// Operations (issue 6): Prometheus metrics at /metrics and /api/v1/metrics, and logs as JSON
// Lines carrying the request id that the X-Request-Id header returns.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server.js';
import { expectOk, createSubmitted } from './helpers/flow.js';

const w = useWaiver();

test('/metrics counts requests by route and status, with latency histograms and the outbox', async () => {
  const ana = await w.as('ana');
  const s = await createSubmitted(w);
  expectOk(await ana.get(`/exceptions/${s.id}`));
  expectOk(await ana.get(`/exceptions/${s.id}`));
  expect((await ana.get('/exceptions/999999')).status).toBe(404);
  for (const path of ['/metrics', '/api/v1/metrics']) {
    const r = await fetch(`${w.base}${path}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    const value = (line: string) => {
      const m = text.split('\n').find((l) => l.startsWith(line + ' '));
      return m === undefined ? undefined : Number(m.slice(line.length + 1));
    };
    expect(value('waiver_http_requests_total{method="GET",route="/exceptions/{id}",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(value('waiver_http_requests_total{method="GET",route="/exceptions/{id}",status="404"}')).toBe(1);
    expect(value('waiver_http_requests_total{method="POST",route="/exceptions/{id}/submit",status="200"}')).toBe(1);
    const count = value('waiver_http_request_duration_seconds_count{method="GET",route="/exceptions/{id}"}')!;
    expect(value('waiver_http_request_duration_seconds_bucket{method="GET",route="/exceptions/{id}",le="+Inf"}')).toBe(count);
    expect(value('waiver_outbox_messages{state="queued"}')! + value('waiver_outbox_messages{state="delivered"}')!).toBeGreaterThanOrEqual(1);
    expect(value('waiver_db_pool_connections{state="idle"}')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE waiver_http_request_duration_seconds histogram');
  }
});

test('the log is JSON Lines, and each request line carries the id returned in X-Request-Id', async () => {
  const mine = `op-test-${Date.now()}`;
  const r = await fetch(`${w.base}/api/v1/health`, { headers: { 'X-Request-Id': mine } });
  expect(r.headers.get('x-request-id')).toBe(mine);
  const generated = (await fetch(`${w.base}/api/v1/openapi.json`)).headers.get('x-request-id');
  expect(generated).toMatch(/^[0-9a-f]{16}$/);
  // A hostile id is replaced, not echoed into headers or logs.
  const hostile = await fetch(`${w.base}/api/v1/health`, { headers: { 'X-Request-Id': 'a"b}{' } });
  expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/);
  await expect
    .poll(() => w.serverLog().includes(mine), { timeout: 5_000 })
    .toBe(true);
  const lines = w.serverLog().split('\n').filter((l) => l.startsWith('{'));
  expect(lines.length).toBeGreaterThan(3);
  const parsed = lines.map((l) => JSON.parse(l));
  for (const p of parsed) {
    expect(typeof p.time).toBe('string');
    expect(typeof p.level).toBe('string');
  }
  const line = parsed.find((p) => p.request_id === mine);
  expect(line).toMatchObject({ event: 'request', method: 'GET', route: '/health', path: '/api/v1/health', status: 200 });
  expect(typeof line.duration_ms).toBe('number');
  expect(parsed.find((p) => p.request_id === generated)).toMatchObject({ route: '/openapi.json' });
});
