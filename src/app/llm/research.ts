/**
 * Web research for the lead (`web_research`): one query to the configured search backend,
 * results normalised to { title, url, snippet }, answers cached in memory for a TTL, and failures
 * turned into ResearchError messages the lead can act on (offline, timed out, refused, misconfigured).
 * Only the http-get adapter touches the network.
 */
import { httpGet, HttpGetError, type FetchFn } from '../../adapters/llm/http-get.js';
import type { Config } from '../../core/session/config-schema.js';
import { ToolError } from '../../core/errors.js';
import { BACKEND_NAMES, findBackend, type BackendName, type SearchBackend } from '../../core/llm/search-backends.js';
import { composeQuery, SearchResponseError, tidyResults, type SearchResult } from '../../core/llm/search-result.js';
import { createTtlCache } from '../../core/llm/ttl-cache.js';
import { serviceUrlProblem } from '../../core/llm/service-url.js';

export type ResearchConfig = NonNullable<Config['research']>;

export type ResearchFailure = HttpGetError['kind'] | 'response' | 'config';

/** A search that failed; `message` starts with "Error:" and says what to do, `kind` says why (for callers and tests). */
export class ResearchError extends ToolError {
  readonly kind: ResearchFailure;
  constructor(kind: ResearchFailure, message: string) {
    super(message);
    this.name = 'ResearchError';
    this.kind = kind;
  }
}

export interface ResearchDeps {
  /** The "research" section of the merged config. */
  config?: ResearchConfig;
  /** Environment read for CREWMUX_RESEARCH_BACKEND, CREWMUX_RESEARCH_BASE_URL and API keys (the caller passes process.env). */
  env?: Record<string, string | undefined>;
  /** Clock in epoch ms, for the cache (default Date.now). */
  now?: () => number;
  /** The fetch the http-get adapter uses (default the global fetch). */
  fetch?: FetchFn;
}

export interface SearchOptions {
  /** 1..20; default research.maxResults, else 5. */
  maxResults?: number;
  /** Another backend than the configured one (it then uses its default base URL). */
  backend?: string;
  /** Skip the cache (the answer still refreshes it). */
  fresh?: boolean;
  /** Restrict to a domain (`site:DOMAIN` is added to the query). */
  site?: string;
}

export interface ResearchAnswer {
  backend: BackendName;
  /** The query as sent to the backend. */
  query: string;
  results: SearchResult[];
  cached: boolean;
  /** When the results were fetched from the backend, epoch ms. */
  fetchedAt: number;
}

export interface Research {
  /** Searches the web; rejects with ResearchError (never another error for network or backend trouble). */
  search(query: string, opts?: SearchOptions): Promise<ResearchAnswer>;
  /** Forgets every cached answer (clear_tool_results); returns how many there were. */
  clearCache(): number;
}

const DEFAULT_TTL_S = 900;
const DEFAULT_MAX = 5;
const WHERE =
  'configure a reachable backend under "research" in .crewmux/config.json (docs: README#web-research), or go on without research';

interface Target {
  backend: SearchBackend;
  baseUrl: string;
  key?: string;
}

