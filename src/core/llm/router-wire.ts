/**
 * The router's three wire formats as pure functions: build a request (url, headers, JSON body) and
 * parse a response body (validated with zod) into text, model and the cached token count.
 * Prompt caching: the system prompt always comes first and stays byte-stable, so providers with
 * automatic caching (Groq, Cerebras, Gemini) can reuse it; Anthropic and OpenRouter get an explicit
 * cache_control breakpoint on it. The endpoints and the reply schemas are shared with the tool-using
 * conversation's wire (chat-wire.ts), so both read a provider the same way.
 */
import { z } from 'zod';
import type { ProviderSpec } from './router-providers.js';

/** One HTTP call to make: POST `url` with `headers` and `body` as JSON. */
export interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface WireInput {
  system: string;
  prompt: string;
  maxTokens: number;
}

/** What a provider answered. `cachedTokens` only when the response reported it. */
export interface WireReply {
  text: string;
  model?: string;
  cachedTokens?: number;
}

/** A 2xx response that is not the expected JSON, or holds no text. */
export class InvalidReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReplyError';
  }
}

/** Where to send it: the provider's table entry with its resolved base URL, model and key. */
export interface WireTarget {
  spec: ProviderSpec;
  baseUrl: string;
  model: string;
  key: string;
}

/** Anthropic's prompt-caching breakpoint (also passed on by OpenRouter). */
export const ephemeral = { cache_control: { type: 'ephemeral' } } as const;
/** The headers of every JSON request. */
export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** Where a call on target `t` goes: its URL and headers (the key in the provider's own header). */
export function endpoint(t: WireTarget): Pick<WireRequest, 'url' | 'headers'> {
  switch (t.spec.wire) {
    case 'anthropic':
      return {
        url: `${t.baseUrl}/v1/messages`,
        headers: { ...JSON_HEADERS, ...t.spec.headers, 'x-api-key': t.key, 'anthropic-version': '2023-06-01' },
      };
    case 'openai-chat':
      return {
        url: `${t.baseUrl}/chat/completions`,
        headers: { ...JSON_HEADERS, ...t.spec.headers, authorization: `Bearer ${t.key}` },
      };
    case 'gemini': {
      const model = t.model.replace(/^models\//, '');
      return {
        url: `${t.baseUrl}/v1beta/models/${encodeURIComponent(model)}:generateContent`,
        headers: { ...JSON_HEADERS, ...t.spec.headers, 'x-goog-api-key': t.key },
      };
    }
  }
}

/** The provider's extra body fields for its default model; none when another model was asked for. */
export const modelDefaults = (t: WireTarget): Record<string, unknown> =>
  t.model === t.spec.model ? (t.spec.defaultModelBody ?? {}) : {};

function anthropicRequest(t: WireTarget, i: WireInput): WireRequest {
  const system = i.system
    ? { system: [{ type: 'text', text: i.system, ...(t.spec.cacheControl ? ephemeral : {}) }] }
    : {};
  return {
    ...endpoint(t),
    body: { model: t.model, max_tokens: i.maxTokens, ...system, messages: [{ role: 'user', content: i.prompt }] },
  };
}

function chatRequest(t: WireTarget, i: WireInput): WireRequest {
  // OpenRouter forwards cache_control on content parts to Anthropic and Gemini models.
  const content = t.spec.cacheControl ? [{ type: 'text', text: i.system, ...ephemeral }] : i.system;
  return {
    ...endpoint(t),
    body: {
      ...modelDefaults(t),
      model: t.model,
      [t.spec.maxTokensField ?? 'max_tokens']: i.maxTokens,
      messages: [...(i.system ? [{ role: 'system', content }] : []), { role: 'user', content: i.prompt }],
    },
  };
}

function geminiRequest(t: WireTarget, i: WireInput): WireRequest {
  return {
    ...endpoint(t),
    body: {
      ...(i.system ? { systemInstruction: { parts: [{ text: i.system }] } } : {}),
      contents: [{ role: 'user', parts: [{ text: i.prompt }] }],
      generationConfig: { maxOutputTokens: i.maxTokens },
    },
  };
}

/** The HTTP request for one completion on target `t` (its spec's wire format). */
export function buildRequest(t: WireTarget, input: WireInput): WireRequest {
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

/** The reply shapes of the three wires, with the fields a tool-using conversation (chat-wire.ts) reads too. */
export const AnthropicReply = z.object({
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

export const ChatCompletion = z.object({
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

export const GeminiReply = z.object({
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

const cached = (n: number | null | undefined) => (typeof n === 'number' ? { cachedTokens: n } : {});

function reply(
  text: string,
  why: string | null | undefined,
  model: string | undefined,
  cachedTokens: number | null | undefined,
): WireReply {
  if (!text.trim()) throw new InvalidReplyError(`empty answer${why ? ` (${why})` : ''}`);
  return { text, ...(model ? { model } : {}), ...cached(cachedTokens) };
}

/** `raw` parsed as JSON; InvalidReplyError when it is not. */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new InvalidReplyError(`response is not JSON: ${raw.slice(0, 80)}`);
  }
}

/** `json` validated by `schema`; InvalidReplyError naming the first issue's path otherwise. */
export function parseWith<T>(schema: z.ZodType<T>, json: unknown): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new InvalidReplyError(
    `unexpected response shape at ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`,
  );
}

/** The answer in a 2xx response body `raw`; throws InvalidReplyError when it is not JSON of the format, or has no text. */
export function parseReply(wire: ProviderSpec['wire'], raw: string): WireReply {
  const json = parseJson(raw);
  switch (wire) {
    case 'anthropic': {
      const r = parseWith(AnthropicReply, json);
      const text = r.content
        .filter((c) => c.type === 'text')
        .map((c) => c.text ?? '')
        .join('');
      return reply(text, r.stop_reason, r.model, r.usage?.cache_read_input_tokens);
    }
    case 'openai-chat': {
      const r = parseWith(ChatCompletion, json);
      const c = r.choices[0]!;
      return reply(c.message.content ?? '', c.finish_reason, r.model, r.usage?.prompt_tokens_details?.cached_tokens);
    }
    case 'gemini': {
      const r = parseWith(GeminiReply, json);
      const c = r.candidates?.[0];
      const text = (c?.content?.parts ?? [])
        .filter((p) => !p.thought)
        .map((p) => p.text ?? '')
        .join('');
      return reply(
        text,
        c?.finishReason ?? r.promptFeedback?.blockReason,
        r.modelVersion,
        r.usageMetadata?.cachedContentTokenCount,
      );
    }
  }
}
