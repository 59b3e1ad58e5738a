/**
 * Admission by memory (README#admission-by-memory): spawn_worker admits a worker only when the machine's available
 * memory minus the reserve and what started workers are still expected to take covers the agent's expected resident
 * size, and memory pressure (PSI, Linux) is low. A worker not admitted is `queued` (a row, no worktree, no pane);
 * queued workers start in order (FIFO) when memory frees, checked on the monitor tick and when a worker ends; while
 * memory here stays short, the head is placed on a node with room when its spawn left the place to crewmux.
 * The monitor also samples each worker's process-tree RSS (peak), which is learned per agent when the worker ends.
 */
import {
  DEFAULT_PRESSURE_MAX,
  DEFAULT_RESERVE,
  LEARNED_PEAKS,
  decideAdmission,
  expectedResident,
  mb,
  sizeBytes,
  type Admission,
} from '../../core/workers/memory.js';
import type { WorkerRow } from '../../core/session/rows.js';
import type { PaneInfo } from '../ports/tmux.js';
import type { Runtime } from '../runtime.js';
import { LOCAL_RUNTIME, runtimeNameOf } from './worker-runtimes.js';

/** A decision for one spawn; an admitted one holds its expected size until `release()` (its row then counts). */
export type Admitted = (Admission & { admit: true; release(): void }) | (Admission & { admit: false });

const ALWAYS: Admitted = { admit: true, freeBytes: Infinity, release: () => undefined };
/** States whose agent runs (or is about to) and may still grow to its expected size. */
const STARTED = ['starting', 'running', 'waiting'];

/** The session's queued workers, oldest first (the order they start in). */
export function queuedWorkers(rt: Runtime): WorkerRow[] {
  return rt.store.listWorkers(rt.sid).filter((w) => w.state === 'queued');
}

/** Expected resident bytes of `agent`: the largest of its latest peaks on this machine, else its registry estimate. */
export function expectedFor(rt: Runtime, agent: string): number {
  const learned = rt.machine ? rt.machine.peaks.learned(agent, LEARNED_PEAKS) : [];
  return expectedResident(rt.agents.get(agent)?.profile.residentMb, learned);
}

/**
 * Whether a worker of `agent` may start now. Admitted when admission is off (config `admission.enabled: false`),
 * when the Runtime has no machine (unit tests that do not inject one) or its figures cannot be read. Unless
 * `head` (the first of the queue asks), a queue already waiting means no: nothing overtakes it.
 */
export async function admitWorker(rt: Runtime, agent: string, head = false): Promise<Admitted> {
  const machine = rt.machine;
  if (!machine || rt.config.admission?.enabled === false) return ALWAYS;
  if (!head) {
    const ahead = queuedWorkers(rt).length;
    if (ahead > 0)
      return { admit: false, reason: `${ahead} worker${ahead === 1 ? ' is' : 's are'} already queued for memory` };
  }
  const reading = await machine.reader.read();
  if (!reading) return ALWAYS;
  const peaks = new Map(machine.peaks.workerPeaks(rt.sid).map((p) => [p.worker, p.peakBytes]));
  const held = (rt.memoryHeld ??= new Map<object, number>());
  let pending = [...held.values()].reduce((a, b) => a + b, 0);
  // Only this machine's workers: an agent on a node or another runtime takes none of its memory.
  for (const w of rt.store.listWorkers(rt.sid))
    if (STARTED.includes(w.state) && runtimeNameOf(rt, w) === LOCAL_RUNTIME)
      pending += Math.max(0, expectedFor(rt, w.agent) - (peaks.get(w.id) ?? 0));
  const need = expectedFor(rt, agent);
  const cfg = rt.config.admission;
  const decision = decideAdmission({
    reading,
    reserveBytes: sizeBytes(cfg?.reserve ?? DEFAULT_RESERVE, reading.totalBytes),
    needBytes: need,
    pendingBytes: pending,
    pressureMax: cfg?.pressureMax === undefined ? DEFAULT_PRESSURE_MAX : cfg.pressureMax,
  });
  if (!decision.admit) return decision;
  // Held from this (synchronous) decision until the worker's row exists, so two spawns at once both count.
  const key = {};
  held.set(key, need);
  return { ...decision, release: () => held.delete(key) };
}

