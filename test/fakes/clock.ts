/**
 * A fake Clock (src/core/clock.ts) for tests: time stands still until the test moves it, so code that
 * waits or polls runs without real sleeps and its timing can be asserted exactly.
 *
 * Two modes:
 * - manual (default): `sleep(ms)` parks the caller until `advance()` moves `now()` to its wake time.
 *   `advance(ms)` wakes sleepers one at a time in wake order (ties: the order they slept), setting
 *   `now()` to each one's wake time and letting it run (until it sleeps again or settles) before the
 *   next, so a loop that sleeps repeatedly within the window runs every iteration at the right time.
 * - auto (`{ auto: true }`): every `sleep(ms)` moves `now()` forward by `ms` and resolves at once, so
 *   a polling loop runs to completion on its own; time passes only when someone sleeps.
 *
 * In both modes `sleep(ms)` with ms <= 0 resolves at once, a sleep whose AbortSignal aborts resolves
 * at once without moving time, and `sleeps` records every duration asked for, in call order.
 * "Lets it run" means: pending microtasks and one turn of the event loop (setImmediate); code that
 * awaits real I/O between two sleeps may need another `advance(0)`.
 */
import type { Clock } from '../../src/core/clock.js';

export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, waking every sleeper due by then (in auto mode nobody waits; it only moves time). */
  advance(ms: number): Promise<void>;
  /** Advances to the earliest pending wake time; false when nobody sleeps. */
  next(): Promise<boolean>;
  /** Callers sleeping now. */
  readonly pending: number;
  /** Every `sleep(ms)` asked for, in call order. */
  readonly sleeps: readonly number[];
}

interface Sleeper {
  wake: number;
  seq: number;
  resolve(): void;
}

const settle = () => new Promise<void>((r) => setImmediate(r));

/** A fake clock starting at `start` ms (default 0); see the file header for the two modes. */
export function createFakeClock(o: { start?: number; auto?: boolean } = {}): FakeClock {
  let now = o.start ?? 0;
  let seq = 0;
  const sleepers: Sleeper[] = [];
  const sleeps: number[] = [];

  const earliestDue = (until: number): Sleeper | undefined => {
    let best: Sleeper | undefined;
    for (const s of sleepers) {
      if (s.wake > until) continue;
      if (!best || s.wake < best.wake || (s.wake === best.wake && s.seq < best.seq)) best = s;
    }
    return best;
  };
  const wake = (s: Sleeper) => {
    sleepers.splice(sleepers.indexOf(s), 1);
    now = Math.max(now, s.wake);
    s.resolve();
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.resolve();
      if (ms <= 0) return Promise.resolve();
      if (o.auto) {
        now += ms;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const wakeUp = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const s: Sleeper = { wake: now + ms, seq: seq++, resolve: wakeUp };
        const onAbort = () => {
          const i = sleepers.indexOf(s);
          if (i >= 0) sleepers.splice(i, 1);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(s);
      });
    },
    async advance(ms) {
      const target = now + ms;
      for (;;) {
        await settle();
        const s = earliestDue(target);
        if (!s) break;
        wake(s);
      }
      now = Math.max(now, target);
      await settle();
    },
    async next() {
      await settle();
      const s = earliestDue(Infinity);
      if (!s) return false;
      wake(s);
      await settle();
      return true;
    },
    get pending() {
      return sleepers.length;
    },
    sleeps,
  };
}
