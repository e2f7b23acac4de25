// The bad input catalog: well over 200 hostile or broken requests, generated from the tables
// below, one named test per case. Each must get the right 4xx as application/problem+json with
// the problem shape and the security headers, never a 5xx, and must change nothing (the audit
// chain's event count and head, and the target request's version, are compared before and
// after). Cases the HTTP parser refuses before any handler runs (broken framing, oversized heads)
// may instead be answered by closing the connection; they must never reach a handler or change
// anything. The last tests check that the server is still alive and its audit chain intact.
import { test, expect, request as playwrightRequest } from '@playwright/test';
import type { APIRequestContext } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWaiver } from './helpers/server.js';
import type { UserName } from './helpers/server.js';
import { createDraft, createSubmitted, expectOk, requestBody } from './helpers/flow.js';
import { rawExchange, rawRequest } from './helpers/raw.js';
import type { RawResult } from './helpers/raw.js';

// A web root of our own, with a secret beside it (and links out of it) that no path may reach.
const SECRET = 'TOP-SECRET-7f3a9c';
const outside = mkdtempSync(join(tmpdir(), 'waiver-hostile-'));
const webRoot = join(outside, 'web');
mkdirSync(join(webRoot, 'assets'), { recursive: true });
writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Waiver</title><p>INDEX-PAGE</p>');
writeFileSync(join(webRoot, 'assets', 'app-1234.js'), 'console.log("app")');
writeFileSync(join(webRoot, '.env'), `SECRET=${SECRET}`);
writeFileSync(join(outside, 'secret.txt'), SECRET);
symlinkSync(join(outside, 'secret.txt'), join(webRoot, 'linked.txt'));
symlinkSync(outside, join(webRoot, 'assets', 'out'));

const w = useWaiver();
w.serveEnv = { WAIVER_WEB_ROOT: webRoot };

let ctx: APIRequestContext;
const ids = { draft: 0, submitted: 0, draftRef: '' };

test.beforeAll(async () => {
  ctx = await playwrightRequest.newContext({ maxRedirects: 0 });
  const d = await createDraft(w);
  ids.draft = d.id;
  ids.draftRef = d.ref;
  ids.submitted = (await createSubmitted(w)).id;
});

