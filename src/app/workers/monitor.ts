/**
 * The background monitor of a session. Completion is pushed: a watch on each worker's .crewmux dir
 * (done.flag) and on its pane log (sentinel lines) checks the worker the moment either changes. A
 * short tick covers what has no event: an agent process that exited or was killed (crashed), worker
 * and session time limits, stuck workers (nudged once, then reported), and the lead exiting. A tick
 * whose pane listing fails judges no pane: tmux is asked again at the next tick.
 *
 * An agent that cannot work (its registry blockers show at the bottom of its pane: not logged in, out of
 * quota, a screen crewmux cannot answer) is noticed within about a second: a worker moves to that state,
 * which wakes wait_for_worker; for the lead, or a lead that made no MCP call within leadStartTimeout, the
 * run ends failed unless a user is attached to the session (then it is an event and a tmux message).
 */
import { dirname, join } from 'node:path';
import type { FSWatcher } from 'node:fs';
import { findSentinel, parseDoneFlag } from '../../core/workers/completion.js';
import { isActive } from '../../core/workers/state.js';
import { fileSize, readFrom, readIfExists, watchDir, watchFile } from '../../adapters/system/files.js';
import { stripAnsi, tailLines } from '../../core/text/ansi.js';
import { matchStatus } from '../../core/workers/status-detect.js';
import { moveFor, type StatusDecision } from '../../core/workers/signals.js';
import { pollSignals, recordPaneStatus } from './signals.js';
import { LEAD_START_TIMEOUT_S, blockerMessage, detectBlocker, type Blocker } from '../../core/workers/blockers.js';
import { escapeControls } from '../../core/text/terminal-text.js';
import type { BlockerKind } from '../../core/agents/profile.js';
import type { SessionRow } from '../../core/session/rows.js';
import type { WorkerRow } from '../../core/session/rows.js';
import type { PaneInfo } from '../ports/tmux.js';
import { completeTurn, sendToWorker, stopWorker } from './turns.js';
import { addWorkerNote, changeWorkerState } from './state-change.js';
import { endSession } from '../session/goal.js';
import { session, type Runtime } from '../runtime.js';
import { deathReason, exitStatusFile } from './panes.js';
import { isNodeRuntime, runtimeOf } from './worker-runtimes.js';
import type { NodeRuntime } from '../nodes/node-runtime.js';
import { DEFAULT_NODE_LOST_AFTER_SECONDS } from '../../core/nodes/node-config.js';
import type { WorkerStatus } from '../../core/nodes/protocol.js';
import type { PaneReading } from '../../core/nodes/pane-reading.js';
import type { WorkerHandle } from '../ports/worker-runtime.js';
import { lookupAgent } from '../agents/agent-table.js';
import { queuedWorkers, samplePeaks } from './admission.js';
import { askFromPane, closePaneTickets, questionsPass } from '../questions/pump.js';
import { openTickets } from '../questions/tickets.js';
import { approvalsPass } from '../review/approval.js';

interface Watch {
  watchers: FSWatcher[];
  offset: number;
  carry: string;
  lastActivity: number;
  nudgedAt?: number;
  reported?: boolean;
}

/**
 * How far up a dead pane is searched for a blocker: below the agent's last words, its pane may print how it ended and
 * the agent's last stderr lines (the ACP pane prints up to 10).
 */
const DEAD_PANE_BLOCKER_LINES = 24;

/** The last `n` lines of a pane log, on one line (for outcome reasons). */
function lastLines(file: string, n: number): string {
  const size = fileSize(file);
  const text = stripAnsi(readFrom(file, Math.max(0, size - 4096), 4096).text);
  return tailLines(text, n)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
}

export type Monitor = ReturnType<typeof createMonitor>;

/** The bottom `n` non-blank lines of a screen on one line, controls escaped, at most 400 characters. */
function screenTail(screen: string, n: number): string {
  const lines = stripAnsi(screen)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return escapeControls(lines.slice(-n).join(' | ')).slice(-400);
}

