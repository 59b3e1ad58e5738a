/**
 * The one place crewmux starts a process (after execa): short-lived commands (`exec`, `execToFile`),
 * a background process (`execDetached`), a conversation over pipes (`execPiped`), a program on the user's
 * terminal (`execAttached`) and one on a pseudo-terminal (`execPty`, the only node-pty call). Timeouts and
 * the kill escalation (`stopPolitely`) live here, and so does the error that names the command, its exit
 * code or signal, and the stderr tail. Long-lived agent processes are started by tmux, not here.
 */
import {
  spawn,
  spawnSync,
  type ChildProcess,
  type ChildProcessByStdio,
  type ChildProcessWithoutNullStreams,
  type StdioOptions,
} from 'node:child_process';
import type { Readable } from 'node:stream';
import { closeSync, constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as NodePty from 'node-pty';
import { waitUntil, type Clock } from '../../core/clock.js';
import { systemClock } from '../system/clock.js';
import { redactSecrets } from '../../core/text/redact.js';
import { withUserUmask } from '../system/umask.js';
import type { ExecOptions, ExecResult, ExecToFileOptions } from '../../app/ports/process-runner.js';

export type { ExecOptions, ExecResult };

/** How output files are opened: append, created 0600, never through a symlink (ELOOP). */
const APPEND_PRIVATE = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** Where a process starts: its working directory and whole environment (both default to this process's). */
interface SpawnAt {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The command as messages show it: words with spaces quoted, secrets redacted (it may be logged and sent to the lead). */
function shownCommand(file: string, args: readonly string[]): string {
  return redactSecrets([file, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' '));
}

/** Starts `file args` (no shell) under the user's umask in its own process group, so a stop reaches grandchildren. */
function startInGroup(file: string, args: readonly string[], o: SpawnAt, stdin: 'pipe'): ChildProcessWithoutNullStreams;
function startInGroup(
  file: string,
  args: readonly string[],
  o: SpawnAt,
  stdin: 'ignore',
): ChildProcessByStdio<null, Readable, Readable>;
function startInGroup(file: string, args: readonly string[], o: SpawnAt, stdin: 'ignore', outFd: number): ChildProcess;
function startInGroup(
  file: string,
  args: readonly string[],
  o: SpawnAt,
  stdin: 'pipe' | 'ignore',
  outFd?: number,
): ChildProcess {
  const out = outFd ?? 'pipe';
  return withUserUmask(() =>
    spawn(file, args, { cwd: o.cwd, env: o.env, stdio: [stdin, out, out] as StdioOptions, detached: true }),
  );
}

/** Signals the whole process group of `child` (started by startInGroup); the child alone when the group is gone. */
function groupSignaller(child: ChildProcess): (sig: NodeJS.Signals) => void {
  return (sig) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
}

/**
 * A command that failed: its message names the command (secrets redacted: environment assignments with
 * secret names and token-shaped words, src/core/text/redact.ts), how it ended and the stderr tail
 * (redacted too). The message reaches events, the dashboard, the report and the lead's transcript.
 */
export class ExecError extends Error {
  readonly result: ExecResult;
  constructor(result: ExecResult) {
    const why = result.timedOut
      ? 'timed out'
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited ${result.exitCode}`;
    const tail = redactSecrets(result.stderr.trim().split('\n').slice(-5).join('\n'));
    super(`${redactSecrets(result.command)} ${why}${tail ? `: ${tail}` : ''}`);
    this.name = 'ExecError';
    this.result = result;
  }
}

/** Runs `file` with `args` (no shell). Rejects with ExecError on failure unless `reject: false`. */
export function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  const command = shownCommand(file, args);
  const max = opts.maxBuffer ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let child;
    try {
      // Own process group, so a timeout stops grandchildren too (a shell's `sleep` would hold the pipes open).
      child = startInGroup(file, args, opts, 'pipe');
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < max) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < max) stderr += d;
    });
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const killGroup = groupSignaller(child);
    // A child can exit while its pipes stay open in another process: tmux's client hands its stdio to the
    // server, so a stopped server held them (and this promise) until it resumed. Past the deadline, once the
    // child has exited, its pipes are closed from this side and the result is what was read so far.
    const release = () => {
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    const timer = setTimeout(() => {
      timedOut = true;
      if (exited()) {
        release();
        return;
      }
      // SIGKILL only if the command has not closed by the end of the grace period.
      void stopPolitely(
        { signal: killGroup, alive: () => !settled },
        { graceMs: opts.killGraceMs ?? 2_000, killWaitMs: 0 },
      );
    }, timeoutMs);
    child.on('exit', () => {
      if (timedOut) release();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      settled = true;
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      settled = true;
      clearTimeout(timer);
      const result: ExecResult = {
        command,
        exitCode,
        signal,
        stdout,
        stderr,
        timedOut,
        durationMs: performance.now() - started,
      };
      if ((exitCode !== 0 || timedOut) && opts.reject !== false) reject(new ExecError(result));
      else resolve(result);
    });
    child.stdin.on('error', () => {
      /* the child may exit before reading its input */
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** True when `file` can be started (ENOENT means not installed). */
export async function commandExists(file: string, args: string[] = ['--version']): Promise<boolean> {
  try {
    await exec(file, args, { timeoutMs: 5_000, reject: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `file args` (or, with `shell: true`, the command line `file` in /bin/sh) with stdout and stderr
 * appended to `outputFile` (created 0600, never through a symlink); the process group is killed at `timeoutMs` (TERM, then KILL after 2 s).
 */
export function execToFile(
  file: string,
  args: readonly string[],
  opts: ExecToFileOptions,
): Promise<{ exitCode: number | null; timedOut: boolean; durationMs: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const fd = openSync(opts.outputFile, APPEND_PRIVATE, 0o600);
    const [cmd, argv] = opts.shell ? ['/bin/sh', ['-c', file]] : [file, [...args]];
    let child;
    try {
      child = startInGroup(cmd, argv, opts, 'ignore', fd);
    } catch (e) {
      closeSync(fd);
      resolve({ exitCode: 127, timedOut: false, durationMs: 0 });
      return;
    }
    let timedOut = false;
    const pgid = child.pid!;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pgid, sig);
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole group: a shell's children outlive it and still write to the file.
      void stopPolitely({ signal: killGroup, alive: () => groupAlive(pgid) }, { graceMs: 2_000, killWaitMs: 0 });
    }, opts.timeoutMs);
    let settled = false;
    const settle = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      closeSync(fd);
      resolve({ exitCode: timedOut ? null : exitCode, timedOut, durationMs: performance.now() - started });
    };
    child.on('error', () => settle(127));
    child.on('close', (code) => settle(code));
  });
}

/**
 * Runs `file args` on this process's terminal (stdin, stdout and stderr inherited) and blocks until it
 * exits; returns its exit status, or 1 when a signal ended it or it could not be started.
 */
export function execAttached(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  const r = withUserUmask(() => spawnSync(file, args, { cwd: opts.cwd, env: opts.env, stdio: 'inherit' }));
  return r.status ?? 1;
}

/**
 * Starts `file args` in the background, to outlive this process: its own process group (setsid), stdin
 * closed, stdout and stderr appended to `logFile` (created 0600; its directory must exist). Returns its
 * pid; nothing waits for it. Throws when it cannot be started.
 */
export function execDetached(
  file: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): number {
  const fd = openSync(opts.logFile, APPEND_PRIVATE, 0o600);
  try {
    const child = startInGroup(file, args, opts, 'ignore', fd);
    // A failed start is also emitted as 'error' later; the throw below reports it, so it must not crash us.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new Error(`cannot start ${file}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** A long-lived process spoken to over its pipes (execPiped). */
export interface PipedProcess {
  pid: number | undefined;
  stdin: NodeJS.WritableStream;
  /** stdout, as UTF-8 text. */
  stdout: NodeJS.ReadableStream;
  /** The last 8 KB of its stderr (redacted), for the error when it ends. */
  stderrTail(): string;
  /** Resolves once it has exited and its pipes closed; `error` when it could not start (ENOENT: not installed). */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>;
  /** Ends it politely (stdin closed, SIGTERM, then SIGKILL after `graceMs`, default 2 000), its process group too. */
  stop(graceMs?: number): Promise<StopOutcome>;
}

/**
 * Starts `file args` (no shell) with stdin, stdout and stderr as pipes, in its own process group, for a
 * conversation that outlives one call (the node channel: `ssh ... crewmux node serve --stdio`). Never throws:
 * a failed start resolves `exited` with the error.
 */
export function execPiped(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): PipedProcess {
  const child = startInGroup(file, args, opts, 'pipe');
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    tail = (tail + d).slice(-8192);
  });
  child.stdout.setEncoding('utf8');
  child.stdin.on('error', () => {
    /* the child may exit before reading its input */
  });
  let done = false;
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>(
    (resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        done = true;
        resolve({ exitCode: null, signal: null, error });
      });
      child.on('close', (exitCode, signal) => {
        done = true;
        resolve({ exitCode, signal });
      });
    },
  );
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout: child.stdout,
    stderrTail: () => redactSecrets(tail),
    exited,
    stop(graceMs = 2_000) {
      child.stdin.end();
      return stopPolitely({ signal: groupSignaller(child), alive: () => !done }, { graceMs, killWaitMs: 2_000 });
    },
  };
}

