/**
 * Codex CLI (verified 0.169.0 to 0.171.0 in tmux). Everything goes in `-c key=value` overrides, so the user's
 * CODEX_HOME (auth.json, config.toml, providers) is used as is and not edited by crewmux. The bearer
 * token travels in an env var (bearer_token_env_var), not on argv. The app-server daemon is turned off
 * because it outlives the TUI.
 */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { MCP_SERVER, SIGNAL_RECORDER_SCRIPT, crewmuxEnv, joinPath, toolTimeoutSeconds } from './common.js';
import { SIGNALS_FILE } from '../../workers/signals.js';

const toml = (s: string) => JSON.stringify(s);

const CODEX_LOGIN_FIX = 'run `codex login` once, or set OPENAI_API_KEY';
const CODEX_QUOTA_FIX = 'wait for the usage limit to reset or check your plan, then `crewmux resume`';

export const codex: AgentProfile = {
  name: 'codex',
  family: 'openai',
  // Resident size estimate (MB) for admission by memory, until peaks on this machine are known.
  residentMb: 300,
  description: 'Codex CLI (OpenAI)',
  binaries: ['codex'],
  versionArgs: ['--version'],
  install: 'npm install -g @openai/codex',
  authHint: 'OPENAI_API_KEY, or `codex login` once',
  verified: { min: '0.169.0', max: '0.171.0' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'flag',
  // Typed once crewmux's tools are listed: a first turn never runs before its MCP client connected.
  leadPrompt: 'after-tools',
  mcpToolName: (server, tool) => `mcp__${server}.${tool}`,
  usage: { source: 'codex-rollout', apiKeyEnv: ['OPENAI_API_KEY', 'CODEX_API_KEY'] },
  // A worker's `notify` program (crewmux's recorder) says when a turn ends; its session rollout when one starts and
  // ends. Neither reports an approval dialog: the pane's waiting markers still do.
  signals: { file: SIGNALS_FILE, rollout: true },
  markers: {
    ready: ['Ask Codex to do anything', '? for shortcuts'],
    busy: ['esc to interrupt', 'Working ('],
    waiting: [
      'Allow the crewmux MCP server',
      'Trust this folder?',
      'Would you like to run the following command?',
      'Press enter to confirm',
    ],
  },
  auth: { env: ['OPENAI_API_KEY', 'CODEX_API_KEY'], files: [{ path: '.codex/auth.json' }] },
  // Texts from the 0.169.0 binary and openai/codex issues #7362, #2896: the final errors after its retries
  // (a line that still says "retrying" starts with "stream error:" and does not match).
  blockers: [
    { kind: 'auth_required', match: 'exceeded retry limit, last status: 401', fix: CODEX_LOGIN_FIX },
    { kind: 'auth_required', match: 'unexpected status 401 Unauthorized', fix: CODEX_LOGIN_FIX },
    { kind: 'quota_exhausted', match: "You've hit your usage limit", fix: CODEX_QUOTA_FIX },
    { kind: 'quota_exhausted', match: 'Quota exceeded. Check your plan and billing details', fix: CODEX_QUOTA_FIX },
    { kind: 'quota_exhausted', match: 'exceeded retry limit, last status: 429', fix: CODEX_QUOTA_FIX },
  ],
  dialogs: [
    {
      match: 'Trust this folder?',
      keys: ['1'],
      why: 'folder trust (not expected: approval and sandbox are set on argv)',
    },
    { match: 'Allow the crewmux MCP server', keys: ['2'], why: 'MCP approval: allow for this session' },
  ],
  launch: (ctx, binary) => {
    const s = `mcp_servers.${MCP_SERVER}`;
    const overrides = [
      `${s}.url=${toml(ctx.mcpUrl)}`,
      `${s}.bearer_token_env_var="CREWMUX_MCP_TOKEN"`,
      `${s}.tool_timeout_sec=${toolTimeoutSeconds(ctx)}`,
      `${s}.startup_timeout_sec=30`,
      `${s}.default_tools_approval_mode="approve"`,
      'check_for_update_on_startup=false',
      'analytics.enabled=false',
      'features.daemon_auto_start=false',
      // Folder trust, scoped to the worktree. An inline table because `-c` splits dotted keys, and the
      // path may hold dots; it shadows the user's [projects] for this process only (the file is not edited).
      `projects={${toml(ctx.cwd)}={trust_level="trusted"}}`,
      // A worker's turn ends are appended to its signals file (Codex adds the notification's JSON as the last
      // argument). Two paths, nothing secret; it replaces the user's own notify program for this process only.
      ...(ctx.role === 'worker' && ctx.nodePath
        ? [`notify=${JSON.stringify([ctx.nodePath, SIGNAL_RECORDER_SCRIPT, joinPath(ctx.stateDir, SIGNALS_FILE)])}`]
        : []),
    ];
    return {
      argv: [
        binary,
        ...overrides.flatMap((o) => ['-c', o]),
        ...(ctx.role === 'worker'
          ? ['--dangerously-bypass-approvals-and-sandbox']
          : ['--sandbox', 'read-only', '--ask-for-approval', 'never']),
        '--',
        PROMPT_ARG,
      ],
      env: { ...crewmuxEnv(ctx) },
      prompt: 'arg',
    };
  },
};
