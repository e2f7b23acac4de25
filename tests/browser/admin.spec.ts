// Administration of the policy catalog and the approval matrix: a policy created and edited, the
// matrix edited as YAML with the server's errors shown at their place, then saved as a new version
// that the preview and the request form use.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server';
import { pageAs, expectAccessible, expectNoPageErrors, screenshot } from './helpers/browser';

const w = useWaiver();

test('an admin edits the catalog and the matrix; errors are shown at their place; the preview follows', async ({ browser }) => {
  const page = await pageAs(browser, w, 'admin');
  await page.goto('/admin');
  const catalog = page.locator('[data-catalog]');
  await expect(catalog.getByRole('row', { name: /access-control/ })).toContainText('Access Management Policy');

  // A new policy, refused first (an unknown owner), then created and renamed.
  const form = page.getByRole('form', { name: 'New policy' });
  await form.getByLabel('Id').fill('remote-work');
  await form.getByLabel('Title').fill('Remote Work Standard');
  await form.getByLabel('Kind').selectOption('standard');
  await form.getByLabel('Owner (email)').fill('ghost@example.com');
  await form.getByRole('button', { name: 'Create policy' }).click();
  await expect(page.locator('[data-field-error="pf-owner"]')).toContainText('is not a known user');
  await form.getByLabel('Owner (email)').fill('owner@example.com');
  await form.getByLabel('Maintainers (emails, comma-separated)').fill('maint@example.com');
  await form.getByRole('button', { name: 'Create policy' }).click();
  await expect(catalog.getByRole('row', { name: /remote-work/ })).toContainText('Remote Work Standard');
  await page.getByRole('button', { name: 'Edit policy remote-work' }).click();
  const edit = page.getByRole('form', { name: 'Edit policy remote-work' });
  await edit.getByLabel('Title').fill('Remote Work Policy');
  await edit.getByRole('button', { name: 'Save policy' }).click();
  await expect(catalog.getByRole('row', { name: /remote-work/ })).toContainText('Remote Work Policy');

  // The matrix: an invalid rule is refused, naming its place; nothing changes.
  const yaml = page.getByLabel(/Matrix \(YAML\), version 1/);
  await expect(yaml).toHaveValue(/first_approval: department_head/);
  const original = await yaml.inputValue();
  await yaml.fill(`${original.trimEnd()}\n  - when: {type: spaceship}\n    set: {max_days: 30}\n`);
  await page.getByRole('button', { name: 'Save matrix' }).click();
  await expect(page.locator('[data-matrix-errors]')).toContainText('rules.3.when.type');
  await expectAccessible(page, 'administration with matrix errors');
  await screenshot(page, 'admin-matrix-errors');

  // Fixed: every remote-work request may last 30 days at most; saved as version 2.
  await yaml.fill(`${original.trimEnd()}\n  - when: {policy: remote-work}\n    set: {max_days: 30}\n`);
  await page.getByRole('button', { name: 'Save matrix' }).click();
  await expect(page.locator('[data-matrix-notice]')).toContainText('Saved as version 2');
  await expect(page.getByLabel(/Matrix \(YAML\), version 2/)).toBeVisible();
  const row = page.locator('[data-matrix]').getByRole('row', { name: /^remote-work/ });
  await expect(row.getByRole('cell').nth(0)).toContainText('30 days');
  await page.getByRole('button', { name: 'Save matrix' }).click();
  await expect(page.locator('[data-matrix-notice]')).toContainText('No change');
  await expectAccessible(page, 'administration');
  expectNoPageErrors(page);

  // The request form offers the new policy from the catalog, and its maximum comes from the new matrix.
  const ana = await pageAs(browser, w, 'ana');
  await ana.goto('/requests/new');
  await ana.locator('#policy_id').selectOption('remote-work');
  await ana.locator('#type').selectOption('access');
  await expect(ana.locator('p', { hasText: 'Longest allowed duration: 30 days' })).toBeVisible();
  expectNoPageErrors(ana);
});

test('non-admins are refused the matrix and catalog changes by the API', async ({ browser }) => {
  const page = await pageAs(browser, w, 'owner');
  await page.goto('/requests');
  const r = await w.api('owner', 'PUT', '/matrix', { yaml: 'default: {max_days: 999}' });
  expect(r.status).toBe(403);
  expect((await w.api('owner', 'POST', '/policies', { id: 'x', title: 'X', owner: 'owner@example.com' })).status).toBe(403);
  expect((await w.api('ana', 'GET', '/policies')).status).toBe(200);
});
