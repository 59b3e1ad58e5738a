/**
 * A node worker's bootstrap and usage ops (src/app/nodes/serve-bootstrap.ts), on real git, files, processes and
 * loopback ports, without ssh (the lab e2e test/e2e/node-bootstrap.test.ts runs them through OpenSSH): the lead host
 * selects the `.worktreeinclude` files with the local matcher (a symlink leading out is not sent), the node writes
 * them owner-only into a fresh worktree of its bare repository, reserves a port block by binding (a distinct one per
 * worker, locked under its runtime dir), runs the setup with CREWMUX_PORT and the slug, reports a failed setup's tail,
 * and serves the complete lines of a worker's usage files past the offsets asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, git } from '../helpers/env.js';
import { createWorktreeFiles } from '../../src/adapters/git/worktree-files.js';
import { createGit } from '../../src/adapters/git/git.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { createProcessRunner } from '../../src/adapters/process/process-runner.js';
import { createUsageFiles } from '../../src/adapters/usage/usage-files.js';
import { nodeBootstrapMethods } from '../../src/app/nodes/serve-bootstrap.js';
import { nodeWorkerMethods } from '../../src/app/nodes/serve-workers.js';
import { systemClock } from '../../src/adapters/system/clock.js';
import { qwen } from '../../src/core/agents/profiles/qwen.js';
import { execFileSync } from 'node:child_process';
import {
  NODE_INCLUDE_MAX_BYTES,
  UsageReadResultSchema,
  WorkerPrepareResultSchema,
  type IncludedFile,
} from '../../src/core/nodes/bootstrap-protocol.js';

const SID = 's1nodeboot';
const REPO_ID = '0123456789abcdef';
const SOCKET = `crewmux-test-nodeboot-${process.pid}`;

function setup() {
  const t = createTestEnv();
  const outside = join(t.dir, 'outside-secret');
  writeFileSync(outside, 'OUTSIDE\n');
  const repo = createRepo(t, {
    '.gitignore': '.env\n*.pem\n',
    '.worktreeinclude': '.env\n*.pem\n',
    'README.md': '# r\n',
  });
  writeFileSync(join(repo, '.env'), 'SECRET=inside\n');
  symlinkSync(outside, join(repo, 'key.pem'));
  // The node: a data dir with the bare repository the lead pushes bases to, and a runtime dir.
  const dataDir = join(t.dir, 'node-data');
  const bare = join(dataDir, 'node', 'repos', `${REPO_ID}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '-q', '--bare');
  for (const w of ['w1', 'w2', 'w3']) git(repo, 'push', '-q', bare, `HEAD:refs/heads/crewmux/${SID}/base-${w}`);
  const runtimeDir = join(t.dir, 'node-run');
  const tmux = createTmux({ socket: SOCKET });
  const standIn = join(t.dir, 'qwen-stand-in');
  writeFileSync(standIn, '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
  const ops = nodeBootstrapMethods({
    dataDir,
    tmux,
    git: createGit(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: t.dir },
    files: createWorktreeFiles(),
    runner: createProcessRunner(),
    usageFiles: createUsageFiles(),
    runtimeDir,
  });
  const prepare = async (w: string, include: IncludedFile[], commands: string[]) =>
    WorkerPrepareResultSchema.parse(
      await ops['worker.prepare']!({
        id: `${SID}/${w}`,
        repoId: REPO_ID,
        branch: `crewmux/${SID}/${w}-implementer`,
        baseRef: `refs/heads/crewmux/${SID}/base-${w}`,
        slug: `crewmux_${SID}_${w}_implementer`,
        include,
        setup: { source: commands.length ? 'worktree.setup' : 'none', commands },
        setupTimeoutS: 60,
      }),
    );
  const workers = nodeWorkerMethods({
    dataDir,
    tmux,
    git: createGit(),
    runner: createProcessRunner(),
    clock: systemClock,
    userHome: t.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: t.dir },
    // Qwen Code's entry (its workers speak ACP) with a stand-in that reads its stdin until the pane process ends:
    // only the launch is looked at.
    resolveAgent: async (name) => (name === 'qwen' ? { profile: qwen, binary: standIn } : undefined),
  });
  return { t, repo, dataDir, runtimeDir, ops, workers, prepare };
}

test('worker.prepare: the included files the lead selected are written 0600, the setup sees its own port block', async () => {
  const s = setup();
  try {
    const sel = await createWorktreeFiles().readIncluded(s.repo, NODE_INCLUDE_MAX_BYTES);
    assert.deepEqual(
      sel.files.map((f) => f.path),
      ['.env'],
    );
    assert.deepEqual(sel.skipped, [
      { path: 'key.pem', why: 'a symlink pointing outside the repository (not followed)' },
    ]);

    const marker = 'printf "%s %s\\n" "$CREWMUX_PORT" "$CREWMUX_WORKTREE_SLUG" > marker.txt';
    const a = await s.prepare('w1', sel.files, [marker]);
    const b = await s.prepare('w2', sel.files, [marker]);
    assert.equal(a.worktree, join(s.dataDir, 'node', 'worktrees', SID, 'w1'));
    assert.deepEqual(a.included, ['.env']);
    assert.equal(readFileSync(join(a.worktree, '.env'), 'utf8'), 'SECRET=inside\n');
    assert.equal(statSync(join(a.worktree, '.env')).mode & 0o777, 0o600);
    assert.equal(a.setup.ok, true);
    assert.equal(
      readFileSync(join(a.worktree, 'marker.txt'), 'utf8'),
      `${a.env.CREWMUX_PORT} crewmux_${SID}_w1_implementer\n`,
    );
    assert.notEqual(a.env.CREWMUX_PORT, b.env.CREWMUX_PORT);
    assert.equal(readdirSync(join(s.runtimeDir, 'ports')).length, 2);
    assert.equal(git(a.worktree, 'rev-parse', '--abbrev-ref', 'HEAD'), `crewmux/${SID}/w1-implementer`);
    assert.deepEqual(
      a.phases.map((p) => p.name),
      ['include', 'clone', 'env', 'setup'],
    );
  } finally {
    s.t.cleanup();
  }
});

test('worker.prepare: a symlink leading out of the worktree is not made; a failed setup answers with its tail', async () => {
  const s = setup();
  try {
    const r = await s.prepare(
      'w3',
      [
        { path: 'evil', link: '../../../../../../etc/passwd' },
        { path: 'ok.txt', mode: 0o755, base64: Buffer.from('#!/bin/sh\n').toString('base64') },
      ],
      ['echo installing the deps; echo boom >&2; exit 3'],
    );
    assert.deepEqual(r.included, ['ok.txt']);
    assert.deepEqual(r.skipped, [{ path: 'evil', why: 'a symlink pointing outside the worktree (not made)' }]);
    assert.equal(statSync(join(r.worktree, 'ok.txt')).mode & 0o777, 0o700);
    assert.equal(r.setup.ok, false);
    assert.deepEqual(r.setup.failed, {
      command: 'echo installing the deps; echo boom >&2; exit 3',
      exitCode: 3,
      timedOut: false,
    });
    assert.match(r.setup.tail, /installing the deps[\s\S]*boom/);
  } finally {
    s.t.cleanup();
  }
});

test('usage.read: the complete lines of a worker usage files past the offsets asked; nothing else is served', async () => {
  const s = setup();
  try {
    const state = join(s.dataDir, 'node', 'sessions', SID, 'w1');
    mkdirSync(join(state, 'claude-config', 'projects', 'p'), { recursive: true });
    writeFileSync(join(state, 'acp-usage.jsonl'), '{"a":1}\n{"a":2}\n{"a":');
    writeFileSync(join(state, 'claude-config', 'projects', 'p', 't.jsonl'), '{"t":1}\n');
    writeFileSync(join(state, 'prompt.md'), 'not usage\n');
    const read = async (offsets: Record<string, number>) =>
      UsageReadResultSchema.parse(await s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets }] })).workers[0]!
        .chunks;
    assert.deepEqual(await read({}), [
      { path: 'acp-usage.jsonl', from: 0, text: '{"a":1}\n{"a":2}\n' },
      { path: 'claude-config/projects/p/t.jsonl', from: 0, text: '{"t":1}\n' },
    ]);
    appendFileSync(join(state, 'acp-usage.jsonl'), '3}\n');
    assert.deepEqual(await read({ 'acp-usage.jsonl': 16, 'claude-config/projects/p/t.jsonl': 8 }), [
      { path: 'acp-usage.jsonl', from: 16, text: '{"a":3}\n' },
    ]);
    await assert.rejects(
      s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets: { 'prompt.md': 0 } }] }),
      /not a usage file/,
    );
    await assert.rejects(
      s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets: { '../../../../etc/passwd': 0 } }] }),
      /not a usage file/,
    );
  } finally {
    s.t.cleanup();
  }
});

test('worker.start keeps the worktree worker.prepare bootstrapped; an ACP agent runs under the ACP pane process', async () => {
  const s = setup();
  try {
    const sel = await createWorktreeFiles().readIncluded(s.repo, NODE_INCLUDE_MAX_BYTES);
    const p = await s.prepare('w1', sel.files, []);
    await s.workers['worker.start']!({
      id: `${SID}/w1`,
      repoId: REPO_ID,
      branch: `crewmux/${SID}/w1-implementer`,
      baseRef: `refs/heads/crewmux/${SID}/base-w1`,
      agent: 'qwen',
      prompt: 'the task',
      mcpUrl: 'http://127.0.0.1:9/mcp',
      mcpToken: 'x'.repeat(32),
      env: { CREWMUX_PORT: p.env.CREWMUX_PORT! },
      keepWorktree: true,
    });
    // Not made again: the included file is still there.
    assert.equal(readFileSync(join(p.worktree, '.env'), 'utf8'), 'SECRET=inside\n');
    // The ACP pane process records the agent's reported usage in the state dir usage.read serves.
    const state = join(s.dataDir, 'node', 'sessions', SID, 'w1');
    const launch = JSON.parse(readFileSync(join(state, 'acp-launch.json'), 'utf8')) as { usage?: string };
    assert.equal(launch.usage, join(state, 'acp-usage.jsonl'));
  } finally {
    try {
      execFileSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* no server */
    }
    s.t.cleanup();
  }
});
