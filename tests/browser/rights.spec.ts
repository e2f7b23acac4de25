// Whoever may not act sees no action button, and the API refuses the action anyway.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server';
import { pageAs, expectNoPageErrors } from './helpers/browser';

const w = useWaiver();
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
let id = 0;

test.beforeAll(async () => {
  const r = await w.api('ana', 'POST', '/exceptions', {
    title: 'Local admin rights', policy_id: 'access-control', requirement: 'No local admin', type: 'access',
    data_classification: 'GREEN', description: 'Admin on my laptop', justification: 'Driver development',
    resources: 'I maintain it', scope: '1 laptop', likelihood: 1, impact: 2,
    compensating_controls: [{ description: 'EDR stays on' }], start_on: inDays(1), end_on: inDays(30),
  });
  expect(r.status).toBe(201);
  id = r.body.id;
  expect((await w.api('ana', 'POST', `/exceptions/${id}/submit`)).status).toBe(200);
});

test('the requester sees no approval button on their own request, and the API refuses it', async ({ browser }) => {
  const page = await pageAs(browser, w, 'ana');
  await page.goto(`/requests/${id}`);
  await expect(page.locator('.page-head .badge')).toHaveText('Department review');
  await expect(page.locator('[data-action^="decide-"]')).toHaveCount(0);
  await expect(page.locator('[data-action="withdraw"]')).toBeVisible();
  const r = await w.api('ana', 'POST', `/exceptions/${id}/approvals/department`, { decision: 'approve' });
  expect(r.status).toBe(403);
  expectNoPageErrors(page);
});

test('an auditor reads the request with no action at all, and the API refuses an approval', async ({ browser }) => {
  const page = await pageAs(browser, w, 'auditor');
  await page.goto(`/requests/${id}`);
  await expect(page.locator('[data-no-actions]')).toBeVisible();
  await expect(page.locator('[data-action]')).toHaveCount(0);
  const r = await w.api('auditor', 'POST', `/exceptions/${id}/approvals/department`, { decision: 'approve' });
  expect(r.status).toBe(403);
  // A write through the browser's session without the CSRF token is refused too.
  const csrf = await page.request.post(`/api/v1/exceptions/${id}/approvals/department`, { data: { decision: 'approve' } });
  expect(csrf.status()).toBe(403);
  expectNoPageErrors(page);
});

test('someone who may not see the request gets "not found", in the page and from the API', async ({ browser }) => {
  const page = await pageAs(browser, w, 'carol');
  await page.goto(`/requests/${id}`);
  await expect(page.getByRole('alert')).toContainText('no exception request');
  await expect(page.locator('[data-action]')).toHaveCount(0);
  expect((await w.api('carol', 'POST', `/exceptions/${id}/withdraw`, {})).status).toBe(404);
  expect((await w.api('carol', 'GET', `/exceptions/${id}`)).status).toBe(404);
});

test('the department head, who may, sees the button; the request stays untouched by the others', async ({ browser }) => {
  const page = await pageAs(browser, w, 'eng.head');
  await page.goto(`/requests/${id}`);
  await expect(page.locator('[data-action="decide-department"]')).toBeVisible();
  const r = await w.api('eng.head', 'GET', `/exceptions/${id}`);
  expect(r.body.status).toBe('department_review');
  expect(r.body.approvals.find((a: any) => a.slot === 'department').status).toBe('pending');
});

test('the department head decides with the keyboard alone', async ({ browser }) => {
  const page = await pageAs(browser, w, 'eng.head');
  await page.goto(`/requests/${id}`);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
  await page.locator('[data-action="decide-department"]').focus();
  await page.keyboard.press('Enter');
  // The form opens with the focus on its first field: the decision, "Approve".
  await expect(page.getByLabel('Approve')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('#decide-department-text')).toBeFocused();
  await page.keyboard.type('Fine by me');
  await page.keyboard.press('Tab');
  await expect(page.locator('#form-decide-department button[type=submit]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('.page-head .badge')).toHaveText('Policy review');
  expectNoPageErrors(page);
});
