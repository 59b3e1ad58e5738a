/**
 * Kiro CLI (AWS; from its docs, not verified here). Kiro reads workspace MCP servers from
 * `.kiro/settings/mcp.json`; crewmux writes that file in its own worktree, excluded from git and from
 * every snapshot commit (`projectConfig`), so the user's ~/.kiro is untouched.
 */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { UNVERIFIED_WAITING, crewmuxEnv, joinPath, jsonFile, mcpServersJson } from './common.js';

export const kiro: AgentProfile = {
  name: 'kiro',
  family: 'kiro',
  description: 'Kiro CLI (AWS)',
  binaries: ['kiro-cli', 'kiro'],
  versionArgs: ['--version'],
  install: 'see https://kiro.dev/cli',
  authHint: '`kiro-cli login` once',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'config-file',
  projectConfig: ['.kiro/settings/mcp.json'],
  markers: { ready: ['> '], busy: ['Thinking'], waiting: [...UNVERIFIED_WAITING, 'Allow this action?'] },
  launch: (ctx, binary) => ({
    argv: [binary, 'chat', ...(ctx.role === 'worker' ? ['--trust-all-tools'] : ['--trust-tools=@crewmux']), PROMPT_ARG],
    env: { ...crewmuxEnv(ctx) },
    files: [jsonFile(joinPath(ctx.cwd, '.kiro', 'settings', 'mcp.json'), mcpServersJson(ctx))],
    prompt: 'arg',
  }),
};
