// Issue 4: notifications through a real SMTP server on loopback (smtp-server), reminders stepped
// through a calendar with `waiver jobs run --now`, a mail server that is down during a burst,
// webhooks signed with HMAC-SHA256 and retried after 500s, two job runs at once, and the
// iCalendar feed parsed by ical.js.
import { test, expect } from '@playwright/test';
import ICAL from 'ical.js';
import { Waiver, who, type UserName } from './helpers/server.js';
import { MailServer, type Mail } from './helpers/mail.js';
import { WebhookReceiver } from './helpers/webhook.js';
import {
  addDays, today, expectOk, createSubmitted, createActive, decide, approveDepartment, approveReviewSlots,
  ownerApproval, COMPLIANCE_APPROVAL,
} from './helpers/flow.js';

const smtp = new MailServer();
const w = new Waiver();

test.beforeAll(async () => {
  test.setTimeout(90_000);
  await smtp.start();
  // In waiver.yaml, so that `waiver serve` and `waiver jobs run` both send through it.
  w.configYaml = `smtp_url: ${smtp.url}\nmail_from: "Waiver <waiver@example.com>"\nmax_extensions: 1\n`;
  await w.start();
});
test.afterAll(async () => {
  await w.stop();
  await smtp.stop();
});

/** The mails about one request, as "recipient: kind" lines, sorted, from a subject pattern. */
function about(ref: string, mails: Mail[] = smtp.mails): Mail[] {
  return mails.filter((m) => m.subject.includes(ref));
}
function lines(mails: Mail[]): string[] {
  return mails.map((m) => `${m.rcpt.join(',')}: ${m.subject.replace(/: [^:]*$/, '')}`).sort();
}
function expectLines(mails: Mail[], expected: string[]): void {
  expect(lines(mails)).toEqual([...expected].sort());
}
async function settle(ms = 1500): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

test('each step of the process mails the right people and no others', async () => {
  test.setTimeout(60_000);
  const s = await createSubmitted(w, { title: 'Mail flow <b>bold</b>' });
  const ref = s.ref;
  await test.step('submit → the department head is asked', async () => {
    await smtp.waitFor(() => about(ref).length >= 1);
    await settle();
    expectLines(about(ref), [`${who('eng.head')}: ${ref} waits for your approval`]);
    const m = about(ref)[0];
    expect(m.subject).toContain('Mail flow <b>bold</b>');
    expect(m.text).toContain(`Reference: ${ref}`);
    expect(m.text).toContain('Status:    department_review');
    expect(m.text).toContain(`${w.base}/requests/${ref}`);
    expect(m.html).toContain('Mail flow &lt;b&gt;bold&lt;/b&gt;');
    expect(m.html).not.toContain('<b>bold</b>');
    expect(m.from).toContain('waiver@example.com');
    expect(m.messageId).toMatch(/^<EXC-\d{4}-\d{4}\.[0-9a-f]+@127\.0\.0\.1>$/);
    expect(m.inReplyTo).toBe(`<${ref}@127.0.0.1>`);
    expect(m.references).toContain(`<${ref}@127.0.0.1>`);
  });
  await test.step('the department approves → the requester is told; compliance is asked', async () => {
    smtp.clear();
    await approveDepartment(w, s);
    await smtp.waitFor(() => about(ref).length >= 3);
    await settle();
    expectLines(about(ref), [
      `${who('ana')}: ${ref} department approval: approved`,
      `${who('sec')}: ${ref} waits for your approval`,
      `${who('sec2')}: ${ref} waits for your approval`,
    ]);
  });
  await test.step('compliance approves → the requester is told; the owner is asked', async () => {
    smtp.clear();
    expectOk(await decide(w, s.id, 'compliance', 'sec', COMPLIANCE_APPROVAL));
    await smtp.waitFor(() => about(ref).length >= 2);
    await settle();
    expectLines(about(ref), [
      `${who('ana')}: ${ref} compliance approval: approved`,
      `${who('owner')}: ${ref} waits for your approval`,
    ]);
  });
  await test.step('the owner approves → only the requester is told, with the new status', async () => {
    smtp.clear();
    expectOk(await decide(w, s.id, 'owner', 'owner', ownerApproval()));
    await smtp.waitFor(() => about(ref).length >= 1);
    await settle();
    expectLines(about(ref), [`${who('ana')}: ${ref} owner approval: approved`]);
    expect(about(ref)[0].text).toContain('now active');
  });
});

