/** The real clock: Date.now and setTimeout, behind the Clock port of src/core/clock.ts. */
import type { Clock } from '../../core/clock.js';

/** Wall-clock time; `sleep` uses a timer that is cleared when the signal aborts. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};
