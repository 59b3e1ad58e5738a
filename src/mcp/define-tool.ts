/**
 * Registering a tool: zod input shape, a one- or two-sentence description, and a handler that returns
 * text. Domain failures (ToolError) become `isError` results whose text starts with "Error:" (some
 * CLIs hand the model only the text); anything else is reported the same way, never as a crash.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { ToolError } from '../core/errors.js';

import type { ToolCallStats } from '../app/observe/tool-stats.js';

export type { ToolCallStats };

/**
 * Where tools are registered: McpServer's registerTool, so that a collector (listLeadTools) can read the
 * same registrations the server gets.
 */
export type ToolServer = Pick<McpServer, 'registerTool'>;

export function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: text.startsWith('Error:') ? text : `Error: ${text}` }] };
}

export function textResult(text: string, structured?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], ...(structured ? { structuredContent: structured } : {}) };
}

export function defineTool<Shape extends z.ZodRawShape>(
  server: ToolServer,
  stats: ToolCallStats | undefined,
  name: string,
  description: string,
  shape: Shape,
  handler: (args: z.infer<z.ZodObject<Shape>>) => Promise<CallToolResult>,
): void {
  server.registerTool(name, { description, inputSchema: shape }, (async (args: z.infer<z.ZodObject<Shape>>) => {
    const started = performance.now();
    let result: CallToolResult;
    try {
      result = await handler(args);
    } catch (e) {
      result =
        e instanceof ToolError
          ? errorResult(e.message)
          : errorResult(
              `crewmux hit an internal error in ${name}: ${(e as Error).message}. Try once more; if it repeats, call mark_goal_failed with this text.`,
            );
    }
    stats?.record(name, performance.now() - started, Boolean(result.isError));
    return result;
  }) as never);
}
