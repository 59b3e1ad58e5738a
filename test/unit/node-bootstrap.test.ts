/**
 * A node worker's worktree bootstrap and usage, the lead host's side (docs/architecture.md "Worker nodes: bootstrap
 * and usage"), on the fake runtime with a fake node and a fake WorktreeFiles (the include selection this host makes):
 * the node bootstraps the worktree before the prompt is written (the prompt and the agent get the node's
 * CREWMUX_PORT), `.worktreeinclude` files go only to a node whose config says `include: true` and an event names
 * them either way (never their contents), `worktree.clone` is said to be skipped, a failed setup on the node is
 * `setup_failed` with its tail, a restart bootstraps again, and the usage files the node serves become usage rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { restartWorker } from '../../src/app/workers/restart.js';
import { changeWorkerState } from '../../src/app/workers/state-change.js';
import { createUsageCollector } from '../../src/app/usage/collect.js';
import { syncNodeUsage } from '../../src/app/nodes/node-usage.js';
import type { WorktreeFiles } from '../../src/app/ports/worktree-files.js';
import type { IncludedFile } from '../../src/core/nodes/bootstrap-protocol.js';
import { createUsageFiles } from '../../src/adapters/usage/usage-files.js';
import { ToolError } from '../../src/core/errors.js';
import type { FakeRuntime } from '../helpers/fake-runtime.js';
import { createFakeNode, createFakeNodesRuntime, type FakeNode } from '../helpers/fake-node.js';
import { readFileSync } from 'node:fs';
import { codex } from '../../src/core/agents/profiles/codex.js';
import { opencode } from '../../src/core/agents/profiles/opencode.js';
import { aider } from '../../src/core/agents/profiles/aider.js';
import { qwen } from '../../src/core/agents/profiles/qwen.js';
import { rolloutHead, tokenCountLine } from '../helpers/codex-rollout.js';

const ENV_FILE: IncludedFile = {
  path: '.env',
  mode: 0o644,
  base64: Buffer.from('SECRET=hunter2\n').toString('base64'),
};

/** The include selection of this host: `.env` (and `node_modules` exists, for worktree.clone). */
function fakeFiles(): WorktreeFiles & { asked: number } {
  const files = {
    asked: 0,
    copyIncluded: () => Promise.reject(new Error('not on a node')),
    async readIncluded() {
      files.asked++;
      return { files: [ENV_FILE], skipped: [{ path: 'key.pem', why: 'a symlink pointing outside the repository' }] };
    },
    writeIncluded: () => ({ copied: [], skipped: [] }),
    cloneMethod: () => Promise.reject(new Error('not on a node')),
    cloneDir: () => Promise.reject(new Error('not on a node')),
    exists: (p: string) => p.endsWith('/node_modules'),
    writeEnvBlock: () => undefined,
    reservePorts: () => Promise.reject(new Error('ports are reserved on the node')),
    releasePorts: () => undefined,
  };
  return files;
}

async function withNode(
  spec: Record<string, unknown>,
  node: FakeNode,
  fn: (f: FakeRuntime) => Promise<void>,
  config: Record<string, unknown> = {},
): Promise<void> {
  const f = await createFakeNodesRuntime(node, {
    nodes: { [node.name]: { host: `${node.name}.lan`, ...spec } },
    config,
    runtime: { worktreeFiles: fakeFiles() },
  });
  try {
    await fn(f);
  } finally {
    f.cleanup();
  }
}

const events = (f: FakeRuntime, type: string) => f.store.eventsAfter(f.rt.sid, 0, 1000).filter((e) => e.type === type);

