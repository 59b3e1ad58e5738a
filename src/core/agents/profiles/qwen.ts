/**
 * Qwen Code (verified 0.24.4 in tmux; a Gemini CLI fork). Same approach as gemini.ts: a session-scoped
 * system settings file (QWEN_CODE_SYSTEM_SETTINGS_PATH) over the untouched user settings. The prompt
 * goes first because array flags swallow a positional that follows them; follow-up suggestions are off
 * because Enter would accept one.
 */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { crewmuxEnv, joinPath, jsonFile } from './common.js';
import { geminiStyleSettings } from './gemini.js';
import { SIGNALS_FILE } from '../../workers/signals.js';

const QWEN_LOGIN_FIX = 'set OPENAI_API_KEY and OPENAI_BASE_URL, or run `qwen` once and /auth';
const QWEN_KEY_FIX = 'check OPENAI_API_KEY (and OPENAI_BASE_URL), or run `qwen` once and /auth';
const QWEN_QUOTA_FIX = 'wait for the quota to reset or use another key, then `crewmux resume`';

export const qwen: AgentProfile = {
  name: 'qwen',
  family: 'qwen',
  // Resident size estimate (MB) for admission by memory, until peaks on this machine are known.
  residentMb: 500,
  description: 'Qwen Code (Alibaba)',
  binaries: ['qwen'],
  versionArgs: ['--version'],
  install: 'npm install -g @qwen-code/qwen-code',
  authHint: 'OPENAI_API_KEY + OPENAI_BASE_URL, or `qwen` then /auth once',
  verified: { min: '0.24.4', max: '0.24.4' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'env',
  // The prompt stays on argv: QWEN_CODE_LEGACY_MCP_BLOCKING (below) makes startup wait for crewmux's tools.
  leadPrompt: 'launch',
  mcpToolName: (server, tool) => `mcp__${server}__${tool}`,
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
    env: ['OPENAI_API_KEY', 'DASHSCOPE_API_KEY'],
    files: [{ path: '.qwen/oauth_creds.json' }],
  },
  // Its workers speak ACP (`--acp`, protocol 1 in 0.24.4) unless config says `"acp": {"qwen": false}`; the signals
  // file is written only then. Each model call's tokens come in a session update's `_meta.usage`, so an ACP worker's
  // usage is what the pane process records of them (its chat recording in ACP mode missed calls: docs/agents.md).
  acp: { args: ['--acp'], workers: true, usage: true },
  signals: { file: SIGNALS_FILE, dialogs: true },
  // Its chat recording under ~/.qwen/projects (or QWEN_HOME); Qwen OAuth is the plan bucket.
  usage: { source: 'qwen-chat', apiKeyEnv: ['OPENAI_API_KEY', 'DASHSCOPE_API_KEY'] },
  // Qwen Code is a Gemini CLI fork and kept its auth dialog and error texts. With an OpenAI-compatible provider
  // a refused key ends the turn with `✕ [API Error: 401 <the provider's message>]` (recorded with 0.24.4:
  // test/fixtures/blockers/qwen-0.24-invalid-key.txt); a 429 is retried (10 attempts, minutes, shown busy) and
  // then ends as `[API Error: 429 ...]`; Qwen OAuth's own quota texts come from the 0.24.4 bundle.
  blockers: [
    { kind: 'auth_required', match: 'Please set an Auth method', fix: QWEN_LOGIN_FIX },
    { kind: 'auth_required', match: 'How would you like to authenticate for this project?', fix: QWEN_LOGIN_FIX },
    { kind: 'auth_required', match: '[API Error: 401', fix: QWEN_KEY_FIX },
    { kind: 'auth_required', match: '[API Error: 403', fix: QWEN_KEY_FIX },
    { kind: 'auth_required', match: 'Qwen OAuth free tier has been discontinued', fix: QWEN_LOGIN_FIX },
    { kind: 'quota_exhausted', match: '[API Error: 429', fix: QWEN_QUOTA_FIX },
    { kind: 'quota_exhausted', match: 'Qwen OAuth quota exceeded:', fix: QWEN_QUOTA_FIX },
  ],
  launch: (ctx, binary) => {
    const settingsPath = joinPath(ctx.stateDir, 'qwen-system-settings.json');
    return {
      argv: [
        binary,
        '--prompt-interactive',
        PROMPT_ARG,
        '--approval-mode',
        ctx.role === 'worker' && !ctx.acp ? 'yolo' : 'default',
      ],
      env: {
        ...crewmuxEnv(ctx),
        QWEN_CODE_SYSTEM_SETTINGS_PATH: settingsPath,
        QWEN_CODE_SUPPRESS_YOLO_WARNING: '1',
        // 0.24 connects MCP servers in the background, so the -i prompt's first turn could run without
        // crewmux's tools; this documented escape hatch makes startup wait for them.
        QWEN_CODE_LEGACY_MCP_BLOCKING: '1',
      },
      files: [
        jsonFile(
          settingsPath,
          geminiStyleSettings(ctx, {
            ui: { enableFollowupSuggestions: false },
            // A worker's conversation is not the user's to remember: Qwen's background memory extraction (a model
            // call after each turn that ACP does not report, writing memory files under ~/.qwen) is off for workers.
            ...(ctx.role === 'worker'
              ? { memory: { enableManagedAutoMemory: false, enableManagedAutoDream: false } }
              : {}),
          }),
        ),
      ],
      prompt: 'arg',
    };
  },
};
