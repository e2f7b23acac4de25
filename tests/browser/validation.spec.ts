// The server's field errors (problem+json `errors`) are shown beside their fields.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server';
import { pageAs, expectAccessible, expectNoPageErrors, screenshot } from './helpers/browser';

const w = useWaiver();

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

test('submitting an incomplete request shows each missing field at the field', async ({ browser }) => {
  const page = await pageAs(browser, w, 'ana');
  await page.goto('/requests/new');
  await page.locator('#title').fill('Half-finished request');
  await page.locator('#policy_id').selectOption('access-control');
  await page.getByRole('button', { name: 'Save and submit' }).click();
  // Saved as a draft first, then the submit is refused naming each missing field.
  for (const field of ['requirement', 'type', 'data_classification', 'description', 'justification', 'resources', 'scope', 'likelihood', 'impact', 'start_on', 'end_on']) {
    await expect(page.locator(`[data-field-error="${field}"]`), field).toBeVisible();
    await expect(page.locator(`#${field}`)).toHaveAttribute('aria-invalid', 'true');
  }
  await expect(page.locator('[data-field-error="compensating_controls"]')).toBeVisible();
  await expect(page).toHaveURL(/\/requests\/\d+\/edit$/);
  await expectAccessible(page, 'form with errors');
  await screenshot(page, 'new-request-errors');
  expectNoPageErrors(page);
});

test('an end date beyond the matrix maximum and a bad evidence link are shown at their fields', async ({ browser }) => {
  const page = await pageAs(browser, w, 'ana');
  await page.goto('/requests/new');
  await page.locator('#title').fill('Too long');
  await page.locator('#policy_id').selectOption('access-control');
  await page.locator('#type').selectOption('access');
  await expect(page.getByRole('complementary', { name: 'Who must approve this?' })).toContainText('90 days');
  await page.locator('#start_on').fill(inDays(1));
  await page.locator('#end_on').fill(inDays(200));
  await expect(page.locator('.duration')).toContainText('longer than the 90 days allowed');
  await page.locator('#control-0-description').fill('Logging');
  await page.locator('#control-0-evidence_url').fill('javascript:alert(1)');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.locator('[data-field-error="control-0-evidence_url"]')).toBeVisible();
  // Fix the link: the draft saves; then the submit names the end date.
  await page.locator('#control-0-evidence_url').fill('https://wiki.example.com/logging');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByRole('status')).toContainText('saved');
  await page.getByRole('button', { name: 'Save and submit' }).click();
  await expect(page.locator('[data-field-error="end_on"]')).toBeVisible();
  expectNoPageErrors(page);
});

test('the sign-in form says when the password is wrong, and offers no single sign-on when it is off', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: w.base });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill('ana@example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is not right.');
  await expect(page.locator('[data-sso]')).toHaveCount(0);
  await expectAccessible(page, 'sign-in');
  await screenshot(page, 'sign-in');
});
