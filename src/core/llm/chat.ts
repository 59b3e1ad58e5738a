/**
 * A tool-using conversation in the router's terms, independent of any wire format: what the API lead
 * (app/api-lead/) keeps and sends, and what a provider answers. chat-wire.ts turns it into each
 * provider's request and reads each provider's reply back into it.
 */

/** A function the model may call: an MCP tool's name, description and JSON Schema for its arguments. */
export interface ChatTool {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** One call the model made. `argsError` when its arguments were not a JSON object (sent back as the result). */
export interface ChatCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
  argsError?: string;
}

/** What one call answered (its text, as the tool result goes back to the model). */
export interface ChatResult {
  id: string;
  name: string;
  text: string;
  isError: boolean;
}

export type ChatMessage =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; calls: ChatCall[] }
  | { role: 'tool'; results: ChatResult[] };

export interface ChatInput {
  system: string;
  messages: readonly ChatMessage[];
  tools: readonly ChatTool[];
  maxTokens: number;
}

/** Token counts of one reply, as the provider reported them (0 when it did not). */
export interface ChatUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export interface ChatReply {
  text: string;
  calls: ChatCall[];
  model?: string;
  usage: ChatUsage;
  /** The provider's stop reason (end_turn, tool_use, stop, tool_calls, STOP, ...), when given. */
  stop?: string;
}

export const NO_USAGE: ChatUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

/** The arguments of a call given as a JSON string (OpenAI) or an object (Anthropic, Gemini). */
export function callArgs(raw: unknown): { args: Record<string, unknown>; argsError?: string } {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return { args: raw as Record<string, unknown> };
  if (raw === undefined || raw === null || raw === '') return { args: {} };
  if (typeof raw === 'string') {
    try {
      const v: unknown = JSON.parse(raw);
      if (v && typeof v === 'object' && !Array.isArray(v)) return { args: v as Record<string, unknown> };
    } catch {
      /* reported below */
    }
  }
  const shown = typeof raw === 'string' ? raw.slice(0, 200) : JSON.stringify(raw).slice(0, 200);
  return { args: {}, argsError: `the arguments are not a JSON object: ${shown}` };
}
