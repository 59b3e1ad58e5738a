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
  // No session file with token counts: its report after each answer, in the pane (aider/coders/base_coder.py:
  // `Tokens: 12k sent, 1.2k cache write, 3.4k cache hit, 200 received.`, sent counting the cache writes), and the
  // model from its start-up line (`Main model: X with diff edit format` / `Model: X ...`). Approximate (rounded).
  usage: {
    source: 'pane',
    apiKeyEnv: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY', 'DEEPSEEK_API_KEY'],
    pane: {
      line: String.raw`Tokens: (?<input>[\d.,]+[kKM]?) sent(?:, (?<cacheWrite>[\d.,]+[kKM]?) cache write)?(?:, (?<cacheRead>[\d.,]+[kKM]?) cache hit)?, (?<output>[\d.,]+[kKM]?) received\.`,
      model: String.raw`^(?:Main model|Model): (\S+)`,
      inputIncludesCacheWrite: true,
    },
  },
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
