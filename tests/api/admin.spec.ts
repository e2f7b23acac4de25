// Administration through the API (admins only): users (create, roles, disable, password reset)
// and departments (create, change the head), with their audit events: user_create, user_update,
// role_change, set_password, department_create, department_update.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem, requestBody, slotOf } from './helpers/flow.js';
import { useClients, setPassword, auditEvents, expectAuditVerifies, PASSWORD } from './helpers/session.js';

const w = useWaiver();
const clients = useClients(w);
const USER_FIELDS = ['department', 'disabled', 'email', 'name', 'roles'];

const as = (u: Parameters<typeof who>[0]) => clients.bearer(w.tokens.get(u)!);
const u = (email: string) => `/users/${encodeURIComponent(email)}`;

test.beforeAll(async () => {
  for (const x of ['bob', 'carol', 'dpo', 'maint'] as const) await setPassword(w, who(x));
});

test('every admin endpoint: 403 for non-admins (nothing changes), 401 without credentials', async () => {
  const admin = await as('admin');
  const calls: [string, string, unknown?][] = [
    ['GET', '/users'],
    ['POST', '/users', { email: 'sneaky@example.com', name: 'Sneaky' }],
    ['GET', u(who('bob'))],
    ['PATCH', u(who('bob')), { roles: ['admin'] }],
    ['PATCH', u(who('ana')), { roles: ['admin'] }],
    ['PUT', `${u(who('bob'))}/password`, { password: 'a new password for bob' }],
    ['GET', '/departments'],
    ['POST', '/departments', { name: 'Sneaky', head: who('ana') }],
    ['PATCH', '/departments/Engineering', { head: who('ana') }],
  ];
  for (const x of ['ana', 'eng.head', 'sec', 'auditor', 'owner', 'ceo'] as const) {
    const c = await as(x);
    for (const [m, p, d] of calls) {
      const r = await c.send(m, p, d);
      expect(r.status, `${x}: ${m} ${p} → ${r.status} ${r.text.slice(0, 200)}`).toBe(403);
      expectProblem(r, 403);
    }
  }
  const anon = await clients.browser();
  for (const [m, p, d] of calls) expectProblem(await anon.send(m, p, d), 401);

  expectProblem(await admin.get(u('sneaky@example.com')), 404);
  expect(expectOk(await admin.get(u(who('ana')))).roles).toEqual([]);
  expect(expectOk(await admin.get(u(who('bob')))).roles).toEqual([]);
  const deps = expectOk(await admin.get('/departments')).items;
  expect(deps.map((d: any) => d.name)).not.toContain('Sneaky');
  expect(deps.find((d: any) => d.name === 'Engineering').head).toBe(who('eng.head'));
  // bob's password was not changed: his own still works
  expectOk(await (await clients.browser()).signIn(who('bob')));
});

test('GET /users and /users/{email}: every user with email, name, department, roles, disabled', async () => {
  const admin = await as('admin');
  const all = expectOk(await admin.get('/users')).items;
  expect(all.length).toBeGreaterThanOrEqual(14);
  for (const x of all) expect(Object.keys(x).sort()).toEqual(USER_FIELDS);
  const sec = all.find((x: any) => x.email === who('sec'));
  expect(sec).toEqual({ email: who('sec'), name: 'Sam Ek', department: 'Security', roles: ['security_compliance'], disabled: false });
  expect(expectOk(await admin.get(u(who('sec'))))).toEqual(sec);
  // the path may carry a raw @ as well
  expect(expectOk(await admin.get(`/users/${who('sec')}`)).email).toBe(who('sec'));
  expectProblem(await admin.get(u('nobody@example.com')), 404);
});

