/**
 * The ProcessRunner port: running commands (no shell unless asked), to a file with a deadline, and
 * stopping process trees. adapters/process/exec.ts and adapters/process/process-tree.ts implement it (the one spawn
 * site); test/fakes/process-runner.ts scripts results for unit tests.
 */

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Milliseconds before SIGTERM; SIGKILL follows after `killGraceMs`. Default 30 000. */
  timeoutMs?: number;
  killGraceMs?: number;
  /** Resolve instead of reject on a non-zero exit. */
  reject?: boolean;
  /** Cap on captured stdout/stderr, in bytes each (default 8 MiB); the rest is dropped. */
  maxBuffer?: number;
}

export interface ExecResult {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecToFileOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  outputFile: string;
  /** The process group is killed at this deadline (TERM, then KILL after 2 s). */
  timeoutMs: number;
  /** Run `file` as a command line in /bin/sh (only for commands the user wrote). */
  shell?: boolean;
}

export interface ProcessRunner {
  /** Runs `file` with `args` (no shell); rejects with an error naming the command on failure unless `reject: false`. */
  exec(file: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Runs a command with its output appended to a file and a deadline; never rejects for a non-zero exit. */
  execToFile(
    file: string,
    args: readonly string[],
    opts: ExecToFileOptions,
  ): Promise<{ exitCode: number | null; timedOut: boolean; durationMs: number }>;
  /** True while process `pid` exists. */
  isAlive(pid: number): boolean;
  /** Stops `root` and its descendants: SIGTERM, up to `graceMs` (default 2 000), then SIGKILL. */
  killTree(root: number, graceMs?: number): Promise<void>;
}
