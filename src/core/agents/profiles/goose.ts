/**
 * Goose (Block; from its docs, not verified here). `goose run --interactive` takes the first message
 * and stays interactive; crewmux would be added as a Streamable HTTP extension on argv. That flag has no
 * way to send headers, so the bearer token would have to ride on goose's command line, readable by every
 * local user in /proc/PID/cmdline: goose is marked unsupported until it can get the token another way
 * (its launch line carries no token, so nothing leaks even if it is started).
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
  unsupported:
    "goose's --with-streamable-http-extension sends no headers, so crewmux's bearer token would have to be on goose's command line (readable by every local user); crewmux refuses to do that",
  markers: { ready: ['( O)>'], busy: ['esc to interrupt'], waiting: UNVERIFIED_WAITING },
  launch: (ctx, binary) => ({
    argv: [binary, 'run', '--interactive', '--with-streamable-http-extension', ctx.mcpUrl, '--text', PROMPT_ARG],
    env: {
      ...crewmuxEnv(ctx),
      GOOSE_MODE: ctx.role === 'worker' ? 'auto' : 'smart_approve',
      GOOSE_CLI_MIN_PRIORITY: '0.2',
    },
    prompt: 'arg',
  }),
};
