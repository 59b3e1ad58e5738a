/**
 * The node pushes its workers' changes (docs/architecture.md "Worker nodes"): `crewmux node serve --stdio` watches
 * each worker the lead asked about (worker.start, worker.watch) and sends a `worker.status` notification on the
 * channel whenever what worker.running would answer changes: its done.flag appeared (or changed), its agent exited,
 * its screen shows another status or a blocker (core/nodes/pane-reading.ts); and, at most every 10 s, that its agent
 * printed something (`output`, the lead's stuck check: a node worker writes no log on the lead host). Watched with fs.watch on the worker's
 * `.crewmux` dir (done.flag) and state dir (the pane's shell writes `exit-status` when the agent exits; its output
 * goes to `pane.log`, which has the screen read at most once a second), with a slow poll of every watched worker as
 * the fallback (a watch that missed an event, an agent killed with its shell). A worker is announced at once when it is watched: after a reconnect,
 * the lead learns of a completion written while the link was down without waiting for its own poll.
 */
import { WORKER_STATUS_NOTE, type WorkerStatus } from '../../core/nodes/protocol.js';

/** What the watch needs; compose/nodes.ts wires the real ones. */
export interface WorkerWatchDeps {
  /** Worker `id`'s state now (as worker.running answers). */
  status(id: string): Promise<WorkerStatus>;
  /** The dirs whose changes may change worker `id`'s state. */
  dirs(id: string): string[];
  /** fs.watch on a dir; `onChange` gets the changed entry's name (null when the platform does not say). */
  watchDir(dir: string, onChange: (name: string | null) => void): { close(): void } | undefined;
  /** Sends a notification on the channel. */
  notify(method: string, params: unknown): void;
  /** Milliseconds between two polls of every watched worker (default 5 000). */
  pollMs?: number;
  /** Milliseconds between two pushes that only say the agent printed something (default 10 000). */
  activityEveryMs?: number;
  /** The clock (default Date.now). */
  now?: () => number;
}

export interface WorkerWatch {
  /** Watches worker `id` (again: its state is announced anew); checks it now. */
  add(id: string): void;
  /** Stops watching worker `id`. */
  remove(id: string): void;
  /** Checks every watched worker now (what the poll does); resolves once each has been checked. */
  pollNow(): Promise<void>;
  /** How many workers are watched. */
  size(): number;
  /** Stops every watch and the poll. */
  close(): void;
}

/** The entries whose change matters at once: the done.flag (written in place or renamed there), the exit status. */
const RELEVANT = /^(done\.flag|exit-status)$/;
/** The agent's output: its screen may show another status; read at most once a second (SCREEN_EVERY_MS). */
const OUTPUT = 'pane.log';
const SCREEN_EVERY_MS = 1_000;

interface Entry {
  /** The last state pushed (JSON), undefined until the first push. */
  last?: string;
  /** The agent's output size last pushed, and when. */
  output?: number;
  outputPushedAt: number;
  watchers: { close(): void }[];
  /** A check is running; `again`: another was asked meanwhile. */
  checking?: Promise<void>;
  again: boolean;
  /** When the agent's output last led to a check, and the check it scheduled for later. */
  outputAt: number;
  outputTimer?: NodeJS.Timeout;
}

/** Starts the watch (its poll runs until close; it never keeps the process alive). */
export function createWorkerWatch(d: WorkerWatchDeps): WorkerWatch {
  const entries = new Map<string, Entry>();
  const now = d.now ?? Date.now;
  const activityEveryMs = d.activityEveryMs ?? 10_000;

  const checkOnce = async (id: string, e: Entry): Promise<void> => {
    let st: WorkerStatus;
    try {
      st = await d.status(id);
    } catch {
      return; // Asked again at the next change or poll.
    }
    if (entries.get(id) !== e) return;
    // What the lead acts on: the marker and the waiting screen's text may change without the status changing.
    const key = JSON.stringify([st.running, st.doneFlag ?? null, st.pane?.status ?? null, st.pane?.blocker ?? null]);
    // Output alone (the agent works; nothing else changed) is pushed at most every activityEveryMs: the lead's stuck
    // check needs to know the agent is busy, not each line it prints.
    const printed = st.output !== undefined && st.output !== e.output;
    if (key === e.last && !(printed && now() - e.outputPushedAt >= activityEveryMs)) return;
    e.last = key;
    e.output = st.output;
    e.outputPushedAt = now();
    d.notify(WORKER_STATUS_NOTE, { id, ...st });
  };

  const check = (id: string): Promise<void> => {
    const e = entries.get(id);
    if (!e) return Promise.resolve();
    if (e.checking) {
      e.again = true;
      return e.checking;
    }
    e.checking = (async () => {
      do {
        e.again = false;
        await checkOnce(id, e);
      } while (e.again && entries.get(id) === e);
      e.checking = undefined;
    })();
    return e.checking;
  };

  const timer = setInterval(() => void pollNow(), d.pollMs ?? 5_000);
  timer.unref();
  const pollNow = async () => {
    await Promise.all([...entries.keys()].map(check));
  };

  const remove = (id: string) => {
    const e = entries.get(id);
    if (!e) return;
    entries.delete(id);
    clearTimeout(e.outputTimer);
    for (const w of e.watchers) w.close();
  };

  /** The agent printed: its screen is read now, or once SCREEN_EVERY_MS has passed since the last time. */
  const output = (id: string, e: Entry) => {
    if (e.outputTimer) return;
    const wait = e.outputAt + SCREEN_EVERY_MS - now();
    const run = () => {
      e.outputTimer = undefined;
      e.outputAt = now();
      void check(id);
    };
    if (wait <= 0) run();
    else (e.outputTimer = setTimeout(run, wait)).unref();
  };

  return {
    add(id) {
      remove(id);
      const e: Entry = { watchers: [], again: false, outputAt: 0, outputPushedAt: 0 };
      entries.set(id, e);
      for (const dir of d.dirs(id)) {
        const w = d.watchDir(dir, (name) => {
          if (name === null || RELEVANT.test(name)) void check(id);
          else if (name === OUTPUT) output(id, e);
        });
        if (w) e.watchers.push(w);
      }
      void check(id);
    },
    remove,
    pollNow,
    size: () => entries.size,
    close() {
      clearInterval(timer);
      for (const id of [...entries.keys()]) remove(id);
    },
  };
}
