/**
 * OpenCode (verified 1.18.33 in tmux). OPENCODE_CONFIG names an extra config file that OpenCode merges
 * over the user's global config (which is not touched); crewmux writes it under ctx.stateDir. No dialogs
 * exist; `--prompt` gives the TUI its first message (the lead's too: OpenCode lists MCP tools before its first request).
 * Its workers speak ACP (`opencode acp`) unless config says `"acp": {"opencode": false}` (the TUI); its lead is a TUI.
 */
import { type AgentProfile, PROMPT_ARG } from '../profile.js';
import { MCP_SERVER, bearer, crewmuxEnv, joinPath, jsonFile } from './common.js';
import { SIGNALS_FILE } from '../../workers/signals.js';

const OPENCODE_LOGIN_FIX = 'run `opencode auth login` once, or set the provider key (e.g. ANTHROPIC_API_KEY)';
const OPENCODE_QUOTA_FIX = "wait for the provider's quota to reset or use another key, then `crewmux resume`";

export const opencode: AgentProfile = {
  name: 'opencode',
  family: 'opencode',
  // Resident size estimate (MB) for admission by memory, until peaks on this machine are known.
  residentMb: 400,
  description: 'OpenCode (sst)',
  binaries: ['opencode'],
  versionArgs: ['--version'],
  install: 'npm install -g opencode-ai',
  authHint: '`opencode auth login`, or a provider in opencode.json',
  verified: { min: '1.18.33', max: '1.18.33' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'env',
  // Prompt on argv: OpenCode connects its MCP servers before its first model request, so a `--prompt` goal is not
  // blind (the real-agent e2e's fake model ends any turn that lacks crewmux's tools, and counts none for an OpenCode
  // lead); a typed first prompt reached 1.18.33 but was not confirmed submitted on a loaded machine (docs/agents.md).
  leadPrompt: 'launch',
  mcpToolName: (server, tool) => `${server}_${tool}`,
  markers: {
    ready: ['Ask anything', 'ctrl+p commands'],
    busy: ['esc interrupt'],
    waiting: ['Permission required', 'Allow once'],
  },
  // `opencode auth login` writes ~/.local/share/opencode/auth.json; a provider key in the environment also works.
  auth: {
    env: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY'],
    files: [{ path: '.local/share/opencode/auth.json' }],
  },
  // Its SQLite session storage (~/.local/share/opencode/opencode.db, read only: adapters/usage/usage-files.ts). A key
  // from `opencode auth login` lives in auth.json, not the environment, so such a run shows as the plan bucket.
  // Workers run `opencode acp` (ACP 1 in 1.18.33) by default (docs/agents.md); `"acp": {"opencode": false}` brings back
  // the TUI. Its prompt response's `usage` is the turn's last call only, so usage stays its database's, which ACP
  // sessions also write. The signals file is written only over ACP.
  acp: { args: ['acp'], workers: true },
  signals: { file: SIGNALS_FILE, dialogs: true },
  usage: {
    source: 'opencode-db',
    apiKeyEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY'],
    db: { dir: 'opencode', file: 'opencode.db', env: 'OPENCODE_DB' },
  },
  // The AI SDK's error text in the 1.18.33 binary, when the chosen provider has no key; a key or quota the
  // provider refuses ends the turn with the provider's own message in the transcript (recorded with 1.18.33
  // against OpenAI-style 401/429 answers: test/fixtures/blockers/opencode-1.18-*.txt; Anthropic's 401 says
  // "invalid x-api-key").
  blockers: [
    { kind: 'auth_required', match: 'API key is missing', fix: OPENCODE_LOGIN_FIX },
    { kind: 'auth_required', match: 'Incorrect API key provided', fix: OPENCODE_LOGIN_FIX },
    { kind: 'auth_required', match: 'invalid x-api-key', fix: OPENCODE_LOGIN_FIX },
    { kind: 'quota_exhausted', match: 'You exceeded your current quota', fix: OPENCODE_QUOTA_FIX },
  ],
  launch: (ctx, binary) => {
    const configPath = joinPath(ctx.stateDir, 'opencode.json');
    const config = {
      autoupdate: false,
      share: 'disabled',
      mcp: {
        [MCP_SERVER]: { type: 'remote', url: ctx.mcpUrl, headers: { Authorization: bearer(ctx) }, enabled: true },
      },
      // Over ACP every tool call asks (session/request_permission, with its paths) and crewmux's policy answers
      // (core/acp/permission.ts); the TUI worker allows all, there being no one to ask.
      permission: { '*': ctx.acp ? 'ask' : 'allow' },
    };
    return {
      argv: [binary, '--prompt', PROMPT_ARG],
      env: { ...crewmuxEnv(ctx), OPENCODE_CONFIG: configPath, OPENCODE_DISABLE_AUTOUPDATE: '1' },
      files: [jsonFile(configPath, config)],
      prompt: 'arg',
    };
  },
};
