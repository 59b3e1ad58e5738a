/**
 * Claude Code (verified 2.1.197 to 2.1.332 in tmux). Claude keeps onboarding, folder trust and API-key approval in
 * its global `.claude.json`, so each agent gets a crewmux-owned CLAUDE_CONFIG_DIR under ctx.stateDir,
 * seeded with the user's credentials and settings (copied, never edited); crewmux's own settings are
 * layered on top with --settings. MCP comes from ctx.mcpConfigPath with --strict-mcp-config, which also
 * keeps a project's .mcp.json from raising its "New MCP server found" dialog.
 */
import { fileURLToPath } from 'node:url';
import { PROMPT_ARG, type AgentProfile, type LaunchContext, type LaunchSpec } from '../profile.js';
import { shellJoin } from '../../text/shell-quote.js';
import { MCP_SERVER, SIGNAL_RECORDER_SCRIPT, crewmuxEnv, joinPath, jsonFile, toolTimeoutSeconds } from './common.js';
import { ASK_TOOL, HOOK_TIMEOUT_S } from '../../questions/claude-hook.js';
import { SIGNALS_FILE } from '../../workers/signals.js';

/** crewmux's status-line recorder (adapters/usage/claude-statusline.ts), shipped in the package. */
const STATUS_LINE_SCRIPT = fileURLToPath(new URL('../../../adapters/usage/claude-statusline.js', import.meta.url));

/** Claude Code's hook events a worker reports its activity with (core/workers/signals.ts decides from them). */
const STATUS_HOOK_EVENTS = ['SessionStart', 'UserPromptSubmit', 'Stop', 'StopFailure', 'Notification'] as const;

/**
 * The `hooks` of a worker's settings: crewmux's question hook on AskUserQuestion (when given), and its signal recorder
 * on every status event and every tool call (PreToolUse `*`), appending to SIGNALS_FILE in the state dir.
 */
function workerHooks(ctx: LaunchContext): Record<string, unknown> {
  const hooks: Record<string, { matcher?: string; hooks: { type: 'command'; command: string; timeout: number }[] }[]> =
    {};
  // A worker's AskUserQuestion becomes a crewmux ticket; the hook hands Claude the lead's (or the user's) answer.
  if (ctx.askHook)
    hooks.PreToolUse = [
      { matcher: ASK_TOOL, hooks: [{ type: 'command', command: shellJoin(ctx.askHook), timeout: HOOK_TIMEOUT_S }] },
    ];
  if (ctx.nodePath) {
    // The command line holds two paths, nothing secret; the recorder prints nothing and always exits 0.
    const record = {
      type: 'command' as const,
      command: shellJoin([ctx.nodePath, SIGNAL_RECORDER_SCRIPT, joinPath(ctx.stateDir, SIGNALS_FILE)]),
      timeout: 10,
    };
    for (const e of STATUS_HOOK_EVENTS) hooks[e] = [{ hooks: [record] }];
    hooks.PreToolUse = [...(hooks.PreToolUse ?? []), { matcher: '*', hooks: [record] }];
  }
  return hooks;
}

/** Where an agent's status-line records go (core/usage/claude-statusline.ts reads them). */
export const CLAUDE_STATUS_LINE_FILE = 'claude-statusline.jsonl';