test('POST /users creates a user who can then get a token, sign in and work; bad input is refused', async () => {
  const admin = await as('admin');
  const body = { email: 'newbie@example.com', name: 'New Bie', department: 'Engineering', roles: [] };
  const c = expectOk(await admin.post('/users', body), 201);
  expect(c).toEqual({ ...body, disabled: false });
  expect(expectOk(await admin.get(u('newbie@example.com')))).toEqual(c);
  expectProblem(await admin.post('/users', body), 409);

  for (const [bad, field] of [
    [{ ...body, email: 'not an email' }, 'email'],
    [{ ...body, email: 'x@example.com', department: 'Nowhere' }, 'department'],
    [{ ...body, email: 'x@example.com', roles: ['superuser'] }, 'roles'],
    [{ ...body, email: 'x@example.com', name: '' }, 'name'],
    [{ ...body, email: 'x@example.com', disabled: true }, 'disabled'],
    [{ ...body, email: 'x@example.com', password: PASSWORD }, 'password'],
  ] as [Record<string, unknown>, string][]) {
    expectProblem(await admin.post('/users', bad), 422, [field]);
  }
  expectProblem(await admin.get(u('x@example.com')), 404);

  // a token from the admin, a request of their own in their department
  const t = expectOk(await admin.post('/tokens', { name: 'newbie', user: 'newbie@example.com' }), 201);
  const nb = await clients.bearer(t.token);
  const me = expectOk(await nb.get('/me'));
  expect(me).toMatchObject({ email: 'newbie@example.com', department: 'Engineering', roles: [] });
  const d = expectOk(await nb.post('/exceptions', requestBody()), 201);
  const s = expectOk(await nb.post(`/exceptions/${d.id}/submit`, {}));
  expect(slotOf(s, 'department').eligible).toEqual([who('eng.head')]);

  // a password from the admin, then a sign-in
  const p = await admin.put(`${u('newbie@example.com')}/password`, { password: 'a fresh password for newbie' });
  expect(p.status, p.text).toBe(204);
  expectOk(await (await clients.browser()).signIn('newbie@example.com', 'a fresh password for newbie'));

  const ev = await auditEvents(w);
  const created = ev.find((e) => e.action === 'user_create' && e.entity_id === 'newbie@example.com');
  expect(created, 'a user_create event').toBeTruthy();
  expect(created.actor).toBe(who('admin'));
  expect(created.after).toMatchObject({ email: 'newbie@example.com', department: 'Engineering' });
  const pw = ev.filter((e) => e.action === 'set_password' && e.entity_id === 'newbie@example.com');
  expect(pw.length).toBe(1);
  expect(pw[0].actor).toBe(who('admin'));
  expect(JSON.stringify(ev)).not.toContain('a fresh password for newbie');
});

test('PUT /users/{email}/password: ends that person\'s sessions; the old password stops working; 422/404', async () => {
  const admin = await as('admin');
  const one = await clients.signedIn(who('maint'));
  const two = await clients.signedIn(who('maint'));
  const bystander = await clients.signedIn(who('carol'));
  expectProblem(await admin.put(`${u(who('maint'))}/password`, { password: 'short' }), 422, ['password']);
  expectProblem(await admin.put(`${u(who('maint'))}/password`, {}), 422, ['password']);
  expectProblem(await admin.put(`${u(who('maint'))}/password`, { password: 'long enough password', extra: 1 }), 422, ['extra']);
  expectProblem(await admin.put(`${u('nobody@example.com')}/password`, { password: 'long enough password' }), 404);
  // refused resets ended nothing
  expectOk(await one.get('/me'));

  const r = await admin.put(`${u(who('maint'))}/password`, { password: 'the new maint password' });
  expect(r.status, r.text).toBe(204);
  expectProblem(await one.get('/me'), 401);
  expectProblem(await two.get('/me'), 401);
  expect(expectOk(await bystander.get('/me')).email).toBe(who('carol'));
  expectProblem(await (await clients.browser()).signIn(who('maint'), PASSWORD), 401);
  expectOk(await (await clients.browser()).signIn(who('maint'), 'the new maint password'));
  // tokens are not sessions: maint's token still works
  expectOk(await (await as('maint')).get('/me'));
});

test('PATCH /users/{email} roles: effective at once for sessions and tokens; a role_change event with before and after', async () => {
  const admin = await as('admin');
  const session = await clients.signedIn(who('carol'));
  const token = await as('carol');
  expectProblem(await token.get('/audit/verify'), 403);

  const r = expectOk(await admin.patch(u(who('carol')), { roles: ['auditor'] }));
  expect(r).toMatchObject({ email: who('carol'), roles: ['auditor'], disabled: false, department: 'Finance' });
  expect(expectOk(await session.get('/me')).roles).toEqual(['auditor']);
  expect(expectOk(await token.get('/me')).roles).toEqual(['auditor']);
  expect(expectOk(await token.get('/audit/verify')).ok).toBe(true);

  // refused changes change nothing
  expectProblem(await admin.patch(u(who('carol')), { roles: ['auditor', 'wizard'] }), 422, ['roles']);
  expectProblem(await admin.patch(u(who('carol')), { email: 'carol2@example.com' }), 422, ['email']);
  expectProblem(await admin.patch(u(who('carol')), { department: 'Nowhere' }), 422, ['department']);
  expectProblem(await admin.patch(u(who('carol')), { disabled: 'yes' }), 422, ['disabled']);
  expectProblem(await admin.patch(u('nobody@example.com'), { roles: [] }), 404);
  expect(expectOk(await admin.get(u(who('carol'))))).toMatchObject({ roles: ['auditor'], department: 'Finance', disabled: false });

  // a name change alone is a user_update, not a role_change
  expect(expectOk(await admin.patch(u(who('carol')), { name: 'Carol Cashflow' })).name).toBe('Carol Cashflow');
  expect(expectOk(await admin.patch(u(who('carol')), { roles: [] })).roles).toEqual([]);
  expectProblem(await token.get('/audit/verify'), 403);

  const ev = (await auditEvents(w)).filter((e) => e.entity_type === 'user' && e.entity_id === who('carol'));
  const changes = ev.filter((e) => e.action === 'role_change');
  expect(changes.length).toBe(2);
  expect(changes[0].actor).toBe(who('admin'));
  expect(changes[0].before?.roles).toEqual([]);
  expect(changes[0].after?.roles).toEqual(['auditor']);
  expect(changes[1].before?.roles).toEqual(['auditor']);
  expect(changes[1].after?.roles).toEqual([]);
  const update = ev.find((e) => e.action === 'user_update');
  expect(update, 'the name change is a user_update').toBeTruthy();
  expect(update.before?.name).toBe('Carol Cash');
  expect(update.after?.name).toBe('Carol Cashflow');
});

