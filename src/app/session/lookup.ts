/** Finding a session by id, id prefix, or "the latest". */
import { UserError } from '../../core/errors.js';
import type { SessionRow } from '../../core/session/rows.js';
import type { Store } from '../ports/store.js';

/**
 * The session with id `sid`, else the only one whose id starts with `sid`, else (no `sid`) the latest; UserError
 * E_NO_SESSIONS or E_SESSION_NOT_FOUND (also for an ambiguous prefix) otherwise.
 */
export function findSession(store: Store, sid?: string): SessionRow {
  if (!sid) {
    const latest = store.listSessions()[0];
    if (!latest) throw new UserError('E_NO_SESSIONS');
    return latest;
  }
  const exact = store.getSession(sid);
  if (exact) return exact;
  const ids = store.findSessionIds(sid);
  if (ids.length === 1) return store.getSession(ids[0]!)!;
  throw new UserError(
    'E_SESSION_NOT_FOUND',
    ids.length ? `Session id "${sid}" is ambiguous: ${ids.join(', ')}.` : `No session "${sid}".`,
  );
}
