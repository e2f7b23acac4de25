// The words the interface shows for the API's values, and small formatting helpers.
import type { ExceptionRequest, Me } from './api';

export const STATUS_LABELS: Record<string, string> = {
  draft: 'Draft',
  department_review: 'Department review',
  policy_review: 'Policy review',
  changes_requested: 'Changes requested',
  active: 'Active',
  denied: 'Denied',
  withdrawn: 'Withdrawn',
  appeal_legal: 'Appeal: legal',
  appeal_executive: 'Appeal: CEO and CFO',
  denied_final: 'Denied (final)',
  expired: 'Expired',
  revoked: 'Revoked',
  closed: 'Closed',
  superseded: 'Superseded',
};
export const STATUSES = Object.keys(STATUS_LABELS);

export const SLOT_LABELS: Record<string, string> = {
  department: 'Department approval',
  compliance: 'Security Compliance',
  owner: 'Policy owner',
  legal: 'Legal',
  data_owner: 'Data owner',
  security: 'Security',
};
export const slotLabel = (s: string) => SLOT_LABELS[s] ?? s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export const TYPES = ['technology', 'access', 'configuration', 'process', 'device'] as const;
export const CLASSIFICATIONS = ['RED', 'ORANGE', 'YELLOW', 'GREEN'] as const;
export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export const CONTROL_STATUSES = ['planned', 'implemented', 'verified'] as const;
export const ROLES = ['admin', 'security_compliance', 'legal', 'ceo', 'cfo', 'auditor'] as const;

export const ACTION_LABELS: Record<string, string> = {
  edit: 'Edit',
  submit: 'Submit',
  withdraw: 'Withdraw',
  invite: 'Invite an expert',
  comment: 'Add an input or comment',
  appeal: 'Appeal',
  legal_opinion: 'Record the legal opinion',
  disposition: 'Record a disposition',
  extend: 'Ask for an extension',
  review: 'Record a review',
  close: 'Close',
  revoke: 'Revoke',
};

export const statusLabel = (s: string | null | undefined) => (s ? (STATUS_LABELS[s] ?? s) : '');
export const cap = (s: string | null | undefined) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : '');

export function formatInstant(s: string | null | undefined): string {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function todayIso(): string {
  return new Date().toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The slots of a request this person could fill now (the inbox). */
export function openSlotsFor(r: ExceptionRequest, me: Me | null): string[] {
  if (!me) return [];
  return (r.allowed_actions ?? []).filter((a) => a.startsWith('decide:')).map((a) => a.slice('decide:'.length));
}

/** What waits for this person on a request: slots to fill, or an appeal step. */
export function inboxTasks(r: ExceptionRequest, me: Me | null): string[] {
  const tasks = openSlotsFor(r, me).map(slotLabel);
  const acts = r.allowed_actions ?? [];
  if (acts.includes('legal_opinion')) tasks.push('Legal opinion');
  if (acts.includes('disposition')) tasks.push('Disposition');
  return tasks;
}
