// The rest of the request page's actions: changes requested and a resubmission, an expert invited
// who then gives input, a review, and a revocation.
import { test, expect } from '@playwright/test';
import { useWaiver } from './helpers/server';
import { pageAs, expectNoPageErrors, openAction } from './helpers/browser';

const w = useWaiver();
test.describe.configure({ mode: 'serial' });
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
let id = 0;

test.beforeAll(async () => {
  const r = await w.api('ana', 'POST', '/exceptions', {
    title: 'Admin rights for driver work', policy_id: 'access-control', requirement: 'No local admin', type: 'access',
    data_classification: 'GREEN', description: 'Admin on one laptop', justification: 'Driver development',
    resources: 'I maintain it', scope: '1 laptop', likelihood: 2, impact: 2,
    compensating_controls: [{ description: 'EDR stays on' }], start_on: inDays(1), end_on: inDays(30),
  });
  id = r.body.id;
  expect((await w.api('ana', 'POST', `/exceptions/${id}/submit`)).status).toBe(200);
});

test('the department head asks for changes; the requester edits and resubmits', async ({ browser }) => {
  const head = await pageAs(browser, w, 'eng.head');
  await head.goto(`/requests/${id}`);
  await openAction(head, 'decide-department');
  await head.getByLabel('Request changes').check();
  await head.locator('#decide-department-text').fill('Name the laptop');
  await head.locator('#form-decide-department button[type=submit]').click();
  await expect(head.locator('.page-head .badge')).toHaveText('Changes requested');

  const ana = await pageAs(browser, w, 'ana');
  await ana.goto(`/requests/${id}`);
  await expect(ana.getByText('Name the laptop')).toBeVisible();
  await ana.locator('[data-action="edit"]').click();
  await ana.locator('#scope').fill('1 laptop: ENG-LT-0042');
  await ana.getByRole('button', { name: 'Save and submit' }).click();
  await expect(ana).toHaveURL(new RegExp(`/requests/${id}$`));
  await expect(ana.locator('.page-head .badge')).toHaveText('Department review');
  await expect(ana.getByText('1 laptop: ENG-LT-0042')).toBeVisible();
  expectNoPageErrors(ana);
});

test('the owner invites an expert, who reads the request and gives input', async ({ browser }) => {
  expect((await w.api('eng.head', 'POST', `/exceptions/${id}/approvals/department`, { decision: 'approve' })).status).toBe(200);
  const owner = await pageAs(browser, w, 'owner');
  await owner.goto(`/requests/${id}`);
  await openAction(owner, 'invite');
  await owner.locator('#invite-email').fill('bob@example.com');
  await owner.locator('#invite-text').fill('Is EDR enough on a driver box?');
  await owner.locator('#form-invite button[type=submit]').click();
  await expect(owner.getByText('bob@example.com was invited')).toBeVisible();

  const bob = await pageAs(browser, w, 'bob');
  await bob.goto(`/requests/${id}`);
  await openAction(bob, 'comment');
  await bob.locator('#comment-text').fill('EDR plus a separate admin account would do');
  await bob.locator('#form-comment button[type=submit]').click();
  await expect(bob.getByText('EDR plus a separate admin account would do', { exact: true })).toBeVisible();
  await expect(bob.locator('.notes')).toContainText('Input by Bob Berg');
  expectNoPageErrors(bob);
});

test('once active, the owner records a review and security compliance revokes it', async ({ browser }) => {
  expect((await w.api('sec', 'POST', `/exceptions/${id}/approvals/compliance`, { decision: 'approve', implications: 'none' })).status).toBe(200);
  expect((await w.api('owner', 'POST', `/exceptions/${id}/approvals/owner`, {
    decision: 'approve', risk_level: 'low', end_on: inDays(30), compensating_controls: [{ description: 'EDR stays on' }],
  })).status).toBe(200);
  const owner = await pageAs(browser, w, 'owner');
  await owner.goto(`/requests/${id}`);
  await openAction(owner, 'review');
  await owner.locator('#review-text').fill('Checked the EDR logs: clean');
  await owner.locator('#form-review button[type=submit]').click();
  await expect(owner.getByText('Checked the EDR logs: clean', { exact: true })).toBeVisible();

  const sec = await pageAs(browser, w, 'sec');
  await sec.goto(`/requests/${id}`);
  await openAction(sec, 'revoke');
  await sec.locator('#revoke-text').fill('The laptop was lost');
  await sec.locator('#form-revoke button[type=submit]').click();
  await expect(sec.locator('.page-head .badge')).toHaveText('Revoked');
  await expect(sec.getByText('The laptop was lost', { exact: true })).toBeVisible();
  await expect(sec.locator('.timeline')).toContainText('revoke');
  expectNoPageErrors(sec);
});
