/**
 * The LLM router used for summaries (compaction, resume recap, run report): tries the providers that
 * have a key in fallback order, skips those cooling down, and cools a provider down on 429 (honouring
 * Retry-After), 5xx, timeouts, network errors and bad keys. Composes core/llm/router-providers (data),
 * core/llm/router-wire (request/response formats), core/llm/router-policy (cooldowns) and the adapters
 * llm/http-post (fetch with a deadline) and llm/router-cooldowns (SQLite, shared across processes).
 */
import { join } from 'node:path';
import type { RouterConfig } from '../../core/session/config-schema.js';
import {
  resolveProviders,
  routerOff,
  PROVIDERS,
  type ProviderName,
  type ResolvedProvider,
} from '../../core/llm/router-providers.js';
import { buildRequest, parseReply, InvalidReplyError } from '../../core/llm/router-wire.js';
import {
  classifyHttp,
  classifyInvalidReply,
  classifyNoAnswer,
  describeCooldown,
  describeFailure,
  type Failure,
} from '../../core/llm/router-policy.js';
import { HttpNoAnswerError, postJson } from '../../adapters/llm/http-post.js';
import {
  createMemoryCooldownStore,
  openCooldownStore,
  type CooldownStore,
} from '../../adapters/llm/router-cooldowns.js';
import { ensureDir, pathExists } from '../../adapters/files.js';

export type { ProviderName } from '../../core/llm/router-providers.js';
export type { RouterConfig } from '../../core/session/config-schema.js';
export type { CooldownStore, Cooldown } from '../../adapters/llm/router-cooldowns.js';

export interface RouterRequest {
  system: string;
  prompt: string;
  /** Output token limit (default 2048). */
  maxTokens?: number;
  /** for logs/errors, e.g. 'compact' */
  purpose: string;
}

export interface RouterReply {
  text: string;
  provider: ProviderName;
  model: string;
  /** provider reported cache use, if it did */
  cachedTokens?: number;
}

export interface ProviderStatus {
  name: ProviderName;
  /** Has a key, is enabled, and the router is on. */
  configured: boolean;
  /** The env var its key comes from (the first candidate when none is set). Never the key itself. */
  keyEnv: string;
  /** That env var is set (the provider may still be unused: see `disabled`). */
  hasKey: boolean;
  baseUrl: string;
  model: string;
  /** Epoch ms; only while the cooldown lasts. */
  coolingUntil?: number;
  coolingReason?: string;
  /** Why a provider is not used although it may have a key (router off, disabled in config, bad base URL). */
  disabled?: string;
}

export interface Router {
  /** every provider in fallback order with its state */
  status(): ProviderStatus[];
  /** true when at least one provider has a key */
  configured(): boolean;
  /** tries providers in order, skipping cooling ones; throws RouterUnavailableError (message lists each attempt and why) when none answers */
  complete(req: RouterRequest): Promise<RouterReply>;
}

/** No provider answered: `attempts` says, per provider tried or skipped, why (empty when none has a key or the router is off). */
export class RouterUnavailableError extends Error {
  readonly attempts: { provider: ProviderName; error: string }[];
  constructor(message: string, attempts: { provider: ProviderName; error: string }[] = []) {
    super(message);
    this.name = 'RouterUnavailableError';
    this.attempts = attempts;
  }
}

/** Default per-call deadline (ms) and output limit (tokens). */
export const ROUTER_DEFAULTS = { timeoutMs: 30_000, maxTokens: 2048 } as const;

export interface CreateRouterOptions {
  config?: RouterConfig;
  env: Record<string, string | undefined>;
  cooldowns: CooldownStore;
  now?: () => number;
  fetch?: typeof fetch;
}

const ALL_KEYS = [...new Set(Object.values(PROVIDERS).flatMap((p) => p.keyEnvs))].join(', ');

