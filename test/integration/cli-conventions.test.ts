/**
 * The command-line conventions, through the built bin/crewmux.js: --version/-v, bare `crewmux`, `help CMD`,
 * a command missing its argument shows its usage, output stops quietly when the reader goes (EPIPE),
 * numeric flags refuse `abc` and negatives by name, and `--help`/`status` never import the MCP SDK,
 * fastify or node-pty (command modules load lazily), nor yargs (`--help` is precomputed, `status` takes the light
 * path of src/cli/fast-args.ts, which prints what the yargs path prints).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, createRepo, createTestEnv, runCli, type TestEnv } from '../helpers/env.js';
import { openStore } from '../../src/adapters/state/store.js';
import { seedSession, seedWorker } from '../helpers/dashboard-seed.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `crewmux ARGS` through dist/src/cli/main.js, the modules tsc built, instead of bin/crewmux.js. */
function runMainJs(
  t: TestEnv,
  cwd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args], {
      cwd,
      env: t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function withEnv(fn: (t: TestEnv) => Promise<void>): Promise<void> {
  const t = createTestEnv();
  try {
    await fn(t);
  } finally {
    t.cleanup();
  }
}

test('--version and -v print the version and exit 0', () =>
  withEnv(async (t) => {
    for (const flag of ['--version', '-v']) {
      const r = await runCli(t, t.dir, [flag]);
      assert.equal(r.code, 0, `${flag}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), VERSION, flag);
    }
  }));

test('bare crewmux prints the help on stdout and exits 0', () =>
  withEnv(async (t) => {
    const r = await runCli(t, t.dir, []);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Commands:/);
    assert.match(r.stdout, /crewmux run\b/);
    assert.match(r.stdout, /--version/);
  }));

test("crewmux help run shows run's own help", () =>
  withEnv(async (t) => {
    const r = await runCli(t, t.dir, ['help', 'run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--goal/);
    assert.match(r.stdout, /--max-workers/);
    const unknown = await runCli(t, t.dir, ['help', 'nosuch']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /There is no command `nosuch`/);
  }));

test("a command missing its argument prints that command's usage and names what is missing", () =>
  withEnv(async (t) => {
    const r = await runCli(t, t.dir, ['memory']);
    assert.equal(r.code, 64);
    assert.doesNotMatch(r.stderr, /Not enough non-option arguments/);
    assert.match(r.stderr, /crewmux memory <action> \[query\.\.\]/);
    assert.match(r.stderr, /list: every memory file/, 'the positional descriptions of the usage');
    assert.match(r.stderr, /\[E_BAD_FLAG\]/);
  }));

test('output to a reader that has gone stops quietly: no EPIPE stack trace, the command exit code', () =>
  withEnv(async (t) => {
    // The read end of stdout is closed before the CLI has even loaded, so its first write meets EPIPE
    // (`crewmux sessions | head -0`).
    const child = spawn(process.execPath, [BIN, 'sessions'], {
      cwd: t.dir,
      env: t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  }));

test('numeric flags refuse abc and negatives, naming the flag and the value', () =>
  withEnv(async (t) => {
    const cases: [string[], RegExp][] = [
      [['agents', '--mdns-ms', 'abc'], /--mdns-ms must be a whole number .*"abc"/],
      [['agents', '--mdns-ms', '-1'], /--mdns-ms must be a whole number .*"-1"/],
      [['run', '--goal', 'x', '--max-workers', 'abc'], /--max-workers must be a whole number from 1 to 64.*"abc"/],
      [['run', '--goal', 'x', '--timeout', '-5'], /--timeout must be a number above 0 \(seconds\).*"-5"/],
      [['detect', '--timeout', 'soon'], /--timeout must be a number of at least 100.*"soon"/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(t, t.dir, args, { timeoutMs: 30_000 });
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /\[E_BAD_FLAG\]/);
    }
  }));

test('--help and status load no command module they do not run: no MCP SDK, fastify, node-pty, Runtime or yargs', () =>
  withEnv(async (t) => {
    // A module hook (registered with --import) logs every URL the ESM loader loads.
    const log = join(t.dir, 'loaded.txt');
    const hooks = join(t.dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\n` +
        `export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
    );
    const register = join(t.dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    for (const args of [['--help'], ['status']]) {
      writeFileSync(log, '');
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', register, BIN, ...args], {
          cwd: t.dir,
          env: t.env,
          stdio: 'ignore',
        });
        child.on('close', resolve);
      });
      assert.notEqual(code, null);
      const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      assert.ok(
        loaded.some((u) => u.includes(args[0] === 'status' ? STATUS_BUNDLE : '/dist/src/cli/main.js')),
        `the hook saw ${args[0] === 'status' ? `${STATUS_BUNDLE} load (built by \`npm run build\`, after tsc)` : 'the CLI load'}`,
      );
      for (const heavy of [
        '@modelcontextprotocol/sdk',
        '/fastify/',
        '/node-pty/',
        '/dist/src/mcp/',
        // the agent registry and the worker use cases come with a Runtime, which status never opens
        '/dist/src/compose/runtime-factory.js',
        '/dist/src/app/workers/spawn.js',
        '/dist/src/core/agents/registry.js',
        // --help is precomputed (help-text.ts) and status takes the light path (fast-args.ts)
        '/node_modules/yargs/',
        '/node_modules/yargs-parser/',
        // rows are checked with checks generated from their zod schemas (adapters/state/row-checks.ts)
        '/node_modules/zod/',
      ])
        assert.deepEqual(
          loaded.filter((u) => u.includes(heavy)),
          [],
          `crewmux ${args.join(' ')} loaded ${heavy}`,
        );
    }
  }));

/**
 * What `crewmux status`, `--help` and `--version` never load: git, tmux and the terminal load on first use
 * (compose/lazy-adapters.ts), the spawn site with them, the help text only for --help; node:crypto, node:util and node:os
 * are fetched where they are used (process.getBuiltinModule); better-sqlite3 is required, not imported (the ESM loader
 * lexes a CommonJS package).
 */
const NOT_ON_STATUS_PATH = [
  '/dist/src/adapters/tmux/tmux.js',
  '/dist/src/adapters/tmux/tmux-control.js',
  '/dist/src/adapters/git/git.js',
  '/dist/src/adapters/git/git-refs.js',
  '/dist/src/adapters/process/exec.js',
  '/dist/src/adapters/system/terminal.js',
  '/dist/src/app/runtime.js',
  'node:child_process',
  'node:crypto',
  'node:util',
  'node:os',
  '/node_modules/better-sqlite3/',
];

/**
 * The most crewmux modules (dist/src/) each start-up path may load: the count when the path was last cut down (before:
 * status 54 then 47, --version 31, --help 8). The ESM loader reads, resolves and compiles each one, a good part of a
 * start-up that must stay under 200 ms; a deterministic count, where a time would be noise. Over the ceiling: load what
 * only some commands need with `await import()` where it is used, or raise the ceiling when the module is needed.
 * `status` loads two: its bundle (scripts/bundle-cli.mjs) and core/errors.js, which the bundle shares with the modules.
 */
const MODULE_CEILING: Record<string, number> = { status: 2, '--version': 8, '--help': 7 };

/** What bin/crewmux.js loads for `crewmux status`: the modules of its path in one file (scripts/bundle-cli.mjs). */
const STATUS_BUNDLE = '/dist/src/cli/status-bundle.js';

/** Asserts that the crewmux modules among `urls` (a load log) are at most the ceiling of `args`' path. */
function assertModuleCeiling(args: string[], urls: string[]): void {
  if (args[0] === 'status') {
    const bundle = join(ROOT, STATUS_BUNDLE);
    assert.ok(
      existsSync(bundle),
      `${STATUS_BUNDLE} was not built: run \`npm install\` (esbuild, a devDependency, builds it) and \`npm run build\``,
    );
    assert.ok(
      statSync(bundle).mtimeMs >= statSync(join(ROOT, 'dist/src/cli/main.js')).mtimeMs,
      `${STATUS_BUNDLE} is older than main.js (tsc ran alone), so bin/crewmux.js does not use it: run \`npm run build\``,
    );
  }
  const ceiling = MODULE_CEILING[args[0]!]!;
  const ours = urls.filter((u) => u.includes('/dist/src/')).map((u) => u.replace(/^.*\/dist\/src\//, ''));
  assert.ok(
    ours.length <= ceiling,
    `crewmux ${args.join(' ')} loads ${ours.length} crewmux modules, over its ceiling of ${ceiling}: ${ours.join(' ')}`,
  );
}

/** A module hook, registered with `--import register`, that appends every URL the ESM loader loads to `loaded`. */
function loadLog(t: TestEnv): { loaded: string; register: string } {
  const loaded = join(t.dir, 'loaded.txt');
  const hooks = join(t.dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\n` +
      `export async function load(url, context, next) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return next(url, context); }\n`,
  );
  const register = join(t.dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  return { loaded, register };
}

test('status of a session with workers, usage, reviews and approvals loads no zod, no git or tmux adapter, at most its ceiling of modules, and runs no git; --version and --help neither', () =>
  withEnv(async (t) => {
    const repo = createRepo(t, { 'sub/a.txt': 'a\n' });
    mkdirSync(t.env.CREWMUX_DATA_DIR!, { recursive: true, mode: 0o700 });
    const store = openStore(join(t.env.CREWMUX_DATA_DIR!, 'state.db'));
    seedSession(store, { id: '20260101-zzzz', repo, goal: 'the goal' });
    seedWorker(store, '20260101-zzzz', 1, { state: 'done' });
    seedWorker(store, '20260101-zzzz', 2);
    store
      .statusDecisions()
      .add('20260101-zzzz', 'w02', { at: 1, activity: 'busy', source: 'pane', evidence: 'spinner' });
    store.peaks().recordWorker('20260101-zzzz', 'w01', 'claude', 50e6);
    const call = { session: '20260101-zzzz', worker: 'w01', agent: 'claude', model: 'claude-sonnet-4-5', ts: 1 };
    const tokens = { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, reasoning: 0, costUsd: 0.25 };
    store.usage().add([{ ...call, ...tokens, key: 'a', bucket: 'api', source: 'session-files', approximate: false }]);
    const r = store.review();
    const rid = r.addReview({
      session: '20260101-zzzz',
      reviewer: 'w02',
      subject: 'w01',
      round: 0,
      criteria: [{ id: 'W1', text: 't' }],
      ts: 1,
    });
    r.submitVerdict(
      rid,
      {
        verdict: 'fail',
        risk: 'high',
        criteria: [{ id: 'W1', met: false, evidence: 'no' }],
        findings: [{ file: 'a.ts', line: 3, severity: 'high', text: 'bad' }],
      },
      2,
    );
    r.startRound({ session: '20260101-zzzz', round: 1, head: 'a'.repeat(40), reviewers: ['w02'], ts: 3 });
    r.addApproval({
      session: '20260101-zzzz',
      worker: 'w01',
      head: 'a'.repeat(40),
      risk: 'high',
      reason: 'its review failed',
      ts: 6,
    });
    store.close();
    const { loaded, register } = loadLog(t);
    // A git first on PATH that logs its arguments: the session of this repository is found from its .git files.
    const bin = join(t.dir, 'bin');
    const gitLog = join(t.dir, 'git.log');
    mkdirSync(bin);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${gitLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o700 });
    const env = { NODE_OPTIONS: `--import ${register}`, PATH: `${bin}:${t.env.PATH ?? process.env.PATH}` };
    const gitCalls = () => (existsSync(gitLog) ? readFileSync(gitLog, 'utf8') : '');
    for (const args of [['status'], ['status', '--json'], ['status', '--explain', 'w02'], ['--version'], ['--help']]) {
      writeFileSync(loaded, '');
      const res = await runCli(t, join(repo, 'sub'), args, { env });
      assert.equal(gitCalls(), '', `crewmux ${args.join(' ')} ran git`);
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
      if (args[0] === 'status' && args.length === 1)
        assert.match(res.stdout, /gate round 1: running[\s\S]*\[high\] a\.ts:3 bad[\s\S]*held: its review failed/);
      const urls = readFileSync(loaded, 'utf8').split('\n');
      assert.ok(
        urls.some((u) => u.includes(args[0] === 'status' ? STATUS_BUNDLE : '/dist/src/cli/main.js')),
        `the hook saw ${args[0] === 'status' ? `${STATUS_BUNDLE} load (built by \`npm run build\`, after tsc)` : 'the CLI load'}`,
      );
      assert.deepEqual(
        urls.filter((u) => u.includes('/node_modules/zod/')),
        [],
        `crewmux ${args.join(' ')} loaded zod`,
      );
      for (const cut of NOT_ON_STATUS_PATH)
        assert.deepEqual(
          urls.filter((u) => u.includes(cut)),
          [],
          `crewmux ${args.join(' ')} loaded ${cut}`,
        );
      if (args[0] !== '--help')
        assert.deepEqual(
          urls.filter((u) => u.includes('/dist/src/cli/help-text.js')),
          [],
          `crewmux ${args.join(' ')} loaded the --help text`,
        );
      assertModuleCeiling(args, urls);
    }
    // A repository without a session is still asked of git, and says so as before.
    const other = createRepo(t);
    const none = await runCli(t, other, ['status'], { env });
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /No crewmux session of this repository .*\[E_NO_SESSIONS\]/s);
    assert.match(gitCalls(), /rev-parse --show-toplevel/);
  }));

test('status on the light path prints what the yargs path prints: output, --json, --explain, errors, --help', () =>
  withEnv(async (t) => {
    const repo = createRepo(t);
    mkdirSync(t.env.CREWMUX_DATA_DIR!, { recursive: true, mode: 0o700 });
    const store = openStore(join(t.env.CREWMUX_DATA_DIR!, 'state.db'));
    seedSession(store, { id: '20260101-aaaa', repo, goal: 'the goal' });
    seedWorker(store, '20260101-aaaa', 1, { state: 'done' });
    seedWorker(store, '20260101-aaaa', 2);
    store.updateWorker('20260101-aaaa', 'w01', { summary: 'did it' });
    store.statusDecisions().add('20260101-aaaa', 'w02', {
      at: 1_700_000_000_000,
      activity: 'busy',
      source: 'pane',
      evidence: 'spinner',
    });
    seedSession(store, { id: '20260101-bbbb', repo: join(t.dir, 'elsewhere') });
    store.close();
    const cases = [
      [],
      ['--json'],
      ['20260101-aa'],
      ['--all', '--json'],
      ['--explain', 'w02'],
      ['--explain=w02', '--json'],
      ['20260101-'],
      ['nosuch'],
      ['--bogus'],
      ['--help'],
    ];
    for (const args of cases) {
      const light = await runCli(t, repo, ['status', ...args]);
      const viaYargs = await runCli(t, repo, ['status', ...args], { env: { CREWMUX_YARGS: '1' } });
      assert.deepEqual(light, viaYargs, `status ${args.join(' ')}`);
      // bin/crewmux.js runs status from its bundle: it prints what the modules of dist/src print.
      assert.deepEqual(light, await runMainJs(t, repo, ['status', ...args]), `status ${args.join(' ')} unbundled`);
    }
    // Outside a repository the bundle asks git (the git adapter, loaded from dist/src) and fails as the modules do.
    const outside = await runCli(t, t.dir, ['status']);
    assert.match(outside.stderr, /E_NOT_GIT_REPO/);
    assert.deepEqual(outside, await runMainJs(t, t.dir, ['status']));
    assert.match((await runCli(t, repo, ['status'])).stdout, /session 20260101-aaaa {2}running[\s\S]*w01 .*did it/);
  }));

test('bin/crewmux.js runs status from its bundle only while the bundle is not older than main.js; other commands from main.js', () =>
  withEnv(async (t) => {
    // A copy of bin/crewmux.js over a dist/ whose main.js and bundle say which of them ran.
    const root = join(t.dir, 'pkg');
    const cli = join(root, 'dist', 'src', 'cli');
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(cli, { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(root, 'bin', 'crewmux.js'), readFileSync(BIN));
    writeFileSync(join(cli, 'main.js'), "console.log('main.js');\n");
    writeFileSync(join(cli, 'status-bundle.js'), "console.log('bundle');\n");
    const ran = (...args: string[]) =>
      execFileSync(process.execPath, [join(root, 'bin', 'crewmux.js'), ...args], { encoding: 'utf8' }).trim();
    const at = (file: string, seconds: number) => utimesSync(join(cli, file), seconds, seconds);
    at('main.js', 1_000);
    at('status-bundle.js', 2_000);
    assert.equal(ran('status'), 'bundle');
    assert.equal(ran('status', '--json'), 'bundle');
    assert.equal(ran('sessions'), 'main.js');
    assert.equal(ran('--help'), 'main.js');
    assert.equal(ran(), 'main.js');
    // tsc ran after the bundle was built: the bundle would run old code.
    at('main.js', 3_000);
    assert.equal(ran('status'), 'main.js');
    // Built without esbuild: no bundle.
    rmSync(join(cli, 'status-bundle.js'));
    assert.equal(ran('status'), 'main.js');
  }));
