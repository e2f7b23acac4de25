// `waiver requests import FILE.csv` (issue 7): a register brought in from a spreadsheet, row by
// row, all or nothing, each import an audit event.
import { test, expect } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useWaiver, who } from './helpers/server.js';
import { addDays, today, expectOk } from './helpers/flow.js';

const w = useWaiver();

function csv(rows: string[][]): string {
  const cell = (v: string) => (/[",\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const HEADER = ['title', 'policy_id', 'requester', 'status', 'type', 'data_classification', 'compensating_controls',
  'start_on', 'end_on', 'risk_level', 'created_at', 'source_ref', 'description'];

test('a valid file imports every row with its status, and each import is an audit event', async () => {
  const end = addDays(today(), 100);
  const file = join(w.dir, 'register.csv');
  writeFileSync(file, '\uFEFF' + csv([
    HEADER,
    ['VPN split tunnel, "legacy" site', 'access-control', who('ana'), 'active', 'configuration', 'ORANGE',
      'Log review weekly\nQuarterly access audit', '2026-01-01', end, 'medium', '2025-12-20', 'GRC-101', 'Line one\nline two'],
    ['Old laptop exception', 'access-control', who('bob'), 'expired', 'device', 'GREEN', 'Disk encryption',
      '2024-01-01', '2024-06-30', 'low', '2023-12-01T10:00:00Z', 'GRC-7', ''],
    ['Refused last year', 'crypto-standard', who('ana'), 'denied', 'technology', 'RED', '', '', '', '', '2025-03-01', 'GRC-55', ''],
  ]));
  const r = await w.cli(['requests', 'import', file]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^Imported 3 requests from /);
  const auditor = await w.as('auditor');
  const items = expectOk(await auditor.get('/exceptions?q=GRC&limit=50')).items;
  const all = expectOk(await auditor.get('/exceptions?limit=200')).items;
  const vpn = all.find((x: any) => x.title === 'VPN split tunnel, "legacy" site');
  expect(vpn).toMatchObject({ status: 'active', requester: who('ana'), risk_level: 'medium', decision_end_on: end });
  expect(vpn.ref).toMatch(/^EXC-2025-\d{4}$/);  // the year it was created in the old register
  const full = expectOk(await auditor.get(`/exceptions/${vpn.id}`));
  expect(full.compensating_controls.map((c: any) => c.description)).toEqual(['Log review weekly', 'Quarterly access audit']);
  expect(full.description).toBe('Line one\nline two');
  const laptop = all.find((x: any) => x.title === 'Old laptop exception');
  expect(laptop.status).toBe('expired');
  expect(all.find((x: any) => x.title === 'Refused last year').status).toBe('denied');
  const events = expectOk(await auditor.get(`/exceptions/${vpn.id}/events`)).items;
  expect(events.map((e: any) => e.action)).toEqual(['import']);
  expect(events[0].data).toMatchObject({ source: file, row: 2, source_ref: 'GRC-101' });
  expect(events[0].actor).toMatch(/^cli:/);
  expect(items).toBeDefined();
  // Imported requests are in the text search (the import indexes them in one pass at commit).
  const found = expectOk(await auditor.get('/exceptions?q=tunnel&limit=50')).items;
  expect(found.map((x: any) => x.id)).toEqual([vpn.id]);
  expect(expectOk(await auditor.get('/exceptions?q=laptop&limit=50')).items.map((x: any) => x.id)).toEqual([laptop.id]);
  const v = await w.auditVerify();
  expect(v.code, v.stderr).toBe(0);
});

test('one bad row refuses the whole file, and every problem is named by row and field', async () => {
  const before = expectOk(await (await w.as('auditor')).get('/exceptions?limit=200')).items.length;
  const file = join(w.dir, 'bad.csv');
  writeFileSync(file, csv([
    HEADER,
    ['Fine row', 'access-control', who('ana'), 'draft', 'access', 'GREEN', '', '', '', '', '', '', ''],
    ['Unknown person', 'access-control', 'nobody@example.com', 'active', 'access', 'GREEN', 'c', '2026-01-01', addDays(today(), 5), 'low', '', '', ''],
    ['Bad date', 'no-such-policy', who('ana'), 'active', 'access', 'PURPLE', 'c', '2026-02-30', addDays(today(), 5), 'huge', '', '', ''],
    ['Ended already', 'access-control', who('ana'), 'active', 'access', 'GREEN', 'c', '2024-01-01', '2024-02-01', 'low', '', '', ''],
  ]));
  const r = await w.cli(['requests', 'import', file]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('row 3: requester: is not a known user');
  expect(r.stderr).toContain('row 4: policy_id: is not a policy of the catalog');
  expect(r.stderr).toContain('row 4: data_classification:');
  expect(r.stderr).toContain('row 4: start_on:');
  expect(r.stderr).toContain('row 4: risk_level:');
  expect(r.stderr).toContain('row 5: end_on: is before today');
  expect(r.stderr).toContain('nothing was imported');
  expect(r.stderr).not.toContain('row 2:');
  const after = expectOk(await (await w.as('auditor')).get('/exceptions?limit=200')).items.length;
  expect(after).toBe(before);
});

test('a wrong header, broken CSV and --dry-run are refused or change nothing', async () => {
  const before = expectOk(await (await w.as('auditor')).get('/exceptions?limit=200')).items.length;
  const header = join(w.dir, 'header.csv');
  writeFileSync(header, 'title,policy,requester\nx,access-control,ana@example.com\n');
  let r = await w.cli(['requests', 'import', header]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("row 1: column 2: 'policy' is not a field of a request");
  expect(r.stderr).toContain('row 1: policy_id: is a required column');

  const broken = join(w.dir, 'broken.csv');
  writeFileSync(broken, 'title,policy_id,requester\n"unterminated,access-control,ana@example.com\n');
  r = await w.cli(['requests', 'import', broken]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('is not valid CSV');

  const ragged = join(w.dir, 'ragged.csv');
  writeFileSync(ragged, 'title,policy_id,requester\nonly two,access-control\n');
  r = await w.cli(['requests', 'import', ragged]);
  expect(r.stderr).toContain('row 2: has 2 cells; the header has 3');

  // A spreadsheet saved in Latin-1, not UTF-8: the cell is named, nothing is imported.
  const latin1 = join(w.dir, 'latin1.csv');
  writeFileSync(latin1, Buffer.concat([Buffer.from(`title,policy_id,requester\nCaf`), Buffer.from([0xe9]),
    Buffer.from(` wifi,access-control,${who('ana')}\n`)]));
  r = await w.cli(['requests', 'import', latin1]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('row 2: title: is not UTF-8 text');

  const dry = join(w.dir, 'dry.csv');
  writeFileSync(dry, `title,policy_id,requester,status\nA draft,access-control,${who('ana')},draft\n`);
  r = await w.cli(['requests', 'import', dry, '--dry-run']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('Checked 1 rows');
  expect(expectOk(await (await w.as('auditor')).get('/exceptions?limit=200')).items.length).toBe(before);
});