/** A Research bound to one config and environment; keep one per session so the cache is shared. */
export function createResearch(deps: ResearchDeps = {}): Research {
  const config = deps.config ?? {};
  const env = deps.env ?? {};
  const now = deps.now ?? Date.now;
  const cache = createTtlCache<SearchResult[]>({
    ttlMs: (config.ttlSeconds ?? DEFAULT_TTL_S) * 1000,
    maxEntries: 200,
    now,
  });
  const inFlight = new Map<string, Promise<{ results: SearchResult[]; fetchedAt: number }>>();

  function target(requested: string | undefined): Target {
    const fromEnv = env.CREWMUX_RESEARCH_BACKEND?.trim();
    const configured = fromEnv || config.backend || 'duckduckgo';
    const name = requested ?? configured;
    const backend = findBackend(name);
    if (!backend) {
      const source = requested ? 'the backend asked for' : fromEnv ? 'CREWMUX_RESEARCH_BACKEND' : 'research.backend';
      throw new ResearchError(
        'config',
        `Error: ${source} is "${name}", which is not a search backend; use one of ${BACKEND_NAMES.join(', ')}.`,
      );
    }
    // A custom base URL belongs to the configured backend; another backend asked for uses its default.
    const custom = name === configured ? env.CREWMUX_RESEARCH_BASE_URL?.trim() || config.baseUrl : undefined;
    const base = custom ?? backend.defaultBaseUrl;
    if (!base)
      throw new ResearchError(
        'config',
        `Error: the ${name} backend needs a base URL (a self-hosted instance): set "research": {"backend": "${name}", "baseUrl": "https://..."} in the global config.json or CREWMUX_RESEARCH_BASE_URL, or ${WHERE}.`,
      );
    const problem = serviceUrlProblem(base);
    if (problem)
      throw new ResearchError(
        'config',
        `Error: the research base URL is refused: ${problem}. Fix research.baseUrl in the global config or CREWMUX_RESEARCH_BASE_URL.`,
      );
    const keyVar = backend.keyEnv.find((v) => env[v]?.trim());
    if (backend.keyEnv.length && !keyVar) {
      throw new ResearchError(
        'config',
        `Error: the ${name} backend needs an API key in ${backend.keyEnv.join(' or ')}, which is not set in crewmux's environment. Ask the user to set it and restart the session, or ${WHERE}.`,
      );
    }
    return { backend, baseUrl: base.replace(/\/+$/, ''), key: keyVar ? env[keyVar]!.trim() : undefined };
  }

  function failure(e: unknown, t: Target): ResearchError {
    const at = `${t.backend.name} at ${t.baseUrl}`;
    if (e instanceof SearchResponseError)
      return new ResearchError('response', `Error: web search failed (${at}): ${e.message}. ${capitalise(WHERE)}.`);
    if (!(e instanceof HttpGetError))
      return new ResearchError('failed', `Error: web search failed (${at}: ${(e as Error).message}); ${WHERE}.`);
    switch (e.kind) {
      case 'unreachable':
        return new ResearchError(
          'unreachable',
          `Error: web search is unreachable (${at}: ${e.detail}). This machine looks offline, or the backend is down. ${capitalise(WHERE)}.`,
        );
      case 'timeout':
        return new ResearchError(
          'timeout',
          `Error: web search timed out (${at}: ${e.detail}). The network may be down or slow: try once more, raise research.timeoutMs, ${WHERE}.`,
        );
      case 'status': {
        const hint = e.status ? t.backend.statusHint?.(e.status) : undefined;
        const body = e.bodyHead && !e.bodyHead.startsWith('<') ? ` (${e.bodyHead})` : '';
        return new ResearchError(
          'status',
          `Error: ${at} answered ${e.detail}${hint ? `: ${hint}` : ''}${body}. Try again later, or ${WHERE}.`,
        );
      }
      default:
        return new ResearchError(e.kind, `Error: web search failed (${at}: ${e.detail}); ${WHERE}.`);
    }
  }

  async function fetchResults(
    t: Target,
    query: string,
    max: number,
  ): Promise<{ results: SearchResult[]; fetchedAt: number }> {
    const req = t.backend.buildRequest({ query, baseUrl: t.baseUrl, maxResults: max, key: t.key });
    try {
      const res = await httpGet(req.url, {
        headers: req.headers,
        timeoutMs: config.timeoutMs,
        fetch: deps.fetch,
        carriesKey: t.key !== undefined,
      });
      return { results: tidyResults(t.backend.parse(res.body), max), fetchedAt: now() };
    } catch (e) {
      throw failure(e, t);
    }
  }

  return {
    async search(rawQuery, opts = {}) {
      const query = composeQuery(rawQuery, opts.site);
      if (!rawQuery.trim()) throw new ResearchError('config', 'Error: the query is empty; say what to search for.');
      const max = Math.min(20, Math.max(1, Math.trunc(opts.maxResults ?? config.maxResults ?? DEFAULT_MAX)));
      const t = target(opts.backend);
      const key = [t.backend.name, t.baseUrl, query.toLowerCase(), max].join('\n');
      if (!opts.fresh) {
        const hit = cache.get(key);
        if (hit) return { backend: t.backend.name, query, results: hit.value, cached: true, fetchedAt: hit.storedAt };
      }
      // Identical queries at the same moment share one request.
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchResults(t, query, max).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const r = await pending;
      cache.set(key, r.results);
      return { backend: t.backend.name, query, results: r.results, cached: false, fetchedAt: r.fetchedAt };
    },
    clearCache: () => cache.clear(),
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