/** How often the memory queue asks the nodes for room for its head while this machine does not admit it (ms). */
export const QUEUE_NODES_EVERY_MS = 10_000;

/** A place for a queued worker that this machine does not admit: a node, and why it was placed there. */
export interface QueuePlacement {
  node: string;
  why: string;
}

export interface QueueOptions<P extends QueuePlacement> {
  /**
   * Where the head may run while this machine does not admit it (`localReason`): a node with room, else undefined
   * (spawn.ts placeQueuedWorker). Asked at most every QUEUE_NODES_EVERY_MS, or at once with `nodesNow`.
   */
  place?: (w: WorkerRow, localReason: string) => Promise<P | undefined>;
  /** Ask the nodes now (a worker ended: a node may have room again). */
  nodesNow?: boolean;
}

/**
 * Starts queued workers in order while memory admits them (`start` is spawn's start of a queued row): here, or on
 * the node `opts.place` finds for the head when this machine does not admit it (`start` gets that placement). Runs
 * one pass at a time per session; a call during a pass waits for it and returns. Failures are the worker's
 * (discarded, with the reason), never a throw.
 */
export async function startQueuedWorkers<P extends QueuePlacement>(
  rt: Runtime,
  start: (w: WorkerRow, placed?: P) => Promise<unknown>,
  opts: QueueOptions<P> = {},
): Promise<void> {
  if (opts.nodesNow) rt.queueNodesAt = undefined;
  if (rt.queueRun) return rt.queueRun;
  const run = (async () => {
    for (;;) {
      // Never while the session ends (its workers are being stopped, queued ones discarded).
      if (rt.ending || rt.store.getSession(rt.sid)?.status !== 'running') return;
      const next = queuedWorkers(rt)[0];
      if (!next) return;
      const a = await admitWorker(rt, next.agent, true);
      if (!a.admit) {
        // Not here: a node may have room now (asked at most every QUEUE_NODES_EVERY_MS: each ask is a round trip).
        if (!opts.place || rt.now() < (rt.queueNodesAt ?? -Infinity)) return;
        rt.queueNodesAt = rt.now() + QUEUE_NODES_EVERY_MS;
        const placed = await opts.place(next, a.reason);
        if (!placed) return;
        rt.events.emit('worker.admitted', `${next.id} admitted on node ${placed.node}: ${placed.why}`, next.id, {
          node: placed.node,
        });
        await start(next, placed).catch(() => undefined);
        continue;
      }
      try {
        rt.events.emit('worker.admitted', `${next.id} admitted: ${mb(a.freeBytes)} free beyond the reserve`, next.id, {
          freeBytes: a.freeBytes,
        });
        await start(next).catch(() => undefined);
      } finally {
        a.release();
      }
    }
  })();
  rt.queueRun = run;
  try {
    await run;
  } finally {
    rt.queueRun = undefined;
  }
}

/**
 * Samples the process-tree RSS of each started worker whose pane is in `panes` and records its peak; at most every
 * `everyMs` (default 5 000) per session, as a tick may call it 4 times a second.
 */
export function samplePeaks(rt: Runtime, panes: readonly PaneInfo[], everyMs = 5_000): void {
  const machine = rt.machine;
  if (!machine) return;
  const now = rt.now();
  if (rt.peaksSampledAt !== undefined && now - rt.peaksSampledAt < everyMs) return;
  rt.peaksSampledAt = now;
  for (const w of rt.store.listWorkers(rt.sid)) {
    if (!STARTED.includes(w.state) || !w.pane_id) continue;
    const pane = panes.find((p) => p.paneId === w.pane_id);
    if (!pane || pane.dead) continue;
    const rss = machine.treeRss(pane.pid);
    if (rss) machine.peaks.recordWorker(rt.sid, w.id, w.agent, rss);
  }
}

/** Adds worker `w`'s recorded peak (if any) to what is learned for its agent; call once, when it ends. */
export function learnPeak(rt: Runtime, w: WorkerRow): void {
  const peak = rt.machine?.peaks.workerPeaks(rt.sid).find((p) => p.worker === w.id);
  if (peak && peak.peakBytes > 0) rt.machine!.peaks.learn(w.agent, peak.peakBytes);
}
