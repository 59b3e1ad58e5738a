/** `crewmux sessions`: every session with its goal, status, lead, workers by state, age and resumability. */
import type { Store } from '../ports/store.js';
import { canResume } from './control.js';

/**
 * One view per session, newest first: goal, status, lead, worker counts by state, age in seconds at `now` (epoch
 * ms) and whether it can be resumed.
 */
export function listSessionViews(store: Store, now: number) {
  return store.listSessions().map((s) => {
    const byState: Record<string, number> = {};
    for (const w of store.listWorkers(s.id)) byState[w.state] = (byState[w.state] ?? 0) + 1;
    return {
      id: s.id,
      goal: s.goal,
      status: s.status,
      // A manual session (`crewmux manual`) has one worker and no lead.
      kind: s.options.kind ?? 'run',
      lead: s.lead_agent || 'none (manual)',
      repo: s.repo_root,
      workers: byState,
      ageS: Math.round((now - s.created_at) / 1000),
      resumable: canResume(s),
      createdAt: new Date(s.created_at).toISOString(),
    };
  });
}