/** Where and how big the pseudo-terminal is; `env` is the whole environment of the program. */
export interface PtyStartOptions {
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** TERM for the child. */
  name: string;
}

/**
 * Starts `file args` on a new pseudo-terminal and returns node-pty's handle (src/adapters/external/pty.ts
 * wraps it). The native addon is loaded on first use, so commands that never open a pty never load it.
 * Throws when node-pty is missing or cannot fork.
 */
export function execPty(file: string, args: readonly string[], opts: PtyStartOptions): NodePty.IPty {
  const nodePty = createRequire(import.meta.url)('node-pty') as typeof NodePty;
  return withUserUmask(() =>
    nodePty.spawn(file, [...args], {
      name: opts.name,
      cols: opts.cols,
      rows: opts.rows,
      cwd: opts.cwd,
      env: opts.env,
    }),
  );
}

/** Something to stop: how to signal it and how to tell that it is gone. */
export interface StopTarget {
  /** Sends `sig` to everything being stopped (processes already gone are the target's to ignore). */
  signal(sig: NodeJS.Signals): void;
  /** True while anything being stopped is still alive. */
  alive(): boolean;
}

/** How a stop ended: gone within the grace period, gone after SIGKILL, or still there after both waits. */
export type StopOutcome = 'exited' | 'killed' | 'survived';

