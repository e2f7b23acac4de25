// Idempotency-Key on POST: a retried request (same key, same caller) gets the first answer, status
// and body, and changes nothing twice: no second request, no second audit event, no second
// transition. The key is kept in the database (table idempotency_keys), so it holds across a
// restart and across instances; the same key with another body is refused with 422.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server.js';
import { expectOk, expectProblem, requestBody, createDraft } from './helpers/flow.js';

const w = useWaiver();

async function eventCount(): Promise<number> {
  const rows = await w.sql('SELECT COUNT(*) FROM audit_events');
  return Number(rows[0][0]);
}

async function requestCount(): Promise<number> {
  return Number((await w.sql('SELECT COUNT(*) FROM exceptions'))[0][0]);
}

test('a retried create returns the first 201 and its body, and creates one request', async () => {
  const ana = await w.as('ana');
  const body = requestBody({ title: 'Idempotent create' });
  const key = { 'Idempotency-Key': 'create-1' };
  const [requests, events] = [await requestCount(), await eventCount()];
  const first = await ana.post('/exceptions', body, key);
  expectOk(first, 201);
  const second = await ana.post('/exceptions', body, key);
  expect(second.status).toBe(201);
  expect(second.text).toBe(first.text);
  expect(second.headers['etag']).toBe(first.headers['etag']);
  expect(second.headers['idempotent-replayed']).toBe('true');
  expect(await requestCount()).toBe(requests + 1);
  expect(await eventCount()).toBe(events + 1);
  const rows = await w.sql("SELECT status FROM idempotency_keys WHERE idem_key = 'create-1'");
  expect(rows).toEqual([[201]]);
});

test('the same key with another body is refused with 422 and changes nothing', async () => {
  const ana = await w.as('ana');
  const key = { 'Idempotency-Key': 'create-2' };
  expectOk(await ana.post('/exceptions', requestBody({ title: 'First' }), key), 201);
  const [requests, events] = [await requestCount(), await eventCount()];
  const other = await ana.post('/exceptions', requestBody({ title: 'Second' }), key);
  expectProblem(other, 422, ['Idempotency-Key']);
  expect(await requestCount()).toBe(requests);
  expect(await eventCount()).toBe(events);
});

test('keys are per caller: another user with the same key makes a request of their own', async () => {
  const key = { 'Idempotency-Key': 'shared-key' };
  const a = expectOk(await (await w.as('ana')).post('/exceptions', requestBody(), key), 201);
  const b = expectOk(await (await w.as('bob')).post('/exceptions', requestBody(), key), 201);
  expect(b.id).not.toBe(a.id);
  expect(b.requester).not.toBe(a.requester);
});

test('a retried action replays its 200 instead of a 409, and moves the request once', async () => {
  const ana = await w.as('ana');
  const d = await createDraft(w);
  const key = { 'Idempotency-Key': `submit-${d.id}` };
  const events = await eventCount();
  const first = expectOk(await ana.post(`/exceptions/${d.id}/submit`, {}, key));
  expect(first.status).toBe('department_review');
  const again = await ana.post(`/exceptions/${d.id}/submit`, {}, key);
  expect(again.status).toBe(200);
  expect(again.body.version).toBe(first.version);
  expect(await eventCount()).toBe(events + 1);
  // Without the key the same request is a new one, refused in this state.
  expect((await ana.post(`/exceptions/${d.id}/submit`, {})).status).toBe(409);
});

test('a refusal is the first answer too: the retry gets the same 4xx', async () => {
  const ana = await w.as('ana');
  const key = { 'Idempotency-Key': 'bad-create' };
  const first = await ana.post('/exceptions', { title: 'x', policy_id: 'no-such-policy', nonsense: 1 }, key);
  expect(first.status).toBeGreaterThanOrEqual(400);
  expect(first.status).toBeLessThan(500);
  const again = await ana.post('/exceptions', { title: 'x', policy_id: 'no-such-policy', nonsense: 1 }, key);
  expect(again.status).toBe(first.status);
  expect(again.text).toBe(first.text);
});

test('concurrent retries with one key make one request; each gets its answer or a 409', async () => {
  const ana = await w.as('ana');
  const body = requestBody({ title: 'Raced create' });
  const requests = await requestCount();
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => ana.post('/exceptions', body, { 'Idempotency-Key': 'race-1' })),
  );
  for (const a of answers) expect([201, 409], a.text).toContain(a.status);
  const created = answers.filter((a) => a.status === 201).map((a) => a.body.id);
  expect(created.length).toBeGreaterThan(0);
  expect(new Set(created).size).toBe(1);
  expect(await requestCount()).toBe(requests + 1);
  const after = await ana.post('/exceptions', body, { 'Idempotency-Key': 'race-1' });
  expect(after.status).toBe(201);
  expect(after.body.id).toBe(created[0]);
});

test('the key survives a crash of the server, and expires after idempotency_hours', async () => {
  const ana = await w.as('ana');
  const body = requestBody({ title: 'Across a crash' });
  const key = { 'Idempotency-Key': 'crash-1' };
  const first = expectOk(await ana.post('/exceptions', body, key), 201);
  await w.crashAndRestart();
  const again = await (await w.as('ana')).post('/exceptions', body, key);
  expect(again.status).toBe(201);
  expect(again.body.id).toBe(first.id);
  // 25 hours later (the default keeps keys 24 hours) the key is free again: a new request.
  await w.sql("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00Z' WHERE idem_key = 'crash-1'");
  const later = expectOk(await (await w.as('ana')).post('/exceptions', body, key), 201);
  expect(later.id).not.toBe(first.id);
});

test('a token is shown once: a retried POST /tokens says it was made, without the secret', async () => {
  const ana = await w.as('ana');
  const key = { 'Idempotency-Key': 'token-1' };
  const first = expectOk(await ana.post('/tokens', { name: 'ci' }, key), 201);
  expect(first.token).toBeTruthy();
  const again = await ana.post('/tokens', { name: 'ci' }, key);
  expectProblem(again, 409);
  expect(again.text).not.toContain(first.token);
  const stored = await w.sql("SELECT body FROM idempotency_keys WHERE idem_key = 'token-1'");
  expect(String(stored[0][0])).not.toContain(first.token);
});

test('a malformed key is refused with 400', async () => {
  const ana = await w.as('ana');
  expectProblem(await ana.post('/exceptions', requestBody(), { 'Idempotency-Key': 'x'.repeat(300) }), 400);
});