test('admins cannot disable themselves or drop their own admin role (409); another admin can be made', async () => {
  const admin = await as('admin');
  expectProblem(await admin.patch(u(who('admin')), { disabled: true }), 409);
  expectProblem(await admin.patch(u(who('admin')), { roles: ['auditor'] }), 409);
  expectProblem(await admin.patch(u(who('admin')), { roles: [] }), 409);
  expect(expectOk(await admin.get(u(who('admin'))))).toMatchObject({ roles: ['admin'], disabled: false });
  expectOk(await admin.get('/users'));
  // a change that keeps the admin role is fine
  expect(expectOk(await admin.patch(u(who('admin')), { roles: ['admin', 'auditor'] })).roles.sort()).toEqual(['admin', 'auditor']);
  expect(expectOk(await admin.patch(u(who('admin')), { roles: ['admin'] })).roles).toEqual(['admin']);
  // a second admin may manage users
  expectOk(await admin.patch(u(who('dpo')), { roles: ['admin'] }));
  expectOk(await (await as('dpo')).get('/users'));
  expectOk(await admin.patch(u(who('dpo')), { roles: [] }));
  expectProblem(await (await as('dpo')).get('/users'), 403);
});

test('a disabled user can neither sign in (same 401 as a wrong password) nor use a session or token; re-enabled, they can', async () => {
  const admin = await as('admin');
  const session = await clients.signedIn(who('bob'));
  const token = await as('bob');
  const apiToken = expectOk(await admin.post('/tokens', { name: 'bob automation', user: who('bob') }), 201);
  const apiClient = await clients.bearer(apiToken.token);
  expectOk(await apiClient.get('/me'));

  const d = expectOk(await admin.patch(u(who('bob')), { disabled: true }));
  expect(d.disabled).toBe(true);
  expect(expectOk(await admin.get(u(who('bob')))).disabled).toBe(true);

  expectProblem(await session.get('/me'), 401);
  expectProblem(await token.get('/me'), 401);
  expectProblem(await apiClient.get('/me'), 401);
  expectProblem(await token.post('/exceptions', requestBody()), 401);
  const right = await (await clients.browser()).signIn(who('bob'), PASSWORD);
  const wrong = await (await clients.browser()).signIn(who('bob'), 'not the password at all');
  expectProblem(right, 401);
  expect(right.text, 'a disabled account answers like a wrong password').toBe(wrong.text);

  expect(expectOk(await admin.patch(u(who('bob')), { disabled: false })).disabled).toBe(false);
  expect(expectOk(await (await clients.browser()).signIn(who('bob'))).email).toBe(who('bob'));
  // the session that was open when bob was disabled stays ended
  expectProblem(await session.get('/me'), 401);
});

