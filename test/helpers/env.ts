/**
 * Test environment: temp XDG dirs, a private tmux socket (`crewmux-test-<pid>-<n>`), temp git repos
 * with their own identity, and a runner for the built bin/crewmux.js. Nothing touches the real HOME.
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'crewmux.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'bin');

let counter = 0;

export interface TestEnv {
  dir: string;
  env: NodeJS.ProcessEnv;
  socket: string;
  tmux(...args: string[]): string;
  cleanup(): void;
}

const IDENTITY = {
  GIT_AUTHOR_NAME: 'crewmux test',
  GIT_AUTHOR_EMAIL: 'test@crewmux.invalid',
  GIT_COMMITTER_NAME: 'crewmux test',
  GIT_COMMITTER_EMAIL: 'test@crewmux.invalid',
};

/**
 * A fresh test environment under `base` (default the OS temp dir). Real agent CLIs need a `base` whose
 * ancestors are not world-writable: Gemini CLI and Qwen Code skip a settings file below /tmp.
 */
export function createTestEnv(opts: { base?: string } = {}): TestEnv {
  if (opts.base) mkdirSync(opts.base, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(opts.base ?? tmpdir(), 'crewmux-test-'));
  const socket = `crewmux-test-${process.pid}-${counter++}`;
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    ...IDENTITY,
    CREWMUX_DATA_DIR: join(dir, 'data'),
    CREWMUX_CONFIG_DIR: join(dir, 'config'),
    CREWMUX_RUNTIME_DIR: join(dir, 'run'),
    CREWMUX_TMUX_SOCKET: socket,
    CREWMUX_TMUX_CONFIG: '/dev/null',
  };
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  return {
    dir,
    env,
    socket,
    tmux,
    cleanup() {
      try {
        execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
      } catch {
        /* no server */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A git repository with one commit (and optional files) under the test dir. */
export function createRepo(t: TestEnv, files: Record<string, string> = { 'README.md': '# test repo\n' }): string {
  const repo = join(t.dir, `repo-${counter++}`);
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...IDENTITY } });
  git('init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(repo, name, '..'), { recursive: true });
    writeFileSync(join(repo, name), content);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...IDENTITY } }).trim();
}

/** Writes .crewmux/config.json into `repo`. */
export function writeConfig(repo: string, config: unknown): void {
  mkdirSync(join(repo, '.crewmux'), { recursive: true });
  writeFileSync(join(repo, '.crewmux', 'config.json'), JSON.stringify(config, null, 2));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The argv of a headless run of `goal`: `run --goal GOAL --lead LEAD --agents A,B --no-attach --wait
 * --trust-repo-config --timeout S` (`--no-wait` with `wait: false`: the run prints its id and goes on alone).
 */
export function headlessRunArgs(
  goal: string,
  o: { lead: string; agents: string[]; timeoutS: number; wait?: boolean },
): string[] {
  return [
    'run',
    '--goal',
    goal,
    '--lead',
    o.lead,
    '--agents',
    o.agents.join(','),
    '--no-attach',
    o.wait === false ? '--no-wait' : '--wait',
    '--trust-repo-config',
    '--timeout',
    String(o.timeoutS),
  ];
}

/** Runs bin/crewmux.js with `args` in `cwd`; kills it after `timeoutMs` (default 120 s). */
export function runCli(
  t: TestEnv,
  cwd: string,
  args: string[],
  opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...t.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits before reading its stdin must not fail the test with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A fixture agent entry for config.json: `node test/fixtures/bin/<name>.mjs`. */
export function fixtureAgent(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: process.execPath, args: [join(FIXTURES, `${name}.mjs`)], prompt: 'file', ...extra };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function eventually<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The supervisor logs and lead pane logs of every session under `t`, for assertion messages. */
export function diagnostics(t: TestEnv): string {
  const dir = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
  if (!existsSync(dir)) return '(no sessions)';
  return readdirSync(dir)
    .map((sid) => {
      const read = (f: string) =>
        existsSync(join(dir, sid, f)) ? readFileSync(join(dir, sid, f), 'utf8').slice(-3000) : '(none)';
      return `--- ${sid} supervisor.log\n${read('supervisor.log')}\n--- ${sid} lead/pane.log\n${read('lead/pane.log')}`;
    })
    .join('\n');
}

/** True when no ancestor of `dir` is writable by group or others (Gemini and Qwen refuse settings files below one). */
export function hasSecureAncestors(dir: string): boolean {
  let current = dir;
  for (;;) {
    try {
      if (statSync(current).mode & 0o022) return false;
    } catch {
      /* not created yet: its parent decides */
    }
    const next = dirname(current);
    if (next === current) return true;
    current = next;
  }
}

/**
 * A base directory for tests that run Gemini or Qwen: the repo's ignored test-artifacts/ when it sits
 * below secure directories, else ~/.cache/crewmux-tests (a clone under /tmp has a world-writable
 * ancestor). Only crewmux's own test state goes there; agents still get their own temp HOME.
 */
export function secureTestBase(): string {
  const inRepo = join(ROOT, 'test-artifacts');
  const base = hasSecureAncestors(inRepo) ? inRepo : join(homedir(), '.cache', 'crewmux-tests');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  return base;
}
