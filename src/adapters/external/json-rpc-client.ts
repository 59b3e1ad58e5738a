/** A one-shot JSON-RPC 2.0 call over a Unix socket (newline-delimited JSON), as spoken by crewmux-shim. */
import { connect } from 'node:net';

/** A JSON-RPC error reply, or a transport failure (`code` undefined: no socket, timeout, closed). */
export class RpcCallError extends Error {
  readonly code?: number;
  constructor(message: string, code?: number) {
    super(message);
    this.name = 'RpcCallError';
    this.code = code;
  }
}

/** Calls `method` on the server at `socketPath`; rejects with RpcCallError after `timeoutMs` (default 5 000). */
export function callRpc(socketPath: string, method: string, params?: unknown, timeoutMs = 5_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new RpcCallError(`${method}: no reply within ${timeoutMs} ms`))),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('connect', () =>
      sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params ?? {} }) + '\n'),
    );
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      finish(() => {
        try {
          const msg = JSON.parse(buf.slice(0, nl)) as { result?: unknown; error?: { code: number; message: string } };
          if (msg.error) reject(new RpcCallError(msg.error.message, msg.error.code));
          else resolve(msg.result);
        } catch {
          reject(new RpcCallError(`${method}: reply is not JSON`));
        }
      });
    });
    sock.on('error', (e) => finish(() => reject(new RpcCallError(`${method}: ${e.message}`))));
    sock.on('close', () => finish(() => reject(new RpcCallError(`${method}: connection closed without a reply`))));
  });
}
