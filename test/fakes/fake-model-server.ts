/**
 * A scripted fake model server for real agent CLIs: one plain node:http server on 127.0.0.1 (random
 * port) that speaks Anthropic Messages, OpenAI Responses, OpenAI Chat Completions and the Gemini API,
 * and answers every request from the request alone with the policy in fake-model/policy.ts.
 * Base URLs: Anthropic `url`, OpenAI `url/v1`, Gemini `url`.
 * Every answer reports usage on its wire (Anthropic message_start/message_delta, Responses
 * response.completed, Chat's last chunk, Gemini usageMetadata): input is the request body's length / 4,
 * output 5 plus the answer's length / 8, so calls differ; `requests[].usage` records what was served and
 * `requests[].role` whom (`lead`, a worker id, `summary` for the API lead's compaction summary, or `side`
 * for titles and suggestions), for tests that compare
 * the usage an agent wrote to its own files with what it was served.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAnthropic, renderAnthropic, renderAnthropicMessage } from './fake-model/anthropic.js';
import { parseResponses, renderResponses } from './fake-model/openai-responses.js';
import { parseChat, renderChat } from './fake-model/openai-chat.js';
import { parseGemini, renderGemini } from './fake-model/gemini.js';
import { decide, type PolicyOptions } from './fake-model/policy.js';
import { LEAD_MARK, SUMMARY_MARK, WORKER_MARK } from './fake-model/policy.js';
import type { Conversation, Decision, ServedUsage } from './fake-model/conversation.js';

export type { ServedUsage };

export type Protocol = 'anthropic' | 'responses' | 'chat' | 'gemini';

/** The usage the fake reports for `decision` in answer to a request body of `rawLength` characters. */
export function servedUsage(model: string, rawLength: number, decision: Decision): ServedUsage {
  const answer = decision.kind === 'tool' ? JSON.stringify(decision.args) + decision.tool.name : decision.text;
  return { model, input: Math.max(1, Math.ceil(rawLength / 4)), output: 5 + Math.ceil(answer.length / 8) };
}

/** Whom a request served: the lead, worker `wNN`, or a side request (title, suggestion, classifier). */
function roleOf(conv: Conversation, decision: Decision): string {
  if (conv.text.includes(SUMMARY_MARK)) return 'summary';
  if (conv.jsonSchema || (decision.kind === 'text' && decision.text === 'OK')) return 'side';
  const worker = new RegExp(`${WORKER_MARK} (w\\d+)`).exec(conv.text)?.[1];
  if (worker) return worker;
  return conv.text.includes(LEAD_MARK) ? 'lead' : 'side';
}

/** One answered request: what came in and what the policy decided. */
export interface RecordedRequest {
  protocol: Protocol;
  path: string;
  decision: Decision;
  /** The usage the answer reported. */
  usage: ServedUsage;
  /** `lead`, the worker id (`w01`), `summary` (the API lead's compaction), or `side`. */
  role: string;
  /** The request body, kept only when `keepBodies` is set. */
  body?: unknown;
  /** The agent's own conversation id, when its CLI sends one (Codex `session-id`, Claude `x-claude-code-session-id`). */
  session?: string;
}

export interface FakeModelServerOptions extends PolicyOptions {
  /** Keep request bodies in `requests` (debugging a new CLI version). */
  keepBodies?: boolean;
  /** Called with each recorded request. */
  onRequest?: (r: RecordedRequest) => void;
  /**
   * An HTTP status to answer a request of `protocol` with instead of a model answer (429 carries
   * Retry-After: 600), e.g. to make one provider fail mid-run; undefined answers normally.
   */
  failWith?: (protocol: Protocol) => number | undefined;
}

