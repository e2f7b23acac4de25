// The one way the interface talks to the server: JSON over /api/v1 with the session cookie, the
// CSRF token on every write, and problem+json turned into an ApiError with its field errors.
import type { components } from './api-types';

export type Schemas = components['schemas'];
export type ExceptionRequest = Schemas['ExceptionRequest'];
export type ExceptionFields = Schemas['ExceptionFields'];
export type ApprovalSlot = Schemas['ApprovalSlot'];
export type CompensatingControl = Schemas['CompensatingControl'];
export type AuditEvent = Schemas['AuditEvent'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];
export type Page = Schemas['Page'];
export type User = Schemas['User'];
export type Department = Schemas['Department'];
export type Session = Schemas['Session'];
export type MatrixPreview = Schemas['MatrixPreview'];
export type Status = Schemas['Status'];
export type Role = Schemas['Role'];
export type Policy = Schemas['Policy'];
export type MatrixState = Schemas['Matrix'];

/** GET /me also names the departments the caller heads and the policies they own or maintain. */
export type Me = Schemas['Me'] & { heads?: string[]; owns?: string[]; maintains?: string[] };

export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
  /** Field errors by field path (`end_on`, `compensating_controls.0.status`). */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
    return out;
  }
}

let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server says 401 on a request other than sign-in: the session has ended. */
let onUnauthorized: () => void = () => {};
export function whenSignedOut(f: () => void): void {
  onUnauthorized = f;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(BASE + path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const problem: Problem =
      data && typeof data === 'object' && 'status' in data
        ? (data as Problem)
        : { type: 'about:blank', title: res.statusText, status: res.status, detail: text.slice(0, 200) };
    if (res.status === 401 && path !== '/session') onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);

/** A query string from the non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Every page of GET /exceptions for these filters, up to `max` items. */
export async function listAll(params: Record<string, string | number | undefined>, max = 2000): Promise<ExceptionRequest[]> {
  const out: ExceptionRequest[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await get<Page>(`/exceptions${query({ ...params, limit: 200, cursor: cursor ?? undefined })}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

/** The message to show for any error. */
export function message(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
