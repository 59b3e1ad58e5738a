/**
 * The router's three wire formats for a tool-using conversation (chat.ts), as pure functions: build a
 * request with the tools and the whole history, and parse a reply (validated with zod) into text, calls
 * and usage. Prompt caching as in router-wire.ts: the system prompt and the tool list come first and stay
 * byte-stable; Anthropic (and OpenRouter) get explicit cache_control breakpoints on the system prompt, the
 * last tool and the newest message, so each turn reads the conversation so far from the cache.
 */
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
  AnthropicReply,
  ChatCompletion,
  endpoint,
  ephemeral,
  GeminiReply,
  InvalidReplyError,
  modelDefaults,
  parseJson,
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
    ...endpoint(t),
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
  return {
    ...endpoint(t),
    body: {
      ...modelDefaults(t),
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
  return {
    ...endpoint(t),
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

const int = (v: number | null | undefined) => (typeof v === 'number' && v > 0 ? v : 0);

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
  const json = parseJson(raw);
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
