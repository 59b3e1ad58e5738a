/**
 * The router's three wire formats as pure functions: build a request (url, headers, JSON body) and
 * parse a response body (validated with zod) into text, model and the cached token count.
 * Prompt caching: the system prompt always comes first and stays byte-stable, so providers with
 * automatic caching (Groq, Cerebras, Gemini) can reuse it; Anthropic and OpenRouter get an explicit
 * cache_control breakpoint on it.
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

function anthropicRequest(t: WireTarget, i: WireInput): WireRequest {
  const system = i.system
    ? { system: [{ type: 'text', text: i.system, ...(t.spec.cacheControl ? ephemeral : {}) }] }
    : {};
  return {
    url: `${t.baseUrl}/v1/messages`,
    headers: { ...JSON_HEADERS, ...t.spec.headers, 'x-api-key': t.key, 'anthropic-version': '2023-06-01' },
    body: { model: t.model, max_tokens: i.maxTokens, ...system, messages: [{ role: 'user', content: i.prompt }] },
  };
}

function chatRequest(t: WireTarget, i: WireInput): WireRequest {
  // OpenRouter forwards cache_control on content parts to Anthropic and Gemini models.
  const content = t.spec.cacheControl ? [{ type: 'text', text: i.system, ...ephemeral }] : i.system;
  const extra = t.model === t.spec.model ? (t.spec.defaultModelBody ?? {}) : {};
  return {
    url: `${t.baseUrl}/chat/completions`,
    headers: { ...JSON_HEADERS, ...t.spec.headers, authorization: `Bearer ${t.key}` },
    body: {
      ...extra,
      model: t.model,
      [t.spec.maxTokensField ?? 'max_tokens']: i.maxTokens,
      messages: [...(i.system ? [{ role: 'system', content }] : []), { role: 'user', content: i.prompt }],
    },
  };
}

function geminiRequest(t: WireTarget, i: WireInput): WireRequest {
  const model = t.model.replace(/^models\//, '');
  return {
    url: `${t.baseUrl}/v1beta/models/${encodeURIComponent(model)}:generateContent`,
    headers: { ...JSON_HEADERS, ...t.spec.headers, 'x-goog-api-key': t.key },
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

const count = z.number().nullable().optional();

const AnthropicReply = z.object({
  model: z.string().optional(),
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullable().optional(),
  usage: z.object({ cache_read_input_tokens: count }).nullable().optional(),
});

const ChatReply = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens_details: z.object({ cached_tokens: count }).nullable().optional() })
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
            parts: z.array(z.object({ text: z.string().optional(), thought: z.boolean().optional() })).optional(),
          })
          .optional(),
        finishReason: z.string().optional(),
      }),
    )
    .optional(),
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
  usageMetadata: z.object({ cachedContentTokenCount: count }).optional(),
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
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidReplyError(`response is not JSON: ${raw.slice(0, 80)}`);
  }
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
      const r = parseWith(ChatReply, json);
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