/** Timings of stopPolitely; the defaults are those of killTree. */
export interface StopOptions {
  /** Milliseconds between the first signal and SIGKILL (default 2 000). */
  graceMs?: number;
  /** Milliseconds to wait for the target to go after SIGKILL (default 1 000; 0 checks once). */
  killWaitMs?: number;
  /** The polite signal (default SIGTERM; the shim forwards the SIGHUP or SIGINT it got). */
  firstSignal?: NodeJS.Signals;
  clock?: Clock;
}

/**
 * The one kill escalation: sends `firstSignal`, polls `alive()` every 50 ms for up to `graceMs`, then
 * sends SIGKILL and polls every 20 ms for up to `killWaitMs`. Resolves with the StopOutcome; never rejects.
 */
export async function stopPolitely(target: StopTarget, o: StopOptions = {}): Promise<StopOutcome> {
  const clock = o.clock ?? systemClock;
  const send = (sig: NodeJS.Signals) => {
    try {
      target.signal(sig);
    } catch {
      /* gone */
    }
  };
  const gone = () => {
    try {
      return !target.alive();
    } catch {
      return true;
    }
  };
  send(o.firstSignal ?? 'SIGTERM');
  if (await waitUntil(gone, { timeoutMs: o.graceMs ?? 2_000, intervalMs: 50, clock })) return 'exited';
  send('SIGKILL');
  return (await waitUntil(gone, { timeoutMs: o.killWaitMs ?? 1_000, intervalMs: 20, clock })) ? 'killed' : 'survived';
}

