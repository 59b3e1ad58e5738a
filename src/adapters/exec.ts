/**
 * The one place crewmux starts a short-lived process (after execa). Timeouts and kill escalation live
 * here, and so does the error that names the command, its exit code or signal, and the stderr tail.
 * Long-lived agent processes are started by tmux, not here.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

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

export class ExecError extends Error {
  readonly result: ExecResult;
  constructor(result: ExecResult) {
    const why = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
    const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
    super(`${result.command} ${why}${tail ? `: ${tail}` : ''}`);
    this.name = 'ExecError';
    this.result = result;
  }
}

/** Runs `file` with `args` (no shell). Rejects with ExecError on failure unless `reject: false`. */
export function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  const command = [file, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
  const max = opts.maxBuffer ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    let child;
    try {
      // Own process group, so a timeout stops grandchildren too (a shell's `sleep` would hold the pipes open).
      child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      reject(e);
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < max) stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < max) stderr += d; });
    const timeoutMs = opts.timeoutMs ?? 30_000;
    let killer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try { process.kill(-child.pid!, sig); } catch { child.kill(sig); }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 2_000);
    }, timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      const result: ExecResult = { command, exitCode, signal, stdout, stderr, timedOut, durationMs: performance.now() - started };
      if ((exitCode !== 0 || timedOut) && opts.reject !== false) reject(new ExecError(result));
      else resolve(result);
    });
    child.stdin.on('error', () => { /* the child may exit before reading its input */ });
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
 * appended to `outputFile`; the process group is killed at `timeoutMs` (TERM, then KILL after 2 s).
 */
export function execToFile(file: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; outputFile: string; timeoutMs: number; shell?: boolean }): Promise<{ exitCode: number | null; timedOut: boolean; durationMs: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const fd = openSync(opts.outputFile, 'a');
    const [cmd, argv] = opts.shell ? ['/bin/sh', ['-c', file]] : [file, [...args]];
    let child;
    try {
      child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd], detached: true });
    } catch (e) {
      closeSync(fd);
      resolve({ exitCode: 127, timedOut: false, durationMs: 0 });
      return;
    }
    let timedOut = false;
    const killGroup = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2_000).unref();
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
