/**
 * Gemini CLI (verified 0.61.0 in tmux). crewmux's settings go in a session-scoped *system* settings
 * file (GEMINI_CLI_SYSTEM_SETTINGS_PATH, merged over the user's ~/.gemini/settings.json, which is not
 * touched); folder trust comes from GEMINI_CLI_TRUST_WORKSPACE. A worker's prompt is an initial interactive
 * prompt (-i); the lead's is typed (leadPrompt 'after-tools').
 */
import { PROMPT_ARG, type AgentProfile, type LaunchContext } from '../profile.js';
import { MCP_SERVER, bearer, crewmuxEnv, joinPath, jsonFile, toolTimeoutSeconds } from './common.js';
import { SIGNALS_FILE } from '../../workers/signals.js';

/** The settings object shared by Gemini CLI and its fork Qwen Code. */
export function geminiStyleSettings(ctx: LaunchContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    mcpServers: {
      [MCP_SERVER]: {
        httpUrl: ctx.mcpUrl,
        headers: { Authorization: bearer(ctx) },
        trust: true,
        timeout: toolTimeoutSeconds(ctx) * 1000,
      },
    },
    ...extra,
  };
}

const GEMINI_LOGIN_FIX = 'set GEMINI_API_KEY, or run `gemini` once and sign in';
const GEMINI_KEY_FIX = 'check GEMINI_API_KEY (or unset it and run `gemini` once to sign in)';
const GEMINI_QUOTA_FIX = 'wait for the quota to reset or use another key, then `crewmux resume`';

export const gemini: AgentProfile = {
  name: 'gemini',
  family: 'google',
  // Resident size estimate (MB) for admission by memory, until peaks on this machine are known.
  residentMb: 500,
  description: 'Gemini CLI (Google)',
  binaries: ['gemini'],
  versionArgs: ['--version'],
  install: 'npm install -g @google/gemini-cli',
  authHint: 'GEMINI_API_KEY, or `gemini` then sign in once',
  verified: { min: '0.61.0', max: '0.61.0' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'env',
  // Its MCP client connects in the background: the lead's prompt is typed once crewmux's tools are listed (not
  // on argv, where `ps` shows it). 0.61 turns an Enter that comes right after a paste into a newline, so
  // deliverText presses it only once the paste shows, and checks the turn started (docs/agents.md).
  leadPrompt: 'after-tools',
  mcpToolName: (server, tool) => `mcp_${server}_${tool}`,
  markers: {
    ready: ['Type your message'],
    busy: ['esc to cancel'],
    waiting: [
      'Do you trust the files in this folder?',
      'Allow execution',
      'Waiting for user confirmation',
      'Apply this change?',
    ],
  },
  auth: {
    env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA'],
    files: [{ path: '.gemini/oauth_creds.json' }],
  },
  // Texts from the 0.61.0 bundle: the auth dialog and headless auth error on a HOME without credentials,
  // and the quota errors of the Gemini API. A refused key or an exhausted quota ends the turn with
  // `✕ [API Error: <the API's JSON body>]` (recorded against the fake model answering as the Gemini API does:
  // test/fixtures/blockers/gemini-0.61-invalid-key.txt), and a 429 adds "Please wait and try again later...".
  blockers: [
    { kind: 'auth_required', match: 'Please set an Auth method', fix: GEMINI_LOGIN_FIX },
    { kind: 'auth_required', match: 'How would you like to authenticate for this project?', fix: GEMINI_LOGIN_FIX },
    { kind: 'auth_required', match: 'Invalid auth method selected', fix: GEMINI_LOGIN_FIX },
    // Over ACP (workers), session/new refused on a HOME without credentials: `✕ <message>` in crewmux's ACP pane.
    { kind: 'auth_required', match: 'Gemini API key is missing or not configured', fix: GEMINI_LOGIN_FIX },
    {
      kind: 'auth_required',
      match: '[API Error: {"error":{"code":400,"message":"API key not valid',
      fix: GEMINI_KEY_FIX,
    },
    { kind: 'auth_required', match: '[API Error: {"error":{"code":401', fix: GEMINI_KEY_FIX },
    { kind: 'auth_required', match: '[API Error: {"error":{"code":403', fix: GEMINI_KEY_FIX },
    { kind: 'quota_exhausted', match: '[API Error: {"error":{"code":429', fix: GEMINI_QUOTA_FIX },
    {
      kind: 'quota_exhausted',
      match: 'Please wait and try again later. To increase your limits',
      fix: GEMINI_QUOTA_FIX,
    },
    { kind: 'quota_exhausted', match: 'You have exhausted your daily quota', fix: GEMINI_QUOTA_FIX },
    { kind: 'quota_exhausted', match: 'Quota exceeded for quota metric', fix: GEMINI_QUOTA_FIX },
  ],
  // Workers speak ACP (`--acp`, protocol 1 in 0.61.0): crewmux's ACP pane process drives the session and reports its
  // turns to the signals file (source `acp`); config `"acp": {"gemini": false}` brings back the TUI.
  acp: { args: ['--acp'], workers: true },
  signals: { file: SIGNALS_FILE, dialogs: true },
  // Its chat recording under ~/.gemini/tmp (or GEMINI_CLI_HOME); a Google login is the plan bucket.
  usage: { source: 'gemini-chat', apiKeyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'] },
  dialogs: [
    {
      match: 'Do you trust the files in this folder?',
      keys: ['Enter'],
      why: 'folder trust (not expected: GEMINI_CLI_TRUST_WORKSPACE)',
    },
  ],
  launch: (ctx, binary) => {
    const settingsPath = joinPath(ctx.stateDir, 'gemini-system-settings.json');
    return {
      argv: [
        binary,
        '--approval-mode',
        ctx.role === 'worker' && !ctx.acp ? 'yolo' : 'default',
        '--prompt-interactive',
        PROMPT_ARG,
      ],
      env: { ...crewmuxEnv(ctx), GEMINI_CLI_SYSTEM_SETTINGS_PATH: settingsPath, GEMINI_CLI_TRUST_WORKSPACE: 'true' },
      files: [jsonFile(settingsPath, geminiStyleSettings(ctx))],
      prompt: 'arg',
    };
  },
};
