/** Builds the McpServer for one principal: the lead gets lead tools, a worker only its own. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime } from '../app/runtime.js';
import type { PromptExtras } from '../app/workers/spawn.js';
import type { Principal } from './principal.js';
import type { z } from 'zod';
import type { LeadToolInfo } from '../core/workers/prompts.js';
import { errorResult, type ToolCallStats, type ToolServer } from './define-tool.js';
import { registerLeadWorkerTools } from './tools/lead-workers.js';
import { registerGoalTools, registerProgressTool } from './tools/goal.js';
import { registerWorkerTools } from './tools/worker.js';
import { registerIntegrationTools } from './tools/integration.js';
import { registerExternalTools } from './tools/external.js';
import { registerContextTools } from './tools/context.js';
import { registerLeadQuestionTools } from './tools/questions.js';
import type { ExternalAgentDeps } from '../app/external/external-agents.js';
import { registerResearchTools } from './tools/research.js';
import type { Research } from '../app/llm/research.js';

export interface ToolDeps {
  rt: Runtime;
  stats?: ToolCallStats;
  promptExtras?: PromptExtras;
  onWorkerActivity?: (workerId: string) => void;
  /** Discovery state for the external-agent tools (one per session); without it those tools are absent. */
  external?: ExternalAgentDeps;
  /** Web search for web_research (one per session, so its cache is shared); without it the tool is absent. */
  research?: Research;
  /** crewmux's version as the server reports it (compose/ passes package.json's). */
  version: string;
}

export function buildMcpServer(principal: Principal, d: ToolDeps): McpServer {
  const server = new McpServer({ name: 'crewmux', version: d.version }, { capabilities: { tools: {} } });
  const names: string[] = [];
  const tools: ToolServer = {
    registerTool: ((name: string, ...rest: unknown[]) => {
      names.push(name);
      return (server.registerTool as (...a: unknown[]) => unknown)(name, ...rest);
    }) as ToolServer['registerTool'],
  };
  (server as unknown as { createToolError(m: string): unknown }).createToolError = (m: string) =>
    toolErrorText(m, names);
  if (principal.role === 'lead') registerLeadTools(tools, d);
  else registerWorkerTools(tools, d, principal.workerId);
  return server;
}

/**
 * The SDK's own tool-call failures as crewmux words them (text starting with "Error:"): a call to a tool that
 * does not exist names it and lists `names`; bad arguments ("MCP error -32602: ...") say to check them.
 */
function toolErrorText(message: string, names: string[]) {
  // McpServer's CallTool handler throws McpError(InvalidParams, `Tool ${name} not found`) (sdk server/mcp.js).
  const unknown = /Tool (.*) not found$/s.exec(message);
  if (unknown)
    return errorResult(
      `Error: unknown tool "${unknown[1]!.slice(0, 100)}". The tools you have: ${names.join(', ')}. Call one of them by its exact name.`,
    );
  return errorResult(`${message}. Check the arguments against the tool's schema and call it again.`);
}

/** Registers every lead tool on `server`; the external-agent and web_research tools only when `d` has their deps. */
export function registerLeadTools(server: ToolServer, d: ToolDeps): void {
  registerLeadWorkerTools(server, d);
  registerIntegrationTools(server, d);
  registerGoalTools(server, d);
  registerContextTools(server, d);
  registerLeadQuestionTools(server, d);
  if (d.external) registerExternalTools(server, d, d.external);
  if (d.research) registerResearchTools(server, d, d.research);
  registerProgressTool(server, d);
}

/**
 * The lead's tools as the lead prompt lists them (name, parameters, description), in registration
 * order, read from the same registrations `buildMcpServer` makes with the same `d`; no handler runs.
 */
export function listLeadTools(d: ToolDeps): LeadToolInfo[] {
  const tools: LeadToolInfo[] = [];
  const collect = (name: string, config: { description?: string; inputSchema?: Record<string, z.ZodType> }) => {
    // An optional parameter is one whose schema accepts undefined.
    const shape = Object.entries(config.inputSchema ?? {});
    const params = shape.map(([k, s]) => (s.safeParse(undefined).success ? `${k}?` : k));
    tools.push({ name, params, description: config.description ?? '' });
  };
  registerLeadTools({ registerTool: collect as unknown as ToolServer['registerTool'] }, d);
  return tools;
}
