// The seed's process played in the browser by different people, each in their own browser
// context: file, approve from the inbox, assess, decide → active in the register; a denial,
// an appeal, Legal's opinion and the two dispositions; an extension.
import { test, expect, type Page } from '@playwright/test';
import { useWaiver } from './helpers/server';
import { pageAs, signInWithForm, expectAccessible, expectNoPageErrors, screenshot, openAction } from './helpers/browser';

const w = useWaiver();
test.describe.configure({ mode: 'serial' });

const iso = (d: Date) => d.toISOString().slice(0, 10);
const inDays = (n: number) => iso(new Date(Date.now() + n * 86_400_000));
const START = inDays(3);
const END = inDays(63);

let firstId = 0;
let firstRef = '';

async function expectStatus(page: Page, label: string) {
  await expect(page.locator('.page-head .badge')).toHaveText(label);
}

async function record(page: Page, key: string) {
  await page.locator(`#form-${key} button[type=submit]`).click();
}

test('a requester signs in and files a request with the guided form', async ({ browser }) => {
  const page = await signInWithForm(browser, w, 'ana');
  await page.getByRole('link', { name: 'New request' }).first().click();
  await expect(page.getByRole('heading', { name: 'New exception request' })).toBeVisible();
  await page.locator('#title').fill('Read access to the production database');
  await page.locator('#policy_id').selectOption('access-control');
  await page.locator('#requirement').fill('Production data is accessed only through the admin tool');
  await page.locator('#type').selectOption('access');
  await page.locator('#data_classification').selectOption('ORANGE');
  // The matrix preview answers "who must approve this?" while the form is filled in.
  const preview = page.getByRole('complementary', { name: 'Who must approve this?' });
  await expect(preview).toContainText('Department approval');
  await expect(preview).toContainText('eng.head@example.com');
  await expect(preview).toContainText('Policy owner');
  await expect(preview).toContainText('90 days');
  await page.locator('#description').fill('Read-only SQL access for incident analysis');
  await page.locator('#alternative').fill('Ask SRE each time');
  await page.locator('#justification').fill('Incidents take hours longer without it');
  await page.locator('#resources').fill('SRE maintains the role');
  await page.locator('#scope').fill('1 database, 3 people');
  await page.locator('#likelihood').selectOption('2');
  await page.locator('#impact').selectOption('3');
  await page.locator('#control-0-description').fill('Query logging reviewed weekly');
  await page.locator('#control-0-owner').fill('sre@example.com');
  await page.getByRole('button', { name: 'Add a control' }).click();
  await page.locator('#control-1-description').fill('Access expires with the exception');
  await page.locator('#start_on').fill(START);
  await page.locator('#end_on').fill(END);
  await expect(page.locator('.duration')).toHaveText('60 days');
  await expectAccessible(page, 'new request');
  await screenshot(page, 'process-new-request');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expect(page.getByRole('status')).toContainText('saved');
  await page.getByRole('button', { name: 'Save and submit' }).click();
  await expect(page).toHaveURL(/\/requests\/\d+$/);
  await expectStatus(page, 'Department review');
  firstId = Number(page.url().split('/').pop());
  firstRef = (await page.locator('.ref').textContent())!.trim();
  await expect(page.getByRole('row', { name: /Department approval/ })).toContainText('Pending');
  await expect(page.getByRole('row', { name: /Department approval/ })).toContainText('eng.head@example.com');
  await expect(page.locator('.timeline')).toContainText('submit');
  await expectAccessible(page, 'request page');
  expectNoPageErrors(page);
  await page.goto('/requests');
  await expect(page.getByRole('link', { name: firstRef })).toBeVisible();
  await expectAccessible(page, 'my requests');
  await screenshot(page, 'process-my-requests');
});

test('the department head approves from the inbox', async ({ browser }) => {
  const page = await pageAs(browser, w, 'eng.head');
  await page.goto('/requests');
  await expect(page.getByRole('link', { name: /My approvals/ }).locator('.count')).toHaveText('1');
  await page.getByRole('link', { name: /My approvals/ }).click();
  await expect(page.getByRole('row', { name: new RegExp(firstRef) })).toContainText('Department approval');
  await expectAccessible(page, 'inbox');
  await screenshot(page, 'process-approvals-inbox');
  await page.getByRole('link', { name: firstRef }).click();
  await openAction(page, 'decide-department');
  await page.locator('#decide-department-text').fill('Needed for on-call');
  await record(page, 'decide-department');
  await expectStatus(page, 'Policy review');
  await expect(page.getByRole('row', { name: /Department approval/ })).toContainText('Approved');
  await expect(page.getByRole('row', { name: /Department approval/ })).toContainText('Needed for on-call');
  await expect(page.getByRole('link', { name: /My approvals/ }).locator('.count')).toHaveCount(0);
  expectNoPageErrors(page);
});

test('security compliance records its assessment', async ({ browser }) => {
  const page = await pageAs(browser, w, 'sec');
  await page.goto('/approvals');
  await page.getByRole('link', { name: firstRef }).click();
  await openAction(page, 'decide-compliance');
  await page.locator('#decide-compliance-implications').selectOption('current');
  await page.locator('#decide-compliance-frameworks').fill('SOC 2, ISO 27001');
  await expectAccessible(page, 'request page with the compliance form');
  await record(page, 'decide-compliance');
  await expect(page.getByRole('row', { name: /Security Compliance/ })).toContainText('Approved');
  await expect(page.getByText('Current: SOC 2, ISO 27001')).toBeVisible();
  expectNoPageErrors(page);
});

