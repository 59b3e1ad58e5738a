/**
 * One JSON POST over fetch with a deadline: the LLM router's only network call. Any HTTP status is an
 * answer (the caller classifies it); no answer at all is an HttpNoAnswerError saying timeout or network.
 * Every router request carries an API key, so a redirect is never followed: a 3xx is the answer.
 */

/** A response read in full: status, lower-case headers, body text. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** The request got no HTTP answer: `kind` timeout (the deadline passed) or network (refused, reset, DNS...). */
export class HttpNoAnswerError extends Error {
  readonly kind: 'timeout' | 'network';
  constructor(kind: 'timeout' | 'network', message: string) {
    super(message);
    this.name = 'HttpNoAnswerError';
    this.kind = kind;
  }
}

function networkMessage(e: unknown): string {
  // undici reports "fetch failed" and puts the socket error (ECONNREFUSED...) in `cause`.
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code)
    return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` ${cause.message}` : ''}`;
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/**
 * POSTs `body` as JSON to `url` and reads the whole answer within `timeoutMs` milliseconds (headers and
 * body both); the deadline aborts the request and closes its socket. A redirect is returned, not followed.
 * Throws only HttpNoAnswerError.
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
  fetchFn: typeof fetch = fetch,
): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // 'manual': undici hands back the 3xx itself, and the key never goes where Location points.
    const res = await fetchFn(url, { method: 'POST', headers, body: JSON.stringify(body), signal, redirect: 'manual' });
    const text = await res.text();
    const h: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      h[k.toLowerCase()] = v;
    });
    return { status: res.status, headers: h, text };
  } catch (e) {
    if (signal.aborted) throw new HttpNoAnswerError('timeout', `no answer within ${timeoutMs} ms`);
    throw new HttpNoAnswerError('network', networkMessage(e));
  }
}