export interface FakeModelServer {
  /** Starts listening on 127.0.0.1 and a random port; resolves the base URL `http://127.0.0.1:PORT`. */
  listen(): Promise<string>;
  url: string;
  requests: RecordedRequest[];
  /** The requests answered with an error status by `failWith`. */
  failed: { protocol: Protocol; status: number; role: string }[];
  /** Stops the server and ends open connections. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req
      .setEncoding('utf8')
      .on('data', (d: string) => {
        s += d;
      })
      .on('end', () => resolve(s))
      .on('error', reject);
  });
}

function route(method: string, path: string): Protocol | undefined {
  if (method !== 'POST') return undefined;
  if (/\/v1\/messages$/.test(path)) return 'anthropic';
  if (/\/responses$/.test(path)) return 'responses';
  if (/\/chat\/completions$/.test(path)) return 'chat';
  if (/:(stream)?[gG]enerateContent$/.test(path)) return 'gemini';
  return undefined;
}

const PARSERS: Record<Protocol, (b: Record<string, unknown>) => Conversation> = {
  anthropic: parseAnthropic,
  responses: parseResponses,
  chat: parseChat,
  gemini: parseGemini,
};

/** Creates (does not start) a fake model server. */
export function createFakeModelServer(opts: FakeModelServerOptions = {}): FakeModelServer {
  const requests: RecordedRequest[] = [];
  const failed: { protocol: Protocol; status: number; role: string }[] = [];
  const sse = (res: ServerResponse, body: string) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.end(body);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const raw = await readBody(req);
      if (req.method === 'POST' && path.endsWith('/count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":10}');
        return;
      }
      const protocol = route(req.method ?? '', path);
      if (!protocol) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      const conv = PARSERS[protocol](body);
      const decision = decide(conv, { blindLead: opts.blindLead });
      const model = typeof body.model === 'string' ? body.model : (/models\/([^:]+)/.exec(path)?.[1] ?? 'fake-model');
      const usage = servedUsage(model, raw.length, decision);
      const role = roleOf(conv, decision);
      const failure = opts.failWith?.(protocol);
      if (failure) {
        failed.push({ protocol, status: failure, role });
        res
          .writeHead(failure, {
            'content-type': 'application/json',
            ...(failure === 429 ? { 'retry-after': '600' } : {}),
          })
          .end(JSON.stringify({ error: { message: `the fake answers ${failure}` } }));
        return;
      }
      const sessionHeader = req.headers['session-id'] ?? req.headers['x-claude-code-session-id'];
      const session = typeof sessionHeader === 'string' ? sessionHeader : undefined;
      const rec: RecordedRequest = {
        protocol,
        path,
        decision,
        usage,
        role,
        ...(opts.keepBodies ? { body } : {}),
        ...(session ? { session } : {}),
      };
      requests.push(rec);
      opts.onRequest?.(rec);
      if (protocol === 'anthropic') {
        if (body.stream === true) sse(res, renderAnthropic(decision, model, usage));
        else
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(renderAnthropicMessage(decision, model, usage)));
      } else if (protocol === 'responses') sse(res, renderResponses(decision, model, usage));
      else if (protocol === 'chat') {
        if (body.stream === false) {
          const d = decision;
          const message =
            d.kind === 'tool'
              ? {
                  role: 'assistant',
                  content: null,
                  tool_calls: [
                    {
                      id: 'call_1',
                      type: 'function',
                      function: { name: d.tool.name, arguments: JSON.stringify(d.args) },
                    },
                  ],
                }
              : { role: 'assistant', content: d.text };
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              id: 'chatcmpl-1',
              object: 'chat.completion',
              model,
              choices: [{ index: 0, message, finish_reason: d.kind === 'tool' ? 'tool_calls' : 'stop' }],
              usage: {
                prompt_tokens: usage.input,
                completion_tokens: usage.output,
                total_tokens: usage.input + usage.output,
              },
            }),
          );
        } else sse(res, renderChat(decision, model, usage));
      } else if (path.includes(':streamGenerateContent'))
        sse(res, `data: ${JSON.stringify(renderGemini(decision, model, usage))}\r\n\r\n`);
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(renderGemini(decision, model, usage)));
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(e) }));
    });
  });
  const fake: FakeModelServer = {
    url: '',
    requests,
    failed,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve(fake.url);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
