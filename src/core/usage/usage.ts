/** One usage record: the tokens of one model call (or one turn), as the agent's source reported them. */

/** Where a usage record came from, best first (an agent's registry entry names its source). */
export type UsageSource = 'protocol' | 'session-files' | 'otel' | 'pane';

/** Billed per token (API key) or covered by a plan ("would cost", like an invoice not paid). */
export type UsageBucket = 'api' | 'subscription';

/** The token counts of one call; input excludes cache reads and writes. */
export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

/** One call as parsed from an agent's file: its tokens, its model and a key unique within the agent's files. */
export interface UsageDelta extends Tokens {
  model: string;
  /** Dedup key: the same call seen twice (a re-read line, a streamed copy) has the same key. */
  key: string;
  /** ms since the epoch, when the source says. */
  ts?: number;
  /** The agent's own cost figure for the call (USD), used when crewmux's price table has no price for the model. */
  agentCostUsd?: number;
}

/** A rate-limit window an agent reported (a subscription's quota): how much of it is used. */
export interface RateLimit {
  /** The agent's name for the window (`primary`, `secondary`). */
  window: string;
  usedPercent: number;
  windowMinutes?: number;
  /** ms since the epoch. */
  resetsAt?: number;
}

export const ZERO_TOKENS: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

/** The sum of two token counts. */
export function addTokens(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    reasoning: a.reasoning + b.reasoning,
  };
}

/** Every token counted once (reasoning tokens are part of output for the vendors crewmux reads). */
export function totalTokens(t: Tokens): number {
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}

/** A non-negative integer from an untrusted JSON value (anything else is 0). */
export function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}
