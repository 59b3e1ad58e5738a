/**
 * An AcpConnection over an agent's stdio (execPiped, its own process group): one JSON-RPC 2.0 message per line.
 * Replies settle crewmux's requests by id; the agent's requests go to the handler and are answered with its result
 * or error; notifications go to the listeners. A line that is not JSON-RPC (a CLI printing to stdout) is skipped.
 * When the agent exits, every open request rejects with its exit and stderr tail.
 */
import { createInterface } from 'node:readline';
import { execPiped } from '../process/exec.js';
import { AcpRpcError, type AcpConnection, type AcpExit } from '../../app/ports/acp.js';

interface Message {
  id?: number | string | null;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** Starts `argv` (no shell) in `cwd` with `env` and speaks ACP with it. */
export function connectAcp(argv: readonly string[], o: { cwd: string; env: NodeJS.ProcessEnv }): AcpConnection {
  const proc = execPiped(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((method: string, params: unknown) => void)[] = [];
  let handler: (method: string, params: unknown) => Promise<unknown> = (method) =>
    Promise.reject(new AcpRpcError(-32601, `method not found: ${method}`));
  let nextId = 1;
  let ended: AcpExit | undefined;
  const send = (m: Record<string, unknown>) => {
    if (!ended) proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
  };

  const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    let m: Message;
    try {
      m = JSON.parse(line) as Message;
    } catch {
      return;
    }
    if (!m || typeof m !== 'object') return;
    if (typeof m.method === 'string') {
      const method = m.method;
      if (m.id === undefined || m.id === null) {
        for (const fn of listeners) fn(method, m.params);
        return;
      }
      const id = m.id;
      handler(method, m.params).then(
        (result) => send({ id, result: result ?? null }),
        (e: unknown) =>
          send({
            id,
            error: { code: e instanceof AcpRpcError ? e.code : -32603, message: (e as Error).message ?? String(e) },
          }),
      );
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error)
      p.reject(
        new AcpRpcError(
          typeof m.error.code === 'number' ? m.error.code : -32603,
          typeof m.error.message === 'string' ? m.error.message : 'error',
        ),
      );
    else p.resolve(m.result);
  });

  const closed = proc.exited.then((e): AcpExit => {
    ended = {
      exitCode: e.exitCode,
      signal: e.signal,
      stderr: proc.stderrTail(),
      ...(e.error ? { error: e.error.code === 'ENOENT' ? `${argv[0]} is not installed` : e.error.message } : {}),
    };
    const why = ended.error ?? `the agent exited (${ended.signal ?? `code ${ended.exitCode}`})`;
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
    return ended;
  });

  return {
    request(method, params) {
      if (ended) return Promise.reject(new Error(`the agent has exited; ${method} not sent`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ id, method, params });
      });
    },
    notify(method, params) {
      send({ method, params });
    },
    onNotification(fn) {
      listeners.push(fn);
    },
    onRequest(fn) {
      handler = fn;
    },
    closed,
    async close() {
      if (!ended) await proc.stop(3_000);
      return closed;
    },
  };
}