/**
 * The worker monitor: watches each active worker's done flag and pane log and ticks every `opts.tickMs` (default
 * 250 ms) for dead panes, time limits, stuck workers and the lead; every completion goes through completeTurn. Idle
 * until `start()`; `close()` stops it. `opts.tmuxReportAfter` (default 3) failed pane listings in a row are
 * reported once with a `monitor.tmux_unreachable` event. Each tick samples the workers' peak RSS (admission.ts) and,
 * while workers are queued for memory, calls `opts.startQueued` (not awaited). Call `leadActivity()` on each MCP tool call of the lead
 * (leadStartTimeout counts from the first tick that sees the lead's pane until then).
 */
export function createMonitor(
  rt: Runtime,
  opts: { tickMs?: number; tmuxReportAfter?: number; startQueued?: () => Promise<void> } = {},
) {
  const watches = new Map<string, Watch>();
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let closed = false;
  const reportAfter = opts.tmuxReportAfter ?? 3;
  let tmuxFailures = 0;
  let leadCalled = false;
  let leadSince: number | undefined;
  let leadProbedAt = 0;
  /** The last "cannot work" cause told to an attached user (told once, not every second). */
  let leadToldUser: string | undefined;
  /** When the last questions pass ran (escalations and answer deliveries, at most once a second). */
  let questionsAt = 0;

  /**
   * The session's panes, or undefined when tmux failed or timed out. A failure is never taken as panes
   * being gone: it is logged, tmux is asked again at the next tick, and after `reportAfter` failures in a
   * row the lead is told once (a slow tmux once ended a run as failed and marked every worker crashed).
   */
  async function listPanes(): Promise<PaneInfo[] | undefined> {
    try {
      const panes = await rt.tmux.listPanes(rt.tmuxSession);
      if (tmuxFailures >= reportAfter)
        rt.events.emit('monitor.tmux_recovered', `tmux answers again after ${tmuxFailures} failed pane listings`);
      tmuxFailures = 0;
      return panes;
    } catch (e) {
      const error = (e as Error).message;
      tmuxFailures++;
      if (tmuxFailures < reportAfter) {
        rt.events.emit(
          'monitor.error',
          `listing the session's panes failed (${error}); trying again at the next tick`,
          null,
          { failures: tmuxFailures, error },
        );
      } else if (tmuxFailures === reportAfter) {
        rt.events.emit(
          'monitor.tmux_unreachable',
          `tmux failed to list the session's panes ${tmuxFailures} times in a row (${error}); no worker is judged crashed until it answers`,
          null,
          { failures: tmuxFailures, error },
        );
      }
      return undefined;
    }
  }

  /** Looks for a completion of `w`'s current turn in its flag file and new log output. */
  async function check(workerId: string): Promise<void> {
    const w = rt.store.getWorker(rt.sid, workerId);
    const watch = watches.get(workerId);
    if (!w || !watch || !isActive(w.state)) return;
    const flag = readIfExists(w.done_file);
    if (flag !== undefined) {
      const parsed = parseDoneFlag(flag, w.nonce);
      if (parsed.ok) {
        await completeTurn(rt, w.id, parsed.completion, 'flag');
        return;
      }
    }
    const chunk = readFrom(w.log_file, watch.offset);
    if (chunk.next > watch.offset) {
      watch.offset = chunk.next;
      watch.lastActivity = rt.now();
      const text = watch.carry + chunk.text;
      watch.carry = text.slice(-4096);
      const found = findSentinel(text, w.nonce);
      if (found) await completeTurn(rt, w.id, found, 'line');
    }
  }

  const fire = (id: string) => {
    void check(id).catch((e) => rt.events.emit('monitor.error', `check ${id}: ${(e as Error).message}`, id));
  };

  function watch(w: WorkerRow): void {
    hearNode(w);
    const existing = watches.get(w.id);
    if (existing) {
      existing.lastActivity = rt.now();
      existing.nudgedAt = undefined;
      existing.reported = false;
      return;
    }
    const entry: Watch = { watchers: [], offset: 0, carry: '', lastActivity: rt.now() };
    watches.set(w.id, entry);
    const dirWatcher = watchDir(dirname(w.done_file), () => fire(w.id));
    const logWatcher = watchFile(w.log_file, () => fire(w.id));
    entry.watchers = [dirWatcher, logWatcher].filter((x): x is FSWatcher => Boolean(x));
  }

  function unwatch(id: string): void {
    for (const x of watches.get(id)?.watchers ?? []) x.close();
    watches.delete(id);
  }

  /**
   * Moves worker `w` between running and waiting on a structured decision (its agent's hooks or rollout): a dialog
   * that waits for a person opens a pane ticket (unless a ticket of the worker is open: its question hook asked).
   */
  async function applyDecision(w: WorkerRow, d: StatusDecision, paneId: string | undefined): Promise<void> {
    const to = moveFor(w.state, d.activity);
    const why = `${d.source}: ${d.evidence}`.slice(0, 200);
    if (to === 'waiting') {
      if (!changeWorkerState(rt, w, 'waiting', `waiting for input (${why})`, { summary: `waiting for input (${why})` }))
        return;
      if (paneId && !openTickets(rt, [w.id]).length) askFromPane(rt, w, await rt.tmux.capturePane(paneId));
    } else if (to === 'running') {
      if (changeWorkerState(rt, w, 'running', `working again (${why})`)) closePaneTickets(rt, w);
    }
  }

  /**
   * True when `screen` shows one of worker `w`'s registry blockers at its bottom (`windowLines`): the worker is then
   * `auth_required`, `quota_exhausted` or `blocked_dialog`, with the agent's line and the fix in the event.
   */
  function blockerSeen(w: WorkerRow, screen: string, windowLines?: number): boolean {
    const profile = rt.agents.get(w.agent)?.profile;
    const blocker = detectBlocker(profile?.blockers, profile?.markers, screen, windowLines);
    if (!blocker) return false;
    applyBlocker(w, blocker);
    return true;
  }

  /** Worker `w`'s screen shows `blocker`: it moves to that state, with the agent's line and the fix in the event. */
  function applyBlocker(w: WorkerRow, blocker: Blocker): void {
    const said = blockerMessage(`the agent ${w.agent}`, blocker);
    const moved = changeWorkerState(
      rt,
      w,
      blocker.kind,
      said,
      { summary: `${blocker.kind}: ${said}. A person must act before this worker can go on.` },
      { kind: blocker.kind, line: blocker.line, fix: blocker.fix },
    );
    if (moved) unwatch(w.id);
  }

  const lastProbe = new Map<string, number>();
  /**
   * Decides a worker's activity: from its agent's structured signals first (pollSignals, every tick), else from its
   * pane. The pane is read with its agent's registry entry at most once a second per worker: blockers make it
   * `auth_required`, `quota_exhausted` or `blocked_dialog` (the event carries the agent's line and the fix), whatever
   * the source; without a structured source, an agent that asks something (a dialog, a question) is `waiting`, and
   * `running` again once it works.
   */
  async function probeWorker(w: WorkerRow, paneId: string | undefined, now: number): Promise<void> {
    const profile = rt.agents.get(w.agent)?.profile;
    const { latest: structured, fresh } = pollSignals(rt, w);
    // Only what the agent just said moves the worker (an older busy must not undo a waiting seen in the pane).
    const said = fresh.at(-1);
    if (said) await applyDecision(w, said, paneId);
    if (!paneId || !profile || now - (lastProbe.get(w.id) ?? 0) < 1_000) return;
    if (!profile.markers.waiting?.length && !profile.blockers?.length) return;
    lastProbe.set(w.id, now);
    const screen = await rt.tmux.capturePane(paneId);
    if (blockerSeen(w, screen)) return;
    // The agent's own signals decide its activity; its pane only shows what they cannot: blockers, and dialogs when
    // its source does not report them (Codex's notify and rollout).
    if (structured && profile.signals?.dialogs) return;
    const { status, marker } = matchStatus(profile.markers, screen);
    if (status !== 'unknown' && !structured)
      recordPaneStatus(rt, w, status === 'ready' ? 'idle' : status, `marker "${marker}"`);
    if (status === 'waiting' && w.state === 'running') {
      if (structured) recordPaneStatus(rt, w, 'waiting', `marker "${marker}"`);
      const asks = tailLines(stripAnsi(screen), 3).replace(/\s+/g, ' ').trim().slice(0, 200);
      if (changeWorkerState(rt, w, 'waiting', `waiting for input: ${asks}`, { summary: `waiting for input: ${asks}` }))
        askFromPane(rt, w, screen);
    } else if (status === 'busy' && w.state === 'waiting') {
      if (changeWorkerState(rt, w, 'running', 'working again')) closePaneTickets(rt, w);
    }
  }

  /**
   * Reads the lead's pane (at most once a second): a blocker on it, or no MCP call within leadStartTimeout since
   * the lead was first seen, means the lead cannot work. Returns true when that ended the session.
   */
  async function probeLead(s: SessionRow, paneId: string, now: number): Promise<boolean> {
    leadSince ??= now;
    if (now - leadProbedAt < 1_000) return false;
    leadProbedAt = now;
    const profile = lookupAgent(rt.agents, s.lead_agent)?.profile;
    const screen = await rt.tmux.capturePane(paneId);
    const blocker = detectBlocker(profile?.blockers, profile?.markers, screen);
    const who = `lead ${s.lead_agent}`;
    if (blocker)
      return leadCannotWork(blockerMessage(who, blocker), blocker.kind, { line: blocker.line, fix: blocker.fix });
    const limitS = s.options.leadStartTimeoutS === undefined ? LEAD_START_TIMEOUT_S : s.options.leadStartTimeoutS;
    if (leadCalled || limitS === null || now - leadSince <= limitS * 1000) return false;
    const tail = screenTail(screen, 6);
    return leadCannotWork(
      `${who} cannot work: it made no MCP call within leadStartTimeout (${limitS} s) after it started; its pane ends with: ${tail || '(nothing)'} — fix: run \`${s.lead_agent}\` by hand in this repository to see what it needs (a login, a dialog), or raise leadStartTimeout in config.json / --lead-start-timeout`,
      'no_mcp_call',
      { tail },
    );
  }

  /** Tells the attached user once (event + tmux message) and keeps waiting; with nobody attached, ends the run failed. */
  async function leadCannotWork(
    reason: string,
    kind: BlockerKind | 'no_mcp_call',
    data: Record<string, unknown>,
  ): Promise<boolean> {
    const clients = await rt.tmux.listClients(rt.tmuxSession).catch(() => [] as string[]);
    if (clients.length) {
      // Told once per cause: the same blocker line, or the timeout whatever the pane shows since.
      const cause = `${kind}:${typeof data.line === 'string' ? data.line : ''}`;
      if (leadToldUser === cause) return false;
      leadToldUser = cause;
      rt.events.emit('lead.cannot_work', `${reason} (a user is attached: the run keeps waiting)`, null, {
        kind,
        attached: true,
        ...data,
      });
      await rt.tmux.displayMessage(rt.tmuxSession, `crewmux: ${reason}`).catch(() => undefined);
      return false;
    }
    rt.events.emit('lead.cannot_work', reason, null, { kind, attached: false, ...data });
    await endSession(rt, 'failed', reason);
    return true;
  }

  const runtimeCheckedAt = new Map<string, number>();
  /**
   * A worker on another runtime (an `exec:` script) has no pane: its runtime is asked whether it still runs, at most
   * every 2 s (each ask may start a process). Ended without reporting completion: crashed. A runtime that cannot
   * tell is never evidence of an exit (monitor.error).
   */
  async function runtimeEnded(w: WorkerRow, now: number): Promise<boolean> {
    const on = runtimeOf(rt, w);
    if (!on || now - (runtimeCheckedAt.get(w.id) ?? 0) < 2_000) return false;
    runtimeCheckedAt.set(w.id, now);
    if (isNodeRuntime(on.runtime)) {
      // A node may not answer for a while (a cut link): its answer is awaited off the tick, one at a time.
      if (!nodeChecks.has(w.id)) {
        nodeChecks.add(w.id);
        void nodeWorkerCheck(w, on.runtime, on.handle).finally(() => nodeChecks.delete(w.id));
      }
      return false;
    }
    let running: boolean;
    try {
      running = await on.runtime.isRunning(on.handle);
    } catch (e) {
      rt.events.emit('monitor.error', `runtime ${on.runtime.name}: ${(e as Error).message}`, w.id);
      return false;
    }
    if (running) return false;
    return runtimeGone(w, on.runtime.name);
  }

  const nodeChecks = new Set<string>();
  /** Per node: when it last answered (or, before any answer, when this monitor first asked it), by rt.now(). */
  const nodeAnsweredAt = new Map<string, number>();
  /** Per node worker: when this monitor first asked about it (its start was an answer of its node too). */
  const nodeWorkerAskedAt = new Map<string, number>();
  /**
   * A node worker: its done.flag as the node has it (written while the link was down, too) ends its turn; an agent
   * gone without one crashed. A node that does not answer is no evidence about the agent (monitor.error), until no
   * call has reached it for longer than `nodes.lostAfter` since its last answer: the worker is then `lost`.
   */
  async function nodeWorkerCheck(w: WorkerRow, node: NodeRuntime, h: WorkerHandle): Promise<void> {
    let st: WorkerStatus;
    if (!nodeAnsweredAt.has(node.name)) nodeAnsweredAt.set(node.name, rt.now());
    if (!nodeWorkerAskedAt.has(w.id)) nodeWorkerAskedAt.set(w.id, rt.now());
    try {
      st = await node.status(h);
      nodeAnsweredAt.set(node.name, rt.now());
    } catch (e) {
      rt.events.emit('monitor.error', `node ${node.name}: ${(e as Error).message}`, w.id);
      nodeUnanswered(w, node.name, (e as Error).message);
      return;
    }
    await nodeStatusSeen(w.id, node, st);
  }

  /** The node runtimes whose pushed changes this monitor applies. */
  const nodesHeard = new WeakSet<NodeRuntime>();
  /**
   * Node worker `w` is watched by its node: its pushes (`worker.status`: done.flag written, agent exited) are applied
   * at once, the 2 s poll (nodeWorkerCheck) staying the fallback and the lost clock.
   */
  function hearNode(w: WorkerRow): void {
    let on: ReturnType<typeof runtimeOf>;
    try {
      on = runtimeOf(rt, w);
    } catch {
      return; // Its runtime is no longer configured: the tick says so.
    }
    if (!on || !isNodeRuntime(on.runtime)) return;
    const node = on.runtime;
    if (!nodesHeard.has(node)) {
      nodesHeard.add(node);
      node.onStatus((id, st) => {
        const [sid, wid] = id.split('/');
        if (sid !== rt.sid || !wid || closed) return;
        // A push is an answer of the node.
        nodeAnsweredAt.set(node.name, rt.now());
        void nodeStatusSeen(wid, node, st).catch((e) =>
          rt.events.emit('monitor.error', `node ${node.name}: ${(e as Error).message}`, wid),
        );
      });
    }
    node.watch(on.handle);
  }

  /** Per node worker: how many bytes its agent had printed on its node when last told (its stuck check's activity). */
  const nodeOutput = new Map<string, number>();
  /**
   * What node `node` says of worker `workerId` (polled or pushed): its done.flag ends its turn; gone, it crashed; its
   * agent's output grown since the last answer is activity, as a local worker's pane log growing is (the stuck check).
   */
  async function nodeStatusSeen(workerId: string, node: NodeRuntime, st: WorkerStatus): Promise<void> {
    const cur = rt.store.getWorker(rt.sid, workerId);
    if (!cur || !isActive(cur.state) || runtimeOf(rt, cur)?.runtime !== node) return;
    if (st.output !== undefined && st.output !== nodeOutput.get(workerId)) {
      const known = nodeOutput.has(workerId);
      nodeOutput.set(workerId, st.output);
      // The first answer only sets where output stands (watching it already counted as activity).
      const w = watches.get(workerId);
      if (known && w) w.lastActivity = rt.now();
    }
    if (st.doneFlag !== undefined) {
      const parsed = parseDoneFlag(st.doneFlag, cur.nonce);
      if (parsed.ok) {
        await completeTurn(rt, cur.id, parsed.completion, 'flag');
        return;
      }
    }
    if (!st.running) await runtimeGone(cur, node.name);
    else if (st.pane) nodePaneSeen(cur, node.name, st.pane);
  }

  /**
   * What node `node` read on worker `w`'s screen (core/nodes/pane-reading.ts), applied as probeWorker applies a local
   * reading: a blocker moves it to that state; otherwise its pane status is recorded (source `pane`), a question
   * makes it `waiting` (a pane ticket with the screen's bottom lines) and work makes it `running` again.
   */
  function nodePaneSeen(w: WorkerRow, node: string, p: PaneReading): void {
    if (p.blocker) return applyBlocker(w, p.blocker);
    if (p.status !== 'unknown')
      recordPaneStatus(rt, w, p.status === 'ready' ? 'idle' : p.status, `marker "${p.marker}" (on node ${node})`);
    if (p.status === 'waiting' && w.state === 'running') {
      const screen = p.tail ?? '';
      const asks = tailLines(screen, 3).replace(/\s+/g, ' ').trim().slice(0, 200);
      if (changeWorkerState(rt, w, 'waiting', `waiting for input: ${asks}`, { summary: `waiting for input: ${asks}` }))
        askFromPane(rt, w, screen);
    } else if (p.status === 'busy' && w.state === 'waiting') {
      if (changeWorkerState(rt, w, 'running', 'working again')) closePaneTickets(rt, w);
    }
  }

  /**
   * Node `name` failed to answer about worker `w`: past `nodes.lostAfter` seconds since its last answer, the worker
   * (if still active) is `lost`. Its branch keeps the commits last fetched; it is not revived if the node answers.
   */
  function nodeUnanswered(w: WorkerRow, name: string, error: string): void {
    const lostAfterS = rt.config.nodes?.lostAfter ?? DEFAULT_NODE_LOST_AFTER_SECONDS;
    // A worker started on the node after its last status answer: silent since its start, not since that answer.
    const since = Math.max(nodeAnsweredAt.get(name) ?? 0, nodeWorkerAskedAt.get(w.id) ?? 0);
    const silentMs = rt.now() - since;
    const cur = rt.store.getWorker(rt.sid, w.id);
    if (silentMs <= lostAfterS * 1000 || !cur || !isActive(cur.state) || rt.stopping.has(cur.id)) return;
    const silentS = Math.round(silentMs / 1000);
    const why = `node ${name} has not answered for ${silentS} s (nodes.lostAfter is ${lostAfterS} s; last error: ${error})`;
    const moved = changeWorkerState(
      rt,
      cur,
      'lost',
      why,
      { summary: `lost: ${why}. The commits last fetched from the node are on branch ${cur.branch}.` },
      { node: name, silentS, lostAfterS },
    );
    if (moved) unwatch(cur.id);
  }

  /** Lost workers whose agent on their node was stopped once the node answered again, and when each was last tried. */
  const lostStopped = new Set<string>();
  const lostTriedAt = new Map<string, number>();
  /**
   * A lost worker is not revived: when its node answers again (tried at most every 30 s, off the tick), its agent
   * there is stopped (`worker.stopped`; its worktree on the node stays), so it cannot race a worker given its task.
   */
  function stopLostAgent(w: WorkerRow, now: number): void {
    if (lostStopped.has(w.id) || nodeChecks.has(w.id) || now - (lostTriedAt.get(w.id) ?? 0) < 30_000) return;
    const on = runtimeOf(rt, w);
    if (!on || !isNodeRuntime(on.runtime)) return;
    lostTriedAt.set(w.id, now);
    nodeChecks.add(w.id);
    const node = on.runtime.name;
    void on.runtime
      .stop(on.handle)
      .then(
        () => {
          lostStopped.add(w.id);
          rt.events.emit(
            'worker.stopped',
            `${w.id}: node ${node} answers again; the lost worker's agent there was stopped (it stays lost)`,
            w.id,
            { node },
          );
        },
        () => undefined,
      )
      .finally(() => nodeChecks.delete(w.id));
  }

  /** Worker `w`'s agent is no longer running on runtime `name`: crashed unless its turn had ended. */
  async function runtimeGone(w: WorkerRow, name: string): Promise<boolean> {
    // Its turn may have ended just before it exited: the flag and log are read once more first.
    await check(w.id);
    const cur = rt.store.getWorker(rt.sid, w.id)!;
    if (!isActive(cur.state) || rt.stopping.has(w.id)) return true;
    const saved = readIfExists(exitStatusFile(cur.log_file));
    const how = saved?.trim() ? deathReason(saved, undefined) : `ended (runtime ${name} reports it no longer running)`;
    changeWorkerState(rt, cur, 'crashed', `the agent ${how} without reporting completion`, {
      exit_info: how,
      summary: `crashed: ${how}`,
    });
    unwatch(cur.id);
    return true;
  }

  async function tick(): Promise<void> {
    const s = session(rt);
    if (s.status !== 'running') return;
    // Agents' usage files, read from where the last pass stopped, at most every 2 s and off this tick.
    rt.usage?.maybeCollect();
    const now = rt.now();
    if (s.options.timeoutS && now - s.created_at > s.options.timeoutS * 1000) {
      await endSession(rt, 'timeout', `the run hit --timeout ${s.options.timeoutS} s`);
      return;
    }
    const panes = await listPanes();
    if (!panes) return;
    const lead = panes.find((p) => p.paneId === s.lead_pane);
    if (s.lead_pane && (!lead || lead.dead)) {
      const how = deathReason(readIfExists(join(s.session_dir, 'lead', 'exit-status')), lead);
      const last = lastLines(join(s.session_dir, 'lead', 'pane.log'), 3);
      await endSession(
        rt,
        'failed',
        `the lead agent ${how} without marking the goal done or failed${last ? `; its last output: ${last}` : ''}`,
      );
      return;
    }
    if (lead && (await probeLead(s, lead.paneId, now))) return;
    // Peak RSS of the workers' agents (at most every 5 s), then the memory queue, off this tick.
    samplePeaks(rt, panes);
    if (opts.startQueued && queuedWorkers(rt).length)
      void opts.startQueued().catch((e) => rt.events.emit('monitor.error', `memory queue: ${(e as Error).message}`));
    if (now - questionsAt >= 1_000) {
      questionsAt = now;
      await questionsPass(rt);
      await approvalsPass(rt);
    }
    for (const w of rt.store.listWorkers(rt.sid)) {
      // A finished worker's agent may still report (its turn's Stop after worker_done): kept for status and delivery.
      if (!isActive(w.state) && w.pane_id) pollSignals(rt, w);
      if (w.state === 'lost') stopLostAgent(w, now);
      if (!isActive(w.state) || w.state === 'queued' || rt.stopping.has(w.id)) continue;
      if (!watches.has(w.id)) watch(w);
      await check(w.id);
      const cur = rt.store.getWorker(rt.sid, w.id)!;
      if (!isActive(cur.state)) continue;
      let pane = panes.find((p) => p.paneId === cur.pane_id);
      // The pane list was taken at the start of the tick: a worker whose pane opened since is not in it.
      if (cur.pane_id && !pane) {
        const again = await listPanes();
        if (!again) continue;
        pane = again.find((p) => p.paneId === cur.pane_id);
      }
      if (cur.pane_id && (!pane || pane.dead)) {
        // An agent that exits saying why it cannot work (an ACP pane whose session/new was refused for want of a
        // key) is that, not a crash: its dead pane still shows its last words, with what the pane printed after.
        const last = pane ? await rt.tmux.capturePane(cur.pane_id).catch(() => '') : '';
        if (blockerSeen(cur, last, DEAD_PANE_BLOCKER_LINES)) continue;
        const how = deathReason(readIfExists(exitStatusFile(cur.log_file)), pane);
        changeWorkerState(rt, cur, 'crashed', `the agent ${how} without reporting completion`, {
          exit_info: how,
          summary: `crashed: ${how}`,
        });
        unwatch(cur.id);
        continue;
      }
      if (!cur.pane_id && (await runtimeEnded(cur, now))) continue;
      if (s.options.workerTimeoutS && now - cur.created_at > s.options.workerTimeoutS * 1000) {
        await stopWorker(rt, cur.id, 'timeout', `hit --worker-timeout ${s.options.workerTimeoutS} s`);
        unwatch(cur.id);
        continue;
      }
      const wt = watches.get(cur.id)!;
      await probeWorker(cur, pane?.paneId, now);
      if (!isActive(rt.store.getWorker(rt.sid, cur.id)!.state)) continue;
      // A worker waiting for the answer to its question is quiet, not stuck.
      if (openTickets(rt, [cur.id]).length) wt.lastActivity = now;
      const idleMs = now - wt.lastActivity;
      const stuckMs = s.options.stuckAfterS * 1000;
      if (idleMs > stuckMs && !wt.nudgedAt) {
        wt.nudgedAt = now;
        addWorkerNote(rt, cur, 'worker.nudged', `no output for ${Math.round(idleMs / 1000)} s; nudged once`);
        await sendToWorker(
          rt,
          cur.id,
          'crewmux: no output from you for a while. If you are finished, call worker_done; if you are stuck, call worker_done with status "blocked" and say why.',
        ).catch(() => undefined);
      } else if (wt.nudgedAt && !wt.reported && now - wt.nudgedAt > stuckMs && wt.lastActivity <= wt.nudgedAt) {
        wt.reported = true;
        addWorkerNote(
          rt,
          cur,
          'worker.stuck',
          `stuck: no output for ${Math.round(idleMs / 1000)} s even after a nudge; consider kill_worker`,
        );
      }
    }
  }

  return {
    /** Starts the tick (default every 250 ms). */
    start(): void {
      const every = opts.tickMs ?? 250;
      timer = setInterval(() => {
        if (ticking || closed) return;
        ticking = true;
        tick()
          .catch((e) => rt.events.emit('monitor.error', `monitor tick: ${(e as Error).message}`))
          .finally(() => {
            ticking = false;
          });
      }, every);
    },
    /** Runs one tick now (the timer runs it every `tickMs`); tests drive the monitor with it. */
    tick,
    watch,
    unwatch,
    /** Checks a watched worker's flag and log now (resume uses it before judging a dead pane). */
    checkNow: (workerId: string) => check(workerId),
    /** The lead made an MCP tool call: leadStartTimeout no longer applies. */
    leadActivity(): void {
      leadCalled = true;
    },
    /** Records activity (e.g. report_progress) so the worker is not considered stuck. */
    touch(workerId: string): void {
      const w = watches.get(workerId);
      if (w) w.lastActivity = rt.now();
    },
    close(): void {
      closed = true;
      if (timer) clearInterval(timer);
      for (const id of [...watches.keys()]) unwatch(id);
    },
  };
}
