/**
 * Resuming a session in a new supervisor (goal, workers, branches and worker counters all come from the
 * state database; the MCP tokens were just rotated by the supervisor, docs/security/tokens.md): the
 * monitor notices workers that finished while crewmux was down (their flag, their sentinel line);
 * workers whose agent is gone become `crashed` (restart_worker relaunches them); active workers whose
 * agent still runs are relaunched on their worktree with their new token, and the lead is relaunched
 * with a recap, because a running agent cannot be handed a new token. A worker on an SSH node is
 * re-adopted instead: its agent there keeps running, with the token it had (it only ever reached crewmux through
 * the MCP server's private Unix socket, so it was not rotated). A worker on an `exec:` runtime is re-adopted too
 * when its runtime says it still runs (its token was rotated: it reports through its done file).
 */
import { isActive } from '../../core/workers/state.js';
import { waitUntil } from '../../core/clock.js';
import { buildRecap, type LeadToolInfo, type RecapWorker } from '../../core/workers/prompts.js';
import { compactedSummary } from '../llm/compaction.js';
import { RECAP_INSTRUCTION, summarize } from '../llm/summarize.js';
import { launchLead, type LeadLaunch } from './lead.js';
import { changeWorkerState } from '../workers/state-change.js';
import { relaunchLiveWorker } from '../workers/restart.js';
import { gateResumeNote } from '../review/gate.js';
import { session, type Runtime } from '../runtime.js';
import type { Monitor } from '../workers/monitor.js';
import { fenceDataInline } from '../../core/text/data-fence.js';
import { sessionFenceMarker } from './data-fence.js';
import { parseDoneFlag } from '../../core/workers/completion.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { completeTurn } from '../workers/turns.js';
import { LOCAL_RUNTIME, nodeRuntimeOf, runtimeOf } from '../workers/worker-runtimes.js';
import type { WorkerHandle, WorkerRuntime } from '../ports/worker-runtime.js';
import type { NodeRuntime } from '../nodes/node-runtime.js';
import { reopenNodeView } from '../nodes/node-view.js';

export interface ResumeFacts {
  /** The tmux server or session was gone and has been recreated: no old pane id is valid. */
  freshTmux: boolean;
  /** Set when the MCP server could not get its old port back. */
  newPort?: number;
}

/** Why live agents are relaunched on resume (told to the workers and in the recap). */
const ROTATED = 'crewmux resumed and replaced every MCP token (the old ones are refused)';

/**
 * Adopts a session in a new supervisor whose tokens were rotated: watches its active workers again, marks those
 * whose agent is gone `crashed`, relaunches those whose agent still runs (a failed relaunch leaves the worker
 * `crashed` and is told in the recap), re-adopts workers on SSH nodes without relaunching them (readoptNodeWorker)
 * and running workers of `exec:` runtimes (readoptRuntimeWorker), and relaunches the lead with a recap (its prompt
 * listing `leadTools`), stopping a lead that still runs first; a tmux or lead launch failure rejects. Resolves to
 * the relaunched lead, whose prompt the caller delivers (deliverLeadPrompt: typed once its MCP client has listed
 * crewmux's tools).
 */
