/**
 * The Agent Client Protocol (ACP, https://agentclientprotocol.com, protocol version 1) as crewmux speaks it to a
 * worker's agent: JSON-RPC 2.0 in lines over the agent's stdio. crewmux is the client: `initialize`, `session/new`
 * (cwd and crewmux's MCP server), `session/prompt` per turn, `session/cancel`; the agent sends `session/update`
 * notifications and asks `session/request_permission`, and may ask `fs/read_text_file` and `fs/write_text_file`
 * (served inside the worktree only, though crewmux does not offer them). The schemas read only what crewmux uses and
 * let the rest through (agents add `_meta` and new update kinds). Pure.
 */
import { z } from 'zod';
import { MCP_SERVER } from '../agents/profiles/common.js';

/** The ACP version crewmux speaks (Gemini CLI 0.61 and Qwen Code 0.24 answer 1). */
export const ACP_PROTOCOL_VERSION = 1;

/** JSON-RPC's "method not found", answered to agent requests crewmux does not serve (terminal/*, extensions). */
export const METHOD_NOT_FOUND = -32601;

/** JSON-RPC's "invalid params": a request crewmux cannot read (not the session's, a relative path). */
export const INVALID_PARAMS = -32602;

/** ACP's "resource not found": `fs/read_text_file` of a file that does not exist. */
export const RESOURCE_NOT_FOUND = -32002;

/** crewmux's own server error: an `fs/*` request for a path it does not serve (outside the worktree, in `.git`). */
export const PATH_REFUSED = -32001;

/** What crewmux reads of the agent's `initialize` answer: whether it connects to an MCP server over HTTP. */
export const InitializeResultSchema = z
  .object({
    protocolVersion: z.number(),
    agentInfo: z.object({ name: z.string().optional(), version: z.string().optional() }).loose().nullish(),
    agentCapabilities: z
      .object({ mcpCapabilities: z.object({ http: z.boolean().optional() }).loose().nullish() })
      .loose()
      .nullish(),
  })
  .loose();
export type InitializeResult = z.infer<typeof InitializeResultSchema>;

export const NewSessionResultSchema = z.object({ sessionId: z.string().min(1) }).loose();

/** A turn's end: `end_turn`, `max_tokens`, `max_turn_requests`, `refusal` or `cancelled`. */
export const PromptResultSchema = z.object({ stopReason: z.string() }).loose();

const ToolCallSchema = z
  .object({
    toolCallId: z.string().optional(),
    title: z.string().nullish(),
    kind: z.string().nullish(),
    status: z.string().nullish(),
    locations: z.array(z.object({ path: z.string() }).loose()).nullish(),
    content: z.array(z.unknown()).nullish(),
  })
  .loose();

/** A `session/update` notification's params; `update.sessionUpdate` names the kind. */
export const SessionUpdateSchema = z.object({
  sessionId: z.string(),
  update: z.object({ sessionUpdate: z.string() }).loose(),
});
export type SessionUpdate = z.infer<typeof SessionUpdateSchema>['update'];

export const PermissionOptionSchema = z.object({ optionId: z.string(), name: z.string(), kind: z.string() }).loose();
export type PermissionOption = z.infer<typeof PermissionOptionSchema>;

/** A `session/request_permission` request's params. */
export const PermissionRequestSchema = z.object({
  sessionId: z.string(),
  toolCall: ToolCallSchema,
  options: z.array(PermissionOptionSchema),
});
export type PermissionRequest = z.infer<typeof PermissionRequestSchema>;

/** The answer to a permission request: the option chosen, or cancelled (the turn is being cancelled). */
export function permissionOutcome(optionId: string | undefined): { outcome: Record<string, string> } {
  return { outcome: optionId === undefined ? { outcome: 'cancelled' } : { outcome: 'selected', optionId } };
}

/**
 * `initialize` params: protocol 1, no file system or terminal offered by crewmux (the agent uses its own, and Gemini
 * CLI and Qwen Code keep doing so). An agent that asks for the file system anyway (OpenCode 1.18.33 sends
 * `fs/write_text_file` after every edit crewmux allowed, whatever these capabilities say) is served inside the
 * worktree only (app/workers/acp-worker.ts).
 */
export function initializeParams(version: string): Record<string, unknown> {
  return {
    protocolVersion: ACP_PROTOCOL_VERSION,
    clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
    clientInfo: { name: 'crewmux', version },
  };
}

/**
 * `session/new` params: the worktree, and crewmux's MCP server over HTTP with the worker's token as a header when the
 * agent said it supports HTTP MCP (`http`); otherwise none (the agent's session settings file names it, as in the TUI).
 */
export function newSessionParams(cwd: string, mcp: { url: string; token: string }, http: boolean) {
  return {
    cwd,
    mcpServers: http
      ? [
          {
            type: 'http',
            name: MCP_SERVER,
            url: mcp.url,
            headers: [{ name: 'Authorization', value: `Bearer ${mcp.token}` }],
          },
        ]
      : [],
  };
}

/** `fs/read_text_file` params: an absolute path, optionally from a 1-based `line` for `limit` lines. */
export const ReadTextFileSchema = z
  .object({
    sessionId: z.string(),
    path: z.string().min(1),
    line: z.number().int().positive().nullish(),
    limit: z.number().int().nonnegative().nullish(),
  })
  .loose();

/** `fs/write_text_file` params: an absolute path and the file's whole new content. */
export const WriteTextFileSchema = z
  .object({ sessionId: z.string(), path: z.string().min(1), content: z.string() })
  .loose();

/** The lines of `text` from 1-based `line` (default 1), at most `limit` of them (default all), line ends kept. */
export function textLines(text: string, line?: number | null, limit?: number | null): string {
  if (!line && (limit === undefined || limit === null)) return text;
  const lines = text.split(/(?<=\n)/);
  const from = (line ?? 1) - 1;
  return lines.slice(from, limit === undefined || limit === null ? undefined : from + limit).join('');
}

/** `session/prompt` params for one text turn. */
export function promptParams(sessionId: string, text: string) {
  return { sessionId, prompt: [{ type: 'text', text }] };
}
