/** Anthropic Messages (Claude Code): request -> Conversation, Decision -> SSE events. */
import { randomUUID } from 'node:crypto';
import {
  flattenText,
  type Conversation,
  type Decision,
  type JsonSchema,
  type ToolCall,
  DEFAULT_USAGE,
  type ServedUsage,
} from './conversation.js';

type Block = {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  tool_use_id?: string;
  content?: unknown;
};

export function parseAnthropic(body: Record<string, unknown>): Conversation {
  const texts: string[] = [flattenText(body.system)];
  const calls: ToolCall[] = [];
  const byId = new Map<string, ToolCall>();
  let lastUserText = '';
  let lastIsToolResult = false;
  for (const m of (body.messages ?? []) as { role: string; content: unknown }[]) {
    const blocks: Block[] =
      typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : ((m.content ?? []) as Block[]);
    lastIsToolResult = false;
    for (const b of blocks) {
      if (b.type === 'text' && m.role !== 'assistant') {
        texts.push(b.text ?? '');
        if (m.role === 'user') lastUserText = b.text ?? '';
      } else if (b.type === 'tool_use') {
        const c: ToolCall = { id: b.id ?? '', name: b.name ?? '', args: b.input ?? {} };
        calls.push(c);
        byId.set(c.id, c);
      } else if (b.type === 'tool_result') {
        const c = byId.get(b.tool_use_id ?? '');
        if (c) c.result = flattenText(b.content);
        lastIsToolResult = true;
      }
    }
  }
  const format = (body.output_config as { format?: { type?: string; schema?: JsonSchema } } | undefined)?.format;
  return {
    text: texts.join('\n'),
    lastUserText,
    tools: ((body.tools ?? []) as { name: string; input_schema?: JsonSchema }[]).map((t) => ({
      name: t.name,
      schema: t.input_schema,
    })),
    calls,
    lastIsToolResult,
    jsonSchema: format?.type === 'json_schema' ? format.schema : undefined,
  };
}

/** The SSE body for `d`, as `event:`/`data:` pairs. */
export function renderAnthropic(d: Decision, model: string, served: ServedUsage = DEFAULT_USAGE): string {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  // As the API does: the stream's start carries the input and 1 output token, message_delta the final output.
  const usage = {
    input_tokens: served.input,
    output_tokens: 1,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  let out = ev('message_start', {
    message: {
      id: `msg_${randomUUID()}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  });
  if (d.kind === 'tool') {
    out += ev('content_block_start', {
      index: 0,
      content_block: { type: 'tool_use', id: `toolu_${randomUUID().replace(/-/g, '')}`, name: d.tool.name, input: {} },
    });
    out += ev('content_block_delta', {
      index: 0,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(d.args) },
    });
  } else {
    out += ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    out += ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: d.text } });
  }
  out += ev('content_block_stop', { index: 0 });
  out += ev('message_delta', {
    delta: { stop_reason: d.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: { output_tokens: served.output },
  });
  out += ev('message_stop', {});
  return out;
}

/** The JSON body for `d` when the request did not ask to stream (`stream` absent or false). */
export function renderAnthropicMessage(d: Decision, model: string, served: ServedUsage = DEFAULT_USAGE): object {
  return {
    id: `msg_${randomUUID()}`,
    type: 'message',
    role: 'assistant',
    model,
    content:
      d.kind === 'tool'
        ? [{ type: 'tool_use', id: `toolu_${randomUUID().replace(/-/g, '')}`, name: d.tool.name, input: d.args }]
        : [{ type: 'text', text: d.text }],
    stop_reason: d.kind === 'tool' ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: served.input,
      output_tokens: served.output,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}
