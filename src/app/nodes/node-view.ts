/**
 * A node worker's pane at home (docs/architecture.md "Worker nodes"): the agent runs in a tmux session on its node;
 * the worker's pane in the lead host's session is a live view of it, `ssh -t` through the node's shared connection
 * attached to that session (core/nodes/view.ts builds the loop), so the user sees the agent and types into it as
 * into a local worker's pane. The view pane is recorded in `view.json` (0600) in the worker's state dir, not in the
 * row's `pane_id`: the monitor's pane checks (a dead pane is a crash, the screen's status) are about the agent's
 * own pane, and a view can drop while the agent runs on. The record names the pane and its process: a pane id alone
 * may, in a new tmux server (after a crash), name another pane, which must never be closed as the view.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { WorkerRow } from '../../core/session/rows.js';
import { nodeViewCommand } from '../../core/nodes/view.js';
import { readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import type { WorkerHandle } from '../ports/worker-runtime.js';
import type { PaneInfo } from '../ports/tmux.js';
import { workerDir, type Runtime } from '../runtime.js';
import { openPaneInLayout } from '../workers/panes.js';
import type { NodeRuntime } from './node-runtime.js';

const ViewSchema = z.object({ pane: z.string().regex(/^%\d+$/), pid: z.number().int().positive().optional() });
type ViewRecord = z.infer<typeof ViewSchema>;

const viewFile = (rt: Runtime, workerId: string) => join(workerDir(rt, workerId), 'view.json');

function viewRecord(rt: Runtime, workerId: string): ViewRecord | undefined {
  const text = readIfExists(viewFile(rt, workerId));
  if (text === undefined) return undefined;
  try {
    return ViewSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The lead host's pane recorded as showing worker `workerId`'s agent on its node (undefined when it has none). */
export function nodeViewPane(rt: Runtime, workerId: string): string | undefined {
  return viewRecord(rt, workerId)?.pane;
}

/**
 * Worker `workerId`'s view pane as it is in the session now, when it is the one recorded: the same id run by the same
 * process (a new tmux server numbers its panes from %0 again, so an id alone proves nothing). Undefined otherwise.
 */
async function recordedViewPane(rt: Runtime, workerId: string): Promise<PaneInfo | undefined> {
  const rec = viewRecord(rt, workerId);
  if (!rec?.pid) return undefined;
  const panes = await rt.tmux.listPanes(rt.tmuxSession).catch(() => [] as PaneInfo[]);
  return panes.find((p) => p.paneId === rec.pane && p.pid === rec.pid);
}

/**
 * Opens worker `w`'s view pane where its pane would go (a split of the lead's window, or an overflow window), after
 * closing the one a previous start opened; resolves with its pane id. Never throws: a view that cannot be opened is
 * a `worker.view_failed` event, and the worker runs on without one.
 */
export async function openNodeView(
  rt: Runtime,
  w: WorkerRow,
  node: NodeRuntime,
  h: WorkerHandle,
): Promise<string | undefined> {
  try {
    const sshArgv = node.viewArgv(h);
    if (!sshArgv) return undefined;
    await closeNodeView(rt, w.id);
    const command = nodeViewCommand({ sshArgv, workerId: w.id, node: node.node });
    const ref = await openPaneInLayout(rt.tmux, rt.tmuxSession, { cwd: w.worktree, command }, '');
    const pid = (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === ref.paneId)?.pid;
    writeFileAtomic(viewFile(rt, w.id), JSON.stringify({ pane: ref.paneId, ...(pid ? { pid } : {}) }), 0o600);
    return ref.paneId;
  } catch (e) {
    rt.events.emit(
      'worker.view_failed',
      `${w.id}: its pane here showing its agent on node ${node.node} could not be opened (the worker runs on): ${(e as Error).message}`,
      w.id,
      { node: node.node },
    );
    return undefined;
  }
}

/**
 * Closes worker `workerId`'s view pane, if it has one and it is the recorded pane (same id, same process; another
 * pane that took its id in a new tmux server is left alone); its agent on the node is not touched; never throws.
 */
export async function closeNodeView(rt: Runtime, workerId: string): Promise<void> {
  const pane = await recordedViewPane(rt, workerId);
  if (pane) await rt.tmux.killPane(pane.paneId).catch(() => undefined);
}

/**
 * After `crewmux resume`: worker `w`'s view pane again. The recorded one is kept while it lives in this tmux session
 * (a crash of the supervisor leaves tmux running, and its loop attaches again by itself); otherwise a new one opens
 * (openNodeView). Resolves with the pane id; never throws (a view that cannot open is `worker.view_failed`).
 */
export async function reopenNodeView(
  rt: Runtime,
  w: WorkerRow,
  node: NodeRuntime,
  h: WorkerHandle,
): Promise<string | undefined> {
  const pane = await recordedViewPane(rt, w.id);
  if (pane && !pane.dead) return pane.paneId;
  return openNodeView(rt, w, node, h);
}
