/**
 * A JSON-RPC 2.0 server on a Unix socket (mode 0600): one JSON object per line each way. Handlers
 * get the parsed params; anything they throw becomes an error reply, never a crash. Lines over
 * `maxLineBytes` are answered with an error and the connection is closed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import { RPC_ERRORS, RpcRequestSchema } from '../../core/external/shim-protocol.js';

/** Thrown by a handler to choose the JSON-RPC error code (default: internal error). */
export class RpcError extends Error {
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

export type RpcHandler = (params: unknown) => unknown;

export interface RpcServer {
  readonly path: string;
  /** Stops accepting, ends open connections and removes the socket file. */
  close(): Promise<void>;
  /** Synchronous best-effort removal of the socket file, for exit paths that cannot wait. */
  unlinkNow(): void;
}

/**
 * Answers one request line with the reply message (without `jsonrpc`): a parse or shape error, an unknown
 * method, the handler's result, or its error (an RpcError keeps its code). Never rejects. Shared by the Unix
 * socket server below and the node channel's stdio server (adapters/nodes/stdio-server.ts).
 */
export async function dispatchRpcLine(methods: Record<string, RpcHandler>, line: string): Promise<object> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { id: null, error: { code: RPC_ERRORS.parse, message: 'parse error: each line must be one JSON object' } };
  }
  const req = RpcRequestSchema.safeParse(raw);
  if (!req.success) {
    const id = raw && typeof raw === 'object' && 'id' in raw ? raw.id : null;
    return {
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      error: {
        code: RPC_ERRORS.invalidRequest,
        message: 'invalid request: expected {"jsonrpc":"2.0","id":N,"method":"...","params":{...}}',
      },
    };
  }
  const { id = null, method, params } = req.data;
  const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (!fn)
    return {
      id,
      error: {
        code: RPC_ERRORS.methodNotFound,
        message: `unknown method "${method}"; known: ${Object.keys(methods).join(', ')}`,
      },
    };
  try {
    const result = await fn(params);
    return { id, result: result ?? null };
  } catch (e) {
    const err =
      e instanceof RpcError ? e : new RpcError(RPC_ERRORS.internal, e instanceof Error ? e.message : String(e));
    return {
      id,
      error: { code: err.code, message: err.message, ...(err.data !== undefined ? { data: err.data } : {}) },
    };
  }
}

/** Listens on `path` (an existing stale socket file is replaced) and serves `methods`. */
export async function listenRpc(
  path: string,
  methods: Record<string, RpcHandler>,
  maxLineBytes = 2 * 1024 * 1024,
): Promise<RpcServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {
      /* a client vanished mid-reply */
    });
    sock.setEncoding('utf8');
    let buf = '';
    const reply = (msg: object) => {
      if (!sock.destroyed) sock.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
    };
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > maxLineBytes && !buf.includes('\n')) {
        reply({
          id: null,
          error: { code: RPC_ERRORS.invalidRequest, message: `request line longer than ${maxLineBytes} bytes` },
        });
        sock.end();
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) void handle(line, reply);
      }
    });
  });

  const handle = async (line: string, reply: (msg: object) => void) => {
    const msg = await dispatchRpcLine(methods, line);
    if (msg) reply(msg);
  };

  try {
    unlinkSync(path);
  } catch {
    /* no stale socket */
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  server.on('error', () => {
    /* accept errors after listen are per-connection */
  });

  const unlinkNow = () => {
    try {
      unlinkSync(path);
    } catch {
      /* gone */
    }
  };
  let closing: Promise<void> | undefined;
  return {
    path,
    unlinkNow,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          unlinkNow();
          resolve();
        });
      });
      return closing;
    },
  };
}
