/** Search backends as pure code: request building, response parsing (DuckDuckGo HTML, SearXNG, Brave), the TTL cache. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SEARCH_BACKENDS, findBackend } from '../../src/core/llm/search-backends.js';
import { parseDuckDuckGoHtml, unwrapDuckDuckGoHref } from '../../src/core/llm/search-ddg.js';
import { decodeEntities, htmlToText } from '../../src/core/text/html-text.js';
import { composeQuery, SearchResponseError, tidyResults } from '../../src/core/llm/search-result.js';
import { createTtlCache } from '../../src/core/llm/ttl-cache.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';

const fixture = new URL('../../../test/fixtures/search/ddg-results.html', import.meta.url).pathname;

test('DuckDuckGo HTML: organic results in order, ad skipped, uddg unwrapped, <b> dropped, entities decoded', () => {
  const results = parseDuckDuckGoHtml(readFileSync(fixture, 'utf8'));
  assert.deepEqual(results, [
    {
      title: 'Global objects | Node.js v22.11.0 Documentation',
      url: 'https://nodejs.org/api/globals.html#fetch',
      snippet:
        'A browser-compatible implementation of the fetch() function. Use AbortSignal.timeout() to set a timeout & abort it…',
    },
    {
      title: 'Fetch API request timeout? - Stack Overflow',
      url: 'https://stackoverflow.com/questions/46946380/fetch-api-request-timeout?tab=votes&page=2',
      snippet: 'There\'s no timeout option in "fetch"\'s init; wrap it <Promise.race> or use an AbortController.',
    },
    {
      title: 'AbortSignal: timeout() static method - Web APIs | MDN',
      url: 'https://developer.mozilla.org/en-US/docs/Web/API/AbortSignal/timeout_static',
      snippet:
        'The AbortSignal.timeout() static method returns an AbortSignal that will automatically abort after a specified time.',
    },
  ]);
});

test('DuckDuckGo hrefs: redirects unwrap, ads and internal links are dropped, non-web targets refused', () => {
  assert.equal(
    unwrapDuckDuckGoHref('//duckduckgo.com/l/?uddg=https%3A%2F%2Fa.example%2Fx%3Fy%3D1%26z%3D2&rut=abc'),
    'https://a.example/x?y=1&z=2',
  );
  assert.equal(unwrapDuckDuckGoHref('https://duckduckgo.com/l?uddg=http%3A%2F%2Fb.example%2F'), 'http://b.example/');
  assert.equal(unwrapDuckDuckGoHref('https://duckduckgo.com/y.js?ad_domain=x.example'), undefined);
  assert.equal(unwrapDuckDuckGoHref('/html/?q=next'), undefined);
  assert.equal(unwrapDuckDuckGoHref('//duckduckgo.com/l/?uddg=javascript%3Aalert(1)'), undefined);
  assert.equal(unwrapDuckDuckGoHref('//duckduckgo.com/l/?rut=abc'), undefined);
  assert.equal(unwrapDuckDuckGoHref('https://c.example/page'), 'https://c.example/page');
});

test('DuckDuckGo: a no-results page is an empty list; a bot check and a page without results are errors that say so', () => {
  assert.deepEqual(
    parseDuckDuckGoHtml('<div id="links" class="results"><div class="no-results">No results.</div></div>'),
    [],
  );
  assert.throws(
    () => parseDuckDuckGoHtml('<div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>'),
    (e: Error) => e instanceof SearchResponseError && /bot check \(CAPTCHA\)/.test(e.message),
  );
  assert.throws(
    () => parseDuckDuckGoHtml('<html><body>Service Unavailable</body></html>'),
    (e: Error) => e instanceof SearchResponseError && /layout may have changed/.test(e.message),
  );
});

test('DuckDuckGo: a snippet in a div (older markup), single-quoted attributes, and an ad with a direct link', () => {
  const html = `<div class="result results_links result--ad"><a class="result__a" href="https://ad.example/">Ad</a></div>
    <div class='result results_links'><a class='result__a' href='//duckduckgo.com/l/?uddg=https%3A%2F%2Fd.example%2F&amp;rut=1'>D &amp; E</a>
    <div class="result__snippet">first &lt;b&gt; <b>bold</b>&nbsp;text</div></div>
    <div class="result"><a class="result__a" href="https://e.example/">E</a></div>`;
  assert.deepEqual(parseDuckDuckGoHtml(html), [
    { title: 'D & E', url: 'https://d.example/', snippet: 'first <b> bold text' },
    { title: 'E', url: 'https://e.example/', snippet: '' },
  ]);
});

test('entities: numeric, hex, named; unknown and invalid ones stay as written', () => {
  assert.equal(decodeEntities('&#39;&#x27;&quot;&amp;lt;&hellip;&mdash;&#128512;'), `''"&lt;…—😀`);
  assert.equal(decodeEntities('&unknown; &#xD800; &#0; & alone'), '&unknown; &#xD800; &#0; & alone');
  assert.equal(htmlToText(' a <!-- c --><b>b</b>\n\n  c '), 'a b c');
});

test('SearXNG: request asks for JSON under the base URL; results map url/title/content', () => {
  const b = SEARCH_BACKENDS.searxng;
  assert.deepEqual(b.buildRequest({ query: 'zod v4 & me', baseUrl: 'https://searx.example/sub', maxResults: 5 }), {
    url: 'https://searx.example/sub/search?q=zod+v4+%26+me&format=json',
    headers: { Accept: 'application/json' },
  });
  const body = JSON.stringify({
    query: 'q',
    results: [
      { url: 'https://a.example/', title: 'A', content: 'about a', engine: 'x' },
      { url: 'https://b.example/', title: 'B', content: null },
    ],
  });
  assert.deepEqual(b.parse(body), [
    { title: 'A', url: 'https://a.example/', snippet: 'about a' },
    { title: 'B', url: 'https://b.example/', snippet: '' },
  ]);
  assert.throws(() => b.parse('<html>no</html>'), /SearXNG did not answer with JSON/);
  assert.throws(() => b.parse('{"results": [{"title": "no url"}]}'), /unexpected shape \(results\.0\.url/);
  assert.match(b.statusHint?.(403) ?? '', /search\.formats/);
});

test('Brave: key header and count; <strong> and entities leave titles and descriptions; no web section is no results', () => {
  const b = SEARCH_BACKENDS.brave;
  assert.deepEqual(b.keyEnv, ['BRAVE_API_KEY', 'BRAVE_SEARCH_API_KEY']);
  assert.deepEqual(
    b.buildRequest({ query: 'tmux 3.4', baseUrl: 'https://api.search.brave.com', maxResults: 7, key: 'K' }),
    {
      url: 'https://api.search.brave.com/res/v1/web/search?q=tmux+3.4&count=7',
      headers: { Accept: 'application/json', 'X-Subscription-Token': 'K' },
    },
  );
  const body = JSON.stringify({
    type: 'search',
    web: {
      results: [
        {
          url: 'https://t.example/',
          title: 'Tmux &amp; you',
          description: 'What&#x27;s new in <strong>tmux</strong> 3.4',
        },
      ],
    },
  });
  assert.deepEqual(b.parse(body), [
    { title: 'Tmux & you', url: 'https://t.example/', snippet: "What's new in tmux 3.4" },
  ]);
  assert.deepEqual(b.parse('{"type":"search"}'), []);
});

test('DuckDuckGo request: GET /html/ with q and a browser User-Agent', () => {
  const r = SEARCH_BACKENDS.duckduckgo.buildRequest({
    query: 'a b site:x.example',
    baseUrl: 'https://html.duckduckgo.com',
    maxResults: 5,
  });
  assert.equal(r.url, 'https://html.duckduckgo.com/html/?q=a+b+site%3Ax.example');
  assert.match(r.headers['User-Agent'] ?? '', /^Mozilla\/5\.0 /);
  assert.equal(findBackend('bing'), undefined);
  assert.equal(findBackend('brave')?.name, 'brave');
});

test('tidyResults drops non-web and repeated URLs, caps lengths, keeps at most max; composeQuery adds site:', () => {
  const long = 'x'.repeat(600);
  const r = tidyResults(
    [
      { title: '', url: 'https://a.example/', snippet: long },
      { title: 'dup', url: 'https://a.example/', snippet: '' },
      { title: 'ftp', url: 'ftp://b.example/', snippet: '' },
      { title: 'C', url: 'https://c.example/', snippet: '' },
      { title: 'D', url: 'https://d.example/', snippet: '' },
    ],
    2,
  );
  assert.deepEqual(
    r.map((x) => x.url),
    ['https://a.example/', 'https://c.example/'],
  );
  assert.equal(r[0]!.title, 'https://a.example/');
  assert.equal(r[0]!.snippet.length, 500);
  assert.equal(composeQuery('  tmux   paste  '), 'tmux paste');
  assert.equal(composeQuery('fetch', 'https://nodejs.org/'), 'fetch site:nodejs.org');
});

test('TTL cache: an entry lives ttlMs by the injected clock, then misses', () => {
  let t = 1_000;
  const c = createTtlCache<string>({ ttlMs: 500, now: () => t });
  c.set('k', 'v');
  t += 499;
  assert.deepEqual(c.get('k'), { value: 'v', storedAt: 1_000 });
  t += 1;
  assert.equal(c.get('k'), undefined);
  assert.equal(c.size, 0);
});

test('TTL cache: at maxEntries the least recently used goes first, expired entries before live ones', () => {
  let t = 0;
  const c = createTtlCache<number>({ ttlMs: 100, maxEntries: 3, now: () => t });
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  assert.equal(c.get('a')?.value, 1); // a is now the most recently used
  c.set('d', 4);
  assert.equal(c.get('b'), undefined);
  assert.deepEqual(
    ['a', 'c', 'd'].map((k) => c.get(k)?.value),
    [1, 3, 4],
  );

  const e = createTtlCache<number>({ ttlMs: 100, maxEntries: 2, now: () => t });
  e.set('old', 1);
  t = 50;
  e.set('live', 2);
  t = 60;
  assert.equal(e.get('old')?.value, 1); // old is now the most recently used, live the least
  t = 120; // old expired, live not: the expired one goes, not the least recently used
  e.set('new', 3);
  assert.equal(e.size, 2);
  assert.equal(e.get('live')?.value, 2);
});

test('TTL cache: ttlMs 0 caches nothing', () => {
  const c = createTtlCache<number>({ ttlMs: 0, now: () => 0 });
  c.set('a', 1);
  assert.equal(c.get('a'), undefined);
});

test('config: research accepts the documented keys and refuses unknown ones and bad values', () => {
  assert.equal(
    ConfigSchema.safeParse({
      research: {
        backend: 'searxng',
        baseUrl: 'http://127.0.0.1:8888',
        ttlSeconds: 60,
        timeoutMs: 5000,
        maxResults: 8,
      },
    }).success,
    true,
  );
  assert.equal(ConfigSchema.safeParse({ research: { backend: 'bing' } }).success, false);
  assert.equal(ConfigSchema.safeParse({ research: { baseUrl: 'ftp://x.example' } }).success, false);
  assert.equal(ConfigSchema.safeParse({ research: { maxResults: 50 } }).success, false);
  assert.equal(ConfigSchema.safeParse({ research: { apiKey: 'x' } }).success, false);
});
