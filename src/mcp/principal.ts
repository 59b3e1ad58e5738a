/**
 * Who is calling: the lead or one worker, told apart by the bearer token of the request. Every token
 * comparison here is constant-time (SHA-256 digests compared with timingSafeEqual, so equal-length
 * buffers whatever the candidate's length), and every stored token is compared, so neither the content
 * nor the position of a match shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Principal = { role: 'lead' } | { role: 'worker'; workerId: string };

export interface TokenBook {
  /** The lead's token; read per request, so a rotated token (resume) takes effect at once. */
  lead: string;
  /** Token -> worker id; looked up per request so new workers are known at once. */
  workerByToken(token: string): string | undefined;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality of two tokens of any lengths (their SHA-256 digests are compared). */
export function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * A `workerByToken` over `workers()` (read per call) that compares `token` with every worker's token in
 * constant time and returns the matching id, or undefined. An empty stored token never matches.
 */
export function workerTokenLookup(
  workers: () => readonly { id: string; token: string }[],
): (token: string) => string | undefined {
  return (token) => {
    let found: string | undefined;
    for (const w of workers()) {
      // No early exit: every token is compared, whichever matches.
      if (sameToken(token, w.token) && w.token !== '' && found === undefined) found = w.id;
    }
    return found;
  };
}

/** The principal of an `Authorization: Bearer <token>` header, or undefined. */
export function principalOf(header: string | undefined, book: TokenBook): Principal | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const token = m[1]!;
  const lead = book.lead;
  if (lead !== '' && sameToken(token, lead)) return { role: 'lead' };
  const workerId = book.workerByToken(token);
  return workerId ? { role: 'worker', workerId } : undefined;
}
