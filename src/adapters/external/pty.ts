/** A pseudo-terminal running one long-lived program (node-pty, started by exec.ts), in crewmux's vocabulary. */
import { execPty } from '../process/exec.js';

export interface PtyOptions {
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** TERM for the child, default `xterm-256color`. */
  name?: string;
}

export interface PtyExit {
  exitCode: number;
  /** Signal number that ended the program, or 0. */
  signal: number;
}

export interface PtyProcess {
  readonly pid: number;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  onData(cb: (data: string) => void): void;
  onExit(cb: (e: PtyExit) => void): void;
  /** Sends `signal` (default SIGTERM) to the program (not its descendants). */
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `file` (an absolute path; resolve it with `which`) with `args` on a new pty. Throws when it cannot fork. */
export function spawnPty(file: string, args: readonly string[], opts: PtyOptions): PtyProcess {
  const p = execPty(file, args, {
    name: opts.name ?? 'xterm-256color',
    cols: Math.max(1, opts.cols),
    rows: Math.max(1, opts.rows),
    cwd: opts.cwd,
    env: opts.env,
  });
  let exited = false;
  p.onExit(() => {
    exited = true;
  });
  return {
    pid: p.pid,
    write: (data) => {
      if (!exited) p.write(data);
    },
    resize: (cols, rows) => {
      if (!exited) p.resize(Math.max(1, cols), Math.max(1, rows));
    },
    onData: (cb) => {
      p.onData(cb);
    },
    onExit: (cb) => {
      p.onExit((e) => cb({ exitCode: e.exitCode, signal: e.signal ?? 0 }));
    },
    kill: (signal = 'SIGTERM') => {
      if (exited) return;
      try {
        process.kill(p.pid, signal);
      } catch {
        /* already gone */
      }
    },
  };
}
