// Text with HTML or script in every field shows as text: nothing is ever parsed as markup.
import { test, expect, type Page } from '@playwright/test';
import { useWaiver } from './helpers/server';
import { pageAs, expectNoPageErrors } from './helpers/browser';

const w = useWaiver();
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const evil = (what: string) => `<img src=x onerror="window.__xss='${what}'"><script>window.__xss='${what}'</script><b>${what}</b>`;
const TEXT_FIELDS = ['requirement', 'description', 'alternative', 'justification', 'resources', 'scope'] as const;
let id = 0;
let ref = '';

async function expectInert(page: Page) {
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  // No element came from the payloads: no <img src=x>, no injected <b>, no inline script.
  await expect(page.locator('main img')).toHaveCount(0);
  await expect(page.locator('main b')).toHaveCount(0);
  await expect(page.locator('main script')).toHaveCount(0);
}

test.beforeAll(async () => {
  const body: Record<string, unknown> = {
    title: evil('title'), policy_id: 'access-control', type: 'access', data_classification: 'GREEN',
    likelihood: 1, impact: 1, start_on: inDays(1), end_on: inDays(20),
    compensating_controls: [{ description: evil('control'), owner: evil('owner'), evidence_url: 'https://example.com/?q=%3Cscript%3E' }],
    links: ['https://example.com/a?b=%22%3E%3Cscript%3E'],
  };
  for (const f of TEXT_FIELDS) body[f] = evil(f);
  const r = await w.api('ana', 'POST', '/exceptions', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  id = r.body.id;
  ref = r.body.ref;
  expect((await w.api('ana', 'POST', `/exceptions/${id}/submit`)).status).toBe(200);
  expect((await w.api('eng.head', 'POST', `/exceptions/${id}/approvals/department`, { decision: 'approve', comment: evil('approval') })).status).toBe(200);
  expect((await w.api('sec', 'POST', `/exceptions/${id}/inputs`, { body: evil('input') })).status).toBe(200);
});

test('the request page shows every field\'s markup as text', async ({ browser }) => {
  const page = await pageAs(browser, w, 'ana');
  await page.goto(`/requests/${id}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(evil('title'));
  for (const f of [...TEXT_FIELDS, 'control', 'owner', 'approval', 'input'])
    await expect(page.getByText(evil(f), { exact: true }).first(), f).toBeVisible();
  await expectInert(page);
  // A comment typed in the page comes back as text too.
  await page.locator('[data-action="comment"]').click();
  await page.locator('#comment-text').fill(evil('comment'));
  await page.locator('#form-comment button[type=submit]').click();
  await expect(page.getByText(evil('comment'), { exact: true })).toBeVisible();
  await expectInert(page);
  expectNoPageErrors(page);
});

test('the register, the inbox and the form show the markup as text', async ({ browser }) => {
  const sec = await pageAs(browser, w, 'sec');
  await sec.goto('/register');
  await expect(sec.getByRole('cell', { name: evil('title') })).toBeVisible();
  await expectInert(sec);
  await sec.goto('/approvals');
  await expect(sec.getByRole('row', { name: new RegExp(ref) })).toContainText(evil('title'));
  await expectInert(sec);
  await sec.goto('/dashboard');
  await expectInert(sec);

  const ana = await pageAs(browser, w, 'ana');
  await ana.goto('/requests/new');
  await ana.locator('#title').fill(evil('draft'));
  await ana.locator('#policy_id').selectOption('access-control');
  await ana.getByRole('button', { name: 'Save draft' }).click();
  await expect(ana.getByRole('status')).toContainText('saved');
  await ana.goto('/requests');
  await expect(ana.getByRole('cell', { name: evil('draft') })).toBeVisible();
  await expectInert(ana);
  expectNoPageErrors(sec);
  expectNoPageErrors(ana);
});

test('administration shows a user name with markup as text', async ({ browser }) => {
  const r = await w.api('admin', 'POST', '/users', { email: 'mallory@example.com', name: evil('name'), department: 'Finance' });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const page = await pageAs(browser, w, 'admin');
  await page.goto('/admin');
  await expect(page.getByRole('cell', { name: evil('name') })).toBeVisible();
  await expectInert(page);
});
