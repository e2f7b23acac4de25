// The policy catalog and the approval matrix through the API: everyone signed in reads them,
// admins change them (validated as `waiver import` validates the organisation file, audited), and
// whether single sign-on is on, without starting a sign-in.
import { test, expect } from '@playwright/test';
import { useWaiver, who } from './helpers/server.js';
import { expectOk, expectProblem, requestBody } from './helpers/flow.js';
import { useClients, auditEvents, expectAuditVerifies } from './helpers/session.js';

const w = useWaiver();
const clients = useClients(w);
const as = (u: Parameters<typeof who>[0]) => clients.bearer(w.tokens.get(u)!);

const YAML_HEADERS = { headers: { 'Content-Type': 'application/yaml' } };

test('GET /policies: every signed-in person reads the catalog; 401 without credentials', async () => {
  for (const u of ['ana', 'auditor', 'admin'] as const) {
    const items = expectOk(await (await as(u)).get('/policies')).items;
    expect(items.map((p: any) => p.id)).toEqual(['access-control', 'crypto-standard', 'onboarding-procedure']);
    expect(items[0]).toEqual({
      id: 'access-control', title: 'Access Management Policy', kind: 'policy', owner: who('owner'),
      maintainers: [who('maint')], reminder_days: [],
    });
  }
  expectProblem(await (await clients.browser()).get('/policies'), 401);
});

test('POST and PATCH /policies: admins only, checked like the organisation file, audited', async () => {
  const admin = await as('admin');
  for (const u of ['ana', 'owner', 'sec', 'auditor'] as const) {
    const c = await as(u);
    expectProblem(await c.post('/policies', { id: 'sneaky', title: 'Sneaky', owner: who('owner') }), 403);
    expectProblem(await c.patch('/policies/access-control', { title: 'Hijacked' }), 403);
  }
  expectProblem(await admin.post('/policies', { id: 'Bad Id', title: '', owner: 'nobody@example.com', maintainers: ['ghost@example.com'], kind: 'rule', reminder_days: [0] }), 422,
    ['id', 'owner', 'maintainers.0', 'kind', 'reminder_days.0']);
  expectProblem(await admin.post('/policies', { title: 'No id', owner: who('owner') }), 422, ['id']);
  expectProblem(await admin.post('/policies', { id: 'x', title: 'X', owner: who('owner'), colour: 'red' }), 422, ['colour']);
  expectProblem(await admin.post('/policies', { id: 'access-control', title: 'Again', owner: who('owner') }), 409);

  const created = expectOk(await admin.post('/policies', {
    id: 'remote-work', title: 'Remote Work Standard', kind: 'standard', owner: who('owner'), maintainers: [who('maint')], reminder_days: [10, 2],
  }), 201);
  expect(created).toEqual({ id: 'remote-work', title: 'Remote Work Standard', kind: 'standard', owner: who('owner'), maintainers: [who('maint')], reminder_days: [10, 2] });
  // A request can now name it.
  expectOk(await (await w.as('ana')).post('/exceptions', requestBody({ policy_id: 'remote-work' })), 201);

  const changed = expectOk(await admin.patch('/policies/remote-work', { title: 'Remote Work Policy', kind: 'policy', maintainers: null }));
  expect(changed).toEqual({ id: 'remote-work', title: 'Remote Work Policy', kind: 'policy', owner: who('owner'), maintainers: [], reminder_days: [10, 2] });
  expectProblem(await admin.patch('/policies/remote-work', { id: 'other' }), 422, ['id']);
  expectProblem(await admin.patch('/policies/remote-work', { owner: 'ghost@example.com' }), 422, ['owner']);
  expectProblem(await admin.patch('/policies/no-such-policy', { title: 'X' }), 404);

  const events = (await auditEvents(w)).filter((e) => e.entity_type === 'policy' && e.entity_id === 'remote-work');
  expect(events.map((e) => e.action)).toEqual(['policy_create', 'policy_update']);
  expect(events[1].before.title).toBe('Remote Work Standard');
  expect(events[1].after.title).toBe('Remote Work Policy');
  expect(events.every((e) => e.actor === who('admin'))).toBe(true);
  await expectAuditVerifies(w);
});

