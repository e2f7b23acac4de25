// The approvals inbox: requests waiting for a decision the caller may take, oldest first. The server
// picks them (waiting_for=me) and sorts them by submission.
import { listAll, type ExceptionRequest } from './api';

export async function loadInbox(): Promise<ExceptionRequest[]> {
  return listAll({ waiting_for: 'me', sort: 'submitted_at', order: 'asc' });
}
