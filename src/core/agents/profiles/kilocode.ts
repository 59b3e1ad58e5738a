/**
 * Kilo Code CLI (verified 7.7.7 in tmux; an OpenCode fork, so OpenCode's approach). KILO_CONFIG names an extra
 * config file that Kilo merges over the user's global config (~/.config/kilo/, not touched); crewmux writes it
 * under ctx.stateDir, so no token lands in the worktree. `--prompt` gives the TUI its first message.
 */
import { type AgentProfile, PROMPT_ARG } from '../profile.js';
import { MCP_SERVER, bearer, crewmuxEnv, joinPath, jsonFile } from './common.js';

const KILO_LOGIN_FIX = 'run `kilo auth login` once, or configure a provider in ~/.config/kilo/kilo.json';

export const kilocode: AgentProfile = {
  name: 'kilocode',
  family: 'kilocode',
  // Measured: 940 MB RSS for the TUI's Bun binary after one turn (7.7.7).
  residentMb: 900,
  description: 'Kilo Code CLI',
  binaries: ['kilo', 'kilocode'],
  versionArgs: ['--version'],
  install: 'npm install -g @kilocode/cli',
  authHint: '`kilo auth login`, or a provider in ~/.config/kilo/kilo.json',
  verified: { min: '7.7.7', max: '7.7.7' },
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'env',
  // Typed once the lead's MCP client has listed crewmux's tools (the goal stays off the command line).
  leadPrompt: 'after-tools',
  mcpToolName: (server, tool) => `${server}_${tool}`,
  markers: {
    ready: ['ctrl+p commands'],
    busy: ['esc interrupt'],
    waiting: ['Permission required', 'Allow once', 'Do you want to disable Snapshots'],
  },
  auth: {
    env: ['KILO_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENROUTER_API_KEY'],
    files: [{ path: '.local/share/kilo/auth.json' }],
  },
  // Its SQLite storage is OpenCode's schema under Kilo's names (~/.local/share/kilo/kilo.db, KILO_DB), read the same way.
  usage: {
    source: 'opencode-db',
    apiKeyEnv: ['KILO_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENROUTER_API_KEY'],
    db: { dir: 'kilo', file: 'kilo.db', env: 'KILO_DB' },
  },
  blockers: [
    { kind: 'auth_required', match: 'API key is missing', fix: KILO_LOGIN_FIX },
    { kind: 'auth_required', match: 'Incorrect API key provided', fix: KILO_LOGIN_FIX },
  ],
  launch: (ctx, binary) => {
    const configPath = joinPath(ctx.stateDir, 'kilo.json');
    const config = {
      autoupdate: false,
      share: 'disabled',
      // On a slow machine (or a big repo) Kilo's first-turn snapshot asks "Do you want to disable Snapshots?" and
      // waits; crewmux commits the worker's work itself, so Kilo's undo snapshots are off.
      snapshot: false,
      mcp: {
        [MCP_SERVER]: { type: 'remote', url: ctx.mcpUrl, headers: { Authorization: bearer(ctx) }, enabled: true },
      },
      permission: { '*': 'allow' },
    };
    return {
      argv: [binary, '--prompt', PROMPT_ARG],
      env: {
        ...crewmuxEnv(ctx),
        KILO_CONFIG: configPath,
        KILO_DISABLE_AUTOUPDATE: '1',
        // PostHog telemetry: only "all" turns it on when this is set.
        KILO_TELEMETRY_LEVEL: 'off',
        // No background kilo daemon outliving the pane.
        KILO_NO_DAEMON: '1',
        KILO_DISABLE_SESSION_INGEST: '1',
        KILO_DISABLE_PRESENCE: '1',
      },
      files: [jsonFile(configPath, config)],
      prompt: 'arg',
    };
  },
};
