/**
 * The router's three wire formats for a tool-using conversation (chat.ts), as pure functions: build a
 * request with the tools and the whole history, and parse a reply (validated with zod) into text, calls
 * and usage. Prompt caching as in router-wire.ts: the system prompt and the tool list come first and stay
 * byte-stable; Anthropic (and OpenRouter) get explicit cache_control breakpoints on the system prompt, the
 * last tool and the newest message, so each turn reads the conversation so far from the cache.
 */
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import {
  callArgs,
  NO_USAGE,
  type ChatCall,
  type ChatInput,
  type ChatMessage,
  type ChatReply,
  type ChatUsage,
} from './chat.js';
import {
  ephemeral,
  InvalidReplyError,
  JSON_HEADERS,
  parseWith,
  type WireRequest,
  type WireTarget,
} from './router-wire.js';

const cache = (on: boolean | undefined) => (on ? ephemeral : {});

/** Anthropic wants user and assistant turns to alternate: consecutive user-side messages become one. */
function anthropicMessages(msgs: readonly ChatMessage[]): { role: string; content: Record<string, unknown>[] }[] {
  const out: { role: string; content: Record<string, unknown>[] }[] = [];
  for (const m of msgs) {
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const content: Record<string, unknown>[] =
      m.role === 'user'
        ? [{ type: 'text', text: m.text }]
        : m.role === 'assistant'
          ? [
              ...(m.text ? [{ type: 'text', text: m.text }] : []),
              ...m.calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.args })),
            ]
          : m.results.map((r) => ({ type: 'tool_result', tool_use_id: r.id, content: r.text, is_error: r.isError }));
    const prev = out.at(-1);
    if (prev && prev.role === role) prev.content.push(...content);
    else out.push({ role, content });
  }
  return out;
}

function anthropicRequest(t: WireTarget, i: ChatInput): WireRequest {
  const messages = anthropicMessages(i.messages);
  const lastBlock = messages.at(-1)?.content.at(-1);
  if (lastBlock && t.spec.cacheControl) Object.assign(lastBlock, ephemeral);
  return {
    url: `${t.baseUrl}/v1/messages`,
    headers: { ...JSON_HEADERS, ...t.spec.headers, 'x-api-key': t.key, 'anthropic-version': '2023-06-01' },
    body: {
      model: t.model,
      max_tokens: i.maxTokens,
      system: [{ type: 'text', text: i.system, ...cache(t.spec.cacheControl) }],
      tools: i.tools.map((tool, n) => ({
        name: tool.name,
        description: tool.description,
        input_schema: tool.schema,
        ...(n === i.tools.length - 1 ? cache(t.spec.cacheControl) : {}),
      })),
      messages,
    },
  };
}

function chatMessages(i: ChatInput, cacheSystem: boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [
    { role: 'system', content: cacheSystem ? [{ type: 'text', text: i.system, ...ephemeral }] : i.system },
  ];
  for (const m of i.messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.text });
    else if (m.role === 'assistant')
      out.push({
        role: 'assistant',
        content: m.text || null,
        ...(m.calls.length
          ? {
              tool_calls: m.calls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.args) },
              })),
            }
          : {}),
      });
    else for (const r of m.results) out.push({ role: 'tool', tool_call_id: r.id, content: r.text });
  }
  return out;
}

function chatRequest(t: WireTarget, i: ChatInput): WireRequest {
  const extra = t.model === t.spec.model ? (t.spec.defaultModelBody ?? {}) : {};
  return {
    url: `${t.baseUrl}/chat/completions`,
    headers: { ...JSON_HEADERS, ...t.spec.headers, authorization: `Bearer ${t.key}` },
    body: {
      ...extra,
      model: t.model,
      stream: false,
      [t.spec.maxTokensField ?? 'max_tokens']: i.maxTokens,
      messages: chatMessages(i, Boolean(t.spec.cacheControl)),
      tools: i.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.schema },
      })),
    },
  };
}

function geminiContents(msgs: readonly ChatMessage[]): Record<string, unknown>[] {
  return msgs.map((m) =>
    m.role === 'user'
      ? { role: 'user', parts: [{ text: m.text }] }
      : m.role === 'assistant'
        ? {
            role: 'model',
            parts: [
              ...(m.text ? [{ text: m.text }] : []),
              ...m.calls.map((c) => ({ functionCall: { id: c.id, name: c.name, args: c.args } })),
            ],
          }
        : {
            role: 'user',
            parts: m.results.map((r) => ({
              functionResponse: {
                id: r.id,
                name: r.name,
                response: r.isError ? { error: r.text } : { output: r.text },
              },
            })),
          },
  );
}

function geminiRequest(t: WireTarget, i: ChatInput): WireRequest {
  const model = t.model.replace(/^models\//, '');
  return {
    url: `${t.baseUrl}/v1beta/models/${encodeURIComponent(model)}:generateContent`,
    headers: { ...JSON_HEADERS, ...t.spec.headers, 'x-goog-api-key': t.key },
    body: {
      systemInstruction: { parts: [{ text: i.system }] },
      contents: geminiContents(i.messages),
      tools: [
        {
          functionDeclarations: i.tools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            parametersJsonSchema: tool.schema,
          })),
        },
      ],
      generationConfig: { maxOutputTokens: i.maxTokens },
    },
  };
}

