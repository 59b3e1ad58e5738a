/**
 * Kilo Code CLI (from its docs, not verified here). Project MCP servers come from `.kilocode/mcp.json`,
 * written in crewmux's worktree, excluded from git and from every snapshot commit (`projectConfig`).
 * The prompt is typed.
 */
import type { AgentProfile } from '../profile.js';
import { UNVERIFIED_WAITING, crewmuxEnv, joinPath, jsonFile, mcpServersJson } from './common.js';

export const kilocode: AgentProfile = {
  name: 'kilocode',
  family: 'kilocode',
  description: 'Kilo Code CLI',
  binaries: ['kilocode', 'kilo'],
  versionArgs: ['--version'],
  install: 'npm install -g @kilocode/cli',
  authHint: 'configure a provider on first run',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  // The prompt is typed anyway; typed once the lead's MCP client has listed crewmux's tools.
  leadPrompt: 'after-tools',
  mcpWiring: 'config-file',
  projectConfig: ['.kilocode/mcp.json'],
  markers: { ready: ['Type a message'], busy: ['esc to cancel'], waiting: UNVERIFIED_WAITING },
  launch: (ctx, binary) => ({
    argv: [binary, ...(ctx.role === 'worker' ? ['--auto'] : [])],
    env: { ...crewmuxEnv(ctx) },
    files: [jsonFile(joinPath(ctx.cwd, '.kilocode', 'mcp.json'), mcpServersJson(ctx, { type: 'streamable-http' }))],
    prompt: 'type',
  }),
};
