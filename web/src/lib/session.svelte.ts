// Who is signed in, and the counts shown in the navigation.
import { ApiError, get, post, api, setCsrfToken, type Me, type Session } from './api';

export const session = $state<{ me: Me | null; loaded: boolean; inbox: number; sso: boolean | null }>({
  me: null,
  loaded: false,
  inbox: 0,
  sso: null,
});

async function loadMe(s: Session): Promise<void> {
  setCsrfToken(s.csrf_token);
  session.me = await get<Me>('/me');
}

/** Restores the session from the cookie, if there is one. */
export async function restore(): Promise<void> {
  try {
    await loadMe(await get<Session>('/session'));
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    session.me = null;
  } finally {
    session.loaded = true;
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  await loadMe(await post<Session>('/session', { email, password }));
}

export async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/session');
  } finally {
    setCsrfToken(null);
    session.me = null;
    session.inbox = 0;
  }
}

/**
 * Whether single sign-on is configured. The server has no endpoint that says so; GET /oidc/login
 * answers 404 when it is off and a redirect to the provider when it is on, so the redirect is
 * looked at without being followed.
 */
export async function probeSso(): Promise<boolean> {
  if (session.sso !== null) return session.sso;
  try {
    // Says whether single sign-on is configured without starting a sign-in.
    const r = await fetch('/api/v1/session/options', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    session.sso = r.ok ? (await r.json()).oidc === true : false;
  } catch {
    session.sso = false;
  }
  return session.sso;
}

export function hasRole(role: string): boolean {
  return !!session.me?.roles.includes(role as never);
}
