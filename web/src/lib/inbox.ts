// The approvals inbox: requests waiting for a decision the caller may take, oldest first.
import { listAll, type ExceptionRequest, type Me } from './api';
import { inboxTasks } from './words';

export async function loadInbox(me: Me): Promise<ExceptionRequest[]> {
  const items = await listAll({ status: 'department_review,policy_review,appeal_legal,appeal_executive' });
  return items
    .filter((r) => inboxTasks(r, me).length > 0)
    .sort((a, b) => (a.submitted_at ?? a.created_at).localeCompare(b.submitted_at ?? b.created_at));
}