test('the policy owner approves with controls and the request is active in the register', async ({ browser }) => {
  const page = await pageAs(browser, w, 'owner');
  await page.goto(`/requests/${firstId}`);
  await openAction(page, 'decide-owner');
  await page.locator('#decide-owner-risk').selectOption('medium');
  await expect(page.locator('#decide-owner-c0-d')).toHaveValue('Query logging reviewed weekly');
  await page.locator('#decide-owner-c0-s').selectOption('implemented');
  await expect(page.locator('#decide-owner-end')).toHaveValue(END);
  await expectAccessible(page, 'owner decision form');
  await screenshot(page, 'process-owner-decision');
  await record(page, 'decide-owner');
  await expectStatus(page, 'Active');
  await expect(page.getByText('Medium', { exact: true })).toBeVisible();
  await screenshot(page, 'process-request-page');

  const auditor = await pageAs(browser, w, 'auditor');
  await auditor.goto('/register');
  await auditor.locator('#f-status').selectOption('active');
  await auditor.getByRole('button', { name: 'Filter' }).click();
  await expect(auditor).toHaveURL(/status=active/);
  const row = auditor.getByRole('row', { name: new RegExp(firstRef) });
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Medium');
  await expectAccessible(auditor, 'register');
  await screenshot(auditor, 'process-register');
  expectNoPageErrors(page);
  expectNoPageErrors(auditor);
});

test('a denial is appealed: Legal gives an opinion, the CEO and the CFO grant it', async ({ browser }) => {
  const fields = {
    title: 'USB storage for field recordings', policy_id: 'access-control', requirement: 'No removable media',
    type: 'access', data_classification: 'YELLOW', description: 'Encrypted USB sticks for audio', justification: 'Field work',
    resources: 'Team lead keeps the sticks', scope: '4 people', likelihood: 2, impact: 2,
    compensating_controls: [{ description: 'Hardware-encrypted sticks only' }], start_on: START, end_on: inDays(40),
  };
  const created = await w.api('ana', 'POST', '/exceptions', fields);
  expect(created.status).toBe(201);
  const id = created.body.id;
  expect((await w.api('ana', 'POST', `/exceptions/${id}/submit`)).status).toBe(200);
  expect((await w.api('eng.head', 'POST', `/exceptions/${id}/approvals/department`, { decision: 'approve' })).status).toBe(200);

  const owner = await pageAs(browser, w, 'owner');
  await owner.goto(`/requests/${id}`);
  await openAction(owner, 'decide-owner');
  await owner.getByLabel('Reject').check();
  await owner.locator('#decide-owner-text').fill('Removable media stays forbidden');
  await record(owner, 'decide-owner');
  await expectStatus(owner, 'Denied');

  const ana = await pageAs(browser, w, 'ana');
  await ana.goto(`/requests/${id}`);
  await openAction(ana, 'appeal');
  await ana.locator('#appeal-text').fill('The customer contract requires recordings on site');
  await record(ana, 'appeal');
  await expectStatus(ana, 'Appeal: legal');

  const legal = await pageAs(browser, w, 'legal');
  await legal.goto('/approvals');
  await legal.getByRole('link', { name: created.body.ref }).click();
  await openAction(legal, 'legal_opinion');
  await legal.locator('#legal_opinion-text').fill('Low legal risk if the sticks are encrypted');
  await record(legal, 'legal_opinion');
  await expectStatus(legal, 'Appeal: CEO and CFO');

  for (const exec of ['ceo', 'cfo'] as const) {
    const p = await pageAs(browser, w, exec);
    await p.goto('/approvals');
    await p.getByRole('link', { name: created.body.ref }).click();
    await openAction(p, 'disposition');
    await p.getByLabel('Grant the exception').check();
    await p.locator('#disposition-text').fill(`${exec} agrees`);
    await expectAccessible(p, `${exec} disposition form`);
    await record(p, 'disposition');
    await expect(p.getByText(`${exec.toUpperCase()}: grants`)).toBeVisible();
    if (exec === 'ceo') await expectStatus(p, 'Appeal: CEO and CFO');
    else await expectStatus(p, 'Active');
    expectNoPageErrors(p);
  }
  await ana.reload();
  await expectStatus(ana, 'Active');
  await expect(ana.getByText('Low legal risk if the sticks are encrypted')).toBeVisible();
});

test('the requester asks for an extension, which goes through the flow again', async ({ browser }) => {
  const ana = await pageAs(browser, w, 'ana');
  await ana.goto(`/requests/${firstId}`);
  await openAction(ana, 'extend');
  await ana.locator('#extend-end').fill(inDays(80));
  await ana.locator('#extend-text').fill('The migration slipped');
  await record(ana, 'extend');
  await expect(ana).toHaveURL(/\/requests\/\d+\/edit$/);
  await expect(ana.locator('#title')).toHaveValue('Read access to the production database');
  await ana.getByRole('button', { name: 'Save and submit' }).click();
  await expect(ana).toHaveURL(/\/requests\/\d+$/);
  await expectStatus(ana, 'Department review');
  await expect(ana.getByRole('link', { name: `request ${firstId}` })).toBeVisible();
  const extId = Number(ana.url().split('/').pop());
  await ana.goto(`/requests/${firstId}`);
  await expect(ana.getByRole('link', { name: `request ${extId}` })).toBeVisible();
  expectNoPageErrors(ana);
});
