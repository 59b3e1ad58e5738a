/**
 * `worktree.clone` folders for node workers, the lead host's decisions (src/app/nodes/node-clone.ts, docs/architecture.md
 * "Worker nodes: cloned folders"), on the fake runtime with a fake node (its clone cache a set) and fake fingerprints:
 * a cache miss sends the folder once and the worktree clones it; a second worker on the same node is a cache hit (0
 * bytes sent); a node of another platform-arch, a folder over `nodes.cloneMaxBytes`, a symlinked folder and a failed
 * send are not cloned, each said in `bootstrap.prepared` with its fix; `worktree.link` folders are linked there; the
 * node runtime runs the node's `crewmux node clone-receive` with exact arguments, once for two spawns at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { createNodeRuntime, nodeRepoId } from '../../src/app/nodes/node-runtime.js';
import type { WorktreeFiles } from '../../src/app/ports/worktree-files.js';
import type { CloneFolders } from '../../src/app/ports/clone-folders.js';
import type { CloneCandidate } from '../../src/core/nodes/clone-protocol.js';
import type { FakeRuntime } from '../helpers/fake-runtime.js';
import { createFakeNode, createFakeNodesRuntime, type FakeNode } from '../helpers/fake-node.js';

const FP_NM = 'a'.repeat(64);
const FP_VENV = 'b'.repeat(64);

/** This host's checkout: node_modules, .venv and a symlinked `vendor` exist; nothing is included. */
function fakeFiles(): WorktreeFiles {
  return {
    copyIncluded: () => Promise.reject(new Error('not on a node')),
    readIncluded: async () => ({ files: [], skipped: [] }),
    writeIncluded: () => ({ copied: [], skipped: [] }),
    cloneMethod: () => Promise.reject(new Error('not on a node')),
    cloneDir: () => Promise.reject(new Error('not on a node')),
    exists: (p: string) => /\/(node_modules|\.venv|vendor)$/.test(p),
    writeEnvBlock: () => undefined,
    reservePorts: () => Promise.reject(new Error('ports are reserved on the node')),
    releasePorts: () => undefined,
  };
}

/** Fingerprints of this host's folders (5000 and 7000 bytes; `vendor` is a symlink), counting the questions. */
function fakePrints(): CloneFolders & { asked: string[] } {
  const prints: Record<string, CloneCandidate['print']> = {
    node_modules: { fingerprint: FP_NM, bytes: 5000 },
    '.venv': { fingerprint: FP_VENV, bytes: 7000 },
    vendor: { problem: 'vendor is a symlink in your checkout (not followed, not sent)' },
  };
  const f = {
    platformArch: 'linux-x64',
    asked: [] as string[],
    async fingerprint(_root: string, folder: string, maxBytes: number): Promise<CloneCandidate['print']> {
      f.asked.push(folder);
      const p = prints[folder]!;
      return 'bytes' in p && p.bytes > maxBytes ? { fingerprint: '', bytes: p.bytes } : p;
    },
  };
  return f;
}

async function withNode(
  node: FakeNode,
  worktree: Record<string, unknown>,
  fn: (f: FakeRuntime) => Promise<void>,
  nodes: Record<string, unknown> = {},
): Promise<void> {
  const f = await createFakeNodesRuntime(node, {
    nodes: { ...nodes, [node.name]: { host: `${node.name}.lan` } },
    config: { worktree },
    runtime: { worktreeFiles: fakeFiles(), cloneFolders: fakePrints() },
  });
  try {
    await fn(f);
  } finally {
    f.cleanup();
  }
}

type Prepared = {
  message: string;
  data: { nodeClone?: { folder: string; outcome: string; bytesSent: number; why?: string }[]; notCloned?: string[] };
};
const prepared = (f: FakeRuntime, worker: string) =>
  f.store
    .eventsAfter(f.rt.sid, 0, 1000)
    .filter((e) => e.type === 'bootstrap.prepared' && e.worker_id === worker)
    .map((e) => e as unknown as Prepared)[0]!;

test('node clone: a folder the node lacks is sent once; a second worker on the node is a cache hit (0 bytes sent)', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode(gpu, { clone: ['node_modules'] }, async (f) => {
    await spawnWorker(f.rt, { task: 'one', node: 'gpu1' });
    assert.deepEqual(gpu.cloneSends, [{ folder: 'node_modules', fingerprint: FP_NM, maxBytes: 2 * 1024 ** 3 }]);
    assert.deepEqual(gpu.prepared[0]!.bootstrap.clone, [{ folder: 'node_modules', fingerprint: FP_NM, link: false }]);
    const first = prepared(f, 'w01');
    assert.deepEqual(
      first.data.nodeClone?.map((o) => [o.folder, o.outcome, o.bytesSent]),
      [['node_modules', 'sent', 1001]],
    );
    assert.match(
      first.message,
      /clone [\d.]+ ms \(node_modules by copy: fake copy; node_modules sent \(1001 bytes\)\)/,
    );

    await spawnWorker(f.rt, { task: 'two', node: 'gpu1' });
    assert.equal(gpu.cloneSends.length, 1, 'sent once');
    assert.deepEqual(gpu.prepared[1]!.bootstrap.clone, [{ folder: 'node_modules', fingerprint: FP_NM, link: false }]);
    const second = prepared(f, 'w02');
    assert.deepEqual(
      second.data.nodeClone?.map((o) => [o.folder, o.outcome, o.bytesSent]),
      [['node_modules', 'cached', 0]],
    );
    assert.match(second.message, /node_modules from the node cache \(0 bytes sent\)/);
  });
});

