/**
 * GitHub Copilot CLI (verified 1.0.102 in tmux, against a BYOK provider: COPILOT_PROVIDER_BASE_URL). A
 * session-scoped MCP file through --additional-mcp-config (added to the user's ~/.copilot/mcp-config.json for
 * this session only); `-i PROMPT` gives a worker its first prompt, a lead's is typed. Folder trust has no flag
 * for interactive mode and lives in the user's settings.json, so crewmux sets COPILOT_ALLOW_ALL=true (its exact
 * value "true" trusts the working directory, a crewmux worktree); the lead is denied shell and write tools.
 */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { MCP_SERVER, crewmuxEnv, joinPath, jsonFile, mcpServersJson } from './common.js';

const COPILOT_LOGIN_FIX = 'run `copilot` once and /login, or set GH_TOKEN (or COPILOT_PROVIDER_BASE_URL for BYOK)';

export const copilot: AgentProfile = {
  name: 'copilot',
  family: 'github',
  // Measured: about 300 MB for the TUI after one turn (1.0.102).
  residentMb: 400,
  description: 'GitHub Copilot CLI',
  binaries: ['copilot'],
  versionArgs: ['--version'],
  install: 'npm install -g @github/copilot',
  authHint: 'GH_TOKEN / GITHUB_TOKEN with Copilot access, /login once, or a BYOK provider (COPILOT_PROVIDER_BASE_URL)',
  verified: { min: '1.0.102', max: '1.0.102' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'flag',
  leadPrompt: 'after-tools',
  mcpToolName: (server, tool) => `${server}-${tool}`,
  markers: {
    ready: ['/ commands · ? help'],
    // 1.0.102's footer while a turn runs: `◉ Working · 211 B esc esc interrupt`.
    busy: ['esc interrupt'],
    waiting: ['Do you trust the files in this folder?', 'Do you want to', 'Allow this'],
  },
  auth: {
    env: ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN', 'COPILOT_PROVIDER_BASE_URL'],
    files: [{ path: '.copilot/config.json', key: 'logged_in_users' }],
  },
  // Its session event log (~/.copilot/session-state/<id>/events.jsonl; COPILOT_HOME moves ~/.copilot): one
  // `session.usage_record` per model call. Without a BYOK key it runs on a Copilot plan (the subscription bucket).
  usage: { source: 'copilot-events', apiKeyEnv: ['COPILOT_PROVIDER_API_KEY', 'COPILOT_PROVIDER_BEARER_TOKEN'] },
  // Recorded with 1.0.102 and no login: the TUI's line, and `-p`'s `Error: No authentication information found.`
  blockers: [
    { kind: 'auth_required', match: 'Please use /login to sign in to use Copilot', fix: COPILOT_LOGIN_FIX },
    { kind: 'auth_required', match: 'Error: No authentication information found', fix: COPILOT_LOGIN_FIX },
  ],
  launch: (ctx, binary) => {
    const mcpPath = joinPath(ctx.stateDir, 'copilot-mcp.json');
    return {
      argv: [
        binary,
        '--additional-mcp-config',
        `@${mcpPath}`,
        '--no-auto-update',
        '--disable-client-telemetry',
        ...(ctx.role === 'worker'
          ? ['--allow-all-tools']
          : // The lead plans and calls crewmux; like Codex's read-only lead it neither runs commands nor writes.
            ['--allow-tool', MCP_SERVER, '--deny-tool', 'shell', '--deny-tool', 'write']),
        '-i',
        PROMPT_ARG,
      ],
      env: { ...crewmuxEnv(ctx), COPILOT_ALLOW_ALL: 'true', COPILOT_AUTO_UPDATE: 'false' },
      files: [jsonFile(mcpPath, mcpServersJson(ctx, { type: 'http', tools: ['*'] }))],
      prompt: 'arg',
    };
  },
};
