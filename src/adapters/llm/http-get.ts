/**
 * One HTTP GET with a time limit and a body size cap, whose failures say what kind they are: the host
 * cannot be reached (DNS, refused, reset: the machine looks offline), it timed out, it answered an
 * error status, the body was too large, or something else failed (TLS, protocol).
 */

export type HttpGetFailure = 'unreachable' | 'timeout' | 'status' | 'too-large' | 'failed';

/** A failed GET; `detail` is the low-level reason (`getaddrinfo ENOTFOUND host`, `HTTP 503`), `status` set for 'status'. */
export class HttpGetError extends Error {
  readonly kind: HttpGetFailure;
  readonly detail: string;
  readonly status?: number;
  /** The start of an error response's body, for the message. */
  readonly bodyHead?: string;
  constructor(kind: HttpGetFailure, detail: string, extra: { status?: number; bodyHead?: string } = {}) {
    super(detail);
    this.name = 'HttpGetError';
    this.kind = kind;
    this.detail = detail;
    this.status = extra.status;
    this.bodyHead = extra.bodyHead;
  }
}

export type FetchFn = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal; redirect: 'follow' | 'manual' },
) => Promise<Response>;

export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Whole request, headers and body, in milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Largest body accepted, in bytes after decompression (default 2 MiB). */
  maxBytes?: number;
  /** The fetch to use (default the global one). */
  fetch?: FetchFn;
  /**
   * The request carries an API key (in a header or the URL): a redirect is then never followed (the key
   * would go to wherever the answer points) but fails as kind 'status'.
   */
  carriesKey?: boolean;
}

export interface HttpGetResponse {
  status: number;
  contentType: string;
  body: string;
}

// Error codes that mean "no route to the service": DNS, refused, reset, no network.
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

interface CodedError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  name?: unknown;
}

/** The innermost cause with an error code (undici wraps them as `TypeError: fetch failed`, sometimes in an AggregateError). */
function rootCause(e: unknown): { code?: string; message: string } {
  let cur = e as CodedError | undefined;
  let found: { code?: string; message: string } = { message: String((e as Error)?.message ?? e) };
  for (let depth = 0; cur && depth < 6; depth++) {
    const first = Array.isArray(cur.errors) && cur.errors.length ? (cur.errors[0] as CodedError) : undefined;
    if (typeof cur.code === 'string') {
      found = { code: cur.code, message: typeof cur.message === 'string' && cur.message ? cur.message : cur.code };
      if (first && typeof first.message === 'string') found.message = first.message;
    }
    cur = (cur.cause as CodedError | undefined) ?? first;
  }
  return found;
}

function classify(e: unknown, timeoutMs: number): HttpGetError {
  if (e instanceof HttpGetError) return e;
  const name = (e as CodedError)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new HttpGetError('timeout', `no answer within ${timeoutMs} ms`);
  const root = rootCause(e);
  if (root.code && UNREACHABLE.has(root.code)) return new HttpGetError('unreachable', root.message);
  return new HttpGetError('failed', root.code ? `${root.message} (${root.code})` : root.message);
}

async function readCapped(res: Response, maxBytes: number, truncate: boolean): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (!truncate && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new HttpGetError('too-large', `the body is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (!truncate) throw new HttpGetError('too-large', `the body is over the ${maxBytes}-byte limit`);
      chunks.push(value.subarray(0, value.byteLength - (total - maxBytes)));
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GETs `url`; resolves a 2xx answer's body as UTF-8 text, else rejects with an HttpGetError of the matching kind.
 * Redirects are followed unless `opts.carriesKey`.
 */
export async function httpGet(url: string, opts: HttpGetOptions = {}): Promise<HttpGetResponse> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxBytes = opts.maxBytes ?? 2 * 1024 * 1024;
  const f: FetchFn = opts.fetch ?? ((u, init) => fetch(u, init));
  try {
    const res = await f(url, {
      headers: opts.headers ?? {},
      signal: AbortSignal.timeout(timeoutMs),
      redirect: opts.carriesKey ? 'manual' : 'follow',
    });
    if (opts.carriesKey && res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      throw new HttpGetError(
        'status',
        `HTTP ${res.status}: a redirect (to ${res.headers.get('location') ?? 'nowhere'}) is not followed on a request carrying a key`,
        { status: res.status },
      );
    }
    if (!res.ok) {
      const head = (await readCapped(res, 2048, true).catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
      throw new HttpGetError('status', `HTTP ${res.status}`, { status: res.status, bodyHead: head });
    }
    const body = await readCapped(res, maxBytes, false);
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
  } catch (e) {
    throw classify(e, timeoutMs);
  }
}
