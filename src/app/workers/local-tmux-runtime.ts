/**
 * The local WorkerRuntime: a worker's agent in a pane of the session's tmux window on this machine. It wraps the
 * code that ran workers before runtimes existed (panes.ts openWorkerPane, deliver.ts deliverText, the stop
 * escalation of turns.ts), so the argv sent to tmux is unchanged; its handle id is the pane id.
 */
import { waitUntil, type Clock } from '../../core/clock.js';
import { tailLines } from '../../core/text/ansi.js';
import type { PaneInfo, Tmux } from '../ports/tmux.js';
import type { ProcessRunner } from '../ports/process-runner.js';
import type {
  RuntimeCapabilities,
  SendTextOptions,
  WorkerHandle,
  WorkerRuntime,
  WorkerStart,
} from '../ports/worker-runtime.js';
import { openWorkerPane } from './panes.js';
import { deliverText } from './deliver.js';

export interface LocalTmuxRuntimeDeps {
  tmux: Tmux;
  /** The session's tmux session name (`crewmux-<sid>`). */
  session: string;
  runner: ProcessRunner;
  clock: Clock;
}

/** The local runtime; `start` also takes the session's pane listing when the caller already asked for it. */
export interface LocalTmuxRuntime extends WorkerRuntime {
  start(spec: WorkerStart, listing?: Promise<PaneInfo[]>): Promise<WorkerHandle>;
  /** The live pane of `h` (undefined when it is gone or dead). */
  livePane(h: WorkerHandle): Promise<PaneInfo | undefined>;
}

const CAPABILITIES: RuntimeCapabilities = { sendText: true, readOutput: true };

/** Creates the local tmux runtime of one session; nothing runs until `start`. */
export function createLocalTmuxRuntime(d: LocalTmuxRuntimeDeps): LocalTmuxRuntime {
  const pane = async (h: WorkerHandle) => (await d.tmux.listPanes(d.session)).find((p) => p.paneId === h.id);
  const livePane = async (h: WorkerHandle) => {
    const p = await pane(h);
    return p && !p.dead ? p : undefined;
  };
  return {
    name: 'local',
    capabilities: () => Promise.resolve(CAPABILITIES),
    async start(spec, listing) {
      const ref = await openWorkerPane(
        d.tmux,
        d.session,
        { cwd: spec.cwd, command: spec.command, env: spec.env },
        spec.logFile,
        listing,
      );
      return { id: ref.paneId, windowId: ref.windowId };
    },
    async stop(h) {
      const p = await livePane(h);
      if (!p) return false;
      // Ask first (Ctrl-C, as a user would), then escalate: SIGTERM, SIGKILL of the whole tree.
      await d.tmux.sendKeys(p.paneId, 'C-c').catch(() => undefined);
      await waitUntil(() => !d.runner.isAlive(p.pid), { timeoutMs: 1_000, intervalMs: 50, clock: d.clock });
      await d.runner.killTree(p.pid);
      return true;
    },
    isRunning: async (h) => Boolean(await livePane(h)),
    sendText: (h, text, o: SendTextOptions) =>
      deliverText(d.tmux, h.id, text, {
        readyMarkers: o.readyMarkers,
        busyMarkers: o.busyMarkers,
        signals: o.signals,
        readyTimeoutMs: o.readyTimeoutMs,
        tmpDir: o.tmpDir,
        clock: d.clock,
      }),
    async readOutput(h, lines) {
      // When tmux does not answer, the caller reads the pane log instead.
      const p = await pane(h).catch(() => undefined);
      return p ? tailLines(await d.tmux.capturePane(p.paneId, Math.max(lines, 100)), lines) : undefined;
    },
    livePane,
  };
}
