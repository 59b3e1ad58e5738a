/**
 * The conflict radar: for each worker whose branch has commits, the files on which it would conflict
 * with the integration branch and with each other such worker (`git merge-tree --write-tree`, no
 * working tree touched). Recomputed only when a branch head moved; stored on the worker rows so
 * list_workers and `crewmux status` read it without running git.
 */
import { sessionBranchPrefix } from '../../core/session/naming.js';
import type { Radar, WorkerRow } from '../../core/session/rows.js';
import type { Runtime } from '../runtime.js';

const RADAR_STATES = new Set([
  'starting',
  'running',
  'waiting',
  'done',
  'blocked',
  'failed',
  'crashed',
  'killed',
  'timeout',
]);

/**
 * Recomputes the conflict radar when a branch head moved since the last run, stores it on the worker rows and emits
 * `radar.conflict` on a change; returns whether it ran and how many branch pairs it checked (a git failure
 * rejects).
 */
export async function refreshRadar(rt: Runtime): Promise<{ computed: boolean; pairs: number }> {
  const heads = await rt.git.branchHeads(rt.repoRoot, sessionBranchPrefix(rt.sid));
  const integrationHead = heads.get(rt.integrationBranch);
  if (!integrationHead) return { computed: false, pairs: 0 };
  const candidates: (WorkerRow & { head: string })[] = [];
  for (const w of rt.store.listWorkers(rt.sid)) {
    const head = heads.get(w.branch);
    if (!head || !RADAR_STATES.has(w.state) || head === w.base_commit) continue;
    candidates.push({ ...w, head });
  }
  const key = [integrationHead, ...candidates.map((c) => `${c.id}:${c.head}`)].join(',');
  if (candidates.every((c) => c.radar.key === key)) return { computed: false, pairs: 0 };
  const radars = new Map<string, Radar>(candidates.map((c) => [c.id, { integration: [], workers: {}, key }]));
  let pairs = 0;
  for (const [i, a] of candidates.entries()) {
    radars.get(a.id)!.integration = await rt.git.conflictFiles(rt.repoRoot, integrationHead, a.head);
    pairs++;
    for (const b of candidates.slice(i + 1)) {
      const files = await rt.git.conflictFiles(rt.repoRoot, a.head, b.head);
      pairs++;
      if (files.length) {
        radars.get(a.id)!.workers[b.id] = files;
        radars.get(b.id)!.workers[a.id] = files;
      }
    }
  }
  for (const c of candidates) {
    const r = radars.get(c.id)!;
    const before = c.radar;
    rt.store.updateWorker(rt.sid, c.id, { radar: r });
    const changed = JSON.stringify([before.integration, before.workers]) !== JSON.stringify([r.integration, r.workers]);
    if (changed && (r.integration.length || Object.keys(r.workers).length)) {
      const parts = [
        ...(r.integration.length ? [`integration on ${r.integration.join(', ')}`] : []),
        ...Object.entries(r.workers).map(([id, f]) => `${id} on ${f.join(', ')}`),
      ];
      rt.events.emit('radar.conflict', `${c.id} would conflict with ${parts.join('; ')}`, c.id, { radar: r });
    }
  }
  return { computed: true, pairs };
}

/** Runs refreshRadar after worker events and every `everyMs` (default 2 000), one run at a time. */
export function createRadarScheduler(rt: Runtime, everyMs = 2_000) {
  let running: Promise<unknown> | undefined;
  let again = false;
  const poke = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = refreshRadar(rt)
      .catch((e) => rt.events.emit('radar.error', `conflict radar: ${(e as Error).message}`))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          poke();
        }
      });
  };
  const unsubscribe = rt.events.subscribe((e) => {
    if (/^worker\.(done|blocked|failed|crashed|killed|timeout|merged|snapshot)$/.test(e.type)) poke();
  });
  const timer = setInterval(poke, everyMs);
  timer.unref();
  return {
    poke,
    /** Resolves once no refresh is running. */
    async idle(): Promise<void> {
      while (running) await running;
    },
    close(): void {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