test('node clone: a node of another platform-arch gets no clone; the event says why and names worktree.setup', async () => {
  const mac = createFakeNode('mac1', { platformArch: 'darwin-arm64' });
  await withNode(mac, { clone: ['node_modules', '.venv'] }, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'mac1' });
    assert.deepEqual(mac.cloneSends, []);
    assert.equal(mac.prepared[0]!.bootstrap.clone, undefined);
    const e = prepared(f, 'w01');
    assert.deepEqual(e.data.notCloned, ['node_modules', '.venv']);
    assert.match(
      e.message,
      /node_modules not cloned: node mac1 is darwin-arm64 and this host linux-x64 \(its native modules would not run there\); install it on the node with worktree\.setup/,
    );
  });
});

test('node clone: a folder over nodes.cloneMaxBytes is not sent; the others are', async () => {
  const gpu = createFakeNode('gpu1');
  await withNode(
    gpu,
    { clone: ['node_modules', '.venv'] },
    async (f) => {
      await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
      assert.deepEqual(
        gpu.cloneSends.map((s) => [s.folder, s.maxBytes]),
        [['node_modules', 6000]],
      );
      const e = prepared(f, 'w01');
      assert.deepEqual(e.data.notCloned, ['.venv']);
      assert.match(
        e.message,
        /\.venv not cloned: over nodes\.cloneMaxBytes \(6000 bytes\); raise it in the global config/,
      );
    },
    { cloneMaxBytes: 6000 },
  );
});

test('node clone: worktree.link folders are linked on the node; a symlinked folder and a failed send are not cloned', async () => {
  const gpu = createFakeNode('gpu1');
  gpu.sendFails = 'ssh: connection reset';
  await withNode(gpu, { clone: ['vendor', 'node_modules'], link: ['.venv'] }, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    const e = prepared(f, 'w01');
    assert.deepEqual(e.data.notCloned, ['vendor', 'node_modules', '.venv']);
    assert.match(e.message, /vendor not cloned: vendor is a symlink in your checkout \(not followed, not sent\)/);
    assert.match(e.message, /node_modules not cloned: sending it to node gpu1 failed \(ssh: connection reset\)/);
  });
  const ok = createFakeNode('gpu2');
  await withNode(ok, { link: ['.venv'] }, async (f) => {
    await spawnWorker(f.rt, { task: 'there', node: 'gpu2' });
    assert.deepEqual(ok.prepared[0]!.bootstrap.clone, [{ folder: '.venv', fingerprint: FP_VENV, link: true }]);
    assert.match(prepared(f, 'w01').message, /\.venv by link: worktree\.link asks for a symlink; \.venv sent/);
  });
});

test('node clone: the send runs the node crewmux clone-receive with exact arguments, once for two spawns at once', async () => {
  const sends: { root: string; folder: string; remote: readonly string[] }[] = [];
  let release: () => void = () => undefined;
  const node = createNodeRuntime({
    name: 'gpu1',
    spec: { host: 'gpu1.lan', crewmuxPath: '/opt/crewmux/bin/crewmux' },
    connector: { open: () => Promise.reject(new Error('no channel in this test')), disconnect: async () => undefined },
    forwardRemote: () => Promise.reject(new Error('no relay in this test')),
    gitSshCommand: 'ssh',
    transfer: {
      push: () => Promise.reject(new Error('no git')),
      fetch: () => Promise.reject(new Error('no git')),
      listRefs: () => Promise.reject(new Error('no git')),
    },
    version: '0.0.0',
    emit: () => undefined,
    sid: 's1fake00',
    repoRoot: '/home/me/proj',
    async sendFolder(_spec, o) {
      sends.push(o);
      await new Promise<void>((r) => (release = r));
      return { bytes: 20480, answer: { bytes: 20480, cached: false } };
    },
  });
  const a = node.sendClone({ folder: '-odd/node_modules', fingerprint: FP_NM, maxBytes: 5000 });
  const b = node.sendClone({ folder: '-odd/node_modules', fingerprint: FP_NM, maxBytes: 5000 });
  await new Promise((r) => setImmediate(r));
  release();
  assert.deepEqual(await a, { bytes: 20480, cached: false });
  assert.deepEqual(await b, { bytes: 0, cached: true });
  assert.equal(sends.length, 1);
  assert.equal(sends[0]!.root, '/home/me/proj');
  assert.equal(sends[0]!.folder, '-odd/node_modules');
  assert.deepEqual(sends[0]!.remote, [
    '/opt/crewmux/bin/crewmux',
    'node',
    'clone-receive',
    `--repo-id=${nodeRepoId('/home/me/proj')}`,
    '--folder=-odd/node_modules',
    `--fingerprint=${FP_NM}`,
    '--max-bytes=5000',
  ]);
});