test('node bootstrap: the node prepares the worktree first; the prompt and the agent get its CREWMUX_PORT', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({}, gpu, async (f) => {
    const r = await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    assert.equal(gpu.prepared.length, 1);
    const asked = gpu.prepared[0]!;
    assert.equal(asked.workerId, 'w01');
    assert.equal(asked.branch, r.worker.branch);
    assert.equal(asked.baseCommit, r.worker.base_commit);
    assert.match(asked.bootstrap.slug, /^crewmux_.*_w01_implementer$/);
    assert.deepEqual(asked.bootstrap.setup, { source: 'none', commands: [] });
    // The worktree prepared is the one the agent starts in; its port and slug are in its env and its prompt.
    const start = gpu.starts[0]!;
    assert.equal(start.keepWorktree, true);
    assert.equal(start.env.CREWMUX_PORT, '24000');
    assert.equal(start.env.CREWMUX_WORKTREE_SLUG, asked.bootstrap.slug);
    assert.match(start.prompt, /CREWMUX_PORT=24000 \(ports 24000-24009 are yours\)/);
    const prepared = events(f, 'bootstrap.prepared');
    assert.equal(prepared.length, 1);
    assert.match(prepared[0]!.message, /^w01 worktree ready on node gpu1 \(/);
  });
});

test('node bootstrap: .worktreeinclude files are not sent to a node without "include": true; the event names them', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({}, gpu, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    assert.deepEqual(gpu.prepared[0]!.bootstrap.include, []);
    const [e] = events(f, 'bootstrap.node_files');
    assert.match(e!.message, /w01: 1 \.worktreeinclude file\(s\) NOT sent to node gpu1 \(\.env\): set "include": true/);
    assert.doesNotMatch(JSON.stringify(e), /hunter2/);
  });
});

test('node bootstrap: with "include": true the files go to the node; the event says which and how many bytes', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({ include: true }, gpu, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    assert.deepEqual(gpu.prepared[0]!.bootstrap.include, [ENV_FILE]);
    const [e] = events(f, 'bootstrap.node_files');
    assert.equal(
      e!.message,
      'w01: sent 1 .worktreeinclude file(s) (15 bytes) to node gpu1: .env; not sent: key.pem (a symlink pointing outside the repository)',
    );
    const data = e!.data as { sent: string[]; bytes: number };
    assert.deepEqual([data.sent, data.bytes], [['.env'], 15]);
    assert.doesNotMatch(JSON.stringify(e), /hunter2/);
  });
});

test('node bootstrap: the trusted setup goes to the node; worktree.clone is said to be skipped there', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode(
    {},
    gpu,
    async (f) => {
      await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
      assert.deepEqual(gpu.prepared[0]!.bootstrap.setup, { source: 'worktree.setup', commands: ['npm ci'] });
      assert.equal(gpu.prepared[0]!.bootstrap.setupTimeoutS, 42);
      const [e] = events(f, 'bootstrap.prepared');
      assert.match(e!.message, /node_modules not cloned: node gpu1 has no copy of your checkout/);
    },
    { worktree: { setup: ['npm ci'], setupTimeout: 42, clone: ['node_modules'] } },
  );
});

test('node bootstrap: a setup failing on the node is setup_failed with its tail; the agent is not started', async () => {
  const gpu = createFakeNode('gpu1', {
    prepare: (p) => ({
      worktree: '/n/w01',
      phases: [],
      env: { CREWMUX_PORT: '25000', CREWMUX_WORKTREE_SLUG: p.bootstrap.slug },
      included: [],
      skipped: [],
      setup: {
        source: 'worktree.setup',
        ok: false,
        failed: { command: 'npm ci', exitCode: 1, timedOut: false },
        tail: 'npm ERR! missing lockfile',
      },
    }),
  });
  await withNode(
    {},
    gpu,
    async (f) => {
      await assert.rejects(spawnWorker(f.rt, { task: 'there', node: 'gpu1' }), (e: unknown) => {
        assert.ok(e instanceof ToolError);
        assert.match(e.message, /w01's worktree setup failed \(worktree\.setup\): "npm ci" exited 1/);
        assert.match(e.message, /npm ERR! missing lockfile/);
        assert.match(e.message, /its worktree on node gpu1 is kept for a look/);
        return true;
      });
      assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'setup_failed');
      assert.deepEqual(gpu.started, []);
    },
    { worktree: { setup: ['npm ci'] } },
  );
});