test('a denial, its appeal, the legal opinion and two dispositions reach Legal, then the CEO and CFO', async () => {
  test.setTimeout(60_000);
  const s = await createSubmitted(w, { title: 'Appeal flow' });
  const p = await approveDepartment(w, s);
  const ref = s.ref;
  await smtp.waitFor(() => about(ref).length >= 4);
  await settle();
  smtp.clear();
  expectOk(await decide(w, p.id, 'owner', 'owner', { decision: 'reject', comment: 'Too risky.' }));
  await smtp.waitFor(() => about(ref).length >= 1);
  await settle();
  // The compliance slot no longer waits: nobody else is told.
  expectLines(about(ref), [`${who('ana')}: ${ref} owner approval: rejected`]);

  smtp.clear();
  expectOk(await (await w.as('ana')).post(`/exceptions/${s.id}/appeal`, { reason: 'The customer contract needs it.' }));
  await smtp.waitFor(() => about(ref).length >= 1);
  await settle();
  expectLines(about(ref), [`${who('legal')}: ${ref} appeal waits for a legal opinion`]);

  smtp.clear();
  expectOk(await (await w.as('legal')).post(`/exceptions/${s.id}/legal-opinion`, { opinion: 'Low legal risk.' }));
  await smtp.waitFor(() => about(ref).length >= 3);
  await settle();
  expectLines(about(ref), [
    `${who('ana')}: ${ref} is now appeal_executive`,
    `${who('ceo')}: ${ref} appeal waits for your disposition`,
    `${who('cfo')}: ${ref} appeal waits for your disposition`,
  ]);

  smtp.clear();
  expectOk(await (await w.as('ceo')).post(`/exceptions/${s.id}/disposition`, { decision: 'grant', comment: 'ok' }));
  await settle();
  expect(about(ref)).toEqual([]);
  expectOk(await (await w.as('cfo')).post(`/exceptions/${s.id}/disposition`, { decision: 'uphold', comment: 'no' }));
  await smtp.waitFor(() => about(ref).length >= 1);
  await settle();
  expectLines(about(ref), [`${who('ana')}: ${ref} is now denied_final`]);
});

test('expiry reminders at 30, 14, 7 and 1 days arrive once each, then the expiry, stepping day by day', async () => {
  test.setTimeout(120_000);
  const start = today();
  const end = addDays(start, 40);
  const a = await createActive(w, { title: 'Calendar walk', end_on: end }, { end_on: end });
  const ref = a.ref;
  await settle();
  smtp.clear();
  for (let day = 0; day <= 41; day++) {
    const r = await w.jobsRun(`${addDays(start, day)}T06:00:00Z`);
    expect(r.code, r.stderr).toBe(0);
    if (day === 20) {
      // The same instant twice: nothing is sent twice.
      const again = await w.jobsRun(`${addDays(start, day)}T06:00:00Z`);
      expect(again.code, again.stderr).toBe(0);
    }
  }
  const reminders = about(ref).filter((m) => m.subject.includes('expires in'));
  for (const person of ['ana', 'owner'] as UserName[]) {
    const got = reminders.filter((m) => m.rcpt.includes(who(person))).map((m) => m.subject.match(/expires in (\d+) days/)![1]);
    expect(got, `reminders to ${person}`).toEqual(['30', '14', '7', '1']);
  }
  const expired = about(ref).filter((m) => m.subject.includes('is now expired'));
  expect(expired.map((m) => m.rcpt.join(',')).sort()).toEqual([who('ana'), who('owner')]);
  expect(reminders.length + expired.length).toBe(about(ref).length);
});

