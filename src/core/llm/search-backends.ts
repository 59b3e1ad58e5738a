/**
 * The web search backends as data: for each, how to build the GET request for a query (pure) and how
 * to read the response body into results (pure; JSON bodies are zod-validated). Adding a backend is
 * adding an entry here and its name to BACKEND_NAMES.
 */
import { z } from 'zod';
import { parseDuckDuckGoHtml } from './search-ddg.js';
import { htmlToText } from '../text/html-text.js';
import { SearchResponseError, type SearchResult } from './search-result.js';

export const BACKEND_NAMES = ['duckduckgo', 'searxng', 'brave'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface SearchRequest {
  url: string;
  headers: Record<string, string>;
}

export interface BuildInput {
  /** The query as sent, `site:` already folded in. */
  query: string;
  /** Base URL without a trailing slash. */
  baseUrl: string;
  maxResults: number;
  /** The API key, for backends that need one. */
  key?: string;
}

export interface SearchBackend {
  name: BackendName;
  /** Where it lives by default; undefined when the user must say (self-hosted). */
  defaultBaseUrl?: string;
  /** Env vars read for the key, first set wins; empty when no key is needed. */
  keyEnv: readonly string[];
  buildRequest(input: BuildInput): SearchRequest;
  /** Raw results in the backend's order; throws SearchResponseError when the body is not what it should be. */
  parse(body: string): SearchResult[];
  /** What to tell the lead about an HTTP error status from this backend, when there is something specific. */
  statusHint?(status: number): string | undefined;
}

// DuckDuckGo serves its HTML page to browsers; a bare client string gets a bot check sooner.
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

function parseJson<T>(body: string, schema: z.ZodType<T>, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new SearchResponseError(
      `${what} did not answer with JSON (first bytes: ${JSON.stringify(body.slice(0, 80))})`,
    );
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SearchResponseError(
      `${what} answered JSON of an unexpected shape (${issue ? `${issue.path.join('.') || '(top level)'}: ${issue.message}` : 'invalid'})`,
    );
  }
  return r.data;
}

const SearxngResponse = z.object({
  results: z.array(z.object({ url: z.string(), title: z.string().optional(), content: z.string().nullish() })),
});

const BraveResponse = z.object({
  web: z
    .object({
      results: z.array(z.object({ url: z.string(), title: z.string().optional(), description: z.string().nullish() })),
    })
    .optional(),
});

function withQuery(base: string, path: string, params: Record<string, string>): string {
  return `${base}${path}?${new URLSearchParams(params).toString()}`;
}

export const SEARCH_BACKENDS: Record<BackendName, SearchBackend> = {
  duckduckgo: {
    name: 'duckduckgo',
    defaultBaseUrl: 'https://html.duckduckgo.com',
    keyEnv: [],
    buildRequest: ({ query, baseUrl }) => ({
      url: withQuery(baseUrl, '/html/', { q: query }),
      headers: { 'User-Agent': BROWSER_UA, Accept: 'text/html', 'Accept-Language': 'en-US,en;q=0.8' },
    }),
    parse: parseDuckDuckGoHtml,
  },
  searxng: {
    name: 'searxng',
    keyEnv: [],
    buildRequest: ({ query, baseUrl }) => ({
      url: withQuery(baseUrl, '/search', { q: query, format: 'json' }),
      headers: { Accept: 'application/json' },
    }),
    parse: (body) =>
      parseJson(body, SearxngResponse, 'SearXNG').results.map((r) => ({
        title: r.title ?? '',
        url: r.url,
        snippet: r.content ?? '',
      })),
    // SearXNG answers 403 to format=json unless the instance lists json under search.formats.
    statusHint: (status) =>
      status === 403
        ? 'the instance may not allow JSON: add "json" under search.formats in its settings.yml'
        : undefined,
  },
  brave: {
    name: 'brave',
    defaultBaseUrl: 'https://api.search.brave.com',
    keyEnv: ['BRAVE_API_KEY', 'BRAVE_SEARCH_API_KEY'],
    buildRequest: ({ query, baseUrl, maxResults, key }) => ({
      url: withQuery(baseUrl, '/res/v1/web/search', { q: query, count: String(maxResults) }),
      headers: { Accept: 'application/json', 'X-Subscription-Token': key ?? '' },
    }),
    // Brave marks matches with <strong> and escapes entities in titles and descriptions.
    parse: (body) =>
      (parseJson(body, BraveResponse, 'Brave Search').web?.results ?? []).map((r) => ({
        title: htmlToText(r.title ?? ''),
        url: r.url,
        snippet: htmlToText(r.description ?? ''),
      })),
    statusHint: (status) =>
      status === 401 || status === 403 || status === 422
        ? 'the API key was refused: check BRAVE_API_KEY'
        : status === 429
          ? "the plan's rate limit was hit: wait a moment"
          : undefined,
  },
};

/** The backend called `name`, or undefined for an unknown name. */
export function findBackend(name: string): SearchBackend | undefined {
  return (BACKEND_NAMES as readonly string[]).includes(name) ? SEARCH_BACKENDS[name as BackendName] : undefined;
}
