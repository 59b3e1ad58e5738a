/**
 * MCP tool definitions (tools/list) as model function tools: the schema is the tool's own inputSchema, so a
 * new crewmux tool needs no second definition. Only keys no wire accepts are dropped. Pure.
 */
import type { ChatTool } from '../llm/chat.js';

/** The part of an MCP tool definition the lead needs. */
export interface McpToolDef {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(v as Record<string, unknown>)) if (k !== '$schema') out[k] = clean(sub);
  return out;
}

/** `tools` as function tools, in the server's order (byte-stable across turns, so prompt caches hold). */
export function toChatTools(tools: readonly McpToolDef[]): ChatTool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description ?? t.name,
    schema: { type: 'object', properties: {}, ...(clean(t.inputSchema) as Record<string, unknown>) },
  }));
}
