/** Who is calling: the lead or one worker, told apart by the bearer token of the request. */
import { timingSafeEqual } from 'node:crypto';

export type Principal = { role: 'lead' } | { role: 'worker'; workerId: string };

export interface TokenBook {
  lead: string;
  /** Token -> worker id; looked up per request so new workers are known at once. */
  workerByToken(token: string): string | undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The principal of an `Authorization: Bearer <token>` header, or undefined. */
export function principalOf(header: string | undefined, book: TokenBook): Principal | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const token = m[1]!;
  if (same(token, book.lead)) return { role: 'lead' };
  const workerId = book.workerByToken(token);
  return workerId ? { role: 'worker', workerId } : undefined;
}
