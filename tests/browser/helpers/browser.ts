// What the browser tests share: a signed-in page per person (each in its own browser context),
// an axe check, screenshots under build/screenshots, and a watch for Content-Security-Policy
// violations and page errors.
import { expect, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, PASSWORD, who, type UserName, type Waiver } from './server';

export const SCREENSHOTS = process.env.WAIVER_SCREENSHOTS
  ? resolve(process.env.WAIVER_SCREENSHOTS)
  : join(REPO, 'build', 'screenshots');

/** Problems the page reported: CSP violations, uncaught errors. Checked by `expectNoPageErrors`. */
const problems = new WeakMap<Page, string[]>();

export function watch(page: Page): void {
  const list: string[] = [];
  problems.set(page, list);
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) list.push(m.text());
  });
  page.on('pageerror', (e) => list.push(`page error: ${e.message}`));
}

export function expectNoPageErrors(page: Page): void {
  expect(problems.get(page) ?? []).toEqual([]);
}

/** A new browser context signed in as that person (through the API, as the sign-in form does). */
export async function pageAs(browser: Browser, w: Waiver, u: UserName, viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ baseURL: w.base, viewport: viewport ?? { width: 1280, height: 900 } });
  const r = await context.request.post('/api/v1/session', { data: { email: who(u), password: PASSWORD } });
  expect(r.status(), await r.text()).toBe(200);
  const page = await context.newPage();
  watch(page);
  return page;
}

/** A new browser context that signs in through the sign-in form. */
export async function signInWithForm(browser: Browser, w: Waiver, u: UserName): Promise<Page> {
  const context = await browser.newContext({ baseURL: w.base });
  const page = await context.newPage();
  watch(page);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel('Email').fill(who(u));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  return page;
}

/** axe on the page as it is: no serious or critical violations (WCAG 2.1 A and AA rules). */
export async function expectAccessible(page: Page, what: string): Promise<number> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  expect(text, `axe on ${what}`).toEqual([]);
  // Minor and moderate findings do not fail the test; they are listed so they can be looked at.
  for (const v of result.violations) console.log(`axe (${what}): ${v.impact} ${v.id}: ${v.help}`);
  return result.violations.length;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens the action's form on the request page (`decide-owner`, `appeal`, …). */
export async function openAction(page: Page, key: string): Promise<void> {
  await page.locator(`[data-action="${key}"]`).click();
}
