/** GitHub Copilot CLI (from its docs, not verified here). A session-scoped MCP file via --additional-mcp-config; -i gives the first prompt. */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { MCP_SERVER, UNVERIFIED_WAITING, crewmuxEnv, joinPath, jsonFile, mcpServersJson } from './common.js';

export const copilot: AgentProfile = {
  name: 'copilot',
  family: 'github',
  description: 'GitHub Copilot CLI',
  binaries: ['copilot'],
  versionArgs: ['--version'],
  install: 'npm install -g @github/copilot',
  authHint: 'GH_TOKEN / GITHUB_TOKEN with Copilot access, or /login once',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'flag',
  markers: { ready: ['Enter @ to mention files'], busy: ['Esc to cancel'], waiting: UNVERIFIED_WAITING },
  launch: (ctx, binary) => {
    const mcpPath = joinPath(ctx.stateDir, 'copilot-mcp.json');
    return {
      argv: [
        binary,
        '--additional-mcp-config',
        `@${mcpPath}`,
        '--no-auto-update',
        ...(ctx.role === 'worker' ? ['--allow-all-tools'] : ['--allow-tool', MCP_SERVER]),
        '-i',
        PROMPT_ARG,
      ],
      env: { ...crewmuxEnv(ctx) },
      files: [jsonFile(mcpPath, mcpServersJson(ctx, { type: 'http', tools: ['*'] }))],
      prompt: 'arg',
    };
  },
};
