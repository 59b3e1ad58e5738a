/**
 * The WorkerRuntime port: where a worker's agent process runs and how crewmux reaches it (start, stop, is it
 * running, type text into it, read its output, what it can do). Implementations: the local tmux pane
 * (app/workers/local-tmux-runtime.ts, today's panes), a user's `exec:` script (app/workers/exec-runtime.ts),
 * and an SSH node (issue 20). Everything else about a worker (worktree, branch, prompt, row, completion) stays
 * with the use cases; a runtime only runs a command.
 */

/** What a runtime is asked to run: an agent's command line in a directory, with its environment and log. */
export interface WorkerStart {
  /** The worker's id, e.g. `w3` (a runtime may use it to name its session or pod). */
  workerId: string;
  /** The worktree the agent works in (on the host where the runtime runs it). */
  cwd: string;
  /** A shell command line (built with shellJoin): the agent and its arguments. */
  command: string;
  /** Environment of the agent (API keys, the MCP token): never to be put on any command line. */
  env?: Record<string, string>;
  /** The file the agent's terminal output is appended to (the monitor reads it for sentinel lines). */
  logFile: string;
}

/** A started worker as its runtime knows it: `id` is the runtime's own (a tmux pane id, a script's handle). */
export interface WorkerHandle {
  id: string;
  /** The tmux window holding it, when the runtime shows it in the session's window (local tmux). */
  windowId?: string;
}

/** Which optional operations a runtime supports; an unsupported one is never called. */
export interface RuntimeCapabilities {
  /** Text can be typed into the agent (send_to_worker, typed prompts). */
  sendText: boolean;
  /** The agent's screen or output tail can be read (read_worker_output, status detection). */
  readOutput: boolean;
}

/** How typed text is confirmed (app/workers/deliver.ts); a runtime without a screen may ignore it. */
export interface SendTextOptions {
  readyMarkers?: string[];
  busyMarkers?: string[];
  /** Milliseconds to wait for the agent to be ready (default 30 000). */
  readyTimeoutMs?: number;
  /** A private directory for temporary files. */
  tmpDir: string;
  /** The agent's own status signals (app/workers/signals.ts), asked before the screen when it has them. */
  signals?: {
    /** True when the agent itself says it is idle at its prompt. */
    ready(): boolean;
    /** True when the agent said it works at or after `at` (ms). */
    submittedSince(at: number): boolean;
  };
}

export interface WorkerRuntime {
  /** `local` for tmux on this machine, `exec:NAME` for a script, the node's name for an SSH node. */
  readonly name: string;
  capabilities(): Promise<RuntimeCapabilities>;
  /** Starts the agent; rejects with an error naming the runtime when it could not. */
  start(spec: WorkerStart): Promise<WorkerHandle>;
  /**
   * Stops the agent politely, then by force (Ctrl-C or SIGTERM, then SIGKILL); resolves `true` when something was
   * running, `false` when it had already ended. Never leaves the process behind.
   */
  stop(h: WorkerHandle): Promise<boolean>;
  /** True while the agent's process lives; rejects when the runtime cannot tell (never evidence of an exit). */
  isRunning(h: WorkerHandle): Promise<boolean>;
  /** Types `text` into the agent and confirms it was taken; rejects with the reason when it was not. */
  sendText(h: WorkerHandle, text: string, opts: SendTextOptions): Promise<void>;
  /** The last `lines` lines of the agent's output (escapes removed); undefined when the runtime has none to show. */
  readOutput(h: WorkerHandle, lines: number): Promise<string | undefined>;
}