test('GET /matrix: the matrix as JSON and YAML with its version, for everyone signed in', async () => {
  const m = expectOk(await (await as('ana')).get('/matrix'));
  expect(m.version).toBeGreaterThanOrEqual(1);
  expect(m.matrix.default).toEqual({ first_approval: 'department_head', max_days: 90 });
  expect(m.matrix.rules.length).toBe(4);
  expect(m.yaml).toContain('first_approval: department_head');
  expect(m.yaml).toContain('dpo@example.com');
  expectProblem(await (await clients.browser()).get('/matrix'), 401);
});

test('PUT /matrix: admins only; invalid matrices are refused naming the place; a new version only on change', async () => {
  const admin = await as('admin');
  const before = expectOk(await admin.get('/matrix'));
  for (const u of ['ana', 'owner', 'sec', 'auditor'] as const)
    expectProblem(await (await as(u)).put('/matrix', { yaml: before.yaml }), 403);

  // The same text: no new version, no event.
  const countBefore = (await auditEvents(w)).filter((e) => e.action === 'matrix_update').length;
  const same = expectOk(await admin.put('/matrix', { yaml: before.yaml }));
  expect(same.version).toBe(before.version);

  // Errors name their place in the document.
  const bad = `default: {first_approval: department_head, max_days: 90}
rules:
  - when: {type: device}
    set: {max_days: 365}
  - when: {type: [technology, configuration]}
    set: {first_approval: maintainers}
  - when: {type: spaceship}
    set: {max_days: many}
  - when: {data_classification: RED}
    require:
      - {slot: data_owner, user: ghost@example.com}
      - {slot: legal, role: judge}
`;
  const r = await admin.send('PUT', '/matrix', bad, YAML_HEADERS);
  expectProblem(r, 422, ['rules.2.when.type', 'rules.2.set.max_days', 'rules.3.require.1.role']);
  const onlyUser = bad.replace('{type: spaceship}', '{type: process}').replace('max_days: many', 'max_days: 30').replace('role: judge', 'role: legal');
  expectProblem(await admin.send('PUT', '/matrix', onlyUser, YAML_HEADERS), 422, ['rules.3.require.0.user']);
  expectProblem(await admin.put('/matrix', { yaml: 'rules: [' }), 422, ['yaml']);
  expectProblem(await admin.send('PUT', '/matrix', 'rules: [', YAML_HEADERS), 400);
  expectProblem(await admin.put('/matrix', { colour: 'red' }), 422, ['colour']);
  expect(expectOk(await admin.get('/matrix')).version).toBe(before.version);

  // A stale If-Match is 412.
  const changedYaml = before.yaml.replace('max_days: 90', 'max_days: 120');
  expectProblem(await admin.send('PUT', '/matrix', { yaml: changedYaml }, { headers: { 'If-Match': `"${before.version + 5}"` } }), 412);

  // A real change: a new version, used by the preview, with an audit event.
  const changed = expectOk(await admin.send('PUT', '/matrix', changedYaml, { headers: { 'Content-Type': 'application/yaml', 'If-Match': `"${before.version}"` } }));
  expect(changed.version).toBe(before.version + 1);
  expect(changed.matrix.default.max_days).toBe(120);
  expect(r.headers['etag'] ?? '').not.toBe(`"${changed.version}"`);
  const preview = expectOk(await (await w.as('ana')).post('/matrix/preview', { policy_id: 'access-control', type: 'access', data_classification: 'GREEN' }));
  expect(preview.max_days).toBe(120);
  // The matrix as JSON works too; back to the original.
  const back = expectOk(await admin.put('/matrix', before.matrix));
  expect(back.version).toBe(before.version + 2);
  expect(back.matrix).toEqual(before.matrix);

  const events = (await auditEvents(w)).filter((e) => e.action === 'matrix_update');
  expect(events.length).toBe(countBefore + 2);
  const last = events[events.length - 2];
  expect(last.actor).toBe(who('admin'));
  expect(last.before.default.max_days).toBe(90);
  expect(last.after.default.max_days).toBe(120);
  await expectAuditVerifies(w);
});

test('GET /session/options: whether single sign-on is on, without credentials', async () => {
  const r = expectOk(await (await clients.browser()).get('/session/options'));
  expect(r).toEqual({ password: true, oidc: false });
});
