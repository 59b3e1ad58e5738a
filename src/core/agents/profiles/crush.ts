/**
 * Crush (Charm; from its docs, not verified here). Crush merges a project `.crush.json` over the user's
 * config; crewmux writes it in its own worktree, excluded from git and from every snapshot commit
 * (`projectConfig`).
 */
import type { AgentProfile } from '../profile.js';
import { MCP_SERVER, UNVERIFIED_WAITING, bearer, crewmuxEnv, joinPath, jsonFile } from './common.js';

export const crush: AgentProfile = {
  name: 'crush',
  family: 'crush',
  description: 'Crush (Charm)',
  binaries: ['crush'],
  versionArgs: ['--version'],
  install: 'npm install -g @charmland/crush',
  authHint: 'a provider key such as ANTHROPIC_API_KEY or OPENAI_API_KEY',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: false },
  unverifiable: "@charmland/crush's postinstall downloads its binary from GitHub, which this test machine cannot reach",
  // The prompt is typed anyway; typed once the lead's MCP client has listed crewmux's tools.
  leadPrompt: 'after-tools',
  mcpWiring: 'config-file',
  projectConfig: ['.crush.json'],
  markers: {
    ready: ['ctrl+p commands'],
    busy: ['esc cancel'],
    waiting: [...UNVERIFIED_WAITING, 'Permission Required'],
  },
  launch: (ctx, binary) => ({
    argv: [binary, ...(ctx.role === 'worker' ? ['--yolo'] : [])],
    env: { ...crewmuxEnv(ctx), CRUSH_DISABLE_METRICS: '1', DO_NOT_TRACK: '1' },
    files: [
      jsonFile(joinPath(ctx.cwd, '.crush.json'), {
        mcp: { [MCP_SERVER]: { type: 'http', url: ctx.mcpUrl, headers: { Authorization: bearer(ctx) } } },
        permissions: { allowed_tools: [`mcp_${MCP_SERVER}_*`] },
      }),
    ],
    prompt: 'type',
  }),
};
