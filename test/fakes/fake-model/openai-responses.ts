/** OpenAI Responses (Codex): request -> Conversation, Decision -> SSE events (MCP calls keep their namespace). */
import { randomUUID } from 'node:crypto';
import {
  flattenText,
  parseArgs,
  type Conversation,
  type Decision,
  type JsonSchema,
  type ToolCall,
  type ToolDef,
  DEFAULT_USAGE,
  type ServedUsage,
} from './conversation.js';

type Item = {
  type?: string;
  role?: string;
  content?: unknown;
  name?: string;
  namespace?: string;
  arguments?: string;
  input?: string;
  call_id?: string;
  output?: unknown;
};
type Tool = { type?: string; name?: string; parameters?: JsonSchema; tools?: Tool[] };

export function parseResponses(body: Record<string, unknown>): Conversation {
  const texts: string[] = [flattenText(body.instructions)];
  const calls: ToolCall[] = [];
  const byId = new Map<string, ToolCall>();
  let lastUserText = '';
  let lastIsToolResult = false;
  for (const it of (body.input ?? []) as Item[]) {
    lastIsToolResult = false;
    if ((it.type === 'message' || !it.type) && it.role !== 'assistant') {
      const t = flattenText(it.content);
      texts.push(t);
      if (it.role === 'user') lastUserText = t;
    } else if (it.type === 'function_call' || it.type === 'custom_tool_call') {
      const c: ToolCall = {
        id: it.call_id ?? '',
        name: it.name ?? '',
        namespace: it.namespace,
        args: it.type === 'custom_tool_call' ? { input: it.input } : parseArgs(it.arguments),
      };
      calls.push(c);
      byId.set(c.id, c);
    } else if (it.type === 'function_call_output' || it.type === 'custom_tool_call_output') {
      const c = byId.get(it.call_id ?? '');
      // Codex prefixes MCP results with "Wall time ... Output:"; keep only the tool's own text.
      const parts = Array.isArray(it.output) ? it.output.map(flattenText) : [flattenText(it.output)];
      if (c) c.result = parts.filter((p) => !/^Wall time: /.test(p)).join('\n') || parts.join('\n');
      lastIsToolResult = true;
    }
  }
  const tools: ToolDef[] = [];
  for (const t of (body.tools ?? []) as Tool[]) {
    if (t.type === 'namespace')
      for (const s of t.tools ?? []) tools.push({ name: s.name ?? '', namespace: t.name, schema: s.parameters });
    else if (t.name) tools.push({ name: t.name, schema: t.parameters });
  }
  const format = (body.text as { format?: { type?: string; schema?: JsonSchema } } | undefined)?.format;
  return {
    text: texts.join('\n'),
    lastUserText,
    tools,
    calls,
    lastIsToolResult,
    jsonSchema: format?.type === 'json_schema' ? format.schema : undefined,
  };
}

export function renderResponses(d: Decision, model: string, served: ServedUsage = DEFAULT_USAGE): string {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const id = `resp_${randomUUID()}`;
  let item: Record<string, unknown>;
  let out = ev('response.created', { response: { id, object: 'response', model, status: 'in_progress', output: [] } });
  if (d.kind === 'tool') {
    item = {
      type: 'function_call',
      id: `fc_${randomUUID()}`,
      call_id: `call_${randomUUID()}`,
      name: d.tool.name,
      arguments: JSON.stringify(d.args),
      status: 'completed',
    };
    if (d.tool.namespace) item.namespace = d.tool.namespace;
    out += ev('response.output_item.added', {
      output_index: 0,
      item: { ...item, arguments: '', status: 'in_progress' },
    });
  } else {
    const msgId = `msg_${randomUUID()}`;
    item = {
      type: 'message',
      id: msgId,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: d.text, annotations: [] }],
    };
    out += ev('response.output_item.added', { output_index: 0, item: { ...item, content: [], status: 'in_progress' } });
    out += ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta: d.text });
  }
  out += ev('response.output_item.done', { output_index: 0, item });
  const usage = {
    input_tokens: served.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: served.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: served.input + served.output,
  };
  out += ev('response.completed', {
    response: { id, object: 'response', model, status: 'completed', output: [item], usage },
  });
  return out;
}
