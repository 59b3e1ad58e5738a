/**
 * The router's failure policy, pure: classify a failed call, decide how long that provider cools down
 * (Retry-After in seconds or as an HTTP date, providers' reset headers, Gemini's retryDelay, else a
 * default; capped), and say so in one line. Times are epoch milliseconds from an injected clock.
 */

/** Default cooldowns (ms) when the provider names no time, and the cap on any cooldown. */
export const COOLDOWN_MS = {
  rateLimit: 60_000,
  server: 30_000,
  network: 30_000,
  timeout: 30_000,
  invalidReply: 30_000,
  /** Bad key or unknown model/URL: retrying soon cannot help. */
  config: 15 * 60_000,
  max: 15 * 60_000,
  min: 1_000,
} as const;

/**
 * rate-limit (429), server (5xx, 408), timeout, network: cool down and fall back. auth (401/403) and
 * not-found (404): cool down long ("bad key", "check the model"). bad-request (other 4xx): fall back
 * without a cooldown (it is this request). invalid-reply: a 2xx that is not the expected JSON.
 */
export type FailureKind =
  'rate-limit' | 'server' | 'timeout' | 'network' | 'auth' | 'not-found' | 'bad-request' | 'invalid-reply';

export interface Failure {
  kind: FailureKind;
  /** Short, for the cooldown row and displays: `HTTP 429 rate limited`. */
  reason: string;
  /** The provider's own words, if any (error.message of the body). */
  detail?: string;
  /** 0 means no cooldown. */
  cooldownMs: number;
}

/** Lower-case header name -> value. */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

const clamp = (ms: number) => Math.min(COOLDOWN_MS.max, Math.max(COOLDOWN_MS.min, Math.round(ms)));

/**
 * Milliseconds to wait from a Retry-After value: delta-seconds (`120`, `1.5`) or an HTTP date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`, 0 when already past); undefined for anything else.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined; // "-5", "1e3": not a date either
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Milliseconds in a duration like `2m59.56s`, `7.66s`, `120ms`, `1h`, or plain seconds `33.5`; undefined otherwise. */
export function parseDuration(value: string | undefined): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(v);
  if (!m || !m.slice(1).some(Boolean)) return undefined;
  const [h, min, s, ms] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
  return Math.round(h * 3_600_000 + min * 60_000 + s * 1000 + ms);
}

/** Milliseconds until an absolute reset time: RFC 3339, epoch seconds or epoch milliseconds. */
function untilReset(value: string | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d{12,}$/.test(v)) return Number(v) - now;
  if (/^\d{9,11}$/.test(v)) return Number(v) * 1000 - now;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t - now;
}

/**
 * The shortest positive wait named by rate-limit reset headers: Anthropic's anthropic-ratelimit-*-reset
 * (RFC 3339), Groq/OpenAI x-ratelimit-reset-* (durations), Cerebras x-ratelimit-reset-*-minute/-day
 * (seconds), OpenRouter x-ratelimit-reset (epoch ms). The shortest, since we cannot tell which limit
 * tripped; a second 429 cools down again.
 */
export function resetHintMs(headers: HeaderMap, now: number): number | undefined {
  const waits: (number | undefined)[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (/^anthropic-ratelimit-.*-reset$/.test(name) || name === 'x-ratelimit-reset') waits.push(untilReset(value, now));
    else if (/^x-ratelimit-reset-/.test(name)) waits.push(parseDuration(value));
  }
  const positive = waits.filter((w): w is number => w !== undefined && w > 0);
  return positive.length ? Math.min(...positive) : undefined;
}

/** Gemini names its wait in the body: error.details[].retryDelay = "37s". */
function bodyRetryDelay(body: string): number | undefined {
  const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** The provider's error message in a JSON error body (Anthropic, OpenAI-style and Gemini all use error.message). */
export function errorMessageOf(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    return typeof m === 'string' && m.trim() ? m.trim().replace(/\s+/g, ' ').slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

/** What a non-2xx answer means for this provider, and how long it should rest. */
export function classifyHttp(status: number, headers: HeaderMap, body: string, now: number): Failure {
  const detail = errorMessageOf(body);
  const d = detail ? { detail } : {};
  const named =
    headers['retry-after-ms'] !== undefined && /^\d+(\.\d+)?$/.test(headers['retry-after-ms'].trim())
      ? Number(headers['retry-after-ms'])
      : (parseRetryAfter(headers['retry-after'], now) ?? bodyRetryDelay(body));
  if (status === 429) {
    return {
      kind: 'rate-limit',
      reason: `HTTP 429 rate limited`,
      ...d,
      cooldownMs: clamp(named ?? resetHintMs(headers, now) ?? COOLDOWN_MS.rateLimit),
    };
  }
  if (status >= 500 || status === 408) {
    return {
      kind: 'server',
      reason: `HTTP ${status} server error`,
      ...d,
      cooldownMs: clamp(named ?? COOLDOWN_MS.server),
    };
  }
  if (status === 401 || status === 403)
    return { kind: 'auth', reason: `bad key (HTTP ${status})`, ...d, cooldownMs: COOLDOWN_MS.config };
  if (status === 404)
    return {
      kind: 'not-found',
      reason: 'HTTP 404 not found (check the model and base URL)',
      ...d,
      cooldownMs: COOLDOWN_MS.config,
    };
  return { kind: 'bad-request', reason: `HTTP ${status}`, ...d, cooldownMs: 0 };
}

/** A call that got no HTTP answer: the request timed out (after `timeoutMs`) or the network failed. */
export function classifyNoAnswer(kind: 'timeout' | 'network', message: string, timeoutMs: number): Failure {
  return kind === 'timeout'
    ? { kind, reason: `timeout (no answer within ${timeoutMs} ms)`, cooldownMs: COOLDOWN_MS.timeout }
    : { kind, reason: 'network error', detail: message, cooldownMs: COOLDOWN_MS.network };
}

/** A 2xx whose body was unusable (not JSON, wrong shape, empty text). */
export function classifyInvalidReply(message: string): Failure {
  return { kind: 'invalid-reply', reason: 'invalid response', detail: message, cooldownMs: COOLDOWN_MS.invalidReply };
}

/** `1h2m`, `2m0s`, `45s`: a short human duration (rounded up to whole seconds). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** One line for an attempt that failed: `HTTP 429 rate limited: slow down; cooling down 2m0s`. */
export function describeFailure(f: Failure): string {
  return `${f.reason}${f.detail ? `: ${f.detail}` : ''}${f.cooldownMs ? `; cooling down ${formatDuration(f.cooldownMs)}` : ''}`;
}

/** `cooling down until 2026-11-21T22:41:03Z (1m58s left): HTTP 429 rate limited`. */
export function describeCooldown(until: number, reason: string | undefined, now: number): string {
  const at = new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `cooling down until ${at} (${formatDuration(until - now)} left)${reason ? `: ${reason}` : ''}`;
}