test.afterAll(async () => {
  await ctx?.dispose();
  rmSync(outside, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// What must not change: the audit chain (every write is an event) and the target's version.

interface Fingerprint {
  events: number;
  head: string;
  draftVersion: number;
  submittedVersion: number;
}

async function fingerprint(): Promise<Fingerprint> {
  const auditor = await w.as('auditor');
  const v = expectOk(await auditor.get('/audit/verify'));
  expect(v.ok, 'the audit chain verifies').toBe(true);
  const sec = await w.as('sec');
  const d = expectOk(await sec.get(`/exceptions/${ids.draft}`));
  const s = expectOk(await sec.get(`/exceptions/${ids.submitted}`));
  return { events: v.events, head: v.head, draftVersion: d.version, submittedVersion: s.version };
}

function expectSecurityHeaders(headers: Record<string, string>, what: string): void {
  expect(headers['x-content-type-options'], `nosniff on ${what}`).toBe('nosniff');
  expect(headers['referrer-policy'], `Referrer-Policy on ${what}`).toBe('no-referrer');
  expect(headers['content-security-policy'] ?? '', `CSP on ${what}`).toContain("frame-ancestors 'none'");
  expect(headers['cache-control'], `Cache-Control on ${what}`).toBeTruthy();
}

/** A problem+json answer with that status, the problem shape and the security headers. */
function expectProblemShape(status: number, headers: Record<string, string>, text: string, want: number, field?: string): void {
  expect(status, `status (body: ${text.slice(0, 300)})`).toBe(want);
  expect(headers['content-type'] ?? '', 'content type').toContain('application/problem+json');
  let body: any;
  expect(() => (body = JSON.parse(text)), `a JSON body: ${text.slice(0, 200)}`).not.toThrow();
  expect(typeof body.type, 'type').toBe('string');
  expect(body.type).toMatch(/^https:\/\//);
  expect(typeof body.title, 'title').toBe('string');
  expect(body.status, 'status in the body').toBe(want);
  expect(typeof body.detail, 'detail').toBe('string');
  if (body.errors !== undefined) {
    expect(Array.isArray(body.errors), 'errors is a list').toBe(true);
    expect(body.errors.length, 'errors[] is capped (no amplification)').toBeLessThanOrEqual(100);
    const bad = body.errors.filter((e: any) => typeof e.field !== 'string' || typeof e.message !== 'string');
    expect(bad, 'each error is {field, message}').toEqual([]);
  }
  expect(text.length, 'a problem answer stays small').toBeLessThan(64 * 1024);
  if (field !== undefined) {
    const named: string[] = (body.errors ?? []).map((e: any) => String(e.field));
    expect(
      named.some((n) => n === field || n.startsWith(`${field}.`)),
      `errors[] names ${field}; named: ${JSON.stringify(named)}`,
    ).toBe(true);
  }
  expectSecurityHeaders(headers, `a ${want}`);
}

// ---------------------------------------------------------------------------------------------
// Cases sent with an HTTP client (Playwright's request API): bodies, types, paths, queries, headers.

interface Case {
  name: string;
  method?: string;
  /** Under /api/v1 unless it starts with '!' (then the path as is, from the root). */
  path: string | (() => string);
  body?: string | Buffer | Record<string, unknown> | unknown[];
  headers?: Record<string, string>;
  as?: UserName | null;
  status: number;
  /** A field errors[] must name. */
  field?: string;
}

const CREATE = '/exceptions';
const draft = () => `/exceptions/${ids.draft}`;
const submitted = (rest: string) => () => `/exceptions/${ids.submitted}${rest}`;

/** A create body, complete but for one field set to a hostile value. */
const withField = (field: string, value: unknown) => requestBody({ [field]: value });

const MALFORMED_JSON: [string, string | Buffer][] = [
  ['empty body', ''],
  ['whitespace only', '   \r\n\t '],
  ['a lone brace', '{'],
  ['truncated after a key', '{"title":'],
  ['truncated inside a string', '{"title": "Local adm'],
  ['unterminated object', '{"title": "x"'],
  ['missing colon', '{"title" "x"}'],
  ['single quotes', "{'title': 'x'}"],
  ['trailing comma', '{"title": "x",}'],
  ['unquoted key', '{title: "x"}'],
  ['two objects', '{"title":"a"}{"title":"b"}'],
  ['trailing garbage', '{"title":"a"} xyz'],
  ['a comment', '{"title": "x" /* c */}'],
  ['NaN', '{"likelihood": NaN}'],
  ['Infinity', '{"likelihood": Infinity}'],
  ['leading zero', '{"likelihood": 01}'],
  ['bare minus', '{"likelihood": -}'],
  ['dangling exponent', '{"likelihood": 1e}'],
  ['hex number', '{"likelihood": 0x10}'],
  ['invalid escape', '{"title": "\\x41"}'],
  ['lone high surrogate escape', '{"title": "\\ud800"}'],
  ['lone low surrogate escape', '{"title": "\\udc00x"}'],
  ['raw newline in a string', '{"title": "a\nb"}'],
  ['raw NUL byte in a string', Buffer.from('{"title": "a\u0000b"}', 'utf8')],
  ['raw NUL byte between tokens', Buffer.from('{"title":\u0000"a"}', 'utf8')],
  ['invalid UTF-8 byte 0xFF', Buffer.concat([Buffer.from('{"title": "a'), Buffer.from([0xff]), Buffer.from('"}')])],
  ['overlong UTF-8 slash', Buffer.concat([Buffer.from('{"title": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
  ['UTF-8 encoded surrogate', Buffer.concat([Buffer.from('{"title": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
  ['truncated UTF-8 sequence', Buffer.concat([Buffer.from('{"title": "'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')])],
  ['code point above U+10FFFF', Buffer.concat([Buffer.from('{"title": "'), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('"}')])],
  ['UTF-16 encoded body', Buffer.from('\ufeff{"title":"x"}', 'utf16le')],
  ['a JSON array', '[]'],
  ['a JSON string', '"title"'],
  ['a JSON number', '42'],
  ['JSON null', 'null'],
  ['JSON true', 'true'],
  ['array of objects', '[{"title":"x"}]'],
  ['deep nesting, 33 levels', `{"title":${'['.repeat(33)}${']'.repeat(33)}}`],
  ['deep nesting, 100000 levels', '['.repeat(100_000)],
  ['deep objects, 5000 levels', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)],
  ['number too large for a double', '{"likelihood": 1e400}'],
  ['negative number too large for a double', '{"likelihood": -1e400}'],
  ['a 400-digit integer', `{"likelihood": ${'9'.repeat(400)}}`],
];

const TEXT_FIELDS = ['title', 'policy_id', 'requirement', 'description', 'alternative', 'justification', 'resources', 'scope'];
const NOT_STRINGS: [string, unknown][] = [
  ['a number', 42],
  ['true', true],
  ['a list', ['x']],
  ['an object', { text: 'x' }],
];
const NOT_SCORES: [string, unknown][] = [
  ['a numeric string', '3'],
  ['a fraction', 3.5],
  ['true', true],
  ['a list', [3]],
  ['an object', { v: 3 }],
  ['zero', 0],
  ['six', 6],
  ['minus one', -1],
  ['2^31', 2147483648],
  ['-2^63-1', -9223372036854775809],
  ['2^64', 18446744073709551616],
  ['1e300', 1e300],
];
const BAD_DATES: [string, unknown][] = [
  ['30 February', '2026-02-30'],
  ['29 February of a common year', '2027-02-29'],
  ['month 13', '2026-13-01'],
  ['month 00', '2026-00-10'],
  ['day 00', '2026-01-00'],
  ['day 32', '2026-01-32'],
  ['31 April', '2026-04-31'],
  ['no dashes', '20260101'],
  ['one-digit month', '2026-1-01'],
  ['a timestamp', '2026-01-01T00:00:00Z'],
  ['an empty string', ''],
  ['a number', 20260101],
  ['a sign before the year', '+2026-01-01'],
  ['year 0000', '0000-01-01'],
  ['a five-digit year', '12026-01-01'],
  ['fullwidth digits', '２０２６-01-01'],
  ['slashes', '2026/01/01'],
  ['an escaped NUL after the date', '2026-01-01\u0000'],
  ['a list', ['2026-01-01']],
];

const CASES: [string, Case[]][] = [
  [
    'malformed JSON body (POST /exceptions)',
    MALFORMED_JSON.map(([name, body]) => ({ name, method: 'POST', path: CREATE, body, status: 400 })),
  ],
  [
    'wrong types (POST /exceptions)',
    [
      ...TEXT_FIELDS.flatMap((f) =>
        NOT_STRINGS.map(([what, v]) => ({ name: `${f} is ${what}`, method: 'POST', path: CREATE, body: withField(f, v), status: 422, field: f })),
      ),
      ...['likelihood', 'impact'].flatMap((f) =>
        NOT_SCORES.map(([what, v]) => ({ name: `${f} is ${what}`, method: 'POST', path: CREATE, body: withField(f, v), status: 422, field: f })),
      ),
      ...['type', 'data_classification'].flatMap((f) =>
        ([['unknown', 'alien'], ['empty', ''], ['upper case', 'ACCESS'], ['a number', 1], ['a list', ['access']]] as [string, unknown][]).map(
          ([what, v]) => ({ name: `${f} is ${what}`, method: 'POST', path: CREATE, body: withField(f, v), status: 422, field: f }),
        ),
      ),
      { name: 'compensating_controls is a string', method: 'POST', path: CREATE, body: withField('compensating_controls', 'x'), status: 422, field: 'compensating_controls' },
      { name: 'compensating_controls is an object', method: 'POST', path: CREATE, body: withField('compensating_controls', { description: 'x' }), status: 422, field: 'compensating_controls' },
      { name: 'a control is a number', method: 'POST', path: CREATE, body: withField('compensating_controls', [1]), status: 422, field: 'compensating_controls' },
      { name: 'a control without a description', method: 'POST', path: CREATE, body: withField('compensating_controls', [{}]), status: 422, field: 'compensating_controls' },
      { name: 'a control description is a number', method: 'POST', path: CREATE, body: withField('compensating_controls', [{ description: 5 }]), status: 422, field: 'compensating_controls' },
      { name: 'a control status is unknown', method: 'POST', path: CREATE, body: withField('compensating_controls', [{ description: 'x', status: 'done-ish' }]), status: 422, field: 'compensating_controls' },
      { name: 'a control has an unknown field', method: 'POST', path: CREATE, body: withField('compensating_controls', [{ description: 'x', cost: 3 }]), status: 422, field: 'compensating_controls' },
      { name: 'a control evidence_url is javascript:', method: 'POST', path: CREATE, body: withField('compensating_controls', [{ description: 'x', evidence_url: 'javascript:alert(1)' }]), status: 422, field: 'compensating_controls' },
      { name: 'links is a string', method: 'POST', path: CREATE, body: withField('links', 'https://x.example'), status: 422, field: 'links' },
      { name: 'a link is a number', method: 'POST', path: CREATE, body: withField('links', [1]), status: 422, field: 'links' },
      { name: 'a link is null', method: 'POST', path: CREATE, body: withField('links', [null]), status: 422, field: 'links' },
      { name: 'a link is javascript:', method: 'POST', path: CREATE, body: withField('links', ['javascript:alert(1)']), status: 422, field: 'links' },
      { name: 'a link is a file: URL', method: 'POST', path: CREATE, body: withField('links', ['file:///etc/passwd']), status: 422, field: 'links' },
      { name: 'a link holds a space and quotes', method: 'POST', path: CREATE, body: withField('links', ['https://x.example/"><script>']), status: 422, field: 'links' },
    ],
  ],
  [
    'dates (POST /exceptions)',
    [
      ...BAD_DATES.map(([what, v]) => ({ name: `start_on is ${what}`, method: 'POST', path: CREATE, body: withField('start_on', v), status: 422, field: 'start_on' })),
      ...BAD_DATES.map(([what, v]) => ({ name: `end_on is ${what}`, method: 'POST', path: CREATE, body: withField('end_on', v), status: 422, field: 'end_on' })),
      { name: 'end_on before start_on', method: 'POST', path: CREATE, body: requestBody({ start_on: '2026-06-10', end_on: '2026-06-01' }), status: 422, field: 'end_on' },
    ],
  ],
  [
    'unknown and read-only fields (POST /exceptions)',
    ([
      ['a misspelt field', { titel: 'x' }, 'titel'],
      ['id', { id: 1 }, 'id'],
      ['status', { status: 'active' }, 'status'],
      ['version', { version: 99 }, 'version'],
      ['requester', { requester: 'ceo@example.com' }, 'requester'],
      ['ref', { ref: 'EXC-2026-0001' }, 'ref'],
      ['approvals', { approvals: [] }, 'approvals'],
      ['risk_level', { risk_level: 'low' }, 'risk_level'],
      ['__proto__', JSON.parse('{"__proto__": {"admin": true}}'), '__proto__'],
      ['constructor', { constructor: { prototype: {} } }, 'constructor'],
      ['an empty key', { '': 1 }, ''],
      ['a key with a NUL', { 'ti\u0000tle': 'x' }, 'ti\u0000tle'],
      ['a 10000-character key', { ['k'.repeat(10_000)]: 1 }, 'k'.repeat(10_000)],
    ] as [string, Record<string, unknown>, string][]).map(([name, extra, field]) => ({
      name,
      method: 'POST',
      path: CREATE,
      body: { ...requestBody(), ...extra },
      status: 422,
      field,
    })),
  ],
  [
    'huge values and control characters (POST /exceptions)',
    [
      { name: 'a 201-character title', method: 'POST', path: CREATE, body: withField('title', 't'.repeat(201)), status: 422, field: 'title' },
      { name: 'a 100000-character description', method: 'POST', path: CREATE, body: withField('description', 'd'.repeat(100_000)), status: 422, field: 'description' },
      { name: '20001 emoji in the scope (counted as characters)', method: 'POST', path: CREATE, body: withField('scope', '😀'.repeat(20_001)), status: 422, field: 'scope' },
      { name: 'a 501-character policy_id', method: 'POST', path: CREATE, body: withField('policy_id', 'p'.repeat(501)), status: 422, field: 'policy_id' },
      { name: '101 links', method: 'POST', path: CREATE, body: withField('links', Array.from({ length: 101 }, (_, i) => `https://x.example/${i}`)), status: 422, field: 'links' },
      { name: '20000 links', method: 'POST', path: CREATE, body: withField('links', Array.from({ length: 20_000 }, () => 'https://x.example/')), status: 422, field: 'links' },
      { name: '101 controls', method: 'POST', path: CREATE, body: withField('compensating_controls', Array.from({ length: 101 }, () => ({ description: 'c' }))), status: 422, field: 'compensating_controls' },
      { name: 'a 3000-character link', method: 'POST', path: CREATE, body: withField('links', [`https://x.example/${'a'.repeat(3000)}`]), status: 422, field: 'links' },
      { name: 'a body just over 1 MiB', method: 'POST', path: CREATE, body: withField('description', 'z'.repeat(1024 * 1024)), status: 413 },
      { name: 'a 5 MiB body', method: 'POST', path: CREATE, body: Buffer.alloc(5 * 1024 * 1024, 0x20), status: 413 },
      { name: 'a 300000-element array of numbers', method: 'POST', path: CREATE, body: `{"links":[${Array(300_000).fill('1').join(',')}]}`, status: 422, field: 'links' },
      { name: 'an escaped NUL in the title', method: 'POST', path: CREATE, body: withField('title', 'a\u0000b'), status: 422, field: 'title' },
      { name: 'an escape character in the title', method: 'POST', path: CREATE, body: withField('title', 'a\u001b[31mred'), status: 422, field: 'title' },
      { name: 'a bell character in the description', method: 'POST', path: CREATE, body: withField('description', 'ring\u0007'), status: 422, field: 'description' },
      { name: 'a blank title', method: 'POST', path: CREATE, body: withField('title', ' \t\n '), status: 422, field: 'title' },
      { name: 'an unknown policy', method: 'POST', path: CREATE, body: withField('policy_id', '../../etc/passwd'), status: 422, field: 'policy_id' },
      { name: 'a policy named by SQL', method: 'POST', path: CREATE, body: withField('policy_id', "x' OR '1'='1"), status: 422, field: 'policy_id' },
    ],
  ],
  [
    'content type (POST /exceptions)',
    [
      { name: 'text/plain with a valid JSON body', method: 'POST', path: CREATE, body: JSON.stringify(requestBody()), headers: { 'Content-Type': 'text/plain' }, status: 400 },
      { name: 'a form body', method: 'POST', path: CREATE, body: 'title=x&policy_id=access-control', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 400 },
      { name: 'multipart/form-data', method: 'POST', path: CREATE, body: '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--b--\r\n', headers: { 'Content-Type': 'multipart/form-data; boundary=b' }, status: 400 },
      { name: 'application/xml', method: 'POST', path: CREATE, body: '<title>x</title>', headers: { 'Content-Type': 'application/xml' }, status: 400 },
    ],
  ],
  [
    'editing a draft (PATCH /exceptions/{id})',
    [
      { name: 'truncated JSON', method: 'PATCH', path: draft, body: '{"title":', status: 400 },
      { name: 'a JSON array', method: 'PATCH', path: draft, body: '[{"title":"x"}]', status: 400 },
      { name: 'invalid UTF-8', method: 'PATCH', path: draft, body: Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xfe, 0xfe]), Buffer.from('"}')]), status: 400 },
      { name: 'status is not writable', method: 'PATCH', path: draft, body: { status: 'active' }, status: 422, field: 'status' },
      { name: 'version is not writable', method: 'PATCH', path: draft, body: { version: 1000 }, status: 422, field: 'version' },
      { name: 'requester is not writable', method: 'PATCH', path: draft, body: { requester: 'ceo@example.com' }, status: 422, field: 'requester' },
      { name: 'parent_id is not writable', method: 'PATCH', path: draft, body: { parent_id: 1 }, status: 422, field: 'parent_id' },
      { name: 'likelihood is a word', method: 'PATCH', path: draft, body: { likelihood: 'high' }, status: 422, field: 'likelihood' },
      { name: 'start_on is 31 June', method: 'PATCH', path: draft, body: { start_on: '2026-06-31' }, status: 422, field: 'start_on' },
      { name: 'impact is -2147483649', method: 'PATCH', path: draft, body: { impact: -2147483649 }, status: 422, field: 'impact' },
      { name: 'a 2 MiB title', method: 'PATCH', path: draft, body: { title: 'x'.repeat(2 * 1024 * 1024) }, status: 413 },
      { name: 'If-Match that is not a version', method: 'PATCH', path: draft, body: { title: 'x' }, headers: { 'If-Match': '"abc"' }, status: 412 },
      { name: 'If-Match with a huge number', method: 'PATCH', path: draft, body: { title: 'x' }, headers: { 'If-Match': `"${'9'.repeat(40)}"` }, status: 412 },
      { name: 'If-Match with a negative version', method: 'PATCH', path: draft, body: { title: 'x' }, headers: { 'If-Match': '"-1"' }, status: 412 },
      { name: 'If-Match *, not supported as a version', method: 'PATCH', path: draft, body: { title: 'x' }, headers: { 'If-Match': '*' }, status: 412 },
      { name: 'someone else edits it', method: 'PATCH', path: draft, body: { title: 'x' }, as: 'bob', status: 404 },
      { name: 'the request by its reference, by someone else', method: 'PATCH', path: () => `/exceptions/${ids.draftRef}`, body: { title: 'x' }, as: 'bob', status: 404 },
    ],
  ],
  [
    'actions on a submitted request',
    [
      { name: 'decision is unknown', method: 'POST', path: submitted('/approvals/department'), body: { decision: 'maybe' }, as: 'eng.head', status: 422, field: 'decision' },
      { name: 'decision is missing', method: 'POST', path: submitted('/approvals/department'), body: { comment: 'x' }, as: 'eng.head', status: 422, field: 'decision' },
      { name: 'decision is a list', method: 'POST', path: submitted('/approvals/department'), body: { decision: ['approve'] }, as: 'eng.head', status: 422, field: 'decision' },
      { name: 'comment is an object', method: 'POST', path: submitted('/approvals/department'), body: { decision: 'approve', comment: {} }, as: 'eng.head', status: 422, field: 'comment' },
      { name: 'owner fields on the department slot', method: 'POST', path: submitted('/approvals/department'), body: { decision: 'approve', risk_level: 'low' }, as: 'eng.head', status: 422, field: 'risk_level' },
      { name: 'a 30000-character comment', method: 'POST', path: submitted('/approvals/department'), body: { decision: 'approve', comment: 'c'.repeat(30_000) }, as: 'eng.head', status: 422, field: 'comment' },
      { name: 'an unknown slot', method: 'POST', path: submitted('/approvals/nope'), body: { decision: 'approve' }, as: 'eng.head', status: 404 },
      { name: 'a slot named by traversal', method: 'POST', path: submitted('/approvals/..%2f..%2fsubmit'), body: { decision: 'approve' }, as: 'eng.head', status: 404 },
      { name: 'a slot with a NUL', method: 'POST', path: submitted('/approvals/department%00'), body: { decision: 'approve' }, as: 'eng.head', status: 404 },
      { name: 'a 2000-character slot name', method: 'POST', path: submitted(`/approvals/${'s'.repeat(2000)}`), body: { decision: 'approve' }, as: 'eng.head', status: 404 },
      { name: 'withdraw with a JSON array', method: 'POST', path: submitted('/withdraw'), body: '[]', status: 400 },
      { name: 'withdraw with an unknown field', method: 'POST', path: submitted('/withdraw'), body: { force: true }, status: 422, field: 'force' },
      { name: 'an invitation to a non-address', method: 'POST', path: submitted('/invitations'), body: { email: 'not an address\r\nBcc: x@evil.example' }, as: 'owner', status: 422, field: 'email' },
      { name: 'an input whose body is a number', method: 'POST', path: submitted('/inputs'), body: { body: 7 }, status: 422, field: 'body' },
      { name: 'an empty input', method: 'POST', path: submitted('/inputs'), body: { body: '' }, status: 422, field: 'body' },
      { name: 'an extension with an impossible date', method: 'POST', path: submitted('/extensions'), body: { end_on: '2027-02-30', justification: 'x' }, status: 422, field: 'end_on' },
      { name: 'a disposition that is neither grant nor uphold', method: 'POST', path: submitted('/disposition'), body: { decision: 'yes' }, as: 'ceo', status: 422, field: 'decision' },
      { name: 'an appeal reason that is a list', method: 'POST', path: submitted('/appeal'), body: { reason: ['x'] }, status: 422, field: 'reason' },
      { name: 'an Idempotency-Key of 256 characters', method: 'POST', path: submitted('/withdraw'), body: {}, headers: { 'Idempotency-Key': 'k'.repeat(256) }, status: 400, field: 'Idempotency-Key' },
      { name: 'an Idempotency-Key with a non-ASCII character', method: 'POST', path: submitted('/withdraw'), body: {}, headers: { 'Idempotency-Key': 'clé' }, status: 400, field: 'Idempotency-Key' },
      { name: 'If-Match of an old version', method: 'POST', path: submitted('/withdraw'), body: {}, headers: { 'If-Match': '"1"' }, status: 412 },
      { name: 'submitting it again', method: 'POST', path: submitted('/submit'), body: {}, status: 409 },
    ],
  ],
  [
    'paths and methods',
    [
      { name: 'an id that is letters', path: '/exceptions/abc', status: 404 },
      { name: 'a negative id', path: '/exceptions/-1', status: 404 },
      { name: 'id zero', path: '/exceptions/0', status: 404 },
      { name: 'an id past 2^63', path: '/exceptions/99999999999999999999999', status: 404 },
      { name: 'a fractional id', path: '/exceptions/1.5', status: 404 },
      { name: 'an id in exponent form', path: '/exceptions/1e3', status: 404 },
      { name: 'an id with a NUL', path: '/exceptions/1%00', status: 404 },
      { name: 'an id of 6000 digits', path: `/exceptions/${'1'.repeat(6000)}`, status: 404 },
      { name: 'an id with SQL', path: `/exceptions/${encodeURIComponent('1 OR 1=1')}`, status: 404 },
      { name: 'an id with an encoded slash', path: '/exceptions/1%2Fevents', status: 404 },
      { name: 'bad percent-encoding in the path', path: '/exceptions/%ZZ', status: 404 },
      { name: 'a reference of another year', path: '/exceptions/EXC-9999-9999', status: 404 },
      { name: 'an unknown endpoint', path: '/nothing-here', status: 404 },
      { name: 'an unknown sub-resource', path: submitted('/secrets'), status: 404 },
      { name: 'another API version', path: '!/api/v2/exceptions', status: 404 },
      { name: '/api alone', path: '!/api', status: 404 },
      { name: 'DELETE on the register', method: 'DELETE', path: '/exceptions', status: 405 },
      { name: 'PUT on a request', method: 'PUT', path: draft, body: {}, status: 405 },
      { name: 'PATCH on /health', method: 'PATCH', path: '/health', body: {}, status: 405 },
      { name: 'POST on /audit/verify', method: 'POST', path: '/audit/verify', body: {}, status: 405 },
      { name: 'OPTIONS on the register', method: 'OPTIONS', path: '/exceptions', status: 405 },
      { name: 'a user by a traversal address', path: `/users/${encodeURIComponent('../../etc/passwd')}`, as: 'admin', status: 404 },
      { name: 'a calendar feed that does not exist', path: '/calendar/0123456789abcdef', as: null, status: 404 },
      { name: 'a calendar feed with traversal', path: `/calendar/${encodeURIComponent('../../../etc/passwd')}`, as: null, status: 404 },
    ],
  ],
  [
    'query parameters (GET /exceptions and export)',
    [
      ...([
        ['limit=-1', 'limit'], ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=1e3', 'limit'],
        ['limit=abc', 'limit'], ['limit=99999999999999999999', 'limit'], ['limit=%2B5', 'limit'], ['limit=5%00', 'limit'],
        ['expiring_within_days=-5', 'expiring_within_days'], ['expiring_within_days=36501', 'expiring_within_days'],
        ['status=bogus', 'status'], ['status=active,,draft', 'status'], ['status=active%00', 'status'],
        ['risk_level=extreme', 'risk_level'], ['sort=id;DROP TABLE audit_events', 'sort'], ['order=sideways', 'order'],
        [`q=${'q'.repeat(201)}`, 'q'], ['cursor=garbage', 'cursor'], [`cursor=${'c'.repeat(5000)}`, 'cursor'],
        ['cursor=s.id.asc.zz.1', 'cursor'], ['admin=true', 'admin'], ['waiting_for=everyone', 'waiting_for'],
      ] as [string, string][]).map(([q, field]) => ({ name: `?${q}`, path: `/exceptions?${q}`, status: 422, field })),
      { name: 'bad percent-encoding in the query', path: '/exceptions?q=%E0%A4%A', status: 400 },
      { name: 'a lone % in the query', path: '/exceptions?q=100%', status: 400 },
      { name: 'export as pdf', path: '/exceptions/export?format=pdf', status: 422, field: 'format' },
      { name: 'export with limit=-1', path: '/exceptions/export?format=csv&limit=-1', status: 422, field: 'limit' },
      { name: 'export with a bad status', path: '/exceptions/export?format=csv&status=%27%20OR%201%3D1', status: 422, field: 'status' },
      { name: 'export with an unknown parameter', path: '/exceptions/export?format=csv&colour=red', status: 422, field: 'colour' },
    ],
  ],
  [
    'headers',
    [
      { name: 'Basic authentication', path: '/me', headers: { Authorization: 'Basic YW5hOnB3' }, as: null, status: 401 },
      { name: 'Bearer without a token', path: '/me', headers: { Authorization: 'Bearer' }, as: null, status: 401 },
      { name: 'Bearer with spaces only', path: '/me', headers: { Authorization: 'Bearer     ' }, as: null, status: 401 },
      { name: 'a 10000-character token', path: '/me', headers: { Authorization: `Bearer ${'t'.repeat(10_000)}` }, as: null, status: 401 },
      { name: 'a token with SQL', path: '/me', headers: { Authorization: "Bearer ' OR '1'='1" }, as: null, status: 401 },
      { name: 'a token with non-ASCII bytes', path: '/me', headers: { Authorization: 'Bearer wvr_\u00e9\u00e9' }, as: null, status: 401 },
      { name: 'a session cookie that was never issued', path: '/me', headers: { Cookie: 'waiver_session=deadbeef' }, as: null, status: 401 },
      { name: 'a 8000-character session cookie', path: '/me', headers: { Cookie: `waiver_session=${'a'.repeat(8000)}` }, as: null, status: 401 },
      { name: 'a cookie header of separators only', path: '/me', headers: { Cookie: ';;;=;=' }, as: null, status: 401 },
      { name: 'a write with a forged session and no CSRF token', method: 'POST', path: CREATE, body: requestBody(), headers: { Cookie: 'waiver_session=x' }, as: null, status: 401 },
      { name: 'an X-Request-Id with a space', path: '/nothing-here', headers: { 'X-Request-Id': 'evil id' }, status: 404 },
      { name: 'an X-Request-Id of 200 characters', path: '/nothing-here', headers: { 'X-Request-Id': 'r'.repeat(200) }, status: 404 },
      { name: 'a Content-Type with a charset other than UTF-8', method: 'POST', path: CREATE, body: withField('title', 7), headers: { 'Content-Type': 'application/json; charset=iso-8859-1' }, status: 422, field: 'title' },
      { name: 'a 15000-character header value', path: '/nothing-here', headers: { 'X-Junk': 'j'.repeat(15_000) }, status: 404 },
    ],
  ],
];

const fullPath = (p: string) => (p.startsWith('!') ? p.slice(1) : `/api/v1${p}`);

for (const [group, cases] of CASES) {
  test.describe(group, () => {
    for (const c of cases) {
      test(`${c.name} → ${c.status}`, async () => {
        const before = await fingerprint();
        const path = fullPath(typeof c.path === 'function' ? c.path() : c.path);
        const headers: Record<string, string> = { Accept: 'application/json' };
        const as = c.as === undefined ? 'ana' : c.as;
        if (as !== null) headers.Authorization = `Bearer ${w.tokens.get(as)}`;
        if (c.body !== undefined) headers['Content-Type'] = 'application/json';
        Object.assign(headers, c.headers ?? {});
        let data: string | Buffer | undefined;
        if (typeof c.body === 'string' || Buffer.isBuffer(c.body)) data = c.body as string | Buffer;
        else if (c.body !== undefined) data = JSON.stringify(c.body);
        const r = await ctx.fetch(`${w.base}${path}`, { method: c.method ?? 'GET', headers, data, failOnStatusCode: false });
        const text = await r.text();
        expect(r.status(), `never a 5xx: ${text.slice(0, 300)}`).toBeLessThan(500);
        expectProblemShape(r.status(), r.headers(), text, c.status, c.field);
        // A request id from the client is echoed only when it is sane.
        const sent = c.headers?.['X-Request-Id'];
        if (sent !== undefined) expect(r.headers()['x-request-id']).not.toBe(sent);
        expect(await fingerprint(), 'nothing changed').toEqual(before);
        expect(w.alive(), 'the server is alive').toBe(true);
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Cases sent as raw bytes: framing and header tricks no client sends, and unnormalised paths.

interface RawCase {
  name: string;
  bytes: () => Buffer;
  /** The status to expect; 'closed': the server may also hang up without an answer. */
  expect: number | 'closed-or-400';
  /** The answer must not contain this text (a secret, an injected header). */
  notContaining?: string;
  /** Static files: a problem+json answer too, or the index page for a client-side route. */
  indexOk?: boolean;
}

const auth = () => `Authorization: Bearer ${w.tokens.get('ana')}`;
const createJson = () => JSON.stringify(requestBody({ title: 'SMUGGLED' }));

const RAW: [string, RawCase[]][] = [
  [
    'HTTP framing (raw socket)',
    [
      { name: 'Content-Length and Transfer-Encoding together (smuggling)', expect: 'closed-or-400', bytes: () => {
        const inner = `POST /api/v1/exceptions HTTP/1.1\r\nHost: x\r\n${auth()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(createJson())}\r\n\r\n${createJson()}`;
        return rawRequest('POST /api/v1/exceptions/1/withdraw HTTP/1.1', [auth(), 'Content-Type: application/json', 'Content-Length: 4', 'Transfer-Encoding: chunked'], `0\r\n\r\n${inner}`);
      } },
      { name: 'two different Content-Length headers', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), 'Content-Type: application/json', 'Content-Length: 2', `Content-Length: ${Buffer.byteLength(createJson())}`], createJson()) },
      { name: 'a negative Content-Length', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), 'Content-Length: -5'], '{}') },
      { name: 'a Content-Length past 2^64', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), 'Content-Length: 99999999999999999999999'], '{}') },
      { name: 'a Content-Length of 20 MiB (over the hard limit)', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), `Content-Length: ${20 * 1024 * 1024}`], 'x'.repeat(1000)) },
      { name: 'chunked with a bad chunk size', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n') },
      { name: 'chunked with a chunk size past 2^64', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), 'Transfer-Encoding: chunked'], 'ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n') },
      { name: 'an unknown transfer coding', expect: 'closed-or-400', bytes: () => rawRequest('POST /api/v1/exceptions HTTP/1.1', [auth(), 'Transfer-Encoding: gzip, rot13'], '{}') },
      { name: 'an unknown method', expect: 'closed-or-400', bytes: () => rawRequest('FOO /api/v1/health HTTP/1.1') },
      { name: 'a lower-case method', expect: 'closed-or-400', bytes: () => rawRequest('get /api/v1/health HTTP/1.1') },
      // RESTinio does not pass the HTTP version on: these are read as HTTP/1.1 requests (harmless).
      { name: 'HTTP/0.9 is answered as HTTP/1.1', expect: 200, indexOk: true, bytes: () => Buffer.from('GET /api/v1/health\r\n\r\n') },
      { name: 'HTTP/3.0 in the request line is answered as HTTP/1.1', expect: 200, indexOk: true, bytes: () => rawRequest('GET /api/v1/health HTTP/3.0') },
      { name: 'an HTTP/2 preface', expect: 'closed-or-400', bytes: () => Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') },
      { name: 'a TLS ClientHello', expect: 'closed-or-400', bytes: () => Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, ...Array(32).fill(7)]) },
      { name: 'a NUL byte in the request line', expect: 'closed-or-400', bytes: () => Buffer.from('GET /api/v1/he\u0000alth HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1') },
      { name: 'a NUL byte in a header value', expect: 'closed-or-400', bytes: () => rawRequest('GET /api/v1/me HTTP/1.1', [`Authorization: Bearer ${'\u0000'}x`]) },
      { name: 'a header line without a colon', expect: 'closed-or-400', bytes: () => rawRequest('GET /api/v1/health HTTP/1.1', ['NoColonHere']) },
      { name: 'a space before the colon', expect: 'closed-or-400', bytes: () => rawRequest('GET /api/v1/health HTTP/1.1', ['Host : evil']) },
      { name: 'a URL of 9000 characters (over the 8 KiB limit)', expect: 'closed-or-400', bytes: () => rawRequest(`GET /api/v1/exceptions?q=${'a'.repeat(9000)} HTTP/1.1`) },
      { name: 'a header value of 17000 characters (over the 16 KiB limit)', expect: 'closed-or-400', bytes: () => rawRequest('GET /api/v1/health HTTP/1.1', [`X-Big: ${'b'.repeat(17_000)}`]) },
      { name: 'a header name of 2000 characters', expect: 'closed-or-400', bytes: () => rawRequest('GET /api/v1/health HTTP/1.1', [`X-${'n'.repeat(2000)}: 1`]) },
      { name: '150 header fields (over the limit of 100)', expect: 'closed-or-400', bytes: () => rawRequest('GET /api/v1/health HTTP/1.1', Array.from({ length: 150 }, (_, i) => `X-H${i}: ${i}`)) },
      // RFC 9112 lets a server join an obsolete line folding with spaces: one header, nothing injected.
      { name: 'an obsolete folded header that would inject Set-Cookie', expect: 404, notContaining: 'evil=1', bytes: () => rawRequest('GET /api/v1/nothing HTTP/1.1', ['X-Request-Id: abc', ' Set-Cookie: evil=1']) },
      { name: 'a bare CR inside a header value', expect: 'closed-or-400', notContaining: 'evil=1', bytes: () => rawRequest('GET /api/v1/nothing HTTP/1.1', ['X-Request-Id: abc\rSet-Cookie: evil=1']) },
      // A bare LF ends a header line (RFC 9112 allows it): two harmless request headers, nothing injected.
      { name: 'a bare LF inside a header value', expect: 404, notContaining: 'evil=1', bytes: () => Buffer.from(`GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\nSet-Cookie: evil=1\r\nConnection: close\r\n\r\n`) },
    ],
  ],
  [
    'unnormalised API paths (raw socket)',
    [
      { name: 'dot-dot out of the API', expect: 404, bytes: () => rawRequest('GET /api/v1/../../etc/passwd HTTP/1.1', [auth()]) },
      { name: 'encoded dot-dot in the API', expect: 404, bytes: () => rawRequest('GET /api/v1/%2e%2e/%2e%2e/etc/passwd HTTP/1.1', [auth()]) },
      { name: 'a request id that is dot-dot', expect: 404, bytes: () => rawRequest('GET /api/v1/exceptions/.. HTTP/1.1', [auth()]) },
      { name: 'a double slash', expect: 404, bytes: () => rawRequest('GET /api/v1//exceptions HTTP/1.1', [auth()]) },
      { name: 'a backslash', expect: 404, bytes: () => rawRequest('GET /api/v1\\exceptions HTTP/1.1', [auth()]) },
    ],
  ],
  [
    'static files: traversal (raw socket)',
    [
      ...([
        ['dot-dot', '/../secret.txt'],
        ['two dot-dots', '/../../secret.txt'],
        ['dot-dot below assets', '/assets/../../secret.txt'],
        ['encoded dots', '/%2e%2e/secret.txt'],
        ['upper-case encoded dots', '/%2E%2E/secret.txt'],
        ['an encoded slash', '/..%2fsecret.txt'],
        ['an encoded backslash', '/..%5csecret.txt'],
        ['a raw backslash', '/..\\secret.txt'],
        ['double-encoded dots', '/%252e%252e/secret.txt'],
        ['overlong UTF-8 dots', '/%c0%ae%c0%ae/secret.txt'],
        ['a symbolic link to a file outside', '/linked.txt'],
        ['a symbolic link to a folder outside', '/assets/out/secret.txt'],
        ['a dotfile', '/.env'],
        ['an encoded dotfile', '/%2eenv'],
        ['a NUL before an extension', '/index.html%00.png'],
        ['an absolute path', '//etc/passwd.txt'],
        ['a missing asset', '/assets/nothing-1234.js'],
        ['bad percent-encoding', '/assets/%ZZ.js'],
      ] as [string, string][]).map(([name, p]) => ({
        name,
        expect: 404 as const,
        notContaining: SECRET,
        bytes: () => rawRequest(`GET ${p} HTTP/1.1`),
      })),
      { name: 'a client-side route with dot-dots', expect: 404, notContaining: SECRET, bytes: () => rawRequest('GET /../../etc/passwd HTTP/1.1') },
      { name: 'a client-side route gets the page', expect: 200, indexOk: true, notContaining: SECRET, bytes: () => rawRequest('GET /register/new HTTP/1.1') },
      { name: 'POST to a page', expect: 405, bytes: () => rawRequest('POST /index.html HTTP/1.1', ['Content-Length: 2'], '{}') },
      { name: 'DELETE on an asset', expect: 405, bytes: () => rawRequest('DELETE /assets/app-1234.js HTTP/1.1') },
    ],
  ],
];

for (const [group, cases] of RAW) {
  test.describe(group, () => {
    for (const c of cases) {
      test(`${c.name} → ${c.expect}`, async () => {
        const before = await fingerprint();
        const r: RawResult = await rawExchange(w.port, [c.bytes()], { timeoutMs: 10_000 });
        if (c.expect === 'closed-or-400') {
          if (r.status === undefined) expect(r.closed, 'no answer: the connection must be closed, not left hanging').toBe(true);
          else expectProblemShape(r.status, r.headers, r.body, 400);
        } else if (c.indexOk && r.status === 200) {
          expect(r.body).toMatch(/INDEX-PAGE|"status":"ok"/);
          expectSecurityHeaders(r.headers, 'the answer');
        } else {
          expect(r.status, `an answer: ${r.body.slice(0, 200)}`).toBeDefined();
          expectProblemShape(r.status!, r.headers, r.body, c.expect);
        }
        if (r.status !== undefined) expect(r.status, 'never a 5xx').toBeLessThan(500);
        if (c.notContaining) {
          expect(r.body).not.toContain(c.notContaining);
          expect(r.headerLines.map(([n, v]) => `${n}: ${v}`).join('\n')).not.toContain(c.notContaining);
        }
        expect(await fingerprint(), 'nothing changed').toEqual(before);
        expect(w.alive(), 'the server is alive').toBe(true);
      });
    }
  });
}

test.describe('after the catalog', () => {
  test('a smuggled create was never executed', async () => {
    const sec = await w.as('sec');
    const list = expectOk(await sec.get('/exceptions?limit=200&q=SMUGGLED'));
    expect(list.items).toHaveLength(0);
  });

  test('the server is alive: /api/v1/health answers 200', async () => {
    expect(w.alive()).toBe(true);
    const r = await ctx.fetch(`${w.base}/api/v1/health`);
    expect(r.status()).toBe(200);
    expectSecurityHeaders(r.headers(), '/health');
  });

  test('the page and an asset are served with the security headers', async () => {
    for (const p of ['/', '/assets/app-1234.js']) {
      const r = await ctx.fetch(`${w.base}${p}`);
      expect(r.status(), p).toBe(200);
      expectSecurityHeaders(r.headers(), p);
    }
  });

  test('waiver audit verify passes', async () => {
    const r = await w.auditVerify();
    expect(r.code, r.stderr).toBe(0);
  });
});
