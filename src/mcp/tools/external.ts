/** Lead tools for agents running outside crewmux: shim-wrapped agents and agents in plain tmux panes. */
import { z } from 'zod';
import {
  discoverAgents,
  readFromExternalAgent,
  sendToExternalAgent,
  type ExternalAgentDeps,
} from '../../app/external/external-agents.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import { sessionFence } from '../../app/session/data-fence.js';
import type { ToolDeps } from '../build-server.js';

export function registerExternalTools(server: ToolServer, d: ToolDeps, ext: ExternalAgentDeps): void {
  defineTool(
    server,
    d.stats,
    'discover_running_agents',
    'List agent CLIs running outside this session (crewmux-shim, or plain tmux panes) that you can talk to.',
    {},
    async () => {
      const r = await discoverAgents(ext);
      const agents = r.agents.map((a) => ({ id: a.id, agent: a.agent, via: a.via, pid: a.pid, cwd: a.cwd ?? null }));
      const text = agents.length
        ? agents.map((a) => `${a.id}: ${a.agent} via ${a.via}${a.cwd ? ` in ${a.cwd}` : ''}`).join('\n')
        : 'No external agents found.';
      return textResult(text + (r.warnings.length ? `\nwarnings: ${r.warnings.join('; ')}` : ''), { agents });
    },
  );
  defineTool(
    server,
    d.stats,
    'send_to_external_agent',
    'Type text into an external agent and press Enter.',
    {
      agent_id: z.string().describe('An id from discover_running_agents.'),
      text: z.string().describe('The text to type; Enter is pressed after it.'),
    },
    async (a) => {
      const r = await sendToExternalAgent(ext, a.agent_id, a.text);
      return textResult(
        `Sent ${r.chars} characters to ${r.id} via ${r.via}. Read its answer with read_from_external_agent.`,
      );
    },
  );
  defineTool(
    server,
    d.stats,
    'read_from_external_agent',
    "Read an external agent's new output (shim) or current screen (tmux pane).",
    {
      agent_id: z.string().describe('An id from discover_running_agents.'),
      max_bytes: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('At most this many bytes of output, the newest (default 8000, up to 1000000).'),
    },
    async (a) => {
      const r = await readFromExternalAgent(ext, a.agent_id, a.max_bytes);
      return textResult(
        `${sessionFence(d.rt)(`external agent ${r.id} output`, r.text)}${r.exited ? '\n[the agent has exited]' : ''}`,
      );
    },
  );
}
