/**
 * The session's MCP bearer tokens: one for the lead, one per worker, stored in state.db. `rotateTokens`
 * replaces all of them when a session resumes, so a token captured while the supervisor was down (by
 * whoever bound the freed MCP port and received the agents' retried requests) is refused afterwards.
 * docs/security/tokens.md explains the design.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../ports/store.js';
import type { WorkerRow } from '../../core/session/rows.js';

/** A fresh bearer token: 24 random bytes as 48 hex characters. */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

/**
 * Gives session `sid`'s lead and every one of its workers a new token in one transaction; the old ones are
 * gone from state.db (and so refused by the MCP server, which reads the tokens per request). Workers `keep` names
 * keep theirs (node workers whose token only ever reached this host through a 0600 Unix socket: docs/security/
 * tokens.md). Returns how many worker tokens were replaced; throws when the session is unknown.
 */
export function rotateTokens(store: Store, sid: string, keep: (w: WorkerRow) => boolean = () => false): number {
  return store.transaction(() => {
    if (!store.getSession(sid)) throw new Error(`no session ${sid}`);
    store.updateSession(sid, { lead_token: newToken() });
    const workers = store.listWorkers(sid).filter((w) => !keep(w));
    for (const w of workers) store.updateWorker(sid, w.id, { token: newToken() });
    return workers.length;
  });
}
