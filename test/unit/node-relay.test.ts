/**
 * A node's relay to the MCP server (docs/architecture.md "Worker nodes"): the loopback port on the node its workers'
 * agents were configured with lives in the shared ssh connection's master. A cut longer than ssh's keepalive, or a
 * crash of the supervisor, can take that master and the port with it; each new channel checks the master and makes
 * the port again, on the same number, leading to where the MCP server is now; the MCP server is told to accept that
 * port's Host header. A port that cannot be had again is said (`node.relay_failed`). On a fake ssh master.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { createNodeRuntime, type NodeRelay } from '../../src/app/nodes/node-runtime.js';
import { createScriptedConnector, SCRIPTED_NODE } from '../helpers/fake-node.js';

/** Channels that answer hello and worker.running, and can be cut like a dropped link. */
function connector(onPoke: (port: number) => void = () => undefined) {
  const { connector: c, channels } = createScriptedConnector((method, params) => {
    if (method === 'relay.poke') {
      onPoke((params as { port: number }).port);
      return { reached: true };
    }
    if (method === 'worker.running') return { running: true };
    return { watching: 1 };
  });
  return { connector: c, cutLast: () => channels.at(-1)!.cut() };
}

/** An ssh master: its pid, the node ports it forwards (to what), ports held by someone else on the node. */
function fakeMaster() {
  const m = {
    pid: 100 as number | undefined,
    forwards: new Map<number, number | string>(),
    taken: new Set<number>(),
    asked: [] as string[],
    /** The master dies (a long cut): its forwards go; the next ssh starts another. */
    die() {
      m.pid = undefined;
      m.forwards.clear();
    },
  };
  const up = () => (m.pid ??= 200 + m.asked.length);
  return {
    m,
    deps: {
      async forwardRemote(_spec: unknown, to: number | string, nodePort = 0) {
        up();
        m.asked.push(`forward ${nodePort} -> ${to}`);
        const port = nodePort || 40000 + m.forwards.size;
        if (m.forwards.has(port) || m.taken.has(port))
          throw new Error(`remote port forwarding failed for listen port ${port}`);
        m.forwards.set(port, to);
        return port;
      },
      async cancelForward(_spec: unknown, to: number | string, nodePort = 0) {
        m.asked.push(`cancel ${nodePort} -> ${to}`);
        return m.forwards.get(nodePort) === to && m.forwards.delete(nodePort);
      },
      masterPid: async () => m.pid,
    },
  };
}

test('relay: a new channel makes the lost relay again on the same node port; a live one is left; a taken port is said', async () => {
  const pokes: number[] = [];
  let zombie = false;
  const { m, deps } = fakeMaster();
  // The node's sshd lets go of a port held for a dead connection once something connects to it (relay.poke).
  const { connector: conn, cutLast } = connector((port) => {
    pokes.push(port);
    if (zombie) m.taken.delete(port);
  });
  // Recorded by an earlier supervisor of this session (resume): port 40123 of master 100, to the MCP socket.
  let record: NodeRelay | undefined = { port: 40123, to: '/run/crewmux/mcp/s.sock', master: 100 };
  m.forwards.set(40123, '/run/crewmux/mcp/s.sock');
  const allowed: string[] = [];
  const events: [string, unknown][] = [];
  const node = createNodeRuntime({
    ...SCRIPTED_NODE,
    connector: conn,
    ...deps,
    mcpTarget: () => '/run/crewmux/mcp/s.sock',
    relayRecord: { load: () => record, save: (r) => (record = { ...r }) },
    allowMcpHost: (h) => allowed.push(h),
    sleep: async () => undefined,
    emit: (type, _msg, _w, data) => void events.push([type, data]),
  });
  const h = { id: 's1/w01' };
  try {
    // Its master still runs: nothing is forwarded again; the port's Host header is allowed here.
    await node.status(h);
    assert.deepEqual(m.asked, []);
    assert.deepEqual(allowed, ['127.0.0.1:40123']);

    // A cut outlasts ServerAlive: the master and its forward are gone; the next channel makes it again, same port.
    m.die();
    cutLast();
    for (let i = 0; i < 5; i++) await turn();
    await node.status(h);
    assert.deepEqual(m.asked, ['forward 40123 -> /run/crewmux/mcp/s.sock']);
    assert.equal(m.forwards.get(40123), '/run/crewmux/mcp/s.sock');
    assert.deepEqual(record, { port: 40123, to: '/run/crewmux/mcp/s.sock', master: m.pid });
    assert.deepEqual(events, [['node.relay_restored', { node: 'gpu1', port: 40123 }]]);
    assert.deepEqual(pokes, []);

    // Lost again; the node's sshd still holds the port for the dead connection until the node pokes it.
    m.die();
    m.taken.add(40123);
    zombie = true;
    cutLast();
    for (let i = 0; i < 5; i++) await turn();
    await node.status(h);
    assert.deepEqual(pokes, [40123]);
    assert.equal(m.forwards.get(40123), '/run/crewmux/mcp/s.sock');
    assert.equal(events.at(-1)![0], 'node.relay_restored');

    // Lost again, and another process on the node took the port meanwhile: said, and the worker runs on.
    m.die();
    m.taken.add(40123);
    zombie = false;
    cutLast();
    for (let i = 0; i < 5; i++) await turn();
    assert.deepEqual(await node.status(h), { running: true });
    assert.equal(events.at(-1)![0], 'node.relay_failed');
    assert.match(String((events.at(-1)![1] as { error: string }).error), /remote port forwarding failed/);
  } finally {
    await node.close();
  }
});

test('relay: a relay that leads to a port the MCP server no longer has is moved to where it is now', async () => {
  const { connector: conn } = connector();
  const { m, deps } = fakeMaster();
  // The master survived the supervisor's crash, relaying to the old MCP port; the server came back on another.
  let record: NodeRelay | undefined = { port: 40007, to: 5100, master: 100 };
  m.forwards.set(40007, 5100);
  const node = createNodeRuntime({
    ...SCRIPTED_NODE,
    connector: conn,
    ...deps,
    mcpTarget: () => 5200,
    sleep: async () => undefined,
    relayRecord: { load: () => record, save: (r) => (record = { ...r }) },
  });
  try {
    await node.status({ id: 's1/w01' });
    assert.deepEqual(m.asked, ['cancel 40007 -> 5100', 'forward 40007 -> 5200']);
    assert.equal(m.forwards.get(40007), 5200);
    assert.equal(record?.to, 5200);
  } finally {
    await node.close();
  }
});
