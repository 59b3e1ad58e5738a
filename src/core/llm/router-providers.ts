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
  /**
   * The provider's own standard base-URL variable (its SDK's or CLI's), honoured whenever the key comes
   * from `keyEnvs`, so a gateway's key goes to that gateway; `path` is appended unless the value
   * already ends in `/v1` (Groq's SDK sets GROQ_BASE_URL to `https://api.groq.com`, others add `/openai/v1`).
   */
  standardBaseUrlEnv: { name: string; path?: string };
  baseUrl: string;
  /** A cheap, fast model good enough for summaries. */
  model: string;
  /** The context window of `model` in tokens (the API lead compacts its conversation near it). */
  contextTokens: number;
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
    standardBaseUrlEnv: { name: 'ANTHROPIC_BASE_URL' },
    baseUrl: 'https://api.anthropic.com',
    model: 'claude-haiku-4-5',
    contextTokens: 200_000,
    wire: 'anthropic',
    cacheControl: true,
  },
  cerebras: {
    name: 'cerebras',
    keyEnvs: ['CEREBRAS_API_KEY'],
    standardBaseUrlEnv: { name: 'CEREBRAS_BASE_URL', path: '/v1' },
    baseUrl: 'https://api.cerebras.ai/v1',
    model: 'gpt-oss-120b',
    contextTokens: 65_536,
    wire: 'openai-chat',
    maxTokensField: 'max_completion_tokens',
    defaultModelBody: { reasoning_effort: 'low' },
  },
  groq: {
    name: 'groq',
    keyEnvs: ['GROQ_API_KEY'],
    standardBaseUrlEnv: { name: 'GROQ_BASE_URL', path: '/openai/v1' },
    baseUrl: 'https://api.groq.com/openai/v1',
    model: 'openai/gpt-oss-120b',
    contextTokens: 131_072,
    wire: 'openai-chat',
    maxTokensField: 'max_completion_tokens',
    defaultModelBody: { reasoning_effort: 'low' },
  },
  gemini: {
    name: 'gemini',
    keyEnvs: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    standardBaseUrlEnv: { name: 'GOOGLE_GEMINI_BASE_URL' },
    baseUrl: 'https://generativelanguage.googleapis.com',
    model: 'gemini-3.5-flash-lite',
    contextTokens: 1_048_576,
    wire: 'gemini',
  },
  openrouter: {
    name: 'openrouter',
    keyEnvs: ['OPENROUTER_API_KEY'],
    standardBaseUrlEnv: { name: 'OPENROUTER_BASE_URL' },
    baseUrl: 'https://openrouter.ai/api/v1',
    model: 'anthropic/claude-haiku-4.5',
    contextTokens: 200_000,
    wire: 'openai-chat',
    maxTokensField: 'max_tokens',
    cacheControl: true,
    headers: { 'X-Title': 'crewmux' },
  },
};

/** The context window assumed for a model the provider table has no figure for (a configured or `--lead` model). */
export const DEFAULT_CONTEXT_TOKENS = 128_000;

/** crewmux's own env var that overrides a provider's base URL, e.g. CREWMUX_ROUTER_ANTHROPIC_BASE_URL (wins over ANTHROPIC_BASE_URL). */
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
  /**
   * The context window of `model` in tokens: config's `contextTokens`, else the table's figure when
   * `model` is the table's model, else DEFAULT_CONTEXT_TOKENS.
   */
  contextTokens: number;
  /** Why the provider is not used although it may have a key (disabled in config, bad base URL). */
  disabled?: string;
}

/** The context window of `model` on provider `spec` (config's figure first; see ResolvedProvider.contextTokens). */
export function contextTokensOf(spec: ProviderSpec, model: string, configured?: number): number {
  return configured ?? (model === spec.model ? spec.contextTokens : DEFAULT_CONTEXT_TOKENS);
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

/** `value` with `path` appended unless it already ends in /v1 (trailing slashes ignored). */
function withPath(value: string, path: string | undefined): string {
  const v = trimSlash(value);
  return path && !v.endsWith('/v1') ? v + path : v;
}

/**
 * The base URL and the env var it came from: CREWMUX_ROUTER_<P>_BASE_URL, then the provider's standard
 * variable (ANTHROPIC_BASE_URL...) when the key is set (every key variable is the provider's standard
 * one), then config, then the default.
 */
function baseUrlOf(
  spec: ProviderSpec,
  configured: string | undefined,
  hasKey: boolean,
  env: Record<string, string | undefined>,
): { url: string; from?: string } {
  const own = baseUrlEnv(spec.name);
  const fromOwn = env[own]?.trim();
  if (fromOwn) return { url: trimSlash(fromOwn), from: own };
  const std = spec.standardBaseUrlEnv;
  const fromStd = env[std.name]?.trim();
  if (hasKey && fromStd) return { url: withPath(fromStd, std.path), from: std.name };
  return { url: trimSlash(configured || spec.baseUrl) };
}

/**
 * Every provider in fallback order with its key, base URL (see baseUrlOf: crewmux's env override, the
 * provider's standard base-URL variable, config, default) and model (config, then default). Pure:
 * `env` is passed in.
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
    const { url: baseUrl, from } = baseUrlOf(spec, own.baseUrl, key !== undefined, env);
    const urlProblem = serviceUrlProblem(baseUrl);
    const disabled =
      own.enabled === false
        ? 'disabled in config (router.providers.' + name + '.enabled)'
        : urlProblem
          ? `refused base URL${from ? ` in ${from}` : ''}: ${urlProblem}`
          : undefined;
    const model = own.model || spec.model;
    const contextTokens = contextTokensOf(spec, model, own.contextTokens);
    return { spec, name, key, keyEnv, baseUrl, model, contextTokens, ...(disabled ? { disabled } : {}) };
  });
}