test('node bootstrap: a restarted node worker gets its worktree bootstrapped again before its agent starts', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({}, gpu, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, 'w01')!, 'crashed', 'test');
    gpu.agents.set('w01', { running: false });
    await restartWorker(f.rt, 'w01');
    assert.equal(gpu.prepared.length, 2);
    assert.equal(gpu.starts.length, 2);
    assert.equal(gpu.starts[1]!.keepWorktree, true);
    assert.equal(gpu.starts[1]!.env.CREWMUX_PORT, '24010');
  });
});

test('node usage: the usage lines a node worker wrote on its node become usage rows here, each line once', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({}, gpu, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    const line = (n: number) =>
      JSON.stringify({
        type: 'assistant',
        requestId: `req_${n}`,
        timestamp: '2026-01-01T00:00:00.000Z',
        message: { id: `msg_${n}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 100 * n, output_tokens: n } },
      }) + '\n';
    const transcript = 'claude-config/projects/p/t.jsonl';
    // The second line is still being written: only the first is complete.
    gpu.usageFiles.set('w01', { [transcript]: line(1) + line(2).slice(0, 20) });
    // The collector's pass (the monitor's, and the last one at the session's end) asks the node first.
    const collector = createUsageCollector(f.rt, createUsageFiles());
    assert.equal(await collector.collect(), 1);
    gpu.usageFiles.set('w01', { [transcript]: line(1) + line(2) });
    assert.equal(await collector.collect(), 1);
    assert.equal(await syncNodeUsage(f.rt), 0);
    const rows = f.store.usage().list(f.rt.sid);
    assert.deepEqual(
      rows.map((r) => [r.worker, r.input, r.output]),
      [
        ['w01', 100, 1],
        ['w01', 200, 2],
      ],
    );
    const mirror = readFileSync(`${f.rt.sessionDir}/workers/w01/${transcript}`, 'utf8');
    assert.equal(mirror, line(1) + line(2));
    // A node that does not answer adds nothing and is asked again next time.
    gpu.up = false;
    assert.equal(await syncNodeUsage(f.rt), 0);
  });
});

test('node bootstrap: the trusted teardown goes with the worktree to the node; .env.local by the local rule', async () => {
  for (const checkoutUsesEnvLocal of [true, false]) {
    const gpu = createFakeNode('gpu1');
    const files = fakeFiles();
    const f = await createFakeNodesRuntime(gpu, {
      config: { worktree: { teardown: ['docker compose down'], setupTimeout: 42 } },
      runtime: {
        worktreeFiles: {
          ...files,
          // The user's checkout here has a .env.local (or not); the node worktree cannot know.
          exists: (p: string) => files.exists(p) || (checkoutUsesEnvLocal && p === `${f.rt.repoRoot}/.env.local`),
        },
      },
    });
    try {
      await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
      const asked = gpu.prepared[0]!.bootstrap;
      assert.deepEqual(asked.teardown, ['docker compose down']);
      assert.equal(asked.setupTimeoutS, 42);
      assert.equal(asked.envLocal, checkoutUsesEnvLocal);
    } finally {
      f.cleanup();
    }
  }
});

test("node usage: a Codex, an OpenCode and an Aider node worker's usage (under the node user's HOME, its pane log) becomes rows here", async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({}, gpu, async (f) => {
    for (const a of [codex, opencode, aider]) f.rt.agents.set(a.name, { profile: a, binary: `/usr/bin/${a.name}` });
    f.rt.options.agents = [...f.rt.options.agents, 'codex', 'opencode', 'aider'];
    await spawnWorker(f.rt, { task: 'codex there', node: 'gpu1', agent: 'codex' });
    await spawnWorker(f.rt, { task: 'opencode there', node: 'gpu1', agent: 'opencode' });
    await spawnWorker(f.rt, { task: 'aider there', node: 'gpu1', agent: 'aider' });
    // Codex's rollout as the node serves it (the node found it below its CODEX_HOME, its cwd the node worktree).
    const turn = tokenCountLine;
    const rollout = 'node-usage/codex-rollout/sessions/2026/11/30/rollout-2026-11-30T10-00-00-abc.jsonl';
    const head = rolloutHead('/home/gpu1/.local/share/crewmux/node/worktrees/s1fake00/w01');
    gpu.usageFiles.set('w01', { [rollout]: head + turn(100, 107) });
    // OpenCode's step-finish rows from its database on the node.
    const step = (id: string, input: number, timeUpdated: number) => ({
      id,
      timeCreated: timeUpdated,
      timeUpdated,
      message: JSON.stringify({ role: 'assistant', modelID: 'claude-sonnet-4-5' }),
      data: JSON.stringify({ type: 'step-finish', tokens: { input, output: 20, reasoning: 0, cache: {} } }),
    });
    gpu.usageSteps.set('w02', [step('prt_1', 300, 1000)]);
    // Aider's report in its pane log on the node.
    const report = 'Tokens: 1.2k sent, 34 received. Cost: $0.01 message, $0.01 session.\n';
    gpu.usageFiles.set('w03', { 'node-usage/pane/pane.log': 'Model: gpt-4o with diff edit format\n' + report });

    const collector = createUsageCollector(f.rt, createUsageFiles());
    assert.equal(await collector.collect(), 3);
    gpu.usageFiles.set('w01', {
      [rollout]: head + turn(100, 107) + turn(200, 314),
    });
    // The node answers from the update time asked, that time included: prt_1 again (held already) and prt_2.
    gpu.usageSteps.set('w02', [step('prt_1', 300, 1000), step('prt_2', 400, 1000)]);
    assert.equal(await collector.collect(), 2);
    assert.equal(await collector.collect(), 0);
    const rows = f.store.usage().list(f.rt.sid);
    assert.deepEqual(rows.map((r) => [r.worker, r.agent, r.model, r.input, r.source]).sort(), [
      ['w01', 'codex', 'gpt-5-codex', 100, 'session-files'],
      ['w01', 'codex', 'gpt-5-codex', 200, 'session-files'],
      ['w02', 'opencode', 'claude-sonnet-4-5', 300, 'session-files'],
      ['w02', 'opencode', 'claude-sonnet-4-5', 400, 'session-files'],
      ['w03', 'aider', 'gpt-4o', 1200, 'pane'],
    ]);
    // Each mirrored once.
    const mirror = (w: string, rel: string) => readFileSync(`${f.rt.sessionDir}/workers/${w}/${rel}`, 'utf8');
    assert.equal(mirror('w02', 'node-usage/opencode-db/steps.jsonl').trim().split('\n').length, 2);
    assert.equal(mirror('w01', rollout).split('\n').length - 1, 4);
  });
});

test('node usage: a Qwen Code node worker is read from what its node sent, its ACP record or its chats, whatever ACP config says here', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode({}, gpu, async (f) => {
    f.rt.agents.set('qwen', { profile: qwen, binary: '/usr/bin/qwen' });
    f.rt.options.agents = [...f.rt.options.agents, 'qwen'];
    await spawnWorker(f.rt, { task: 'under ACP', node: 'gpu1', agent: 'qwen' });
    await spawnWorker(f.rt, { task: 'in its TUI', node: 'gpu1', agent: 'qwen' });
    gpu.usageFiles.set('w01', {
      'acp-usage.jsonl': JSON.stringify({ key: 'k1', model: 'qwen3-coder-plus', input: 50, output: 5 }) + '\n',
    });
    const chat = JSON.stringify({
      uuid: 'u1',
      type: 'assistant',
      model: 'qwen3-coder-plus',
      usageMetadata: { promptTokenCount: 500, candidatesTokenCount: 10 },
    });
    gpu.usageFiles.set('w02', { 'node-usage/qwen-chat/projects/-ws/chats/s.jsonl': chat + '\n' });
    assert.equal(await createUsageCollector(f.rt, createUsageFiles()).collect(), 2);
    assert.deepEqual(
      f.store
        .usage()
        .list(f.rt.sid)
        .map((r) => [r.worker, r.input, r.source]),
      [
        ['w01', 50, 'protocol'],
        ['w02', 500, 'session-files'],
      ],
    );
  });
});