/** A router over `opts.env`'s keys and `opts.config`; cooldowns go to `opts.cooldowns`. Reads no process state. */
export function createRouter(opts: CreateRouterOptions): Router {
  const now = opts.now ?? Date.now;
  const off = routerOff(opts.env);
  const providers = resolveProviders(opts.config, opts.env);
  const timeoutMs = opts.config?.timeoutMs ?? ROUTER_DEFAULTS.timeoutMs;
  const usable = (p: ResolvedProvider) => !off && !p.disabled && p.key !== undefined;
  // The store is best effort: a locked or broken router.db must not turn a summary into a crash.
  const store = {
    get: (p: ProviderName) => {
      try {
        return opts.cooldowns.get(p);
      } catch {
        return undefined;
      }
    },
    set: (p: ProviderName, until: number, reason: string) => {
      try {
        opts.cooldowns.set(p, until, reason);
      } catch {
        /* not persisted */
      }
    },
    clear: (p: ProviderName) => {
      try {
        opts.cooldowns.clear(p);
      } catch {
        /* not persisted */
      }
    },
  };

  async function attempt(p: ResolvedProvider & { key: string }, req: RouterRequest): Promise<RouterReply | Failure> {
    const wire = buildRequest(
      { spec: p.spec, baseUrl: p.baseUrl, model: p.model, key: p.key },
      { system: req.system, prompt: req.prompt, maxTokens: req.maxTokens ?? ROUTER_DEFAULTS.maxTokens },
    );
    let answer;
    try {
      answer = await postJson(wire.url, wire.headers, wire.body, timeoutMs, opts.fetch);
    } catch (e) {
      if (e instanceof HttpNoAnswerError) return classifyNoAnswer(e.kind, e.message, timeoutMs);
      throw e;
    }
    if (answer.status < 200 || answer.status > 299)
      return classifyHttp(answer.status, answer.headers, answer.text, now());
    try {
      const r = parseReply(p.spec.wire, answer.text);
      return {
        text: r.text,
        provider: p.name,
        model: r.model ?? p.model,
        ...(r.cachedTokens !== undefined ? { cachedTokens: r.cachedTokens } : {}),
      };
    } catch (e) {
      if (e instanceof InvalidReplyError) return classifyInvalidReply(e.message);
      throw e;
    }
  }

  return {
    status() {
      const t = now();
      return providers.map((p) => {
        const c = store.get(p.name);
        const disabled = off ? 'the router is off (CREWMUX_ROUTER=off)' : p.disabled;
        return {
          name: p.name,
          configured: usable(p),
          keyEnv: p.keyEnv,
          hasKey: p.key !== undefined,
          baseUrl: p.baseUrl,
          model: p.model,
          ...(c && c.until > t ? { coolingUntil: c.until, coolingReason: c.reason } : {}),
          ...(disabled ? { disabled } : {}),
        };
      });
    },

    configured: () => providers.some(usable),

    async complete(req) {
      const what = `for ${req.purpose}`;
      if (off) throw new RouterUnavailableError(`The LLM router is off (CREWMUX_ROUTER=off); no summary ${what}.`);
      const candidates = providers.filter(usable) as (ResolvedProvider & { key: string })[];
      if (candidates.length === 0)
        throw new RouterUnavailableError(`No LLM provider has a key (set one of ${ALL_KEYS}); no summary ${what}.`);
      const attempts: { provider: ProviderName; error: string }[] = [];
      for (const p of candidates) {
        const cooling = store.get(p.name);
        if (cooling && cooling.until > now()) {
          attempts.push({
            provider: p.name,
            error: `skipped, ${describeCooldown(cooling.until, cooling.reason, now())}`,
          });
          continue;
        }
        const r = await attempt(p, req);
        if ('text' in r) {
          if (cooling) store.clear(p.name);
          return r;
        }
        if (r.cooldownMs > 0) store.set(p.name, now() + r.cooldownMs, r.reason);
        attempts.push({ provider: p.name, error: describeFailure(r) });
      }
      throw new RouterUnavailableError(
        `No LLM provider answered ${what}: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`,
        attempts,
      );
    },
  };
}

/** The cooldown database's file name inside the crewmux data dir. */
export const ROUTER_DB = 'router.db';

export interface OpenedRouter {
  router: Router;
  /** Closes the cooldown database. */
  close(): void;
  /** Set when router.db could not be opened and cooldowns live in this process only. */
  warning?: string;
}

/**
 * The router of the app layer: cooldowns in `<dataDir>/router.db`. With `create: false` (read-only
 * displays) a missing router.db is not created and nothing is cooling. If the file cannot be opened
 * the router still works, with in-process cooldowns and a `warning`.
 */
export function openRouter(args: {
  dataDir: string;
  config?: RouterConfig;
  env: Record<string, string | undefined>;
  now?: () => number;
  fetch?: typeof fetch;
  create?: boolean;
}): OpenedRouter {
  const file = join(args.dataDir, ROUTER_DB);
  let cooldowns: CooldownStore;
  let warning: string | undefined;
  if (args.create === false && !pathExists(file)) cooldowns = createMemoryCooldownStore();
  else {
    try {
      ensureDir(args.dataDir);
      cooldowns = openCooldownStore(file, args.now);
    } catch (e) {
      cooldowns = createMemoryCooldownStore();
      warning = `cannot open ${file} (${(e as Error).message}); cooldowns are not shared between processes`;
    }
  }
  const router = createRouter({ config: args.config, env: args.env, cooldowns, now: args.now, fetch: args.fetch });
  return { router, close: () => cooldowns.close(), ...(warning ? { warning } : {}) };
}
