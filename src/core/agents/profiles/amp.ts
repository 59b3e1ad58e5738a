/**
 * Amp (Sourcegraph; from its --help for 0.0.1790142911, not run end to end). A session-scoped settings file given
 * with --settings-file. Unverifiable offline: Amp's threads run on the Amp server (AMP_URL, default ampcode.com),
 * which makes the model calls; the CLI has no model base URL to point at a local model (docs/agents.md).
 */
import type { AgentProfile } from '../profile.js';
import { MCP_SERVER, UNVERIFIED_WAITING, bearer, crewmuxEnv, joinPath, jsonFile } from './common.js';

export const amp: AgentProfile = {
  name: 'amp',
  family: 'amp',
  description: 'Amp (Sourcegraph)',
  binaries: ['amp'],
  versionArgs: ['--version'],
  install: 'npm install -g @sourcegraph/amp',
  authHint: 'AMP_API_KEY, or `amp login` once',
  capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
  unverifiable:
    'its model calls run on the Amp server (AMP_URL, default ampcode.com), not in the CLI, so it cannot be pointed at a local model',
  // The prompt is typed anyway; typed once the lead's MCP client has listed crewmux's tools.
  leadPrompt: 'after-tools',
  mcpWiring: 'flag',
  markers: { ready: ['Welcome to Amp'], busy: ['Esc to cancel'], waiting: UNVERIFIED_WAITING },
  launch: (ctx, binary) => {
    const settingsPath = joinPath(ctx.stateDir, 'amp-settings.json');
    const settings = {
      'amp.mcpServers': { [MCP_SERVER]: { url: ctx.mcpUrl, headers: { Authorization: bearer(ctx) } } },
      'amp.dangerouslyAllowAll': ctx.role === 'worker',
      'amp.updates.mode': 'disabled',
    };
    return {
      argv: [binary, '--settings-file', settingsPath, ...(ctx.role === 'worker' ? ['--dangerously-allow-all'] : [])],
      env: { ...crewmuxEnv(ctx) },
      files: [jsonFile(settingsPath, settings)],
      prompt: 'type',
    };
  },
};
