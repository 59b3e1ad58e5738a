/**
 * The LLM router's providers as data: key env vars, default base URL and model, wire format and the
 * per-provider request quirks. resolveProviders() applies config and env (passed in, never read here).
 * Adding a provider with a known wire format is one entry in PROVIDERS plus its name in PROVIDER_NAMES.
 */
import type { RouterConfig } from '../session/config-schema.js';
import { serviceUrlProblem } from './service-url.js';

/** Every provider, in the default fallback order. */
export const PROVIDER_NAMES = ['anthropic', 'cerebras', 'groq', 'gemini', 'openrouter'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The three HTTP APIs the router speaks (router-wire.ts builds and parses each). */
export type WireFormat = 'anthropic' | 'openai-chat' | 'gemini';

export interface ProviderSpec {
  name: ProviderName;
  /** Env vars holding the key, first set one wins. */
  keyEnvs: readonly string[];
  baseUrl: string;
  /** A cheap, fast model good enough for summaries. */
  model: string;
  wire: WireFormat;
  /** openai-chat only: the name of the output limit field. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Mark the system prompt with cache_control (Anthropic itself; OpenRouter passes it on to Anthropic and Gemini). */
  cacheControl?: boolean;
  /** Extra request headers (attribution). */
  headers?: Readonly<Record<string, string>>;
  /** Extra top-level body fields sent only with the default `model` (another model may reject them). */
  defaultModelBody?: Readonly<Record<string, unknown>>;
}

// Models checked November 2026: Groq retired llama-3.3-70b-versatile (2026-08-16), Cerebras retired
// llama-3.3-70b (2026-02-16), Gemini 2.5 Flash shuts down 2026-12-01 (3.5 Flash-Lite is its named
// replacement and thinks minimally by default). gpt-oss spends max tokens on reasoning, hence 'low'.
export const PROVIDERS: Readonly<Record<ProviderName, ProviderSpec>> = {
  anthropic: {
    name: 'anthropic',
    keyEnvs: ['ANTHROPIC_API_KEY'],
    baseUrl: 'https://api.anthropic.com',
    model: 'claude-haiku-4-5',
    wire: 'anthropic',
    cacheControl: true,
  },
  cerebras: {
    name: 'cerebras',
    keyEnvs: ['CEREBRAS_API_KEY'],
    baseUrl: 'https://api.cerebras.ai/v1',
    model: 'gpt-oss-120b',
    wire: 'openai-chat',
    maxTokensField: 'max_completion_tokens',
    defaultModelBody: { reasoning_effort: 'low' },
  },
  groq: {
    name: 'groq',
    keyEnvs: ['GROQ_API_KEY'],
    baseUrl: 'https://api.groq.com/openai/v1',
    model: 'openai/gpt-oss-120b',
    wire: 'openai-chat',
    maxTokensField: 'max_completion_tokens',
    defaultModelBody: { reasoning_effort: 'low' },
  },
  gemini: {
    name: 'gemini',
    keyEnvs: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    baseUrl: 'https://generativelanguage.googleapis.com',
    model: 'gemini-3.5-flash-lite',
    wire: 'gemini',
  },
  openrouter: {
    name: 'openrouter',
    keyEnvs: ['OPENROUTER_API_KEY'],
    baseUrl: 'https://openrouter.ai/api/v1',
    model: 'anthropic/claude-haiku-4.5',
    wire: 'openai-chat',
    maxTokensField: 'max_tokens',
    cacheControl: true,
    headers: { 'X-Title': 'crewmux' },
  },
};

/** The env var that overrides a provider's base URL, e.g. CREWMUX_ROUTER_ANTHROPIC_BASE_URL (never ANTHROPIC_BASE_URL, which agent CLIs use). */
export function baseUrlEnv(name: ProviderName): string {
  return `CREWMUX_ROUTER_${name.toUpperCase()}_BASE_URL`;
}

/** A provider with config and env applied. `key` is the secret: never print it. */
export interface ResolvedProvider {
  spec: ProviderSpec;
  name: ProviderName;
  key?: string;
  /** The env var the key came from, or the first candidate when none is set. */
  keyEnv: string;
  baseUrl: string;
  model: string;
  /** Why the provider is not used although it may have a key (disabled in config, bad base URL). */
  disabled?: string;
}

/** True when CREWMUX_ROUTER turns the router off (off, 0, false, no; any case). */
export function routerOff(env: Record<string, string | undefined>): boolean {
  return ['off', '0', 'false', 'no'].includes((env.CREWMUX_ROUTER ?? '').trim().toLowerCase());
}

/** Default order with `order` (from config) first; names are de-duplicated, unlisted ones follow. */
export function providerOrder(order: readonly ProviderName[] = []): ProviderName[] {
  return [...new Set([...order, ...PROVIDER_NAMES])];
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

/**
 * Every provider in fallback order with its key, base URL (env override, then config, then default)
 * and model (config, then default). Pure: `env` is passed in.
 */
export function resolveProviders(
  settings: RouterConfig | undefined,
  env: Record<string, string | undefined>,
): ResolvedProvider[] {
  return providerOrder(settings?.order).map((name) => {
    const spec = PROVIDERS[name];
    const own = settings?.providers?.[name] ?? {};
    const keyEnv = spec.keyEnvs.find((k) => env[k]?.trim()) ?? spec.keyEnvs[0]!;
    const key = env[keyEnv]?.trim() || undefined;
    const urlEnv = baseUrlEnv(name);
    const fromEnv = env[urlEnv]?.trim();
    const baseUrl = trimSlash(fromEnv || own.baseUrl || spec.baseUrl);
    const urlProblem = serviceUrlProblem(baseUrl);
    const disabled =
      own.enabled === false
        ? 'disabled in config (router.providers.' + name + '.enabled)'
        : urlProblem
          ? `refused base URL${fromEnv ? ` in ${urlEnv}` : ''}: ${urlProblem}`
          : undefined;
    return { spec, name, key, keyEnv, baseUrl, model: own.model || spec.model, ...(disabled ? { disabled } : {}) };
  });
}
