/**
 * The API lead (`--lead api[:PROVIDER[/MODEL]]`): crewmux's own lead loop (compose/api-lead-pane.ts) in pane 0,
 * calling a plain API model through the router with crewmux's lead tools as function tools. It can only
 * lead. Its settings (the preferred provider and model, the router config, never a key) go to a file in its
 * state dir; the keys stay in the environment it inherits.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { AgentProfile } from '../profile.js';
import type { RouterConfig } from '../../session/config-schema.js';
import type { ApiLeadSpec } from '../../api-lead/lead-spec.js';
import { PROVIDERS } from '../../llm/router-providers.js';

const entry = fileURLToPath(new URL('../../../compose/api-lead-pane.js', import.meta.url));

/** The settings file the pane reads (`api-lead.json` in the lead's state dir). */
export interface ApiLeadSettings {
  spec: ApiLeadSpec;
  router?: RouterConfig;
}

/** The file name of ApiLeadSettings in the lead's state dir. */
export const API_LEAD_SETTINGS = 'api-lead.json';

/** The API lead profile named `name` (`api`, `api:gemini/...`) for `spec`, with the router settings of config. */
export function apiLeadProfile(name: string, spec: ApiLeadSpec, router?: RouterConfig): AgentProfile {
  return {
    name,
    family: spec.provider ? `api-${spec.provider}` : 'api',
    description:
      "crewmux's own lead loop over a plain API model (the router's providers): it can only delegate, never code.",
    binaries: ['node'],
    versionArgs: ['--version'],
    capabilities: { mcpClient: true, interactive: true, headless: true, resume: true },
    markers: { ready: ['api lead waiting'], busy: ['api lead thinking'] },
    leadOnly: 'it is a lead loop over an API model, not a coding agent',
    // Always billed per token: it runs only with a provider key.
    usage: { source: 'api-lead', apiKeyEnv: [...new Set(Object.values(PROVIDERS).flatMap((p) => p.keyEnvs))] },
    launch: (ctx, binary) => ({
      argv: [binary, entry],
      env: {},
      files: [
        {
          path: join(ctx.stateDir, API_LEAD_SETTINGS),
          content: JSON.stringify({ spec, ...(router ? { router } : {}) } satisfies ApiLeadSettings, null, 2),
          mode: 0o600,
        },
      ],
      prompt: 'file',
    }),
  };
}
