/** The shim's JSON-RPC server on a real Unix socket: replies, error replies, no crash on garbage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenRpc, RpcError } from '../../src/adapters/external/json-rpc-server.js';
import { callRpc, RpcCallError } from '../../src/adapters/external/json-rpc-client.js';

/** Sends raw `text` and resolves with the reply lines once `n` have arrived. */
function raw(path: string, text: string, n: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`only got: ${buf}`));
    }, 3_000);
    s.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= n) {
        clearTimeout(t);
        s.destroy();
        resolve(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
      }
    });
    s.on('error', reject);
    s.write(text);
  });
}

test('json-rpc server: results, error codes, garbage and oversized lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-rpc-'));
  const path = join(dir, 's.sock');
  const server = await listenRpc(
    path,
    {
      echo: (p) => p,
      boom: () => {
        throw new Error('kaput');
      },
      typed: () => {
        throw new RpcError(-32001, 'agent exited');
      },
    },
    1024,
  );
  try {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await callRpc(path, 'echo', { a: 1 }), { a: 1 });
    await assert.rejects(
      callRpc(path, 'boom'),
      (e: unknown) => e instanceof RpcCallError && e.code === -32603 && /kaput/.test(e.message),
    );
    await assert.rejects(callRpc(path, 'typed'), (e: unknown) => e instanceof RpcCallError && e.code === -32001);
    await assert.rejects(callRpc(path, 'missing'), (e: unknown) => e instanceof RpcCallError && e.code === -32601);
    const replies = await raw(
      path,
      'not json\n{"id":7}\n[1,2]\n{"jsonrpc":"2.0","id":"x","method":"echo","params":[1]}\n',
      4,
    );
    assert.deepEqual(
      replies.map((r) => (r.error as { code: number } | undefined)?.code ?? 'ok'),
      [-32700, -32600, -32600, 'ok'],
    );
    assert.equal(replies[1]!.id, 7);
    const big = await raw(path, 'x'.repeat(2048), 1);
    assert.equal((big[0]!.error as { code: number }).code, -32600);
    assert.deepEqual(await callRpc(path, 'echo', 'still alive'), 'still alive');
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(callRpc(path, 'echo'), (e: unknown) => e instanceof RpcCallError && e.code === undefined);
});
