/**
 * A small stand-in for crewmux's MCP server (the real one is built elsewhere): Streamable HTTP on
 * 127.0.0.1 (stateless mode), bearer token checked, crewmux's tool names, every call recorded.
 * Lead tools answer like a short real run: wait_for_worker says "still running, call again" once, and
 * mark_goal_done refuses its first call with an "Error:" text, so a lead has to react.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface RecordedCall {
  tool: string;
  args: Record<string, unknown>;
  result: string;
  client?: string;
}

export interface StandInMcpOptions {
  token: string;
  /** Runs before a `worker_done` call answers (e.g. to capture the busy pane); the call waits for it. */
  beforeWorkerDone?: () => Promise<void>;
}

export interface StandInMcp {
  listen(): Promise<string>;
  url: string;
  calls: RecordedCall[];
  /** Emits `call` with each RecordedCall. */
  events: EventEmitter;
  /** Requests refused for a missing or wrong bearer token. */
  unauthorized: number;
  close(): Promise<void>;
}

/** Creates (does not start) the stand-in server; `listen()` resolves its URL `http://127.0.0.1:PORT/mcp`. */
export function createStandInMcp(opts: StandInMcpOptions): StandInMcp {
  const calls: RecordedCall[] = [];
  const events = new EventEmitter();
  let waits = 0;
  let marks = 0;
  const count = (t: string) => calls.filter((c) => c.tool === t).length;

  function build(client: string | undefined): McpServer {
    const mcp = new McpServer({ name: 'crewmux', version: '0.0.0-stand-in' });
    const tool = (
      name: string,
      description: string,
      shape: z.ZodRawShape,
      answer: (a: Record<string, unknown>) => Promise<string> | string,
    ) => {
      mcp.registerTool(name, { description, inputSchema: shape }, async (args: Record<string, unknown>) => {
        const result = await answer(args);
        const rec = { tool: name, args, result, client };
        calls.push(rec);
        events.emit('call', rec);
        return { content: [{ type: 'text' as const, text: result }], isError: result.startsWith('Error:') };
      });
    };
    tool(
      'spawn_worker',
      'Start a worker on a task; returns its id.',
      { task: z.string(), perspective: z.string().optional(), agent: z.string().optional() },
      () => `Started worker w${count('spawn_worker') + 1}. {"worker_id":"w${count('spawn_worker') + 1}"}`,
    );
    tool(
      'wait_for_worker',
      'Block until a worker finishes; "still running" means call again.',
      { worker_id: z.string(), timeout_s: z.number().optional() },
      (a) =>
        ++waits === 1
          ? `Worker ${String(a.worker_id)} is still running, call again.`
          : `Worker ${String(a.worker_id)} finished: done.`,
    );
    tool('list_workers', 'List the workers and their states.', {}, () => 'w1 finished (merged)');
    tool(
      'merge_worker',
      "Merge a finished worker's branch.",
      { worker_id: z.string() },
      (a) => `Merged ${String(a.worker_id)}.`,
    );
    tool('verify', "Run the project's verify commands.", {}, () => 'Verify passed.');
    tool('mark_goal_done', 'End the session: the goal is met.', { summary: z.string() }, () =>
      ++marks === 1
        ? 'Error: worker w1 is not merged yet. Call list_workers, then mark_goal_done again.'
        : 'Goal marked done.',
    );
    tool(
      'mark_goal_failed',
      'End the session: the goal cannot be met.',
      { reason: z.string() },
      () => 'Goal marked failed.',
    );
    tool(
      'worker_done',
      'A worker reports its task finished.',
      { status: z.enum(['done', 'failed', 'blocked']), summary: z.string() },
      async () => {
        await opts.beforeWorkerDone?.();
        return 'Recorded. You can stop now.';
      },
    );
    return mcp;
  }

  let clientName: string | undefined;
  const readJson = (req: IncomingMessage) =>
    new Promise<unknown>((resolve) => {
      let s = '';
      req
        .setEncoding('utf8')
        .on('data', (d: string) => {
          s += d;
        })
        .on('end', () => {
          try {
            resolve(s ? JSON.parse(s) : undefined);
          } catch {
            resolve(undefined);
          }
        });
    });
  const self: StandInMcp = {
    url: '',
    calls,
    events,
    unauthorized: 0,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
          resolve(self.url);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${opts.token}`) {
        self.unauthorized++;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const body = await readJson(req);
      const info = (body as { params?: { clientInfo?: { name?: string } } } | undefined)?.params?.clientInfo?.name;
      if (info) clientName = info;
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      const mcp = build(clientName);
      res.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  return self;
}
