/**
 * The node side of the node channel: JSON-RPC lines on stdin answered on stdout (`crewmux node serve
 * --stdio`, run by the lead host through ssh), requests dispatched as the shim's socket server does
 * (adapters/external/json-rpc-server.ts). Nothing else may write to stdout: the lead reads every stdout line
 * as the protocol. Lines over `maxLineBytes` are refused and end the conversation.
 */
import { createInterface } from 'node:readline';
import { dispatchRpcLine, type RpcHandler } from '../external/json-rpc-server.js';
import { RPC_ERRORS } from '../../core/external/shim-protocol.js';

export interface StdioServer {
  /** Sends a notification (an event: `method` and `params`, no id). */
  notify(method: string, params: unknown): void;
  /** Resolves when stdin has ended and every answer has been written. */
  readonly done: Promise<void>;
}

/** Serves `methods` on `input`/`output` (default the process's stdin and stdout) until `input` ends. */
export function serveStdio(
  methods: Record<string, RpcHandler>,
  io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream; maxLineBytes?: number } = {},
): StdioServer {
  const input = io.input ?? process.stdin;
  const output = io.output ?? process.stdout;
  const max = io.maxLineBytes ?? 4 * 1024 * 1024;
  const write = (msg: object) => output.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
  const open = new Set<Promise<void>>();
  const lines = createInterface({ input, crlfDelay: Infinity });
  const done = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line.length > max) {
        write({
          id: null,
          error: { code: RPC_ERRORS.invalidRequest, message: `request line longer than ${max} bytes` },
        });
        lines.close();
        return;
      }
      if (line.trim() === '') return;
      const p = dispatchRpcLine(methods, line).then(write, () => undefined);
      const settled = p.then(() => undefined);
      open.add(settled);
      void settled.then(() => open.delete(settled));
    });
    lines.on('close', () => void Promise.all([...open]).then(() => resolve()));
  });
  return { notify: (method, params) => write({ method, params }), done };
}
