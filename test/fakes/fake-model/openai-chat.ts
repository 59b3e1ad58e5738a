/** OpenAI Chat Completions (Qwen Code, OpenCode): request -> Conversation, Decision -> SSE chunks. */
import { randomUUID } from 'node:crypto';
import {
  flattenText,
  parseArgs,
  unquote,
  type Conversation,
  type Decision,
  type JsonSchema,
  type ToolCall,
  DEFAULT_USAGE,
  type ServedUsage,
} from './conversation.js';

type Msg = {
  role: string;
  content?: unknown;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
};

export function parseChat(body: Record<string, unknown>): Conversation {
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  const byId = new Map<string, ToolCall>();
  let lastUserText = '';
  let lastIsToolResult = false;
  for (const m of (body.messages ?? []) as Msg[]) {
    lastIsToolResult = m.role === 'tool';
    if (m.role === 'tool') {
      const c = byId.get(m.tool_call_id ?? '');
      if (c) c.result = flattenText(m.content);
    } else if (m.role === 'assistant') {
      for (const tc of m.tool_calls ?? []) {
        const c: ToolCall = { id: tc.id, name: tc.function.name, args: parseArgs(tc.function.arguments) };
        calls.push(c);
        byId.set(c.id, c);
      }
    } else {
      const t = unquote(flattenText(m.content));
      texts.push(t);
      if (m.role === 'user') lastUserText = t;
    }
  }
  const rf = body.response_format as { type?: string; json_schema?: { schema?: JsonSchema } } | undefined;
  return {
    text: texts.join('\n'),
    lastUserText,
    tools: ((body.tools ?? []) as { function: { name: string; parameters?: JsonSchema } }[]).map((t) => ({
      name: t.function.name,
      schema: t.function.parameters,
    })),
    calls,
    lastIsToolResult,
    jsonSchema: rf?.type === 'json_schema' ? (rf.json_schema?.schema ?? {}) : undefined,
  };
}

export function renderChat(d: Decision, model: string, served: ServedUsage = DEFAULT_USAGE): string {
  const id = `chatcmpl-${randomUUID()}`;
  const chunk = (choices: unknown[], extra: object = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices, ...extra })}\n\n`;
  let out = chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  if (d.kind === 'tool') {
    const tc = {
      index: 0,
      id: `call_${randomUUID().replace(/-/g, '')}`,
      type: 'function',
      function: { name: d.tool.name, arguments: JSON.stringify(d.args) },
    };
    out += chunk([{ index: 0, delta: { tool_calls: [tc] }, finish_reason: null }]);
    out += chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]);
  } else {
    out += chunk([{ index: 0, delta: { content: d.text }, finish_reason: null }]);
    out += chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
  }
  out += chunk([], {
    usage: {
      prompt_tokens: served.input,
      completion_tokens: served.output,
      total_tokens: served.input + served.output,
    },
  });
  return out + 'data: [DONE]\n\n';
}
