/**
 * A scripted fake LLM API for the router's tests: one node:http server on 127.0.0.1 (random port) that
 * speaks Anthropic Messages (POST .../v1/messages), OpenAI chat (POST .../chat/completions) and Gemini
 * (POST .../v1beta/models/MODEL:generateContent) under any path prefix, so each provider gets its own
 * base URL (`url/anthropic`, `url/groq/openai/v1`...). Every request is recorded; each path answers
 * from its own queue of scripted replies (then a default "ok"). Missing auth headers get a 401.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeWire = 'anthropic' | 'openai-chat' | 'gemini';

/** A scripted answer: text (with an optional cached token count), any status, or no answer at all. */
export type FakeReply =
  | { kind: 'ok'; text: string; cachedTokens?: number; model?: string }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'hang' };

export interface FakeLlmRequest {
  path: string;
  wire: FakeWire;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** What the fake answered: a status code, or 'hang'. */
  answered: number | 'hang';
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:PORT`, set by listen(). */
  url: string;
  listen(): Promise<string>;
  requests: FakeLlmRequest[];
  /** Queues replies for requests to exactly `path` (e.g. `/groq/openai/v1/chat/completions`). */
  script(path: string, ...replies: FakeReply[]): void;
  /** Requests made to `path` so far. */
  requestsTo(path: string): FakeLlmRequest[];
  /** Stops listening and destroys every open socket, hanging ones included. */
  close(): Promise<void>;
}

function wireOf(method: string | undefined, path: string): FakeWire | undefined {
  if (method !== 'POST') return undefined;
  if (/\/v1\/messages$/.test(path)) return 'anthropic';
  if (/\/chat\/completions$/.test(path)) return 'openai-chat';
  if (/\/v1beta\/models\/[^/]+:generateContent$/.test(path)) return 'gemini';
  return undefined;
}

/** Why the request's auth headers are not acceptable, or undefined when they are. */
function authProblem(wire: FakeWire, h: IncomingHttpHeaders): string | undefined {
  if (wire === 'anthropic') {
    if (!h['x-api-key']) return 'missing x-api-key header';
    if (h['anthropic-version'] !== '2023-06-01') return 'missing or wrong anthropic-version header';
  }
  if (wire === 'openai-chat' && !/^Bearer \S+$/.test(String(h.authorization ?? '')))
    return 'missing Authorization: Bearer header';
  if (wire === 'gemini' && !h['x-goog-api-key']) return 'missing x-goog-api-key header';
  return undefined;
}

function okBody(wire: FakeWire, r: { text: string; cachedTokens?: number; model?: string }, reqModel: string): unknown {
  const model = r.model ?? reqModel;
  const c = r.cachedTokens;
  if (wire === 'anthropic') {
    return {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: r.text }],
      stop_reason: 'end_turn',
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        ...(c !== undefined ? { cache_read_input_tokens: c, cache_creation_input_tokens: 0 } : {}),
      },
    };
  }
  if (wire === 'openai-chat') {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        ...(c !== undefined ? { prompt_tokens_details: { cached_tokens: c } } : {}),
      },
    };
  }
  return {
    candidates: [{ content: { role: 'model', parts: [{ text: r.text }] }, finishReason: 'STOP' }],
    usageMetadata: {
      promptTokenCount: 10,
      candidatesTokenCount: 5,
      totalTokenCount: 15,
      ...(c !== undefined ? { cachedContentTokenCount: c } : {}),
    },
    modelVersion: model,
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
}

/** Creates (does not start) the fake; call listen(). */
export function createFakeLlmServer(): FakeLlmServer {
  const requests: FakeLlmRequest[] = [];
  const scripts = new Map<string, FakeReply[]>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      raw += d;
    });
    req.on('end', () => {
      const wire = wireOf(req.method, path);
      if (!wire) return send(res, 404, { error: { message: `no route for ${req.method} ${path}` } });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return send(res, 400, { error: { message: 'body is not JSON' } });
      }
      const record: FakeLlmRequest = { path, wire, headers: req.headers, body, answered: 0 };
      requests.push(record);
      const problem = authProblem(wire, req.headers);
      if (problem) {
        record.answered = 401;
        return send(res, 401, { error: { message: problem } });
      }
      const reply = scripts.get(path)?.shift() ?? { kind: 'ok', text: `fake answer from ${path}` };
      if (reply.kind === 'hang') {
        record.answered = 'hang';
        return; // never answers; close() destroys the socket
      }
      if (reply.kind === 'status') {
        record.answered = reply.status;
        return send(res, reply.status, reply.body ?? { error: { message: `scripted ${reply.status}` } }, reply.headers);
      }
      record.answered = 200;
      const model = wire === 'gemini' ? /models\/([^/:]+):/.exec(path)![1]! : String(body.model);
      send(res, 200, okBody(wire, reply, model));
    });
  });
  const fake: FakeLlmServer = {
    url: '',
    requests,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve(fake.url);
        });
      }),
    script(path, ...replies) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...replies]);
    },
    requestsTo: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return fake;
}