/** True while process group `pgid` has a member (EPERM: it exists but is not ours to signal). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process whose raw stdout is read as a stream (execSource): the producer side of a pipe between processes. */
export interface SourceProcess {
  /** Its stdout, raw bytes. */
  stdout: NodeJS.ReadableStream;
  /** Resolves once it has exited: its exit code, signal, and the last 8 KB of its stderr (redacted). */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stderr: string; error?: Error }>;
  /** Kills its process group (SIGTERM, then SIGKILL). */
  stop(): Promise<StopOutcome>;
}

/** Starts `file args` (no shell, own process group, stdin closed) for its raw stdout, fed to execFed. Never throws. */
export function execSource(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const child = startInGroup(file, args, opts, 'ignore');
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    tail = (tail + d).slice(-8192);
  });
  let done = false;
  const exited: SourceProcess['exited'] = new Promise((resolve) => {
    child.on('error', (error) => {
      done = true;
      resolve({ exitCode: null, signal: null, stderr: tail, error });
    });
    child.on('close', (exitCode, signal) => {
      done = true;
      resolve({ exitCode, signal, stderr: redactSecrets(tail) });
    });
  });
  const source: SourceProcess = {
    stdout: child.stdout,
    exited,
    stop() {
      return stopPolitely({ signal: groupSignaller(child), alive: () => !done }, { graceMs: 2_000, killWaitMs: 2_000 });
    },
  };
  return source;
}

/**
 * Runs `file args` (no shell, own process group) with its stdin fed from `input` (another process's stdout, or this
 * process's stdin) and collects its output like `exec`. The bytes fed are counted (`inputBytes`); past
 * `maxInputBytes` the process group is killed and the result says `overInput`. Never rejects on a failed exit.
 */
export function execFed(
  file: string,
  args: readonly string[],
  input: NodeJS.ReadableStream,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; maxInputBytes?: number } = {},
): Promise<ExecResult & { inputBytes: number; overInput: boolean }> {
  const started = performance.now();
  const command = shownCommand(file, args);
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = startInGroup(file, args, opts, 'pipe');
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    let stdout = '';
    let stderr = '';
    let inputBytes = 0;
    let overInput = false;
    let timedOut = false;
    let settled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1024 * 1024) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const killGroup = groupSignaller(child);
    const stop = () => void stopPolitely({ signal: killGroup, alive: () => !settled }, { killWaitMs: 0 });
    const timer = setTimeout(
      () => {
        timedOut = true;
        stop();
      },
      opts.timeoutMs ?? 30 * 60_000,
    );
    const max = opts.maxInputBytes ?? Infinity;
    const onData = (chunk: Buffer | string) => {
      inputBytes += Buffer.byteLength(chunk);
      if (inputBytes > max && !overInput) {
        overInput = true;
        input.unpipe(child.stdin);
        child.stdin.destroy();
        stop();
      }
    };
    input.on('data', onData);
    child.stdin.on('error', () => {
      /* the child may exit before reading all its input */
    });
    input.pipe(child.stdin);
    child.on('error', (err: NodeJS.ErrnoException) => {
      settled = true;
      clearTimeout(timer);
      input.removeListener('data', onData);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      settled = true;
      clearTimeout(timer);
      input.removeListener('data', onData);
      input.unpipe(child.stdin);
      resolve({
        command,
        exitCode,
        signal,
        stdout,
        stderr: redactSecrets(stderr),
        timedOut,
        durationMs: performance.now() - started,
        inputBytes,
        overInput,
      });
    });
  });
}
