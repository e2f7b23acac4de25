// Evidence that survives its database: signed checkpoints of the audit chain, `audit verify
// --public-key`, the evidence bundle checked with standard tools (sha256sum, openssl, python3),
// and the periodic checkpoint of `waiver serve`. The attack: rewrite an event and recompute every
// hash and the head with plain SQL, so that the chain alone verifies again.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useWaiver } from './helpers/server.js';
import { expectOk, createActive, createDraft } from './helpers/flow.js';

const w = useWaiver();
let publicKey = '';
let keyFile = '';
let config = '';

// The hash the chain gives an event: SHA-256 of the JSON of every field but `hash`, keys sorted.
function chainHash(e: Record<string, unknown>): string {
  const body: Record<string, unknown> = {};
  for (const k of Object.keys(e).sort()) if (k !== 'hash') body[k] = e[k];
  return createHash('sha256').update(JSON.stringify(body), 'utf8').digest('hex');
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function exportEvents(): Promise<any[]> {
  const r = await w.cli(['audit', 'export']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

test('keygen writes a 0600 key and prints the public key; a checkpoint verifies with it only', async () => {
  keyFile = join(w.dir, 'audit.key');
  const k = await w.cli(['audit', 'keygen', '--out', keyFile], { withDb: false });
  expect(k.code, k.stderr).toBe(0);
  publicKey = k.stdout.trim();
  expect(publicKey).toMatch(/^[0-9a-f]{64}$/);
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  const again = await w.cli(['audit', 'keygen', '--out', keyFile], { withDb: false });
  expect(again.code, 'keygen never overwrites a key').not.toBe(0);

  config = join(w.dir, 'signing.yaml');
  writeFileSync(config, `audit_signing_key: ${keyFile}\n`);
  await createActive(w);
  const c = await w.cli(['audit', 'checkpoint', '--config', config]);
  expect(c.code, c.stderr).toBe(0);
  expect(c.stdout).toContain(publicKey);

  const v = await w.cli(['audit', 'verify', '--public-key', publicKey]);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toContain('1 checkpoints signed by');
  const other = await w.cli(['audit', 'keygen', '--out', join(w.dir, 'other.key')], { withDb: false });
  const wrong = await w.cli(['audit', 'verify', '--public-key', other.stdout.trim()]);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toContain('not signed by the public key');

  const auditor = await w.as('auditor');
  const list = expectOk(await auditor.get('/audit/checkpoints'));
  expect(list.items).toHaveLength(1);
  expect(list.items[0].public_key).toBe(publicKey);
  expect(list.items[0].signature).toMatch(/^[0-9a-f]{128}$/);
  expect((await (await w.as('ana')).get('/audit/checkpoints')).status).toBe(403);
});

test('the bundle verifies with sha256sum, openssl and python3 alone', async () => {
  await createDraft(w);
  const dir = join(w.dir, 'bundle');
  const b = await w.cli(['audit', 'bundle', '--out', dir, '--config', config]);
  expect(b.code, b.stderr).toBe(0);
  for (const f of ['README.md', 'events.jsonl', 'register.csv', 'checkpoints.jsonl', 'public_key.hex',
    'public_key.pem', 'verify_chain.py', 'SHA256SUMS'])
    expect(existsSync(join(dir, f)), f).toBe(true);
  expect(readFileSync(join(dir, 'public_key.hex'), 'utf8').trim()).toBe(publicKey);
  expect(readFileSync(join(dir, 'register.csv'), 'utf8')).toContain('EXC-');
  execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: dir });
  const sigs = readdirSync(join(dir, 'checkpoints')).filter((f) => f.endsWith('.sig'));
  expect(sigs.length).toBeGreaterThan(0);
  for (const s of sigs) {
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'public_key.pem', '-rawin',
      '-in', `checkpoints/${s.replace('.sig', '.txt')}`, '-sigfile', `checkpoints/${s}`], { cwd: dir });
    expect(String(out)).toContain('Signature Verified Successfully');
  }
  const py = execFileSync('/usr/bin/python3', ['verify_chain.py'], { cwd: dir });
  expect(String(py)).toMatch(/chain intact: \d+ events/);

  const tgz = join(w.dir, 'evidence.tar.gz');
  const t = await w.cli(['audit', 'bundle', '--out', tgz, '--public-key', publicKey]);
  expect(t.code, t.stderr).toBe(0);
  expect(String(execFileSync('tar', ['-tzf', tgz]))).toContain('waiver-audit-evidence/SHA256SUMS');
});

test('serve signs a checkpoint by itself when a key is configured and the chain has grown', async () => {
  w.serveEnv = { WAIVER_AUDIT_SIGNING_KEY: keyFile, WAIVER_JOBS_INTERVAL_SECONDS: '1', WAIVER_AUDIT_CHECKPOINT_SECONDS: '1' };
  await createDraft(w);
  await w.crashAndRestart();
  const auditor = await w.as('auditor');
  const head = expectOk(await auditor.get('/audit/verify'));
  await expect
    .poll(async () => {
      const items = expectOk(await auditor.get('/audit/checkpoints')).items;
      return items[items.length - 1].events;
    }, { timeout: 10_000 })
    .toBe(head.events);
  w.serveEnv = {};
  await w.crashAndRestart();
});

test('a chain rewritten with every hash recomputed fails at the signed checkpoint', async () => {
  const events = await exportEvents();
  expect(events.length).toBeGreaterThan(3);
  const bundle = join(w.dir, 'bundle', 'checkpoints.jsonl');
  // The intruder edits event 2 and recomputes every hash after it, and the head, with SQL.
  let prev = '0'.repeat(64);
  for (const e of events) {
    if (e.id === 2) e.data = JSON.stringify({ note: 'rewritten' });
    e.prev_hash = prev;
    e.hash = chainHash(e);
    prev = e.hash;
    await w.sql(`UPDATE audit_events SET data = ${q(e.data)}, prev_hash = ${q(e.prev_hash)}, hash = ${q(e.hash)} WHERE id = ${e.id}`);
  }
  await w.sql(`UPDATE audit_head SET hash = ${q(prev)} WHERE id = 1`);

  const v = await w.cli(['audit', 'verify', '--public-key', publicKey]);
  expect(v.code, 'verify must catch the rewrite').toBe(1);
  expect(v.stderr).toMatch(/checkpoint \d+/);
  expect(v.stderr).toContain('rewritten');
  expect(expectOk(await (await w.as('auditor')).get('/audit/verify')).ok).toBe(false);

  // The intruder also deletes the checkpoints: the chain alone verifies, but not against the
  // checkpoints an auditor kept from an earlier bundle.
  await w.sql('DELETE FROM audit_checkpoints');
  expect((await w.cli(['audit', 'verify'])).code).toBe(0);
  const kept = await w.cli(['audit', 'verify', '--public-key', publicKey, '--checkpoints', bundle]);
  expect(kept.code).toBe(1);
  expect(kept.stderr).toContain('rewritten');
});