/** The HTTP request for the next turn of conversation `input` on target `t` (its spec's wire format). */
export function buildChatRequest(t: WireTarget, input: ChatInput): WireRequest {
  switch (t.spec.wire) {
    case 'anthropic':
      return anthropicRequest(t, input);
    case 'openai-chat':
      return chatRequest(t, input);
    case 'gemini':
      return geminiRequest(t, input);
  }
}

const n = z.number().nullable().optional();
const int = (v: number | null | undefined) => (typeof v === 'number' && v > 0 ? v : 0);

const AnthropicReply = z.object({
  model: z.string().optional(),
  content: z.array(
    z.object({
      type: z.string(),
      text: z.string().optional(),
      id: z.string().optional(),
      name: z.string().optional(),
      input: z.unknown().optional(),
    }),
  ),
  stop_reason: z.string().nullable().optional(),
  usage: z
    .object({ input_tokens: n, output_tokens: n, cache_read_input_tokens: n, cache_creation_input_tokens: n })
    .nullable()
    .optional(),
});

const ChatCompletion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          tool_calls: z
            .array(
              z.object({ id: z.string().optional(), function: z.object({ name: z.string(), arguments: z.unknown() }) }),
            )
            .nullable()
            .optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: n,
      completion_tokens: n,
      prompt_tokens_details: z.object({ cached_tokens: n }).nullable().optional(),
      completion_tokens_details: z.object({ reasoning_tokens: n }).nullable().optional(),
    })
    .nullable()
    .optional(),
});

const GeminiReply = z.object({
  modelVersion: z.string().optional(),
  candidates: z
    .array(
      z.object({
        content: z
          .object({
            parts: z
              .array(
                z.object({
                  text: z.string().optional(),
                  thought: z.boolean().optional(),
                  functionCall: z
                    .object({ id: z.string().optional(), name: z.string(), args: z.unknown().optional() })
                    .optional(),
                }),
              )
              .optional(),
          })
          .optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
  usageMetadata: z
    .object({ promptTokenCount: n, candidatesTokenCount: n, cachedContentTokenCount: n, thoughtsTokenCount: n })
    .optional(),
});

const call = (id: string | undefined, name: string, raw: unknown): ChatCall => ({
  id: id || `call_${randomUUID().slice(0, 8)}`,
  name,
  ...callArgs(raw),
});

function answer(text: string, calls: ChatCall[], model: string | undefined, usage: ChatUsage, stop?: string | null) {
  if (!text.trim() && calls.length === 0) throw new InvalidReplyError(`empty answer${stop ? ` (${stop})` : ''}`);
  return { text, calls, usage, ...(model ? { model } : {}), ...(stop ? { stop } : {}) } satisfies ChatReply;
}

/** The turn in a 2xx response body `raw`; InvalidReplyError when it is not JSON of the format or holds nothing. */
export function parseChatReply(wire: WireTarget['spec']['wire'], raw: string): ChatReply {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidReplyError(`response is not JSON: ${raw.slice(0, 80)}`);
  }
  switch (wire) {
    case 'anthropic': {
      const r = parseWith(AnthropicReply, json);
      const u = r.usage;
      return answer(
        r.content
          .filter((c) => c.type === 'text')
          .map((c) => c.text ?? '')
          .join(''),
        r.content.filter((c) => c.type === 'tool_use' && c.name).map((c) => call(c.id, c.name!, c.input)),
        r.model,
        u
          ? {
              ...NO_USAGE,
              input: int(u.input_tokens),
              output: int(u.output_tokens),
              cacheRead: int(u.cache_read_input_tokens),
              cacheWrite: int(u.cache_creation_input_tokens),
            }
          : NO_USAGE,
        r.stop_reason,
      );
    }
    case 'openai-chat': {
      const r = parseWith(ChatCompletion, json);
      const c = r.choices[0]!;
      const u = r.usage;
      const cached = int(u?.prompt_tokens_details?.cached_tokens);
      return answer(
        c.message.content ?? '',
        (c.message.tool_calls ?? []).map((tc) => call(tc.id, tc.function.name, tc.function.arguments)),
        r.model,
        u
          ? {
              ...NO_USAGE,
              input: Math.max(0, int(u.prompt_tokens) - cached),
              output: int(u.completion_tokens),
              cacheRead: cached,
              reasoning: int(u.completion_tokens_details?.reasoning_tokens),
            }
          : NO_USAGE,
        c.finish_reason,
      );
    }
    case 'gemini': {
      const r = parseWith(GeminiReply, json);
      const c = r.candidates?.[0];
      const parts = c?.content?.parts ?? [];
      const u = r.usageMetadata;
      const cached = int(u?.cachedContentTokenCount);
      return answer(
        parts
          .filter((p) => !p.thought && p.text)
          .map((p) => p.text)
          .join(''),
        parts.flatMap((p) =>
          p.functionCall ? [call(p.functionCall.id, p.functionCall.name, p.functionCall.args)] : [],
        ),
        r.modelVersion,
        u
          ? {
              ...NO_USAGE,
              input: Math.max(0, int(u.promptTokenCount) - cached),
              output: int(u.candidatesTokenCount),
              cacheRead: cached,
              reasoning: int(u.thoughtsTokenCount),
            }
          : NO_USAGE,
        c?.finishReason ?? r.promptFeedback?.blockReason,
      );
    }
  }
}
