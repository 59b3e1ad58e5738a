/**
 * Test-only "user" setups for the real CLIs: what a user's own HOME and environment would hold
 * (a provider pointing at the fake model server, auto-update and telemetry off), written into a
 * temporary HOME. crewmux's launch entries then add their session-scoped config on top.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const OFFLINE_ENV = {
  HTTPS_PROXY: 'http://127.0.0.1:9',
  HTTP_PROXY: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
  no_proxy: '127.0.0.1,localhost',
  DO_NOT_TRACK: '1',
};

/**
 * PATH for tests that run real agent CLIs: CREWMUX_AGENT_BIN_DIR first when set (scripts/canary.mjs puts the
 * latest releases there), then the repo's pinned `node_modules/.bin`, then `rest`.
 */
export function agentPath(root: string, rest: string): string {
  const bins = process.env.CREWMUX_AGENT_BIN_DIR;
  return [...(bins ? [bins] : []), join(root, 'node_modules', '.bin'), rest].join(delimiter);
}

const put = (path: string, content: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
};

/** OpenCode's global config (Kilo Code, its fork, reads the same): the fake server as an OpenAI-compatible provider. */
function openCodeConfig(fakeUrl: string): string {
  return JSON.stringify({
    autoupdate: false,
    share: 'disabled',
    model: 'fake/fake-model',
    small_model: 'fake/fake-model',
    provider: {
      fake: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fake LLM',
        options: { baseURL: `${fakeUrl}/v1`, apiKey: 'dummy' },
        models: { 'fake-model': { name: 'Fake Model', tool_call: true } },
      },
    },
  });
}

/** Seeds `home` as the user's HOME for `agent` and returns the user environment for it. */
export function seedUserHome(agent: string, home: string, fakeUrl: string): Record<string, string> {
  switch (agent) {
    case 'claude':
      return { ANTHROPIC_BASE_URL: fakeUrl, ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests-0123456789' };
    case 'codex':
      put(
        join(home, '.codex', 'config.toml'),
        [
          'model = "fake-model"',
          'model_provider = "fake"',
          'check_for_update_on_startup = false',
          '',
          '[model_providers.fake]',
          'name = "Fake"',
          `base_url = "${fakeUrl}/v1"`,
          'env_key = "FAKE_API_KEY"',
          'wire_api = "responses"',
          '',
          '[analytics]',
          'enabled = false',
          '',
          '[features]',
          'plugins = false',
          'apps = false',
          'remote_plugin = false',
          '',
        ].join('\n'),
      );
      return { FAKE_API_KEY: 'dummy' };
    case 'gemini':
      put(
        join(home, '.gemini', 'settings.json'),
        JSON.stringify({
          security: { auth: { selectedType: 'gemini-api-key' } },
          general: { enableAutoUpdate: false },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
        }),
      );
      return { GOOGLE_GEMINI_BASE_URL: fakeUrl, GEMINI_API_KEY: 'dummy' };
    case 'qwen':
      put(
        join(home, '.qwen', 'settings.json'),
        JSON.stringify({
          security: { auth: { selectedType: 'openai' } },
          general: { enableAutoUpdate: false },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
        }),
      );
      return { OPENAI_BASE_URL: `${fakeUrl}/v1`, OPENAI_API_KEY: 'dummy', OPENAI_MODEL: 'fake-model' };
    case 'opencode':
      put(join(home, '.config', 'opencode', 'opencode.json'), openCodeConfig(fakeUrl));
      return { OPENCODE_DISABLE_MODELS_FETCH: '1' };
    case 'kilocode':
      // Kilo Code is an OpenCode fork: the same provider block, in its own global config dir.
      put(join(home, '.config', 'kilo', 'kilo.json'), openCodeConfig(fakeUrl));
      return { KILO_DISABLE_MODELS_FETCH: '1' };
    case 'copilot':
      // BYOK: Copilot CLI's documented provider variables; COPILOT_OFFLINE skips GitHub auth, telemetry and updates.
      return {
        COPILOT_PROVIDER_BASE_URL: `${fakeUrl}/v1`,
        COPILOT_PROVIDER_API_KEY: 'dummy',
        COPILOT_MODEL: 'fake-model',
        COPILOT_OFFLINE: 'true',
      };
    default:
      return {};
  }
}
