/**
 * The node's way back to the lead's MCP server (docs/architecture.md "Worker nodes"): `ssh -O forward -R
 * 127.0.0.1:0:127.0.0.1:PORT` on the shared connection gives the node user a loopback port that reaches a
 * loopback-only HTTP server on the lead side, through real sshd in the lab; the port exists only on the
 * node's loopback (nothing listens on its network address), and it is gone once cancelled.
 * Skipped (with the reason) where the lab cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, createTestEnv } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';

const skip = sshLabSkipReason();

/** Runs in the lead namespace: a loopback HTTP server, the forward, and requests from the node user over ssh. */
const PROBE = `
import { createServer } from 'node:http';
const { createSsh } = await import(process.env.SSH_MODULE);
const server = createServer((req, res) => res.end('lead-mcp-ok ' + req.url));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const localPort = server.address().port;
const target = JSON.parse(process.env.TARGET);
const ssh = createSsh({ command: process.env.CREWMUX_SSH_COMMAND, runtimeDir: process.env.RUNTIME_DIR });
const fetchOnNode = (host, port) => ssh.run(target, [process.execPath, '-e',
  \`fetch('http://\${host}:\${port}/mcp').then((r) => r.text()).then(console.log, (e) => { console.log('failed', e.cause?.code ?? e.message); })\`]);
const remotePort = await ssh.forwardRemote(target, localPort);
const viaLoopback = await fetchOnNode('127.0.0.1', remotePort);
const viaAddress = await fetchOnNode(target.host, remotePort);
const cancelled = await ssh.cancelForward(target, localPort);
const afterCancel = await fetchOnNode('127.0.0.1', remotePort);
await ssh.control(target, 'exit');
server.close();
console.log(JSON.stringify({ remotePort, localPort, cancelled, viaLoopback: viaLoopback.stdout.trim(), viaAddress: viaAddress.stdout.trim(),
  afterCancel: afterCancel.stdout.trim(), stderr: viaLoopback.stderr }));
`;

/**
 * Runs `probe` (an ES module) in the lead namespace of a new one-node lab, with the ssh adapter, the lab's ssh
 * command, a runtime dir and the node as its target; resolves with its last stdout line parsed as JSON.
 */
async function runProbe<T>(probe: string): Promise<{ out: T; stdout: string }> {
  const lab = await createSshLab({ nodes: 1 });
  const t = createTestEnv();
  try {
    const [node] = lab.nodes;
    const r = await lab.runInLead([process.execPath, '--input-type=module', '-e', probe], {
      env: {
        ...t.env,
        CREWMUX_SSH_COMMAND: lab.sshCommand,
        SSH_MODULE: join(ROOT, 'dist', 'src', 'adapters', 'nodes', 'ssh.js'),
        RUNTIME_DIR: t.env.CREWMUX_RUNTIME_DIR,
        TARGET: JSON.stringify({ host: node!.ip, user: node!.user }),
      },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return { out: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T, stdout: r.stdout };
  } finally {
    t.cleanup();
    await lab.close();
  }
}

test('ssh -O forward -R gives the node a loopback port to a loopback server on the lead side', { skip }, async () => {
  const { out, stdout } = await runProbe<Record<string, string | number | boolean>>(PROBE);
  assert.ok(Number(out.remotePort) > 0, stdout);
  assert.equal(out.viaLoopback, 'lead-mcp-ok /mcp', stdout);
  // Bound to the node's loopback only: its network address has nothing there.
  assert.equal(out.viaAddress, 'failed ECONNREFUSED', stdout);
  assert.equal(out.cancelled, true, stdout);
  assert.equal(out.afterCancel, 'failed ECONNREFUSED', stdout);
});

/** Runs in the lead namespace: a server on a Unix socket, the forward to it, the master's loss, the same port again. */
const SOCKET_PROBE = `
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
const { createSsh } = await import(process.env.SSH_MODULE);
const dir = process.env.RUNTIME_DIR + '/mcp';
mkdirSync(dir, { recursive: true, mode: 0o700 });
const path = dir + '/probe.sock';
const server = createServer((req, res) => res.end('lead-socket-ok ' + req.headers.host));
await new Promise((r) => server.listen(path, r));
const target = JSON.parse(process.env.TARGET);
const ssh = createSsh({ command: process.env.CREWMUX_SSH_COMMAND, runtimeDir: process.env.RUNTIME_DIR });
const fetchOnNode = (port) => ssh.run(target, [process.execPath, '-e',
  \`fetch('http://127.0.0.1:\${port}/mcp').then((r) => r.text()).then(console.log, (e) => { console.log('failed', e.cause?.code ?? e.message); })\`]);
const port = await ssh.forwardRemote(target, path);
const first = await fetchOnNode(port);
const master1 = await ssh.masterPid(target);
// The master goes (as when a cut outlasts ServerAlive): its forward goes with it.
await ssh.control(target, 'exit');
const gone = await ssh.masterPid(target);
const again = await ssh.forwardRemote(target, path, port);
const master2 = await ssh.masterPid(target);
const second = await fetchOnNode(port);
await ssh.control(target, 'exit');
server.close();
console.log(JSON.stringify({ port, again, master1, gone: gone ?? null, master2, first: first.stdout.trim(), second: second.stdout.trim() }));
`;

test(
  'a forward to a Unix socket here is made again on the same node port after its master is gone',
  { skip },
  async () => {
    const { out, stdout } = await runProbe<Record<string, string | number | null>>(SOCKET_PROBE);
    assert.ok(Number(out.port) > 0, stdout);
    assert.equal(out.first, `lead-socket-ok 127.0.0.1:${out.port}`, stdout);
    assert.ok(Number(out.master1) > 0, stdout);
    assert.equal(out.gone, null, stdout);
    assert.equal(out.again, out.port, stdout);
    assert.ok(Number(out.master2) > 0 && out.master2 !== out.master1, stdout);
    assert.equal(out.second, `lead-socket-ok 127.0.0.1:${out.port}`, stdout);
  },
);
