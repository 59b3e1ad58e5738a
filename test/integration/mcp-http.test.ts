/** The MCP endpoint over real HTTP on 127.0.0.1 with the SDK client: tokens, Host/Origin, size limit, roles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMcpHttpServer, type McpHttpOptions } from '../../src/mcp/http-server.js';
import { makeOwnerOnly, removeStaleSocket } from '../../src/adapters/system/files.js';
import { buildMcpServer } from '../../src/mcp/build-server.js';
import { connectCrewmux } from '../../src/demo/mcp-client.js';
import type { Runtime } from '../../src/app/runtime.js';
import type { Principal } from '../../src/mcp/principal.js';

const LEAD = 'lead-token-0123456789';
const WORKER = 'worker-token-0123456789';
// Listing tools never touches the runtime; a bare object stands in for it.
const rt = { options: { toolWaitS: 45 } } as unknown as Runtime;

/** The MCP endpoint (not listening yet) for the lead's token and worker w01's, with `extra` options. */
const serve = (extra: Partial<McpHttpOptions> = {}) =>
  createMcpHttpServer({
    book: { lead: LEAD, workerByToken: (t) => (t === WORKER ? 'w01' : undefined) },
    buildServer: (p) => buildMcpServer(p, { rt, version: '0.0.0-test' }),
    ...extra,
  });

/** A POST to /mcp on 127.0.0.1:`to` (a port) or over the Unix socket `to` (a path); resolves with the status. */
function raw(to: number | string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...(typeof to === 'number' ? { host: '127.0.0.1', port: to } : { socketPath: to }),
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const init = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

test('requests with a wrong token, a foreign Host or Origin, or an oversized body are refused', async () => {
  const server = serve({ maxBodyBytes: 4096 });
  const port = await server.listen(0);
  try {
    const host = `127.0.0.1:${port}`;
    assert.equal(await raw(port, { host, authorization: 'Bearer nope' }, init), 401);
    assert.equal(await raw(port, { host }, init), 401);
    assert.equal(await raw(port, { host: 'evil.example:80', authorization: `Bearer ${LEAD}` }, init), 403);
    assert.equal(await raw(port, { host, origin: 'http://evil.example', authorization: `Bearer ${LEAD}` }, init), 403);
    assert.equal(
      await raw(port, { host, authorization: `Bearer ${LEAD}` }, JSON.stringify({ pad: 'x'.repeat(5000) })),
      413,
    );
    assert.equal(
      await raw(port, { host, origin: `http://localhost:${port}`, authorization: `Bearer ${LEAD}` }, init),
      200,
    );
  } finally {
    await server.close();
  }
});

test('the lead sees lead tools; a worker sees only its own and cannot call a lead tool; each tools/list is told', async () => {
  const listed: Principal[] = [];
  const server = serve({ onToolsListed: (p) => listed.push(p) });
  const port = await server.listen(0);
  const url = `http://127.0.0.1:${port}/mcp`;
  try {
    const lead = await connectCrewmux(url, LEAD);
    // Connecting (initialize) is not listing: the lead's start-up waits for the list itself.
    assert.deepEqual(listed, []);
    const leadTools = await lead.tools();
    assert.deepEqual(listed, [{ role: 'lead' }]);
    for (const t of [
      'spawn_worker',
      'wait_for_worker',
      'read_worker_output',
      'send_to_worker',
      'list_workers',
      'kill_worker',
      'report_progress',
      'list_perspectives',
      'mark_goal_done',
      'mark_goal_failed',
      'worker_diff',
      'merge_worker',
      'discard_worker',
      'verify',
      'cross_review',
    ]) {
      assert.ok(leadTools.includes(t), `lead lacks ${t}`);
    }
    assert.ok(!leadTools.includes('worker_done'));
    const perspectives = await lead.call('list_perspectives');
    assert.match(perspectives.text, /reviewer \(read-only\)/);
    const bad = await lead.call('wait_for_worker', { timeout_s: 'soon' });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /^Error: /);

    const worker = await connectCrewmux(url, WORKER);
    assert.deepEqual((await worker.tools()).sort(), [
      'ask',
      'get_answer',
      'report_progress',
      'submit_verdict',
      'worker_done',
    ]);
    assert.deepEqual(listed, [{ role: 'lead' }, { role: 'worker', workerId: 'w01' }]);
    const refused = await worker.call('spawn_worker', { task: 'x' });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /^Error: unknown tool "spawn_worker"\. The tools you have: [\w, ]*worker_done[\w, ]*\./);
    await lead.close();
    await worker.close();
  } finally {
    await server.close();
  }
});

test('an idle keep-alive connection stays open past the 5 s Node default: a request sent on it later is answered', async () => {
  const server = serve();
  const port = await server.listen(0);
  const socket = connect(port, '127.0.0.1');
  try {
    let received = '';
    let closedAt: number | undefined;
    socket.on('data', (d) => (received += d.toString()));
    socket.on('close', () => (closedAt = Date.now()));
    const ask = () =>
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${LEAD}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(init)}\r\n\r\n${init}`,
      );
    const answers = () => received.split('HTTP/1.1 200').length - 1;
    const until = async (ok: () => boolean) => {
      while (!ok() && closedAt === undefined) await new Promise((r) => setTimeout(r, 20));
    };
    ask();
    await until(() => answers() === 1 && /protocolVersion[\s\S]*$/.test(received));
    assert.match(received, /Keep-Alive: timeout=600/i, 'clients are told how long the server keeps the connection');
    // Quiet for longer than Node's default keep-alive (a lead thinking between tool calls).
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(closedAt, undefined, 'the server kept the idle connection');
    ask();
    await until(() => answers() === 2);
    assert.equal(answers(), 2, 'the second request on the same connection was answered');
  } finally {
    socket.destroy();
    await server.close();
  }
});

test('the Unix socket nodes relay to: 0600, a leftover socket replaced, the same token and Host checks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-mcp-sock-'));
  chmodSync(dir, 0o700);
  const path = join(dir, 'mcp.sock');
  // A supervisor killed with SIGKILL leaves its socket file behind (nobody listens on it).
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
  assert.ok(lstatSync(path).isSocket(), 'the leftover socket is there');
  const server = serve({ socketFiles: { removeStale: removeStaleSocket, makeOwnerOnly } });
  await server.listen(0);
  try {
    await server.listenSocket(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    server.allowRelayedHost('127.0.0.1:40123');
    const relayed = { host: '127.0.0.1:40123' };
    assert.equal(await raw(path, { ...relayed, authorization: `Bearer ${WORKER}` }, init), 200);
    assert.equal(await raw(path, { ...relayed, authorization: 'Bearer nope' }, init), 401);
    assert.equal(await raw(path, { host: '127.0.0.1:40124', authorization: `Bearer ${WORKER}` }, init), 403);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
