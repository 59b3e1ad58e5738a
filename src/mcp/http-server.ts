/**
 * The MCP endpoint: Streamable HTTP at /mcp on 127.0.0.1 (SDK transport, stateless: a fresh transport
 * per request, servers pooled per principal). Before the SDK sees a request it must pass three gates:
 * Host and Origin name this loopback port (DNS-rebinding protection), the body is under the size limit,
 * and the bearer token names a principal, who gets only that role's tools.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { principalOf, type Principal, type TokenBook } from './principal.js';

/** How long an idle keep-alive connection to the MCP endpoint stays open (see `listen`). */
export const KEEP_ALIVE_MS = 600_000;

export interface McpHttpOptions {
  book: TokenBook;
  /** A fresh McpServer with the tools of `principal`'s role. */
  buildServer(principal: Principal): McpServer;
  /** Request body limit in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Called after `principal`'s tools/list request was answered (the lead's start-up waits for it). */
  onToolsListed?(principal: Principal): void;
  /** The file steps `listenSocket` needs (src/adapters/system/files.ts, wired in src/compose/); without them it throws. */
  socketFiles?: SocketFiles;
}

/** File steps around a Unix socket listener: this driving adapter does no file I/O itself. */
export interface SocketFiles {
  /** Removes a leftover socket at the path (a supervisor that was killed); leaves anything else. */
  removeStale(path: string): void;
  /** Makes the new socket 0600. */
  makeOwnerOnly(path: string): void;
}

/** True when the JSON-RPC body (one message or a batch) holds a tools/list request. */
function listsTools(body: unknown): boolean {
  const msgs = Array.isArray(body) ? (body as unknown[]) : [body];
  return msgs.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/list');
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      resolve('too-large');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve('too-large');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export type McpHttpServer = ReturnType<typeof createMcpHttpServer>;

export function createMcpHttpServer(opts: McpHttpOptions) {
  const open = new Set<McpServer>();
  const pools = new Map<string, McpServer[]>();
  let closed = false;
  const limit = opts.maxBodyBytes ?? 1024 * 1024;
  let port = 0;
  let http: Server | undefined;
  let socketServer: Server | undefined;

  // Loopback ports on this host's name that relay here (a worker node's `ssh -R` forward lands on the node's
  // loopback; its agent's Host header names the node's port).
  const relayed = new Set<string>();
  function hostAllowed(req: IncomingMessage): boolean {
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, ...relayed];
    if (!allowed.includes(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    return origin === undefined || allowed.some((h) => origin === `http://${h}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!hostAllowed(req)) return reply(res, 403, 'Forbidden: Host or Origin is not this loopback server');
    if (url.pathname !== '/mcp') return reply(res, 404, 'Not found: the MCP endpoint is /mcp');
    const principal = principalOf(req.headers.authorization, opts.book);
    if (!principal) return reply(res, 401, 'Unauthorized: missing or wrong bearer token');

    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, limit);
      if (raw === 'too-large') return reply(res, 413, `Payload too large: the limit is ${limit} bytes`);
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply(res, 400, 'Parse error: the body is not JSON');
      }
    }

    // Stateless Streamable HTTP: a fresh server and transport per request, bound to the request's
    // principal. Nothing lives between requests, so a restarted supervisor on the same port is
    // invisible to connected agents (all five supported CLIs work in stateless mode).
    // Building a server with all its tools costs milliseconds, so idle ones are pooled per principal and
    // connected to a fresh transport for each request (one request per server at a time).
    const key = principal.role === 'lead' ? 'lead' : `worker:${principal.workerId}`;
    const pool = pools.get(key) ?? [];
    pools.set(key, pool);
    const server = pool.pop() ?? opts.buildServer(principal);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    open.add(server);
    res.on('close', () => {
      open.delete(server);
      void transport.close().then(() => {
        if (!closed && pool.length < 8) pool.push(server);
      });
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (res.statusCode === 200 && listsTools(body)) opts.onToolsListed?.(principal);
  }

  const newServer = () => {
    const server = createServer((req, res) => {
      handle(req, res).catch((e) => {
        if (!res.headersSent) reply(res, 500, `Internal error: ${(e as Error).message}`);
        else res.end();
      });
    });
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    return server;
  };

  return {
    /** Listens on 127.0.0.1:`wantPort` (0 picks a free port); resolves to the port. */
    listen(wantPort = 0): Promise<number> {
      http = newServer();
      // An idle keep-alive connection stays open for 10 minutes (Node's default is 5 s). A client that reuses one just
      // as the server closes it gets "other side closed" for a request it already sent, which no client retries (a
      // POST): under load a lead's tool call failed that way after a few seconds of quiet. Clients close first:
      // undici leaves a second before the server's `Keep-Alive: timeout=600`, hyper after 90 s, httpx after 5 s.
      return new Promise((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(wantPort, '127.0.0.1', () => {
          const addr = http!.address();
          port = typeof addr === 'object' && addr ? addr.port : wantPort;
          resolve(port);
        });
      });
    },
    get port() {
      return port;
    },
    /**
     * Accepts requests whose Host header is `hostPort` (`127.0.0.1:PORT`): a loopback port on a worker node that
     * ssh relays to this server. The server still listens on 127.0.0.1 only, and every request needs a token.
     */
    allowRelayedHost(hostPort: string): void {
      if (!/^127\.0\.0\.1:\d+$/.test(hostPort)) throw new Error(`not a loopback host:port: ${hostPort}`);
      relayed.add(hostPort);
    },
    /**
     * Serves the same endpoint on the Unix socket `path` too (its dir must be the user's, 0700; the socket is made
     * 0600): where worker nodes' relays lead, so no other local user can stand in for this server while it is down.
     * A leftover socket at `path` (a supervisor that was killed) is replaced. Requests still need a token and an
     * allowed Host header. Resolves once it listens; rejects with the listen error.
     */
    async listenSocket(path: string): Promise<void> {
      const files = opts.socketFiles;
      if (!files) throw new Error('listenSocket needs the socketFiles option (src/adapters/system/files.ts)');
      files.removeStale(path);
      const server = newServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      files.makeOwnerOnly(path);
      socketServer = server;
    },
    /** Closes every MCP session and the listeners. */
    async close(): Promise<void> {
      closed = true;
      for (const s of open) await s.close().catch(() => undefined);
      open.clear();
      pools.clear();
      for (const server of [http, socketServer]) {
        if (!server) continue;
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    },
  };
}
