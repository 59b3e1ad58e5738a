/**
 * A stateful fake of the ACP port (app/ports/acp.ts): an in-memory agent that answers initialize and session/new
 * (with the result fields `session` adds: models, modes), plays each session/prompt with the script the test gives
 * (updates to send, permission requests to ask, requests of its own such as `fs/write_text_file`, a stopReason or an
 * error), records every request and notification crewmux sent and crewmux's replies to its requests, and can exit.
 */
import { AcpRpcError, type AcpConnection, type AcpExit } from '../../src/app/ports/acp.js';

/**
 * What one turn does, in order: send updates, ask permissions (awaiting the answers), send its own requests (awaiting
 * each reply; `sessionId` is filled in when absent), then stop or fail.
 */
export interface FakeTurn {
  updates?: Record<string, unknown>[];
  permission?: { toolCall: Record<string, unknown>; options: { optionId: string; name: string; kind: string }[] };
  requests?: { method: string; params: Record<string, unknown> }[];
  stopReason?: string;
  error?: string;
}

export interface FakeAcpAgent extends AcpConnection {
  /** Requests and notifications crewmux sent, in order. */
  sent: { method: string; params: unknown }[];
  /** Answers crewmux gave to the fake's permission requests. */
  answers: unknown[];
  /** crewmux's replies to the turns' own requests, in order: a result, or an error's code and message. */
  replies: { method: string; result?: unknown; error?: { code: number; message: string } }[];
  /** Ends the fake agent as if its process exited. */
  exit(code: number): void;
  /** Resolves when a request `method` has been sent `n` times in all. */
  sentTimes(method: string, n: number): Promise<void>;
}

/** A fake agent playing `turns` for successive prompts (further prompts end at once with end_turn). */
export function createFakeAcpAgent(
  o: { http?: boolean; turns?: FakeTurn[]; session?: Record<string, unknown> } = {},
): FakeAcpAgent {
  const turns = [...(o.turns ?? [])];
  const listeners: ((m: string, p: unknown) => void)[] = [];
  let handler: (m: string, p: unknown) => Promise<unknown> = () => Promise.reject(new Error('no handler'));
  let onExit: (x: AcpExit) => void = () => undefined;
  const closed = new Promise<AcpExit>((r) => (onExit = r));
  const waiters: { method: string; n: number; resolve: () => void }[] = [];
  const sent: { method: string; params: unknown }[] = [];
  const answers: unknown[] = [];
  const replies: FakeAcpAgent['replies'] = [];
  const record = (method: string, params: unknown) => {
    sent.push({ method, params });
    for (const w of waiters.filter((x) => x.method === method && sent.filter((s) => s.method === method).length >= x.n))
      w.resolve();
  };
  let exited = false;
  const agent: FakeAcpAgent = {
    sent,
    answers,
    replies,
    async request(method, params) {
      record(method, params);
      if (exited) throw new Error('the agent exited');
      if (method === 'initialize')
        return {
          protocolVersion: 1,
          agentInfo: { name: 'fake-acp', version: '1.0.0' },
          agentCapabilities: { mcpCapabilities: { http: o.http ?? true } },
        };
      if (method === 'session/new') return { sessionId: 'sess-1', ...o.session };
      if (method === 'session/prompt') {
        const t = turns.shift() ?? {};
        for (const u of t.updates ?? [])
          for (const fn of listeners) fn('session/update', { sessionId: 'sess-1', update: u });
        if (t.permission)
          answers.push(await handler('session/request_permission', { sessionId: 'sess-1', ...t.permission }));
        for (const r of t.requests ?? [])
          replies.push(
            await handler(r.method, { sessionId: 'sess-1', ...r.params }).then(
              (result) => ({ method: r.method, result }),
              (e: unknown) => ({
                method: r.method,
                error: { code: e instanceof AcpRpcError ? e.code : -32603, message: (e as Error).message },
              }),
            ),
          );
        if (t.error) throw new AcpRpcError(-32000, t.error);
        return { stopReason: t.stopReason ?? 'end_turn' };
      }
      throw new AcpRpcError(-32601, `fake: no ${method}`);
    },
    notify(method, params) {
      record(method, params);
    },
    onNotification(fn) {
      listeners.push(fn);
    },
    onRequest(fn) {
      handler = fn;
    },
    closed,
    async close() {
      agent.exit(0);
      return closed;
    },
    exit(code) {
      if (exited) return;
      exited = true;
      onExit({ exitCode: code, signal: null, stderr: '' });
    },
    sentTimes(method, n) {
      return new Promise((resolve) => {
        waiters.push({ method, n, resolve });
        if (sent.filter((s) => s.method === method).length >= n) resolve();
      });
    },
  };
  return agent;
}
