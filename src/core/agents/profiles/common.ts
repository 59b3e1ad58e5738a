/** Small helpers shared by the agent entries: paths under ctx.stateDir, MCP header, tool timeout, JSON files. */
import { fileURLToPath } from 'node:url';
import type { LaunchContext } from '../profile.js';

/**
 * crewmux's signal recorder (adapters/signals/signal-recorder.ts), shipped in the package: Claude Code workers run it
 * from their hooks, Codex workers as their `notify` program (core/workers/signals.ts reads what it writes).
 */
export const SIGNAL_RECORDER_SCRIPT = fileURLToPath(
  new URL('../../../adapters/signals/signal-recorder.js', import.meta.url),
);

/** The MCP server name every agent sees; tool names derive from it (mcp__crewmux__spawn_worker, ...). */
export const MCP_SERVER = 'crewmux';

/** `a/b/c` with single slashes (core stays free of node:path; all paths here are POSIX absolute). */
export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

/** The `Authorization` header value crewmux's MCP server checks. */
export function bearer(ctx: LaunchContext): string {
  return `Bearer ${ctx.mcpToken}`;
}

/** Seconds an agent should let one MCP call run: crewmux's own tool budget plus a 30 s margin. */
export function toolTimeoutSeconds(ctx: LaunchContext): number {
  return Math.ceil(ctx.toolTimeoutS) + 30;
}

/** A pretty JSON file for LaunchSpec.files. */
export function jsonFile(path: string, value: unknown): { path: string; content: string; mode: number } {
  return { path, content: JSON.stringify(value, null, 2) + '\n', mode: 0o600 };
}

/** Environment every agent gets: crewmux's MCP coordinates (the caller adds the rest of CREWMUX_*). */
export function crewmuxEnv(ctx: LaunchContext): Record<string, string> {
  return { CREWMUX_MCP_URL: ctx.mcpUrl, CREWMUX_MCP_TOKEN: ctx.mcpToken, CREWMUX_MCP_CONFIG: ctx.mcpConfigPath };
}

/** `{ mcpServers: { crewmux: { type?, url, headers } } }`, the shape most CLIs read. */
export function mcpServersJson(ctx: LaunchContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mcpServers: { [MCP_SERVER]: { ...extra, url: ctx.mcpUrl, headers: { Authorization: bearer(ctx) } } } };
}

/** Marker lists for entries not yet recorded from a real binary: only dialog words that are safe guesses. */
export const UNVERIFIED_WAITING = ['(Y)es/(N)o', 'Do you want to', 'Allow this', 'Approve'];