test('departments: list, create, change the head (routing follows), refusals', async () => {
  const admin = await as('admin');
  const list = expectOk(await admin.get('/departments')).items;
  expect(list).toEqual(expect.arrayContaining([
    { name: 'Engineering', head: who('eng.head') },
    { name: 'Finance', head: who('cfo') },
    { name: 'Security', head: who('admin') },
  ]));

  const c = expectOk(await admin.post('/departments', { name: 'Research', head: who('carol') }), 201);
  expect(c).toEqual({ name: 'Research', head: who('carol') });
  expectProblem(await admin.post('/departments', { name: 'Research', head: who('ana') }), 409);
  expectProblem(await admin.post('/departments', { name: 'Labs', head: 'nobody@example.com' }), 422, ['head']);
  expectProblem(await admin.post('/departments', { head: who('ana') }), 422, ['name']);
  expectProblem(await admin.post('/departments', { name: 'Labs', budget: 3 }), 422, ['budget']);
  expect(expectOk(await admin.get('/departments')).items.map((x: any) => x.name)).not.toContain('Labs');

  // a member of Research: their requests go to its head
  expectOk(await admin.post('/users', { email: 'rita@example.com', name: 'Rita Search', department: 'Research' }), 201);
  const rita = await clients.bearer(expectOk(await admin.post('/tokens', { name: 'rita', user: 'rita@example.com' }), 201).token);
  const submit = async () => {
    const d = expectOk(await rita.post('/exceptions', requestBody()), 201);
    return expectOk(await rita.post(`/exceptions/${d.id}/submit`, {}));
  };
  expect(slotOf(await submit(), 'department').eligible).toEqual([who('carol')]);

  const p = expectOk(await admin.patch('/departments/Research', { head: who('dpo') }));
  expect(p).toEqual({ name: 'Research', head: who('dpo') });
  expect(expectOk(await admin.get('/departments')).items).toContainEqual({ name: 'Research', head: who('dpo') });
  expect(slotOf(await submit(), 'department').eligible).toEqual([who('dpo')]);

  expectProblem(await admin.patch('/departments/Nowhere', { head: who('ana') }), 404);
  expectProblem(await admin.patch('/departments/Research', { head: 'nobody@example.com' }), 422, ['head']);
  expectProblem(await admin.patch('/departments/Research', { name: 'Renamed' }), 422, ['name']);
  expect(expectOk(await admin.get('/departments')).items).toContainEqual({ name: 'Research', head: who('dpo') });

  const ev = (await auditEvents(w)).filter((e) => e.entity_type === 'department' && e.entity_id === 'Research');
  expect(ev.map((e) => e.action)).toEqual(['department_create', 'department_update']);
  for (const e of ev) expect(e.actor).toBe(who('admin'));
  expect(ev[1].after).toMatchObject({ head: who('dpo') });
  expect(ev[1].before).toMatchObject({ head: who('carol') });
});

test('PATCH /departments/{name} merges: a body without head leaves the head alone', async () => {
  const admin = await as('admin');
  expectOk(await admin.post('/departments', { name: 'Merge Dept', head: who('owner') }), 201);
  const r = await admin.patch('/departments/Merge%20Dept', {});
  // either refused (nothing to change) or a no-op — never a silent clearing of the head
  if (r.status === 200) expect(r.body.head).toBe(who('owner'));
  else expectProblem(r, 422);
  const now = expectOk(await admin.get('/departments')).items.find((d: any) => d.name === 'Merge Dept');
  expect(now.head, 'PATCH {} must not clear the head').toBe(who('owner'));
  // null clears it, explicitly
  expect(expectOk(await admin.patch('/departments/Merge%20Dept', { head: null })).head).toBeNull();
});

test('access events in one run: sign_in, sign_in_failed, token_create, token_revoke, role_change, user_create, department_create, department_update, set_password; the chain verifies', async () => {
  const admin = await as('admin');
  const email = 'audit.probe@example.com';
  expectOk(await admin.post('/users', { email, name: 'Audit Probe', department: 'Finance' }), 201);
  expect((await admin.put(`${u(email)}/password`, { password: 'audit probe password' })).status).toBe(204);
  const b = await clients.browser();
  expectProblem(await b.signIn(email, 'not the audit probe password'), 401);
  expectOk(await b.signIn(email, 'audit probe password'));
  const t = expectOk(await admin.post('/tokens', { name: 'probe', user: email }), 201);
  expect([200, 204]).toContain((await admin.delete(`/tokens/${t.id}`)).status);
  expectOk(await admin.patch(u(email), { roles: ['legal'] }));
  expectOk(await admin.post('/departments', { name: 'Audit Dept', head: email }), 201);
  expectOk(await admin.patch('/departments/Audit%20Dept', { head: who('cfo') }));

  const ev = await auditEvents(w);
  const about = (action: string, entity: string) => ev.filter((e) => e.action === action && String(e.entity_id) === entity);
  expect(about('user_create', email)).toHaveLength(1);
  expect(about('set_password', email)).toHaveLength(1);
  expect(about('sign_in_failed', email)).toHaveLength(1);
  expect(about('sign_in', email)).toHaveLength(1);
  expect(about('token_create', String(t.id))).toHaveLength(1);
  expect(about('token_revoke', String(t.id))).toHaveLength(1);
  expect(about('role_change', email)).toHaveLength(1);
  expect(about('department_create', 'Audit Dept')).toHaveLength(1);
  expect(about('department_update', 'Audit Dept')).toHaveLength(1);
  // in order, each chained to the one before
  const ids = ev.map((e) => Number(e.id));
  expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  for (let i = 1; i < ev.length; i++) expect(ev[i].prev_hash).toBe(ev[i - 1].hash);
  await expectAuditVerifies(w);
  expect(expectOk(await (await as('auditor')).get('/audit/verify')).ok).toBe(true);
});
