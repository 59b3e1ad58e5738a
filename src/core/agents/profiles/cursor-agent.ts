/**
 * Cursor Agent CLI (from its docs, not verified here). MCP servers come from the project's
 * `.cursor/mcp.json`, written in crewmux's worktree, excluded from git and from every snapshot commit
 * (`projectConfig`).
 */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { UNVERIFIED_WAITING, crewmuxEnv, joinPath, jsonFile, mcpServersJson } from './common.js';

export const cursorAgent: AgentProfile = {
  name: 'cursor-agent',
  family: 'cursor',
  description: 'Cursor Agent CLI',
  binaries: ['cursor-agent'],
  versionArgs: ['--version'],
  install: 'curl https://cursor.com/install -fsS | bash',
  authHint: 'CURSOR_API_KEY, or `cursor-agent login` once',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'config-file',
  projectConfig: ['.cursor/mcp.json'],
  markers: { ready: ['/ commands'], busy: ['ctrl+c to stop'], waiting: [...UNVERIFIED_WAITING, 'Run this command?'] },
  launch: (ctx, binary) => ({
    argv: [binary, '--approve-mcps', ...(ctx.role === 'worker' ? ['--force'] : []), PROMPT_ARG],
    env: { ...crewmuxEnv(ctx) },
    files: [jsonFile(joinPath(ctx.cwd, '.cursor', 'mcp.json'), mcpServersJson(ctx))],
    prompt: 'arg',
  }),
};
