/** Aider (from its docs; not verified here). No MCP client, so it can only be a worker; it finishes through CREWMUX_DONE_FILE. */
import type { AgentProfile } from '../profile.js';
import { UNVERIFIED_WAITING, crewmuxEnv } from './common.js';

export const aider: AgentProfile = {
  name: 'aider',
  family: 'aider',
  description: 'Aider (no MCP client: worker only)',
  binaries: ['aider'],
  versionArgs: ['--version'],
  install: 'pipx install aider-chat',
  authHint: 'a provider key such as OPENAI_API_KEY or ANTHROPIC_API_KEY',
  capabilities: { mcpClient: false, interactive: true, headless: true, resume: true },
  mcpWiring: 'none',
  markers: { ready: ['> '], busy: ['Waiting for'], waiting: UNVERIFIED_WAITING },
  launch: (ctx, binary) => ({
    argv: [
      binary,
      '--yes-always',
      '--no-check-update',
      '--analytics-disable',
      '--no-show-release-notes',
      '--no-auto-commits',
    ],
    env: { ...crewmuxEnv(ctx), AIDER_CHECK_UPDATE: 'false', AIDER_ANALYTICS: 'false' },
    // No initial interactive prompt flag (--message exits after one turn), so the prompt is typed.
    prompt: 'type',
  }),
};