export async function resumeSession(
  rt: Runtime,
  monitor: Monitor,
  facts: ResumeFacts,
  leadTools: LeadToolInfo[],
): Promise<LeadLaunch> {
  const s = session(rt);
  const panes = freshPanes(await rt.tmux.listPanes(rt.tmuxSession), facts.freshTmux);
  const livePane = (id: string | null) => (id ? panes.find((p) => p.paneId === id && !p.dead) : undefined);
  const notes: string[] = [];
  if (facts.newPort) notes.push(`the MCP server moved to ${rt.mcpUrl}`);

  for (const w of rt.store.listWorkers(rt.sid)) {
    // A queued worker has nothing to relaunch: it stays queued and starts when memory admits it.
    if (!isActive(w.state) || w.state === 'queued') continue;
    const node = nodeRuntimeOf(rt, w);
    if (node) {
      notes.push(await readoptNodeWorker(rt, monitor, w, node));
      continue;
    }
    monitor.watch(w);
    await monitor.checkNow(w.id);
    const now = rt.store.getWorker(rt.sid, w.id)!;
    if (!isActive(now.state)) {
      notes.push(`${w.id} finished while crewmux was down (${now.state})`);
      continue;
    }
    // A runtime no longer configured cannot be asked: its worker is crashed below, as one without a pane.
    const other = (() => {
      try {
        return runtimeOf(rt, now);
      } catch {
        return undefined;
      }
    })();
    if (other && other.runtime.name !== LOCAL_RUNTIME) {
      notes.push(await readoptRuntimeWorker(rt, monitor, now, other.runtime, other.handle));
      continue;
    }
    const pane = livePane(w.pane_id);
    if (pane) {
      try {
        await relaunchLiveWorker(rt, w.id, pane.pid, ROTATED);
        notes.push(`${w.id} was relaunched on its worktree with a new token`);
      } catch (e) {
        notes.push(`${w.id} could not be relaunched (${(e as Error).message}); it is crashed`);
      }
      continue;
    }
    changeWorkerState(rt, now, 'crashed', 'its agent was gone when the session resumed', {
      exit_info: 'lost in restart',
      summary: now.summary ?? 'lost in restart',
    });
    monitor.unwatch(w.id);
  }
  const gateNote = gateResumeNote(rt);
  if (gateNote) notes.push(gateNote);
  rt.store.updateSession(rt.sid, { status: 'running', ended_at: null, outcome_reason: null, report: null });
  const marker = sessionFenceMarker(rt);
  const recap = buildRecap(await recapWorkers(rt), notes, (id, summary) =>
    fenceDataInline(marker, `worker ${id} summary`, summary),
  );
  rt.events.emit(
    'session.resumed',
    `session resumed${facts.freshTmux ? ' in a new tmux session' : ''}: ${notes.length ? notes.join('; ') : 'nothing changed while down'}`,
  );
  // A live lead holds the old token: it is stopped and relaunched with the recap (its conversation is lost).
  const lead = facts.freshTmux ? undefined : livePane(s.lead_pane);
  if (lead) {
    await rt.runner.killTree(lead.pid);
    // Respawned only once tmux has seen it die: a live pane keeps its output pipe, which the relaunch's
    // `pipe-pane -o` would then toggle off (tmux: -o opens a pipe only if none exists).
    await waitUntil(
      async () => (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === lead.paneId)?.dead !== false,
      { timeoutMs: 5_000, intervalMs: 50, clock: rt.clock },
    );
  }
  return launchLead(rt, leadTools, recap, { replace: Boolean(lead) });
}

/**
 * A node worker's agent runs on its node, not in a pane here, so a crash of this host did not touch it: it is
 * re-adopted, not relaunched (docs/architecture.md "Worker nodes: resume"). Its node is asked once (the channel's
 * opening makes the node's relay to the MCP server again on the port its agent knows, when it was lost): a done.flag
 * written meanwhile ends its turn now (its branch fetched home as at any turn end); a live agent is watched again and
 * its view pane here reopened (it keeps its token: docs/security/tokens.md); an agent gone without one is crashed; a node that does not answer keeps it watched, and the monitor marks it
 * lost after nodes.lostAfter. Resolves with the line the recap and the session.resumed event carry.
 */
