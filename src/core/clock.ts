/**
 * Time as a dependency: code that waits or measures takes a Clock, so tests drive it with the fake in
 * test/fakes/clock.ts instead of sleeping. The system clock is src/adapters/system/clock.ts. `waitUntil` is
 * the one deadline-polling loop; code that used to spin on `Date.now() < deadline` calls it.
 */

export interface Clock {
  /** Milliseconds since the epoch (Date.now for the system clock). */
  now(): number;
  /** Resolves after `ms` milliseconds, or at once when `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface WaitOptions {
  /** Give up after this many milliseconds (Infinity: never, unless `signal` aborts). */
  timeoutMs: number;
  /** Milliseconds between probes. */
  intervalMs: number;
  clock: Clock;
  /** Stop early (the wait then resolves undefined). */
  signal?: AbortSignal;
}

/**
 * Polls `probe` at once, then every `intervalMs`, and a last time at the deadline: resolves with its
 * first value other than `undefined` or `false`, or with `undefined` when `timeoutMs` passes (or
 * `signal` aborts) first; a probe that throws rejects the wait with that error.
 */
export async function waitUntil<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  o: WaitOptions,
): Promise<T | undefined> {
  const deadline = o.clock.now() + o.timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (o.signal?.aborted) return undefined;
    const left = deadline - o.clock.now();
    if (left <= 0) return undefined;
    await o.clock.sleep(Math.min(o.intervalMs, left), o.signal);
  }
}