/** The launch shared by Claude Code and CLIs that copied its flags and config layout (openclaude). */
export function claudeStyleLaunch(ctx: LaunchContext, binary: string): LaunchSpec {
  const dir = joinPath(ctx.stateDir, 'claude-config');
  const key = ctx.env?.ANTHROPIC_API_KEY;
  const globalConfig = {
    hasCompletedOnboarding: true,
    autoUpdates: false,
    // 2.1.3xx opens a diff panel beside the transcript once a file changed (in a pane 144+ columns wide), which
    // halves the width the transcript (and crewmux's pane reading) gets; false keeps it closed.
    diffSidebarOpen: false,
    // The API-key dialog defaults to "No"; approving the key's last 20 characters is what "Yes" writes.
    customApiKeyResponses: { approved: key ? [key.slice(-20)] : [], rejected: [] },
    projects: { [ctx.cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
  };
  const settings = {
    permissions: { allow: [`mcp__${MCP_SERVER}`] },
    skipDangerousModePermissionPrompt: true,
    // A worker's questions and activity reach crewmux through Claude's hooks (workerHooks).
    ...(ctx.role === 'worker' ? { hooks: workerHooks(ctx) } : {}),
    // Claude's status-line JSON carries its cost and the plan's rate limits: recorded into the state dir.
    // The command line holds two paths and a file name, nothing secret.
    // Workers only: with a status line the lead's typed first prompt was never confirmed delivered (its footer changes
    // while crewmux compares the screen before and after the paste); not understood yet.
    ...(ctx.nodePath && ctx.role === 'worker'
      ? {
          statusLine: {
            type: 'command',
            command: shellJoin([ctx.nodePath, STATUS_LINE_SCRIPT, joinPath(ctx.stateDir, CLAUDE_STATUS_LINE_FILE)]),
            padding: 0,
          },
        }
      : {}),
  };
  const settingsPath = joinPath(ctx.stateDir, 'claude-crewmux-settings.json');
  const home = ctx.userHome;
  return {
    argv: [
      binary,
      '--mcp-config',
      ctx.mcpConfigPath,
      '--strict-mcp-config',
      '--settings',
      settingsPath,
      // Workers edit and run commands unattended; IS_SANDBOX=1 lets bypass mode run as root.
      ...(ctx.role === 'worker' ? ['--dangerously-skip-permissions'] : []),
      '--',
      PROMPT_ARG,
    ],
    env: {
      ...crewmuxEnv(ctx),
      CLAUDE_CONFIG_DIR: dir,
      IS_SANDBOX: '1',
      // Claude's per-call MCP limit, in ms: crewmux's blocking tools answer before it.
      MCP_TOOL_TIMEOUT: String(toolTimeoutSeconds(ctx) * 1000),
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    },
    seed: home
      ? [
          { from: joinPath(home, '.claude', '.credentials.json'), to: joinPath(dir, '.credentials.json') },
          { from: joinPath(home, '.claude', 'settings.json'), to: joinPath(dir, 'settings.json') },
        ]
      : [],
    files: [jsonFile(joinPath(dir, '.claude.json'), globalConfig), jsonFile(settingsPath, settings)],
    prompt: 'arg',
  };
}

const CLAUDE_LOGIN_FIX = 'run `claude` once and log in, or set ANTHROPIC_API_KEY';
const CLAUDE_KEY_FIX = 'check ANTHROPIC_API_KEY (or unset it and run `claude` once to log in)';
const CLAUDE_QUOTA_FIX = 'wait for the usage limit to reset or add credit, then `crewmux resume`';

export const claude: AgentProfile = {
  name: 'claude',
  family: 'anthropic',
  // Resident size estimate (MB) for admission by memory, until peaks on this machine are known.
  residentMb: 600,
  description: 'Claude Code (Anthropic)',
  binaries: ['claude'],
  versionArgs: ['--version'],
  install: 'npm install -g @anthropic-ai/claude-code',
  authHint: 'ANTHROPIC_API_KEY, or `claude` then /login once',
  verified: { min: '2.1.197', max: '2.1.332' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'flag',
  // Its first turn starts before its MCP client has connected to crewmux (AGENT-CLIS.md section 13).
  leadPrompt: 'after-tools',
  mcpToolName: (server, tool) => `mcp__${server}__${tool}`,
  markers: {
    ready: ['? for shortcuts', 'bypass permissions on', 'auto mode on'],
    busy: ['esc to interrupt'],
    waiting: [
      'Do you want to proceed?',
      'Do you trust the files',
      'Yes, I trust this folder',
      'Do you want to use this API key?',
      '❯ 1.',
    ],
  },
  // A logged-in Claude keeps its OAuth tokens in ~/.claude/.credentials.json (Linux) and the account in
  // ~/.claude.json's oauthAccount (also on macOS, where the tokens are in the keychain).
  auth: {
    env: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'],
    files: [{ path: '.claude/.credentials.json' }, { path: '.claude.json', key: 'oauthAccount' }],
  },
  // Texts from the 2.1.197 binary (and anthropics/claude-code issues #6270, #6331): shown as the answer to
  // the first prompt when the agent has no usable credentials or quota; they start the line after "⎿".
  blockers: [
    { kind: 'auth_required', match: 'Not logged in · Please run /login', fix: CLAUDE_LOGIN_FIX },
    { kind: 'auth_required', match: 'Not logged in · Run /login', fix: CLAUDE_LOGIN_FIX },
    { kind: 'auth_required', match: 'Not logged in. Run claude auth login', fix: CLAUDE_LOGIN_FIX },
    { kind: 'auth_required', match: 'Invalid API key · Please run /login', fix: CLAUDE_KEY_FIX },
    { kind: 'auth_required', match: 'Invalid API key · Fix external API key', fix: CLAUDE_KEY_FIX },
    { kind: 'auth_required', match: 'Missing API key · Run /login', fix: CLAUDE_LOGIN_FIX },
    { kind: 'auth_required', match: 'OAuth token has expired', fix: CLAUDE_LOGIN_FIX },
    { kind: 'blocked_dialog', match: 'Select login method:', fix: CLAUDE_LOGIN_FIX },
    { kind: 'quota_exhausted', match: 'Claude AI usage limit reached', fix: CLAUDE_QUOTA_FIX },
    { kind: 'quota_exhausted', match: 'Credit balance is too low', fix: CLAUDE_QUOTA_FIX },
    { kind: 'quota_exhausted', match: 'API Error: 429', fix: CLAUDE_QUOTA_FIX },
    {
      kind: 'blocked_dialog',
      match: 'It looks like your version of Claude Code',
      fix: 'update Claude Code (`npm install -g @anthropic-ai/claude-code`), then run crewmux again',
    },
  ],
  dialogs: [
    {
      match: 'Yes, I trust this folder',
      keys: ['Enter'],
      why: 'folder trust, if the worktree path differs from ctx.cwd (e.g. a symlink)',
    },
    { match: 'Do you want to proceed?', keys: ['Enter'], why: 'a tool permission prompt outside the allow rules' },
  ],
  usage: { source: 'claude-transcript', apiKeyEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] },
  // A worker's hooks (workerHooks) say when it works, idles or waits for a dialog.
  signals: { file: SIGNALS_FILE, dialogs: true },
  launch: claudeStyleLaunch,
};