async function readoptNodeWorker(rt: Runtime, monitor: Monitor, w: WorkerRow, node: NodeRuntime): Promise<string> {
  const handle = runtimeOf(rt, w)?.handle;
  let st: { running: boolean; doneFlag?: string } | undefined;
  let error = 'it was never started there';
  try {
    if (handle) st = await node.status(handle);
  } catch (e) {
    error = (e as Error).message;
  }
  if (!st) {
    monitor.watch(w);
    // Its agent may well run on: the view's loop attaches again once the node answers.
    if (handle) await reopenNodeView(rt, w, node, handle);
    return handle
      ? `${w.id}'s node ${node.name} did not answer (${error}); it is watched again and becomes lost if the node stays silent past nodes.lostAfter`
      : `${w.id} on node ${node.name}: ${error}`;
  }
  const parsed = st.doneFlag !== undefined ? parseDoneFlag(st.doneFlag, w.nonce) : undefined;
  if (parsed?.ok) {
    await completeTurn(rt, w.id, parsed.completion, 'flag');
    const now = rt.store.getWorker(rt.sid, w.id)!;
    return `${w.id} finished on node ${node.name} while crewmux was down (${now.state})`;
  }
  if (st.running) {
    monitor.watch(w);
    await reopenNodeView(rt, w, node, handle!);
    return rt.mcpSocket
      ? `${w.id} still runs on node ${node.name}: re-adopted (its agent keeps working there and reports as before: its MCP token, which only reached crewmux through the node's relay to a private socket, was kept)`
      : `${w.id} still runs on node ${node.name}: re-adopted (its agent keeps working there; its MCP token from before the restart is refused, so it reports through its done file, which crewmux reads on the node)`;
  }
  changeWorkerState(rt, w, 'crashed', `its agent on node ${node.name} was gone when the session resumed`, {
    exit_info: 'lost in restart',
    summary: w.summary ?? 'lost in restart',
  });
  return `${w.id}'s agent on node ${node.name} was gone; it is crashed`;
}

/**
 * A worker on an `exec:` runtime runs where its script put it, not in a pane here, so a crash of the supervisor did
 * not touch it: its runtime is asked once (`is-running` with the worker's handle). A live agent is re-adopted (it is
 * watched already: its done.flag and log lines end its turn, the monitor asks its runtime as before); it keeps running
 * with its MCP token from before the restart, which is refused, so it reports through its done file. A gone one is
 * crashed (worker.crashed); a runtime that cannot tell keeps it watched (never evidence of an exit: the monitor asks
 * again). Resolves with the line the recap and the session.resumed event carry.
 */
async function readoptRuntimeWorker(
  rt: Runtime,
  monitor: Monitor,
  w: WorkerRow,
  runtime: WorkerRuntime,
  handle: WorkerHandle,
): Promise<string> {
  let running: boolean;
  try {
    running = await runtime.isRunning(handle);
  } catch (e) {
    return `${w.id}'s runtime ${runtime.name} could not tell whether its agent still runs (${(e as Error).message}); it is watched again`;
  }
  if (running)
    return `${w.id} still runs on runtime ${runtime.name}: re-adopted (its agent keeps working there; its MCP token from before the restart is refused, so it reports through its done file)`;
  changeWorkerState(rt, w, 'crashed', `its agent on runtime ${runtime.name} was gone when the session resumed`, {
    exit_info: 'lost in restart',
    summary: w.summary ?? 'lost in restart',
  });
  monitor.unwatch(w.id);
  return `${w.id}'s agent on runtime ${runtime.name} was gone; it is crashed`;
}

function freshPanes<T>(panes: T[], freshTmux: boolean): T[] {
  // Pane ids restart at %0 in a new tmux server: an old id could name a new, unrelated pane.
  return freshTmux ? [] : panes;
}

/** Longest worker summary the recap carries as it is; a longer one is compressed by the router (or cut). */
const RECAP_SUMMARY_CHARS = 400;

/** The workers as the recap shows them: compacted digests where compact_session made them, long summaries compressed. */
async function recapWorkers(rt: Runtime): Promise<RecapWorker[]> {
  return Promise.all(
    rt.store.listWorkers(rt.sid).map(async (w) => {
      let { summary } = compactedSummary(rt, w);
      if (summary && summary.length > RECAP_SUMMARY_CHARS) {
        const s = await summarize(rt.router, {
          purpose: 'recap',
          instruction: RECAP_INSTRUCTION,
          text: summary,
          maxChars: RECAP_SUMMARY_CHARS,
          timeoutMs: 20_000,
        });
        summary = s.text;
      }
      // The recap shows one line per worker.
      return {
        id: w.id,
        agent: w.agent,
        perspective: w.perspective,
        state: w.state,
        branch: w.branch,
        summary: summary?.replace(/\s*\n+\s*/g, ' ') ?? null,
      };
    }),
  );
}
