/**
 * Goose (Block; from its docs, not verified here). `goose run --interactive` takes the first message
 * and stays interactive; crewmux is added as a Streamable HTTP extension on argv. Caveat: the flag has
 * no way to send headers, so the bearer token rides in the URL query (`?token=`), which crewmux's MCP
 * server must accept for goose to work.
 */
import { PROMPT_ARG, type AgentProfile } from '../profile.js';
import { UNVERIFIED_WAITING, crewmuxEnv } from './common.js';

export const goose: AgentProfile = {
  name: 'goose',
  family: 'goose',
  description: 'Goose (Block)',
  binaries: ['goose'],
  versionArgs: ['--version'],
  install: 'see https://block.github.io/goose/docs/getting-started/installation',
  authHint: '`goose configure` once',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  mcpWiring: 'flag',
  markers: { ready: ['( O)>'], busy: ['esc to interrupt'], waiting: UNVERIFIED_WAITING },
  launch: (ctx, binary) => ({
    argv: [
      binary,
      'run',
      '--interactive',
      '--with-streamable-http-extension',
      `${ctx.mcpUrl}?token=${encodeURIComponent(ctx.mcpToken)}`,
      '--text',
      PROMPT_ARG,
    ],
    env: {
      ...crewmuxEnv(ctx),
      GOOSE_MODE: ctx.role === 'worker' ? 'auto' : 'smart_approve',
      GOOSE_CLI_MIN_PRIORITY: '0.2',
    },
    prompt: 'arg',
  }),
};
