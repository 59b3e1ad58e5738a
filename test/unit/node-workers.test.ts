/**
 * Node workers, the pure parts and the choice of node: what of the lead host's environment a node never gets, how a
 * worker is named on the wire, the bare repository's id, and spawn_worker's `node` refused clearly when unknown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostLocalEnvName, NodeWorkerIdSchema, nodeWorkerId } from '../../src/core/nodes/protocol.js';
import { nodeRepoId } from '../../src/app/nodes/node-runtime.js';
import { chooseNode, chooseRuntime, nodeSpecOf } from '../../src/app/workers/worker-runtimes.js';
import { type ToolError } from '../../src/core/errors.js';
import type { Runtime } from '../../src/app/runtime.js';

test('the lead host describes itself in PATH, HOME, locale and CA paths: none of them goes to a node', () => {
  for (const k of ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'XDG_CONFIG_HOME', 'TMPDIR', 'SSL_CERT_FILE'])
    assert.equal(hostLocalEnvName(k), true, k);
  for (const k of ['ANTHROPIC_API_KEY', 'OPENAI_BASE_URL', 'GIT_AUTHOR_NAME', 'HTTPS_PROXY'])
    assert.equal(hostLocalEnvName(k), false, k);
});

test('a node worker is <sid>/<worker> on the wire; nothing else passes', () => {
  assert.equal(nodeWorkerId('sabc12345', 'w02'), 'sabc12345/w02');
  assert.equal(NodeWorkerIdSchema.safeParse('sabc12345/w02').success, true);
  for (const bad of ['sabc/w02/x', '../w02', 'sabc/../../etc', 'sabc/x02', 'Sabc/w02', 'sabc/w02;rm'])
    assert.equal(NodeWorkerIdSchema.safeParse(bad).success, false, bad);
  assert.match(nodeRepoId('/home/me/repo'), /^[0-9a-f]{16}$/);
  assert.notEqual(nodeRepoId('/home/me/repo'), nodeRepoId('/home/me/other'));
});

test('spawn_worker node: a configured node is chosen; an unknown one is refused naming the nodes', () => {
  const rt = {
    config: {
      nodes: { lostAfter: 60, gpu1: { host: 'gpu1.lan' }, pods: { host: 'p' } },
      runtimes: { pods: { exec: '/x' } },
    },
    newNodeRuntime: () => {
      throw new Error('not built here');
    },
  } as unknown as Runtime;
  assert.equal(chooseNode(rt, 'gpu1'), 'gpu1');
  assert.equal(chooseRuntime(rt, 'gpu1'), 'gpu1');
  // A runtime of the same name shadows the node.
  assert.equal(nodeSpecOf(rt, 'pods'), undefined);
  assert.throws(
    () => chooseNode(rt, 'gpu2'),
    (e: ToolError) => /unknown node "gpu2" \(E_NODE_UNKNOWN\)\. Nodes: gpu1, pods/.test(e.message),
  );
  // A session that cannot reach nodes refuses them all.
  assert.throws(() => chooseNode({ ...rt, newNodeRuntime: undefined }, 'gpu1'), /E_NODE_UNKNOWN/);
});
