/** The protocol-neutral view of one model request that the fake's policy decides from. */

export interface ToolDef {
  /** The name as the protocol addresses it (Codex: the name inside its namespace). */
  name: string;
  /** Codex groups MCP tools in a namespace (`mcp__crewmux`); absent elsewhere. */
  namespace?: string;
  schema?: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [k: string]: unknown;
}

export interface ToolCall {
  id: string;
  name: string;
  namespace?: string;
  args: Record<string, unknown>;
  /** The tool's answer, when a later message carries it. */
  result?: string;
}

export interface Conversation {
  /** System, developer and user text, joined (what the policy searches for roles, goal and cwd). */
  text: string;
  /** Text of the last user message (for side-request detection). */
  lastUserText: string;
  tools: ToolDef[];
  /** Tool calls already made in this conversation, oldest first, with their results. */
  calls: ToolCall[];
  /** True when the last message is a tool result (a turn in progress). */
  lastIsToolResult: boolean;
  /** A JSON schema the answer must match (title, router, classifier requests). */
  jsonSchema?: JsonSchema;
}

/** The usage one answer reports on its wire (fake-model-server.ts servedUsage). */
export interface ServedUsage {
  model: string;
  input: number;
  output: number;
}

/** The usage of an answer rendered without one (unit tests of a renderer). */
export const DEFAULT_USAGE: ServedUsage = { model: 'fake-model', input: 10, output: 5 };

export type Decision = { kind: 'text'; text: string } | { kind: 'tool'; tool: ToolDef; args: Record<string, unknown> };

/** Every string inside `v`, joined by newlines (tool results arrive as strings, parts or objects). */
export function flattenText(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(flattenText).filter(Boolean).join('\n');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.text === 'string') return o.text;
    return Object.values(o).map(flattenText).filter(Boolean).join('\n');
  }
  return '';
}

/** OpenCode sends user content JSON-quoted; this undoes that. */
export function unquote(s: string): string {
  if (s.length > 1 && s.startsWith('"') && s.endsWith('"')) {
    try {
      const v: unknown = JSON.parse(s);
      if (typeof v === 'string') return v;
    } catch {
      /* not JSON */
    }
  }
  return s;
}

/** A JSON string argument object, or {} when it does not parse. */
export function parseArgs(s: unknown): Record<string, unknown> {
  if (s && typeof s === 'object') return s as Record<string, unknown>;
  if (typeof s !== 'string' || !s) return {};
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A value matching `schema`, filling every required key by type (integer -> 1, enum -> first value). */
export function fillSchema(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return 'ok';
  if (schema.enum && schema.enum.length) return schema.enum[0];
  const alt = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alt) return fillSchema(alt, depth + 1);
  const t = (Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type)?.toLowerCase();
  switch (t) {
    case 'integer':
      return 1;
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'string':
      return 'ok';
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(schema.properties ?? {})) out[k] = fillSchema(sub, depth + 1);
      return out;
    }
  }
}
