/**
 * A fake web search service on 127.0.0.1 (random port) speaking three backends: DuckDuckGo's HTML page
 * at /html/, SearXNG JSON at /search, Brave Search JSON at /res/v1/web/search (checks
 * X-Subscription-Token). Answers are made from the query, so different queries give different results.
 * Special queries: one containing "nothing-here" gets a no-results page, "captcha" DuckDuckGo's bot
 * check, "hang" no answer at all (until close). `status` forces every answer to an error status.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedSearch {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export interface FakeSearchServer {
  /** Base URL `http://127.0.0.1:PORT` once listening. */
  url: string;
  requests: RecordedSearch[];
  /** Requests whose path starts with `prefix`. */
  count(prefix: string): number;
  /** When set, every request is answered with this HTTP status. */
  status?: number;
  /** Stops listening and ends every open connection (hung requests too). */
  close(): Promise<void>;
}

export interface FakeSearchOptions {
  /** The key Brave requests must carry (default "test-brave-key"). */
  braveKey?: string;
  /** Bytes of padding added to the DuckDuckGo page (to exercise the size cap). */
  padBytes?: number;
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

/** The results the fake returns for `q`: three pages on example sites, with quotes and ampersands in them. */
export function fakeResults(q: string): { title: string; url: string; snippet: string }[] {
  const slug = encodeURIComponent(q.replace(/\s+/g, '-'));
  return [
    {
      title: `${q} — the guide`,
      url: `https://guide.example/${slug}?a=1&b=2`,
      snippet: `Everything about "${q}" & more.`,
    },
    { title: `Q&A: ${q}`, url: `https://qa.example/questions/${slug}`, snippet: `It's answered here.` },
    { title: `${q} reference`, url: `https://docs.example/ref/${slug}`, snippet: `Reference <pages> for ${q}.` },
  ];
}

function ddgPage(q: string, pad: number): string {
  const blocks = fakeResults(q).map((r) => {
    const href = `//duckduckgo.com/l/?uddg=${encodeURIComponent(r.url)}&amp;rut=${'0f'.repeat(16)}`;
    const title = esc(r.title).replace(esc(q), `<b>${esc(q)}</b>`);
    return `  <div class="result results_links results_links_deep web-result ">
    <div class="links_main links_deep result__body">
      <h2 class="result__title">
        <a rel="nofollow" class="result__a" href="${href}">${title}</a>
      </h2>
      <div class="result__extras"><div class="result__extras__url">
        <a class="result__url" href="${href}">${esc(new URL(r.url).host)}</a>
      </div></div>
      <a class="result__snippet" href="${href}">${esc(r.snippet)}</a>
      <div class="clear"></div>
    </div>
  </div>`;
  });
  const ad = `  <div class="result results_links results_links_deep result--ad ">
    <div class="links_main links_deep result__body">
      <h2 class="result__title"><a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=ads.example&amp;ad_provider=x">Sponsored: ${esc(q)}</a></h2>
      <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=ads.example">Buy it.</a>
    </div>
  </div>`;
  return `<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /><title>${esc(q)} at DuckDuckGo</title></head>
<body class="body--html"><div class="serp__results"><div id="links" class="results">
${ad}
${blocks.join('\n')}
</div></div><!-- ${'x'.repeat(pad)} --></body></html>`;
}

const NO_RESULTS =
  '<html><body><div id="links" class="results"><div class="no-results">No results.</div></div></body></html>';
const CAPTCHA =
  '<html><body><div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div><form id="challenge-form" action="/anomaly.js"></form></body></html>';

/** Starts the fake on 127.0.0.1:0; resolves once it listens. */
export async function startFakeSearchServer(opts: FakeSearchOptions = {}): Promise<FakeSearchServer> {
  const braveKey = opts.braveKey ?? 'test-brave-key';
  const requests: RecordedSearch[] = [];
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: u.pathname, query: u.searchParams, headers: req.headers });
    const q = u.searchParams.get('q') ?? '';
    if (q.includes('hang')) return; // never answered: the client's timeout must fire
    if (fake.status) return send(res, fake.status, 'text/plain', `forced status ${fake.status}`);
    const empty = q.includes('nothing-here');
    if (req.method === 'GET' && u.pathname === '/html/') {
      if (q.includes('captcha')) return send(res, 202, 'text/html; charset=UTF-8', CAPTCHA);
      return send(res, 200, 'text/html; charset=UTF-8', empty ? NO_RESULTS : ddgPage(q, opts.padBytes ?? 0));
    }
    if (req.method === 'GET' && u.pathname === '/search') {
      if (u.searchParams.get('format') !== 'json') return send(res, 403, 'text/html', '<h1>403 Forbidden</h1>');
      const results = empty
        ? []
        : fakeResults(q).map((r) => ({ url: r.url, title: r.title, content: r.snippet, engine: 'fake', score: 1 }));
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ query: q, number_of_results: results.length, results, answers: [], suggestions: [] }),
      );
    }
    if (req.method === 'GET' && u.pathname === '/res/v1/web/search') {
      if (req.headers['x-subscription-token'] !== braveKey) {
        return send(
          res,
          401,
          'application/json',
          JSON.stringify({ type: 'ErrorResponse', error: { code: 'SUBSCRIPTION_TOKEN_INVALID', status: 401 } }),
        );
      }
      const count = Number(u.searchParams.get('count') ?? 20);
      const results = empty
        ? []
        : fakeResults(q)
            .slice(0, count)
            .map((r) => ({
              type: 'search_result',
              url: r.url,
              title: esc(r.title),
              description: esc(r.snippet).replace(esc(q), `<strong>${esc(q)}</strong>`),
            }));
      return send(
        res,
        200,
        'application/json',
        JSON.stringify({ type: 'search', query: { original: q }, web: { type: 'search', results } }),
      );
    }
    send(res, 404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const fake: FakeSearchServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    count: (prefix) => requests.filter((r) => r.path.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
