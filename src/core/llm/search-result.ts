/** The one result shape every search backend is normalised to, and the error a parser throws. */
import { z } from 'zod';

export const SearchResultSchema = z.object({
  title: z.string(),
  url: z.string(),
  snippet: z.string(),
});

export type SearchResult = z.infer<typeof SearchResultSchema>;

/** A response that could not be read as results (bad JSON, a changed page layout, a bot check); `message` says what to do. */
export class SearchResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchResponseError';
  }
}

const MAX_TITLE = 200;
const MAX_SNIPPET = 500;

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** True for an absolute http(s) URL: the only links worth handing to an agent. */
export function isWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Cleans raw results: drops ones without an http(s) URL and repeated URLs, caps titles (200 chars) and
 * snippets (500), uses the URL as title when there is none, and keeps at most `max`.
 */
export function tidyResults(raw: SearchResult[], max: number): SearchResult[] {
  const seen = new Set<string>();
  const out: SearchResult[] = [];
  for (const r of raw) {
    const url = r.url.trim();
    if (!isWebUrl(url) || seen.has(url)) continue;
    seen.add(url);
    out.push({ title: cap(r.title.trim() || url, MAX_TITLE), url, snippet: cap(r.snippet.trim(), MAX_SNIPPET) });
    if (out.length >= max) break;
  }
  return out;
}

/**
 * The query sent to a backend: whitespace collapsed, plus `site:DOMAIN` when `site` is given (a scheme
 * and trailing slash on `site` are dropped, so `https://docs.python.org/` works).
 */
export function composeQuery(query: string, site?: string): string {
  const q = query.replace(/\s+/g, ' ').trim();
  const domain = site
    ?.trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '');
  return domain ? `${q} site:${domain}` : q;
}
