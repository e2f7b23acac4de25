// Crashes: a write load of creates and submits against `waiver serve`, killed with SIGKILL at a
// random moment, 20 times over. After each restart every change the server acknowledged (a 2xx)
// is there, nothing half-done is visible (each request has its `create` event, each submitted one
// its `submit` event), and `waiver audit verify` passes.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server.js';
import { requestBody } from './helpers/flow.js';

const w = useWaiver();

test('20 SIGKILLs under a write load lose no acknowledged change and leave a chain that verifies', async () => {
  test.setTimeout(300_000);
  const created = new Map<number, string>(); // id → title, acknowledged with 201
  const submitted = new Set<number>(); // acknowledged with 200
  for (let round = 0; round < 20; round++) {
    const ana = await w.as('ana');
    let stop = false;
    const writer = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const title = `Crash ${round}.${n}.${i}`;
        try {
          const r = await ana.post('/exceptions', requestBody({ title }));
          if (r.status !== 201) throw new Error(`create answered ${r.status}: ${r.text}`);
          created.set(r.body.id, title);
          const s = await ana.post(`/exceptions/${r.body.id}/submit`, {});
          if (s.status === 200) submitted.add(r.body.id);
        } catch (e) {
          if (!stop) throw e; // an error before the kill is a failure; after it, expected
          return;
        }
      }
    };
    const writers = [0, 1, 2].map((n) => writer(n).catch((e) => e));
    await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 400)));
    stop = true;
    await w.crashAndRestart();
    for (const e of await Promise.all(writers)) expect(e, String(e)).toBeUndefined();

    const rows = (await w.sql('SELECT id, title, status FROM exceptions')) as [number, string, string][];
    const byId = new Map(rows.map(([id, title, status]) => [Number(id), { title, status }]));
    for (const [id, title] of created) expect(byId.get(id)?.title, `request ${id} (round ${round})`).toBe(title);
    for (const id of submitted) expect(byId.get(id)?.status, `request ${id} (round ${round})`).toBe('department_review');
    const orphans = await w.sql(
      "SELECT COUNT(*) FROM exceptions e WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_type = 'exception' " +
        "AND a.entity_id = CAST(e.id AS TEXT) AND a.action = 'create')",
    );
    expect(Number(orphans[0][0]), 'requests without their create event').toBe(0);
    const unsubmitted = await w.sql(
      "SELECT COUNT(*) FROM exceptions e WHERE e.status <> 'draft' AND NOT EXISTS (SELECT 1 FROM audit_events a " +
        "WHERE a.entity_type = 'exception' AND a.entity_id = CAST(e.id AS TEXT) AND a.action = 'submit')",
    );
    expect(Number(unsubmitted[0][0]), 'submitted requests without their submit event').toBe(0);
    const v = await w.auditVerify();
    expect(v.code, `round ${round}: ${v.stderr}`).toBe(0);
  }
  expect(created.size).toBeGreaterThan(20);
});