test('mail queued while the SMTP server is down arrives exactly once when it is back', async () => {
  test.setTimeout(90_000);
  await smtp.stop();
  smtp.clear();
  const refs: string[] = [];
  for (let i = 0; i < 6; i++) refs.push((await createSubmitted(w, { title: `Burst ${i}` })).ref);
  await test.step('the failures are visible to admins, and to `jobs run` on stderr', async () => {
    await expect
      .poll(async () => {
        const r = expectOk(await (await w.as('admin')).get('/outbox?state=retrying'));
        return r.items.filter((m: any) => refs.includes(m.ref)).length;
      }, { timeout: 20_000 })
      .toBe(6);
    const item = expectOk(await (await w.as('admin')).get('/outbox?state=retrying')).items[0];
    expect(item.last_error).not.toBe('');
    expect(item.attempts).toBeGreaterThan(0);
    const r = await w.cli(['outbox', 'list', '--state', 'retrying']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(6);
  });
  await smtp.start();
  await smtp.waitFor((ms) => refs.every((ref) => about(ref, ms).length >= 1), 60_000, 'the burst');
  await settle(2000);
  for (const ref of refs) expectLines(about(ref), [`${who('eng.head')}: ${ref} waits for your approval`]);
  const ids = smtp.mails.map((m) => m.messageId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(expectOk(await (await w.as('admin')).get('/outbox?state=retrying')).items.filter((m: any) => refs.includes(m.ref))).toEqual([]);
});

test('two `jobs run` at the same instant send each reminder once', async () => {
  test.setTimeout(60_000);
  const end = addDays(today(), 7);
  const a = await createActive(w, { title: 'Twice at once', end_on: end }, { end_on: end });
  await settle();
  smtp.clear();
  const at = `${today()}T07:00:00Z`;
  const [r1, r2, r3] = await Promise.all([w.jobsRun(at), w.jobsRun(at), w.jobsRun(at)]);
  for (const r of [r1, r2, r3]) expect(r.code, r.stderr).toBe(0);
  await settle();
  const got = about(a.ref).filter((m) => m.subject.includes('expires in'));
  expect(got.map((m) => m.rcpt.join(',')).sort()).toEqual([who('ana'), who('owner')]);
});

test('a webhook gets every event once, signed, after its receiver failed twice', async () => {
  test.setTimeout(90_000);
  const hook = new WebhookReceiver();
  await hook.start();
  try {
    const admin = await w.as('admin');
    const created = expectOk(await admin.post('/webhooks', { url: hook.url, events: ['exception.*'] }), 201);
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{48}$/);
    hook.secret = created.secret;
    const listed = expectOk(await admin.get('/webhooks'));
    expect(listed.items.find((h: any) => h.id === created.id).secret).toBeUndefined();
    expect((await (await w.as('ana')).post('/webhooks', { url: hook.url })).status).toBe(403);
    expect((await admin.post('/webhooks', { url: 'file:///etc/passwd' })).status).toBe(422);

    hook.failFirst = 2;
    const s = await createSubmitted(w, { title: 'Hooked' });
    const p = await approveDepartment(w, s);
    await approveReviewSlots(w, p);
    expectOk(await decide(w, s.id, 'owner', 'owner', ownerApproval()));
    const expected = ['exception.create', 'exception.submit', 'exception.decide', 'exception.decide', 'exception.decide'];
    await expect.poll(() => hook.accepted.filter((d) => d.body.exception.ref === s.ref).length, { timeout: 60_000 }).toBe(expected.length);
    await settle(2000);
    const mine = hook.accepted.filter((d) => d.body.exception.ref === s.ref);
    expect(mine.map((d) => d.event).sort()).toEqual(expected.sort());
    expect(new Set(mine.map((d) => d.delivery)).size).toBe(mine.length);
    expect(hook.failures).toBe(2);
    expect(hook.refusedSignatures).toBe(0);
    const last = mine.find((d) => d.body.exception.status === 'active')!;
    expect(last.body).toMatchObject({ event: 'exception.decide', actor: who('owner'), data: { slot: 'owner', decision: 'approve' } });
    expect(last.body.exception).toMatchObject({ ref: s.ref, previous_status: 'policy_review', requester: who('ana') });
  } finally {
    await hook.stop();
  }
});

test('the iCalendar feed parses, lists what its owner may see, and stops working when rotated', async () => {
  const end = addDays(today(), 33);
  const a = await createActive(w, { title: 'On the calendar, with ; and , and \\ too', end_on: end }, { end_on: end });
  const ana = await w.as('ana');
  expect(expectOk(await ana.get('/me/calendar')).exists).toBe(false);
  const feed = expectOk(await ana.post('/me/calendar', {}), 201);
  expect(feed.url).toMatch(new RegExp(`^${w.base}/api/v1/calendar/cal_[0-9a-f]{48}\\.ics$`));
  const res = await fetch(feed.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/calendar');
  const text = await res.text();
  const cal = new ICAL.Component(ICAL.parse(text));
  const events = cal.getAllSubcomponents('vevent').map((e: any) => new ICAL.Event(e));
  const mine = events.find((e: any) => e.summary.includes(a.ref));
  expect(mine, text).toBeTruthy();
  expect(mine!.summary).toBe(`${a.ref} ends: On the calendar, with ; and , and \\ too`);
  expect(mine!.startDate.toString()).toBe(end);
  expect(mine!.startDate.isDate).toBe(true);
  // carol (another department, no role) sees none of ana's requests.
  const carol = expectOk(await (await w.as('carol')).post('/me/calendar', {}), 201);
  const other = new ICAL.Component(ICAL.parse(await (await fetch(carol.url)).text()));
  expect(other.getAllSubcomponents('vevent')).toEqual([]);
  // Rotating ends the old address.
  const rotated = expectOk(await ana.post('/me/calendar', {}), 201);
  expect(rotated.url).not.toBe(feed.url);
  expect((await fetch(feed.url)).status).toBe(404);
  expect((await fetch(rotated.url)).status).toBe(200);
});

test('an extension starts where its parent ends, links both ways, and the limit is configurable', async () => {
  const end = addDays(today(), 30);
  const a = await createActive(w, { title: 'Extend me', end_on: end }, { end_on: end });
  const ana = await w.as('ana');
  const ext = expectOk(await ana.post(`/exceptions/${a.id}/extensions`, { end_on: addDays(end, 30), justification: 'More time' }), 201);
  expect(ext.parent_id).toBe(a.id);
  expect(ext.start_on).toBe(end);
  expect(ext.title).toBe('Extend me');
  expect(expectOk(await ana.get(`/exceptions/${a.id}`)).extension_ids).toContain(ext.id);
  // One extension under way at a time.
  const second = await ana.post(`/exceptions/${a.id}/extensions`, { end_on: addDays(end, 40), justification: 'Again' });
  expect(second.status).toBe(409);
  // Through the whole flow: the extension becomes active and its parent superseded.
  const submitted = expectOk(await ana.post(`/exceptions/${ext.id}/submit`, {}));
  const p = await approveDepartment(w, submitted);
  await approveReviewSlots(w, p);
  const done = expectOk(await decide(w, ext.id, 'owner', 'owner', ownerApproval({ end_on: addDays(end, 30) })));
  expect(done.status).toBe('active');
  expect(expectOk(await ana.get(`/exceptions/${a.id}`)).status).toBe('superseded');
  // max_extensions is 1 here: the extension cannot be extended again.
  const again = await ana.post(`/exceptions/${ext.id}/extensions`, { end_on: addDays(end, 60), justification: 'Once more' });
  expect(again.status).toBe(409);
  expect(again.body.detail).toContain('extended 1 times');
});
