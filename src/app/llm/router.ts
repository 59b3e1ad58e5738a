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
  contextTokensOf,
  resolveProviders,
  routerOff,
  PROVIDERS,
  type ProviderName,
  type ResolvedProvider,
} from '../../core/llm/router-providers.js';
import { buildRequest, parseReply, InvalidReplyError, type WireRequest } from '../../core/llm/router-wire.js';
import { buildChatRequest, parseChatReply } from '../../core/llm/chat-wire.js';
import type { ChatInput, ChatReply } from '../../core/llm/chat.js';
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
import { ensureDir, pathExists } from '../../adapters/system/files.js';

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

/** One turn of a tool-using conversation (the API lead's). */
export interface ChatRouterRequest extends ChatInput {
  /** for logs/errors, e.g. 'lead' */
  purpose: string;
  /** Try this provider first, with `model` when given (`--lead api:PROVIDER/MODEL`); the others follow as fallback. */
  prefer?: { provider: ProviderName; model?: string };
  /** Per-call deadline (default: the router's, at least 120 s). */
  timeoutMs?: number;
}

export interface ChatRouterReply extends ChatReply {
  provider: ProviderName;
  model: string;
  /** The context window of the model that answered, in tokens (the provider table's figure or config's). */
  contextTokens: number;
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
  /** The context window of `model` in tokens. */
  contextTokens: number;
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
  /** The next turn of a tool-using conversation, with the same fallback and cooldowns as complete(). */
  chat(req: ChatRouterRequest): Promise<ChatRouterReply>;
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
export const ROUTER_DEFAULTS = { timeoutMs: 30_000, maxTokens: 2048, chatTimeoutMs: 120_000 } as const;

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

  /** One provider's answer to `wire`, read by `parse`; a Failure (never a throw) for what the policy classifies. */
  async function attempt<T>(
    wire: WireRequest,
    parse: (raw: string) => T,
    deadlineMs: number,
  ): Promise<{ ok: T } | Failure> {
    let answer;
    try {
      answer = await postJson(wire.url, wire.headers, wire.body, deadlineMs, opts.fetch);
    } catch (e) {
      if (e instanceof HttpNoAnswerError) return classifyNoAnswer(e.kind, e.message, deadlineMs);
      throw e;
    }
    if (answer.status < 200 || answer.status > 299)
      return classifyHttp(answer.status, answer.headers, answer.text, now());
    try {
      return { ok: parse(answer.text) };
    } catch (e) {
      if (e instanceof InvalidReplyError) return classifyInvalidReply(e.message);
      throw e;
    }
  }

  /** Tries `candidates` in order, skipping cooling ones, cooling failed ones; RouterUnavailableError when none answers. */
  async function route<T>(
    what: string,
    candidates: (ResolvedProvider & { key: string })[],
    call: (p: ResolvedProvider & { key: string }) => Promise<{ ok: T } | Failure>,
  ): Promise<T> {
    if (off) throw new RouterUnavailableError(`The LLM router is off (CREWMUX_ROUTER=off); no answer ${what}.`);
    if (candidates.length === 0)
      throw new RouterUnavailableError(`No LLM provider has a key (set one of ${ALL_KEYS}); no answer ${what}.`);
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
      const r = await call(p);
      if ('ok' in r) {
        if (cooling) store.clear(p.name);
        return r.ok;
      }
      if (r.cooldownMs > 0) store.set(p.name, now() + r.cooldownMs, r.reason);
      attempts.push({ provider: p.name, error: describeFailure(r) });
    }
    throw new RouterUnavailableError(
      `No LLM provider answered ${what}: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`,
      attempts,
    );
  }

  const usableProviders = () => providers.filter(usable) as (ResolvedProvider & { key: string })[];
  const target = (p: ResolvedProvider & { key: string }, model = p.model) => ({
    spec: p.spec,
    baseUrl: p.baseUrl,
    model,
    key: p.key,
  });

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
          contextTokens: p.contextTokens,
          ...(c && c.until > t ? { coolingUntil: c.until, coolingReason: c.reason } : {}),
          ...(disabled ? { disabled } : {}),
        };
      });
    },

    configured: () => providers.some(usable),

    complete(req) {
      return route(`for ${req.purpose}`, usableProviders(), (p) =>
        attempt(
          buildRequest(target(p), {
            system: req.system,
            prompt: req.prompt,
            maxTokens: req.maxTokens ?? ROUTER_DEFAULTS.maxTokens,
          }),
          (raw): RouterReply => {
            const r = parseReply(p.spec.wire, raw);
            return {
              text: r.text,
              provider: p.name,
              model: r.model ?? p.model,
              ...(r.cachedTokens !== undefined ? { cachedTokens: r.cachedTokens } : {}),
            };
          },
          timeoutMs,
        ),
      );
    },

    chat(req) {
      const all = usableProviders();
      const first = req.prefer ? all.filter((p) => p.name === req.prefer!.provider) : [];
      const deadline = req.timeoutMs ?? Math.max(timeoutMs, ROUTER_DEFAULTS.chatTimeoutMs);
      return route(`for ${req.purpose}`, [...first, ...all.filter((p) => !first.includes(p))], (p) => {
        const model = (p.name === req.prefer?.provider && req.prefer.model) || p.model;
        const contextTokens = model === p.model ? p.contextTokens : contextTokensOf(p.spec, model);
        return attempt(
          buildChatRequest(target(p, model), req),
          (raw): ChatRouterReply => {
            const r = parseChatReply(p.spec.wire, raw);
            return { ...r, provider: p.name, model: r.model ?? model, contextTokens };
          },
          deadline,
        );
      });
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
