// Every main page: an axe check (no serious or critical violations), a screenshot at 1280 px and
// on a phone, and the headers the server sends with the interface.
import { test, expect } from '@playwright/test';
import { connect } from 'node:net';
import { useWaiver, type UserName } from './helpers/server';
import { pageAs, expectAccessible, expectNoPageErrors, screenshot } from './helpers/browser';

const w = useWaiver();
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

// A small register: active exceptions at several risks, one in review, one denied, a draft.
test.beforeAll(async () => {
  test.setTimeout(120_000);
  const rows: [string, string, string, number, string | null][] = [
    ['Read access to the production database', 'access', 'ORANGE', 60, 'medium'],
    ['Legacy TLS 1.1 on the payment gateway', 'configuration', 'RED', 30, 'high'],
    ['Personal laptop for conference demos', 'device', 'YELLOW', 200, 'low'],
    ['Shared admin account for the lab switch', 'access', 'GREEN', 20, 'critical'],
    ['USB storage for field recordings', 'access', 'YELLOW', 45, null],
    ['Skip the onboarding security training', 'process', 'GREEN', 10, 'deny'],
  ];
  for (const [title, type, cls, days, risk] of rows) {
    const c = await w.api('ana', 'POST', '/exceptions', {
      title, policy_id: type === 'configuration' ? 'crypto-standard' : 'access-control', requirement: 'See the policy',
      type, data_classification: cls, description: title, justification: 'Business need', resources: 'The team',
      scope: 'Small', likelihood: 2, impact: 3, compensating_controls: [{ description: 'Monitoring', status: 'implemented' }],
      start_on: inDays(0), end_on: inDays(days),
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const id = c.body.id;
    expect((await w.api('ana', 'POST', `/exceptions/${id}/submit`)).status).toBe(200);
    const first = type === 'configuration' ? 'maint' : 'eng.head';
    expect((await w.api(first as UserName, 'POST', `/exceptions/${id}/approvals/department`, { decision: 'approve' })).status).toBe(200);
    if (!risk) continue;
    if (risk === 'deny') {
      expect((await w.api('owner', 'POST', `/exceptions/${id}/approvals/owner`, { decision: 'reject', comment: 'No' })).status).toBe(200);
      continue;
    }
    expect((await w.api('sec', 'POST', `/exceptions/${id}/approvals/compliance`, { decision: 'approve', implications: 'none' })).status).toBe(200);
    if (cls === 'RED') {
      expect((await w.api('legal', 'POST', `/exceptions/${id}/approvals/legal`, { decision: 'approve' })).status).toBe(200);
      expect((await w.api('dpo', 'POST', `/exceptions/${id}/approvals/data_owner`, { decision: 'approve' })).status).toBe(200);
    }
    const decided = await w.api('owner', 'POST', `/exceptions/${id}/approvals/owner`, {
      decision: 'approve', risk_level: risk, end_on: inDays(days), action_plan: 'Replace within the period',
      compensating_controls: [{ description: 'Monitoring', status: 'implemented' }],
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
  }
  expect((await w.api('ana', 'POST', '/exceptions', { title: 'Draft: VPN split tunnelling', policy_id: 'access-control' })).status).toBe(201);
});

const PAGES: [string, string, UserName][] = [
  ['register', '/register', 'auditor'],
  ['dashboard', '/dashboard', 'sec'],
  ['my-requests', '/requests', 'ana'],
  ['approvals-inbox', '/approvals', 'sec'],
  ['new-request', '/requests/new', 'ana'],
  ['administration', '/admin', 'admin'],
];

for (const [name, path, user] of PAGES) {
  test(`${name}: accessible, readable at 1280 px and on a phone`, async ({ browser }) => {
    const page = await pageAs(browser, w, user);
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByText('Loading…')).toHaveCount(0);
    await expectAccessible(page, name);
    await screenshot(page, name);
    expectNoPageErrors(page);
    const phone = await pageAs(browser, w, user, { width: 390, height: 844 });
    await phone.goto(path);
    await expect(phone.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(phone.getByText('Loading…')).toHaveCount(0);
    await expectAccessible(phone, `${name} on a phone`);
    // Nothing wider than the screen but the tables, which scroll inside their own box.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone, `${name}-phone`);
    expectNoPageErrors(phone);
  });
}

test('the dashboard gives each chart its numbers as text', async ({ browser }) => {
  const page = await pageAs(browser, w, 'auditor');
  await page.goto('/dashboard');
  const risk = page.getByRole('figure', { name: 'Active exceptions by risk' });
  await expect(risk.getByRole('table')).toContainText('Medium');
  await expect(page.getByRole('figure', { name: 'Requests by state' }).getByRole('row', { name: /Active/ })).toContainText('4');
  await expect(page.locator('canvas')).toHaveCount(4);
});

test('the register filters, sorts and exports', async ({ browser }) => {
  const page = await pageAs(browser, w, 'auditor');
  await page.goto('/register');
  await page.locator('#f-risk').selectOption('high');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await expect(page.locator('tbody')).toContainText('Legacy TLS 1.1');
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator('#f-exp').fill('35');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(2);
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator('#f-q').fill('laptop');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await page.getByRole('button', { name: 'Clear' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(7);
  await page.getByRole('button', { name: 'Risk' }).click();
  await page.getByRole('button', { name: 'Risk' }).click();
  await expect(page.locator('tbody tr').first()).toContainText('Critical');
  // The order is the server's, kept in the address, and the exports follow it.
  await expect(page).toHaveURL(/sort=risk_level&order=desc/);
  const href = await page.locator('[data-export="csv"]').getAttribute('href');
  expect(href).toContain('sort=risk_level');
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain('Legacy TLS 1.1');
  const xlsx = await page.request.get((await page.locator('[data-export="xlsx"]').getAttribute('href'))!);
  expect(xlsx.status()).toBe(200);
  expect(xlsx.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect((await xlsx.body()).subarray(0, 2).toString()).toBe('PK');
});

test('the server sends the interface with its caching and security headers', async ({ request }) => {
  const index = await request.get(`${w.base}/register`);
  expect(index.status()).toBe(200);
  expect(index.headers()['cache-control']).toBe('no-cache');
  const csp = index.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  const asset = (await index.text()).match(/\/assets\/[^"]+\.js/)![0];
  const js = await request.get(`${w.base}${asset}`);
  expect(js.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(js.headers()['content-type']).toContain('javascript');
  // Sent as is (a client would resolve the dots first): never a file from outside web/dist.
  for (const path of ['/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd', '/../../../../etc/passwd.txt']) {
    const raw = await rawGet(w.base, path);
    expect(raw, path).toMatch(/^HTTP\/1\.1 (404|200)/);
    expect(raw, path).not.toContain('root:');
  }
  expect((await request.get(`${w.base}/api/v1/nothing`)).headers()['content-type']).toContain('problem+json');
});

/** A GET with the path exactly as written, over a plain socket; the whole answer as text. */
async function rawGet(base: string, path: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return await new Promise((ok, fail) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => ok(data));
    socket.on('error', fail);
  });
}

test('administration previews the matrix, as the preview answers it', async ({ browser }) => {
  const page = await pageAs(browser, w, 'admin');
  await page.goto('/admin');
  const row = page.locator('[data-matrix]').getByRole('row', { name: /^access-control/ });
  // The preview answers for the caller as requester: the admin heads Security, so the maintainers approve first.
  await expect(row.getByRole('cell').nth(0)).toContainText('90 days; first approval: maint@example.com');
  await expect(row.getByRole('cell').nth(4)).toContainText('365 days');
  await page.locator('#m-class').selectOption('RED');
  await expect(row.getByRole('cell').nth(0)).toContainText('also Legal, Data owner');
  await expectAccessible(page, 'administration with the matrix');
  expectNoPageErrors(page);
});
