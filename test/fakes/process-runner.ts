/**
 * A stateful fake of the ProcessRunner port (app/ports/process-runner.ts) for unit tests. Results of
 * `exec` and `execToFile` are scripted per argv ([file, ...args], exactly) or by a handler the test
 * supplies; a command with no script exits 127 ("not found"), and `exec` rejects with the real
 * ExecError on a non-zero exit unless `reject: false`. `execToFile` appends the scripted `output` to
 * its output file, as the real one appends the command's output. Processes are a set of live pids
 * with parents: `isAlive` looks there and `killTree` removes the tree (recorded in `kills`).
 *
 * Not modelled: running anything, timeouts in real time (a script says `timedOut`), stdin beyond recording it, signals
 * other than the end of a tree, the grace period of `killTree` (recorded, not waited).
 */
import { appendFileSync } from 'node:fs';
import { ExecError } from '../../src/adapters/process/exec.js';
import type { ExecOptions, ExecResult, ProcessRunner } from '../../src/app/ports/process-runner.js';

/** What a scripted command does; missing fields mean a quick clean exit with no output. */
export interface ScriptedResult {
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  stdout?: string;
  stderr?: string;
  /** For execToFile: text appended to the output file. */
  output?: string;
  timedOut?: boolean;
  durationMs?: number;
}

export interface RunnerCall {
  kind: 'exec' | 'execToFile';
  argv: string[];
  /** What `exec` wrote to the command's stdin (its `input` option). */
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  shell?: boolean;
  outputFile?: string;
}

export type FakeRunner = ProcessRunner & {
  calls: RunnerCall[];
  /** Pids stopped with killTree, with the grace asked for. */
  kills: { pid: number; graceMs?: number }[];
  /** Live pid -> parent pid (undefined for a root). */
  live: Map<number, number | undefined>;
  /** Scripts `[file, ...args]` (exact argv); later scripts for the same argv replace earlier ones. */
  script(argv: string[], result: ScriptedResult): void;
  /** Answers every command without an argv script; return undefined to fall through to "not found". */
  handler?: (call: RunnerCall) => ScriptedResult | undefined;
  /** Adds a live process (optionally a child of `parent`); returns its pid. */
  spawnProcess(parent?: number, pid?: number): number;
  /** A process ends by itself (its children stay, re-parented). */
  exitProcess(pid: number): void;
  /** Called for each pid killTree ends (the fake runtime ends the tmux pane that owns it). */
  onKill?: (pid: number) => void;
  /** Persistent failure of killTree (e.g. EPERM). */
  fail: { killTree?: Error };
};

export function createFakeRunner(): FakeRunner {
  const scripts = new Map<string, ScriptedResult>();
  let nextPid = 9000;

  function answer(call: RunnerCall): ScriptedResult {
    return (
      scripts.get(JSON.stringify(call.argv)) ??
      runner.handler?.(call) ?? { exitCode: 127, stderr: `fake runner: no script for ${JSON.stringify(call.argv)}` }
    );
  }

  const runner: FakeRunner = {
    calls: [],
    kills: [],
    live: new Map(),
    fail: {},
    script(argv, result) {
      scripts.set(JSON.stringify(argv), result);
    },

    async exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
      const call: RunnerCall = {
        kind: 'exec',
        argv: [file, ...args],
        cwd: opts.cwd,
        timeoutMs: opts.timeoutMs,
        ...(opts.input === undefined ? {} : { input: opts.input }),
      };
      runner.calls.push(call);
      const s = answer(call);
      const result: ExecResult = {
        command: call.argv.join(' '),
        exitCode: s.exitCode === undefined ? 0 : s.exitCode,
        signal: s.signal ?? null,
        stdout: s.stdout ?? '',
        stderr: s.stderr ?? '',
        timedOut: s.timedOut ?? false,
        durationMs: s.durationMs ?? 1,
      };
      if ((result.exitCode !== 0 || result.timedOut) && opts.reject !== false) throw new ExecError(result);
      return result;
    },

    async execToFile(file, args, opts) {
      const call: RunnerCall = {
        kind: 'execToFile',
        argv: [file, ...args],
        cwd: opts.cwd,
        timeoutMs: opts.timeoutMs,
        shell: opts.shell,
        outputFile: opts.outputFile,
      };
      runner.calls.push(call);
      const s = answer(call);
      appendFileSync(opts.outputFile, s.output ?? '');
      const timedOut = s.timedOut ?? false;
      return {
        exitCode: timedOut ? null : s.exitCode === undefined ? 0 : s.exitCode,
        timedOut,
        durationMs: s.durationMs ?? 1,
      };
    },

    isAlive: (pid) => runner.live.has(pid),

    async killTree(root, graceMs) {
      runner.kills.push({ pid: root, ...(graceMs === undefined ? {} : { graceMs }) });
      if (runner.fail.killTree) throw runner.fail.killTree;
      const tree = [root];
      for (let i = 0; i < tree.length; i++)
        for (const [pid, parent] of runner.live) if (parent === tree[i]) tree.push(pid);
      for (const pid of tree) {
        if (!runner.live.delete(pid)) continue;
        runner.onKill?.(pid);
      }
    },

    spawnProcess(parent, pid = nextPid++) {
      runner.live.set(pid, parent);
      return pid;
    },
    exitProcess(pid) {
      runner.live.delete(pid);
      for (const [child, parent] of runner.live) if (parent === pid) runner.live.set(child, undefined);
    },
  };
  return runner;
}
