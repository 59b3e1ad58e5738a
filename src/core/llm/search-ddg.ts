/**
 * Reading DuckDuckGo's no-JavaScript results page (html.duckduckgo.com/html/). Each organic result is a
 * `div.result` holding `a.result__a` (title; href wrapped as //duckduckgo.com/l/?uddg=TARGET) and
 * `.result__snippet`; ads are `div.result--ad` and link to duckduckgo.com/y.js, and are skipped.
 */
import { hasClass, htmlToText, parseAttributes } from '../text/html-text.js';
import { SearchResponseError, type SearchResult } from './search-result.js';

/**
 * The real target of a result link: the `uddg` parameter of a //duckduckgo.com/l/ redirect, or the href
 * itself when it is a plain http(s) link; undefined for ads and DuckDuckGo's own pages.
 */
export function unwrapDuckDuckGoHref(href: string): string | undefined {
  let u: URL;
  try {
    u = new URL(href, 'https://duckduckgo.com/');
  } catch {
    return undefined;
  }
  if (/(^|\.)duckduckgo\.com$/i.test(u.hostname)) {
    if (!/^\/l\/?$/.test(u.pathname)) return undefined;
    const target = u.searchParams.get('uddg');
    if (!target) return undefined;
    try {
      const t = new URL(target);
      return t.protocol === 'http:' || t.protocol === 'https:' ? target : undefined;
    } catch {
      return undefined;
    }
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
}

interface Item {
  href: string;
  titleHtml: string;
  snippetHtml?: string;
  ad: boolean;
}

/** The inner HTML from `from` to the next closing `</tag>` (to the end when unclosed). */
function innerUntilClose(html: string, from: number, tag: string): string {
  const close = new RegExp(`</${tag}\\s*>`, 'ig');
  close.lastIndex = from;
  const m = close.exec(html);
  return html.slice(from, m ? m.index : html.length);
}

/**
 * Results of a DuckDuckGo HTML page in page order (ads skipped, entities decoded, `<b>` highlighting
 * dropped). An empty list means the page said "no results"; a bot check or a page without a result
 * list throws SearchResponseError.
 */
export function parseDuckDuckGoHtml(html: string): SearchResult[] {
  const items: Item[] = [];
  let inAd = false;
  for (const m of html.matchAll(/<(a|div|td|span)\b([^>]*)>/gi)) {
    const tag = m[1]!.toLowerCase();
    const cls = parseAttributes(m[2] ?? '').class;
    const end = m.index + m[0].length;
    if (tag === 'div' && hasClass(cls, 'result')) {
      inAd = hasClass(cls, 'result--ad');
    } else if (tag === 'a' && hasClass(cls, 'result__a')) {
      items.push({
        href: parseAttributes(m[2] ?? '').href ?? '',
        titleHtml: innerUntilClose(html, end, 'a'),
        ad: inAd,
      });
    } else if (hasClass(cls, 'result__snippet')) {
      const last = items[items.length - 1];
      if (last && last.snippetHtml === undefined) last.snippetHtml = innerUntilClose(html, end, tag);
    }
  }
  if (items.length === 0) {
    if (/anomaly-modal|challenge-form|bots use DuckDuckGo/i.test(html)) {
      throw new SearchResponseError(
        'DuckDuckGo answered with a bot check (CAPTCHA) instead of results; it limits automated queries, so try again later',
      );
    }
    if (/class\s*=\s*["'][^"']*\bno-results\b/i.test(html)) return [];
    throw new SearchResponseError('the DuckDuckGo page held no result list (its layout may have changed)');
  }
  const out: SearchResult[] = [];
  for (const it of items) {
    if (it.ad) continue;
    const url = unwrapDuckDuckGoHref(it.href);
    if (!url) continue;
    out.push({ title: htmlToText(it.titleHtml), url, snippet: htmlToText(it.snippetHtml ?? '') });
  }
  return out;
}
