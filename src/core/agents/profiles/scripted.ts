/**
 * Scripted stand-ins for agents, shipped for `crewmux demo` and for tests: real processes that speak
 * crewmux's MCP tools with a fixed script instead of a model. Output always says they are scripted.
 */
import { fileURLToPath } from 'node:url';
import type { AgentProfile } from '../profile.js';

const script = (name: string) => fileURLToPath(new URL(`../../../demo/${name}.js`, import.meta.url));

export const scriptedLead: AgentProfile = {
  name: 'scripted-lead',
  family: 'scripted',
  residentMb: 100,
  description:
    'A scripted lead (no model): spawns the workers a JSON plan in the goal names, or two demo workers; waits, merges, verifies, marks done.',
  binaries: ['node'],
  versionArgs: ['--version'],
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: false },
  markers: { ready: ['scripted lead ready'] },
  scripted: true,
  launch: (_ctx, binary) => ({ argv: [binary, script('scripted-lead')], env: {}, prompt: 'file' }),
};

export const scriptedWorker: AgentProfile = {
  name: 'scripted-worker',
  family: 'scripted',
  residentMb: 100,
  description:
    'A scripted worker (no model): writes the files its task spells out in ```file:PATH blocks, commits, calls worker_done; answers typed follow-ups.',
  binaries: ['node'],
  versionArgs: ['--version'],
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: false },
  markers: { ready: ['scripted worker idle'], busy: ['scripted worker busy'] },
  scripted: true,
  // Only a task's ```usage block writes one (src/demo/scripted-worker.ts): the budget e2e test reads it like Claude's.
  usage: { source: 'claude-transcript' },
  launch: (_ctx, binary) => ({ argv: [binary, script('scripted-worker')], env: {}, prompt: 'file' }),
};
