/**
 * Agent panes: created with a placeholder process, their output piped to a log file, then respawned
 * with the agent. The placeholder step means remain-on-exit is set and the log is attached before the
 * agent's first byte, so a fast crash or an early sentinel line is never missed.
 */
import { shellQuote } from '../core/shell-quote.js';
import { overflowWindowName } from '../core/naming.js';
import { placeWorker, type WindowLoad } from '../core/layout.js';
import type { PaneInfo, SpawnPane, Tmux } from '../adapters/tmux.js';

const PLACEHOLDER = 'exec sleep 2147483647';
export const LEAD_WINDOW = 'lead';
export const SUPERVISOR_WINDOW = 'supervisor';
export const PANES_PER_WINDOW = 5;

export interface PaneRef {
  paneId: string;
  windowId: string;
}

/** Starts `pane` in an existing placeholder pane: pipe its output to `logFile`, then respawn. */
export async function startInPane(tmux: Tmux, paneId: string, logFile: string, pane: SpawnPane): Promise<void> {
  await tmux.pipePane(paneId, `cat >> ${shellQuote(logFile)}`);
  await tmux.respawnPane(paneId, pane);
}

/** Opens a placeholder pane for the next worker: a split of the lead's window or an overflow window. */
export async function openWorkerPane(tmux: Tmux, session: string, cwd: string): Promise<PaneRef> {
  const panes = await tmux.listPanes(session);
  const windows = new Map<string, WindowLoad>();
  for (const p of panes) {
    if (p.windowName === SUPERVISOR_WINDOW) continue;
    const w = windows.get(p.windowId) ?? { windowId: p.windowId, name: p.windowName, panes: 0 };
    w.panes++;
    windows.set(p.windowId, w);
  }
  const all = [...windows.values()];
  const lead = all.find((w) => w.name === LEAD_WINDOW);
  if (!lead) throw new Error(`the lead window of tmux session ${session} is gone`);
  const place = placeWorker(lead, all.filter((w) => w !== lead), PANES_PER_WINDOW, overflowWindowName);
  if (place.kind === 'split') {
    let paneId: string;
    try {
      paneId = await tmux.splitWindow(place.windowId, { cwd, command: PLACEHOLDER });
    } catch {
      // "no space for new pane": re-tile so the split has room, then try once more.
      await tmux.selectLayout(place.windowId, 'tiled');
      paneId = await tmux.splitWindow(place.windowId, { cwd, command: PLACEHOLDER });
    }
    void tmux.selectLayout(place.windowId, 'tiled');
    return { paneId, windowId: place.windowId };
  }
  const ref = await tmux.newWindow(session, place.name, { cwd, command: PLACEHOLDER });
  await tmux.setWindowOption(ref.windowId, 'remain-on-exit', 'on');
  return ref;
}

/** Creates the tmux session with the lead's window (placeholder) and the supervisor window. */
export async function createSessionWindows(tmux: Tmux, session: string, cwd: string, supervisor: SpawnPane): Promise<{ lead: PaneRef; supervisor: PaneRef }> {
  const lead = await tmux.newSession(session, LEAD_WINDOW, { cwd, command: PLACEHOLDER });
  await tmux.setWindowOption(lead.windowId, 'remain-on-exit', 'on');
  const sup = await tmux.newWindow(session, SUPERVISOR_WINDOW, supervisor);
  await tmux.selectWindow(lead.windowId);
  return { lead, supervisor: sup };
}

export function findPane(panes: PaneInfo[], paneId: string | null): PaneInfo | undefined {
  return paneId ? panes.find((p) => p.paneId === paneId) : undefined;
}
