/**
 * The price table: US dollars per million tokens for each model, as the vendors publish them on the date
 * below. Config `prices: { "<model>": { input, output, cacheRead?, cacheWrite? } }` overrides or adds
 * entries. A model matches an entry by its exact name, after a `vendor/` prefix, or with a date or
 * `-latest` suffix (`claude-sonnet-4-5-20250929`); anything else is unknown, and an unknown model's cost
 * is unknown (undefined), never 0.
 */
import type { Tokens } from './usage.js';

export interface ModelPrice {
  /** $ per million input tokens (not cached). */
  input: number;
  output: number;
  /** Absent: priced as input. */
  cacheRead?: number;
  /** Absent: priced as input. */
  cacheWrite?: number;
}

/** The date the built-in prices were taken from the vendors' pricing pages. */
export const PRICES_DATE = '2025-11-01';

export const PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4-1': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
  'gpt-5-codex': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
  'gpt-5.1': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
  'gpt-5.1-codex': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31, cacheWrite: 0 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075, cacheWrite: 0 },
};

const SUFFIX = /^[-@](\d{4}-?\d{2}-?\d{2}|latest)$/;

/** The price of `model` from `overrides` first, then the built-in table; undefined when unknown. */
export function priceFor(model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | undefined {
  const name = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model;
  for (const table of [overrides, PRICES]) {
    for (const m of [model, name]) {
      const exact = table[m];
      if (exact) return exact;
    }
    const key = Object.keys(table)
      .filter((k) => name.startsWith(k) && SUFFIX.test(name.slice(k.length)))
      .sort((a, b) => b.length - a.length)[0];
    if (key) return table[key];
  }
  return undefined;
}

/** The cost in dollars of `t` at `price`; undefined (unknown) without a price. */
export function costOf(t: Tokens, price: ModelPrice | undefined): number | undefined {
  if (!price) return undefined;
  const perToken =
    t.input * price.input +
    t.output * price.output +
    t.cacheRead * (price.cacheRead ?? price.input) +
    t.cacheWrite * (price.cacheWrite ?? price.input);
  return perToken / 1_000_000;
}
