/**
 * Worker status from structured signals first (core/workers/signals.ts): reads each worker's signals file (its
 * agent's hooks append to it through crewmux's recorder) from where the last read stopped, records every change of
 * activity as a decision (time, activity, source, evidence) in `status_decisions`, and tells the monitor and the
 * delivery of typed text what the agent itself said. Pane decisions are recorded here too, only while no structured
 * source has spoken for the worker. `crewmux status --explain W` reads the decisions back.
 */
import { join } from 'node:path';
import { fileSize, readFrom } from '../../adapters/system/files.js';
import {
  decideRolloutLines,
  decideSignalLines,
  isStructured,
  type Activity,
  type SignalSource,
  type StatusDecision,
} from '../../core/workers/signals.js';
import type { WorkerRow } from '../../core/session/rows.js';
import type { Store } from '../ports/store.js';
import type { Runtime } from '../runtime.js';
import { workerDir } from '../session/paths.js';
import { UserError } from '../../core/errors.js';

/** Where the reader of one worker's signals file is. */
interface SignalCursor {
  offset: number;
  carry: string;
  /** The newest decision recorded (from any source), to record changes only. */
  last?: StatusDecision;
  /** The newest structured decision (the worker's status source once set). */
  structured?: StatusDecision;
  /** Lines timed at or before this were decided by an earlier supervisor (resume): not recorded again. */
  skipUntil?: number;
  /** When the agent last said it works (Claude's UserPromptSubmit or a tool call, Codex's task_started), ms. */
  busyAt?: number;
  /** Decisions from the agent's rollout (read by the usage collector), not yet seen by pollSignals. */
  pending: StatusDecision[];
}

const cursors = new WeakMap<Runtime, Map<string, SignalCursor>>();

function cursorOf(rt: Runtime, workerId: string): SignalCursor {
  let byWorker = cursors.get(rt);
  if (!byWorker) cursors.set(rt, (byWorker = new Map<string, SignalCursor>()));
  let c = byWorker.get(workerId);
  if (!c) {
    const structured = rt.store.statusDecisions().latestStructured(rt.sid, workerId);
    const last = rt.store.statusDecisions().list(rt.sid, workerId, 1)[0];
    c = { offset: 0, carry: '', last, structured, skipUntil: structured?.at, pending: [] };
    byWorker.set(workerId, c);
  }
  return c;
}

/** The path of worker `w`'s signals file, or undefined when its agent has no structured status source. */
export function signalsFile(rt: Runtime, w: WorkerRow): string | undefined {
  const file = rt.agents.get(w.agent)?.profile.signals?.file;
  return file ? join(workerDir(rt, w.id), file) : undefined;
}

function record(rt: Runtime, w: WorkerRow, c: SignalCursor, d: StatusDecision): void {
  // The rollout is read every 2 s, the signals file every tick: a late line never replaces a newer word.
  if (isStructured(d) && (!c.structured || d.at >= c.structured.at)) c.structured = d;
  if (isStructured(d) && d.activity === 'busy') c.busyAt = Math.max(c.busyAt ?? 0, d.at);
  if (c.last && c.last.activity === d.activity && c.last.source === d.source) return;
  c.last = d;
  rt.store.statusDecisions().add(rt.sid, w.id, d);
}

/** What pollSignals learned: the newest structured decision (the worker's status source once set), and the new ones. */
export interface Polled {
  latest?: StatusDecision;
  /** Decisions read by this call, oldest first (changes of activity or not). */
  fresh: StatusDecision[];
}

/**
 * Reads the new complete lines of worker `w`'s signals file and records the changes of activity they decide; `latest`
 * is undefined while its agent has said nothing (the pane decides).
 */
export function pollSignals(rt: Runtime, w: WorkerRow): Polled {
  const signals = rt.agents.get(w.agent)?.profile.signals;
  if (!signals) return { fresh: [] };
  const c = cursorOf(rt, w.id);
  const fresh = c.pending.splice(0);
  const file = signalsFile(rt, w);
  const size = file ? fileSize(file) : 0;
  if (file && size > c.offset) {
    const chunk = readFrom(file, c.offset, Math.min(size - c.offset, 1 << 20));
    c.offset = chunk.next;
    const lines = (c.carry + chunk.text).split('\n');
    c.carry = lines.pop() ?? '';
    for (const d of decideSignalLines(lines)) {
      if (c.skipUntil !== undefined && d.at <= c.skipUntil) continue;
      record(rt, w, c, d);
      fresh.push(d);
    }
  }
  return { latest: c.structured, fresh: fresh.sort((a, b) => a.at - b.at) };
}

