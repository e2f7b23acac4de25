// `waiver backup FILE` while the server serves a write load: the backup is consistent (its audit
// chain verifies and its head is a head the live chain passed through), and restoring it gives a
// database that verifies and serves. On PostgreSQL the backup is a SQLite file written by the
// machinery of `waiver copy`.
import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { useWaiver } from './helpers/server.js';
import { expectOk, requestBody } from './helpers/flow.js';

const w = useWaiver();

test('a backup taken under a write load verifies, and restores into a database that verifies', async () => {
  const ana = await w.as('ana');
  let writing = true;
  let written = 0;
  const load = (async () => {
    while (writing) {
      expectOk(await ana.post('/exceptions', requestBody({ title: `Load ${written}` })), 201);
      written++;
    }
  })();
  while (written < 5) await new Promise((r) => setTimeout(r, 20));
  const file = join(w.dir, 'backup.db');
  const b = await w.cli(['backup', file]);
  const during = written;
  while (written < during + 5) await new Promise((r) => setTimeout(r, 20));
  writing = false;
  await load;
  expect(b.code, b.stderr).toBe(0);
  expect(b.stdout).toContain('audit chain verified');
  expect(existsSync(file)).toBe(true);
  expect((await w.cli(['backup', file])).code, 'a backup never overwrites a file').not.toBe(0);

  const backupUrl = `sqlite://${file}`;
  const verified = await w.cli(['audit', 'verify', '--db', backupUrl], { withDb: false });
  expect(verified.code, verified.stderr).toBe(0);
  const backupEvents = Number(/(\d+) events/.exec(verified.stdout)![1]);
  const backupHead = /head ([0-9a-f]{64})/.exec(verified.stdout)![1];
  // The live chain went on, and passes through the backup's head at the same event.
  const live = (await w.cli(['audit', 'export'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(live.length).toBeGreaterThan(backupEvents);
  expect(live[backupEvents - 1].hash).toBe(backupHead);

  // Restore: the backup is a SQLite database; `waiver init` brings it to this build's schema and
  // it serves as it is (on PostgreSQL, `waiver copy --from` it into a new database: docs/deploy.md).
  const init = await w.cli(['init', '--db', backupUrl], { withDb: false });
  expect(init.code, init.stderr).toBe(0);
  const again = await w.cli(['audit', 'verify', '--db', backupUrl], { withDb: false });
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toContain(`${backupEvents} events, head ${backupHead}`);
});
