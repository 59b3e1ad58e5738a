/**
 * The node use cases (src/app/nodes/manage.ts) over the fake connector and config: a node is stored only when
 * it answers with this version; another version, crewmux missing or a failed link is a UserError naming the
 * node with a hint for its host, nothing stored, its shared connection ended; list/check/remove.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addNode, checkNode, listNodes, removeNode } from '../../src/app/nodes/manage.js';
import type { UserError } from '../../src/core/errors.js';
import { NODE_PROTOCOL, type HelloResult } from '../../src/core/nodes/protocol.js';
import { createFakeNodeConnector, createMemoryNodesConfig } from '../fakes/nodes.js';

const hello = (version: string, protocol = NODE_PROTOCOL): HelloResult => ({
  version,
  protocol,
  dataDir: '/home/w/.local/share/crewmux',
  hostname: 'gpu1',
  platform: 'linux',
  freeMemoryBytes: 8e9,
  totalMemoryBytes: 16e9,
  workersRunning: 0,
  agents: [{ name: 'claude', found: true, version: '2.1.0' }],
});

test('node add stores a node answering this version; refuses another version without storing it', async () => {
  const connector = createFakeNodeConnector({ gpu1: { hello: hello('1.0.0') }, old: { hello: hello('0.9.0') } });
  const config = createMemoryNodesConfig({ lostAfter: 30 });
  const deps = { config, connector, version: '1.0.0' };
  const status = await addNode(
    { name: 'g1', target: 'me@gpu1:2222', maxWorkers: 2, agents: ['claude', 'codex'] },
    deps,
  );
  assert.equal(status.ok, true);
  assert.deepEqual(status.warnings, ['not installed on the node: codex']);
  assert.deepEqual(config.read(), {
    lostAfter: 30,
    g1: { host: 'gpu1', user: 'me', port: 2222, maxWorkers: 2, agents: ['claude', 'codex'] },
  });
  assert.deepEqual(connector.closed, ['gpu1']);

  await assert.rejects(addNode({ name: 'o', target: 'old' }, deps), (e: UserError) => {
    assert.equal(e.code, 'E_NODE_VERSION');
    assert.match(e.message, /node o \(old\) runs crewmux 0\.9\.0 .*this host runs 1\.0\.0/);
    assert.match(e.hint, /npm install -g crewmux@1\.0\.0` on old/);
    return true;
  });
  assert.deepEqual(connector.disconnected, ['old']);
  await assert.rejects(addNode({ name: 'g1', target: 'gpu1' }, deps), (e: UserError) => e.code === 'E_NODE_EXISTS');
  assert.equal(config.writes, 1);
});

test('node add: the same version speaking another node protocol is refused as two builds of one version', async () => {
  const connector = createFakeNodeConnector({ dev: { hello: hello('1.0.0', NODE_PROTOCOL - 1) } });
  const config = createMemoryNodesConfig();
  await assert.rejects(
    addNode({ name: 'd', target: 'dev' }, { config, connector, version: '1.0.0' }),
    (e: UserError) => {
      assert.equal(e.code, 'E_NODE_VERSION');
      assert.equal(
        e.message,
        `node d (dev) runs crewmux 1.0.0 speaking node protocol ${NODE_PROTOCOL - 1}; this host's crewmux 1.0.0 speaks node protocol ${NODE_PROTOCOL} (two different builds of the same version).`,
      );
      assert.match(e.hint, /Install the same build on both/);
      return true;
    },
  );
  assert.equal(config.writes, 0);
});

test('node add: each link failure is its code, naming the node, with the ssh command for its host in the hint', async () => {
  const connector = createFakeNodeConnector({
    nocrew: { failure: { kind: 'exited', exitCode: 127, stderr: 'sh: 1: crewmux: not found' } },
    key: { failure: { kind: 'exited', exitCode: 255, stderr: 'Host key verification failed.' } },
    deny: { failure: { kind: 'exited', exitCode: 255, stderr: 'me@deny: Permission denied (publickey).' } },
    slow: { failure: { kind: 'timeout', method: 'hello', timeoutMs: 45_000 } },
    banner: { failure: { kind: 'protocol', detail: '"Welcome to deny!"' } },
  });
  const config = createMemoryNodesConfig();
  const deps = { config, connector, version: '1.0.0' };
  const code = async (target: string) => {
    try {
      await addNode({ name: 'n', target }, deps);
    } catch (e) {
      return [(e as UserError).code, (e as UserError).message, (e as UserError).hint];
    }
    return ['added'];
  };
  assert.deepEqual((await code('nocrew'))[0], 'E_NODE_NO_CREWMUX');
  assert.match(
    (await code('nocrew'))[1]!,
    /^node n \(nocrew\): crewmux is not installed on the node.*: sh: 1: crewmux: not found\.$/,
  );
  assert.equal((await code('key'))[0], 'E_NODE_HOST_KEY_UNKNOWN');
  const [auth, , authHint] = await code('me@deny:2200');
  assert.equal(auth, 'E_NODE_AUTH');
  assert.match(authHint!, /`ssh -o BatchMode=yes -p 2200 me@deny true`/);
  assert.equal((await code('slow'))[0], 'E_NODE_UNREACHABLE');
  assert.equal((await code('nowhere'))[0], 'E_NODE_UNREACHABLE');
  assert.equal((await code('banner'))[0], 'E_NODE_PROTOCOL');
  assert.equal(config.writes, 0);
  assert.equal(config.read(), undefined);
});

test('node list probes every node and reports failures as statuses; check and remove by name', async () => {
  const connector = createFakeNodeConnector({ a: { hello: hello('1.0.0') } });
  const config = createMemoryNodesConfig({ a: { host: 'a' }, b: { host: 'b', maxWorkers: 1 }, lostAfter: 60 });
  const deps = { config, connector, version: '1.0.0' };
  const list = await listNodes(deps);
  assert.deepEqual(
    list.map((s) => [s.name, s.ok, s.reachable, s.error?.code]),
    [
      ['a', true, true, undefined],
      ['b', false, false, 'E_NODE_UNREACHABLE'],
    ],
  );
  assert.equal((await checkNode('a', deps)).hello?.hostname, 'gpu1');
  await assert.rejects(
    checkNode('zz', deps),
    (e: UserError) => e.code === 'E_NODE_UNKNOWN' && /nodes: a, b/.test(e.message),
  );
  await removeNode('b', deps);
  assert.deepEqual(config.read(), { a: { host: 'a' }, lostAfter: 60 });
  assert.deepEqual(connector.disconnected, ['b']);
  await assert.rejects(removeNode('b', deps), (e: UserError) => e.code === 'E_NODE_UNKNOWN');
});