/**
 * New lines of worker `workerId`'s Codex session rollout (the usage collector reads them): records the changes of
 * activity they decide (task_started, task_complete, turn_aborted, token_count; source `rollout`) and hands them to the
 * next pollSignals. Nothing for a worker whose agent's profile does not ask for its rollout.
 */
export function rolloutSignals(rt: Runtime, workerId: string, lines: readonly string[]): void {
  const w = rt.store.getWorker(rt.sid, workerId);
  if (!w || !rt.agents.get(w.agent)?.profile.signals?.rollout) return;
  const c = cursorOf(rt, w.id);
  for (const d of decideRolloutLines(lines, c.structured?.activity, rt.now())) {
    if (c.skipUntil !== undefined && d.at <= c.skipUntil) continue;
    record(rt, w, c, d);
    c.pending.push(d);
  }
}

/**
 * Records what the pane shows of worker `w` (`activity` from its registry markers, `evidence` the marker) when it
 * differs from the last decision; the caller asks only while pollSignals has nothing for `w`.
 */
export function recordPaneStatus(rt: Runtime, w: WorkerRow, activity: Activity, evidence: string): void {
  record(rt, w, cursorOf(rt, w.id), { at: rt.now(), activity, source: 'pane', evidence });
}

/** What typed delivery (deliver.ts) may ask a worker's structured source: is it idle, did it take a prompt. */
export interface DeliverySignals {
  /** True when the agent itself says it is idle at its prompt. */
  ready(): boolean;
  /**
   * True when the agent said it works at or after `at` (ms): a submitted prompt (UserPromptSubmit), a tool call, a
   * turn started (Codex's rollout). Asked only after the agent was seen idle, so its work is the typed text's.
   */
  submittedSince(at: number): boolean;
}

/**
 * The structured source of worker `w` for typed delivery, or undefined when its agent has none. `readyWhen`: the
 * activity at which it takes typed text (default idle: a prompt; `waiting`: the answer to its own question, such as
 * an ACP permission request crewmux left to a person).
 */
export function deliverySignals(rt: Runtime, w: WorkerRow, readyWhen: Activity = 'idle'): DeliverySignals | undefined {
  if (!rt.agents.get(w.agent)?.profile.signals) return undefined;
  return {
    ready: () => pollSignals(rt, w).latest?.activity === readyWhen,
    submittedSince(at) {
      pollSignals(rt, w);
      const t = cursorOf(rt, w.id).busyAt;
      return t !== undefined && t >= at;
    },
  };
}

/** A worker's status as list_workers and `crewmux status` show it: what its agent does and which source said so. */
export interface ActivityView {
  activity: Activity;
  source: SignalSource;
  /** ISO time of the decision. */
  since: string;
  evidence: string;
}

/** The newest decision about each worker of session `sid` that has one, as views, by worker id. */
export function activityViews(store: Store, sid: string): Map<string, ActivityView> {
  const out = new Map<string, ActivityView>();
  for (const [id, d] of store.statusDecisions().latest(sid))
    out.set(id, { activity: d.activity, source: d.source, since: new Date(d.at).toISOString(), evidence: d.evidence });
  return out;
}

/**
 * `crewmux status --explain W`: worker `workerId` of session `sid` with its state and newest `limit` decisions
 * (default 20, oldest first); UserError E_BAD_FLAG naming the session's workers when it has no such worker.
 */
export function explainWorker(store: Store, sid: string, workerId: string, limit = 20) {
  const w = store.getWorker(sid, workerId);
  if (!w) {
    const known = store.listWorkers(sid).map((x) => x.id);
    throw new UserError(
      'E_BAD_FLAG',
      `--explain: session ${sid} has no worker "${workerId}" (its workers: ${known.length ? known.join(', ') : 'none'}).`,
      known.length ? `Run \`crewmux status --explain ${known[0]}\`.` : 'Run `crewmux status` to see the session.',
    );
  }
  const decisions = store.statusDecisions().list(sid, workerId, limit);
  return { worker: w.id, agent: w.agent, state: w.state, decisions };
}
