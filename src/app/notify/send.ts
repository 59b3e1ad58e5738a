/**
 * Sending one notification through every notifier at once, each bounded by a timeout: a notifier that
 * fails, hangs or throws is a result with its reason, never an exception (notifications never stop a run).
 */
import type { Notification } from '../../core/notify/rules.js';
import { redactSecrets } from '../../core/text/redact.js';
import type { Notifier } from '../ports/notify.js';

/** Milliseconds one notifier may take before it counts as failed (default of `deliver`). */
export const NOTIFY_TIMEOUT_MS = 5_000;

/** One notifier's outcome: ok, or the reason it failed (no secret in it). */
export interface DeliveryResult {
  notifier: string;
  ok: boolean;
  reason?: string;
}

/** Runs `work` with an abort signal that fires after `timeoutMs`; rejects with "timed out after N s" then. */
async function bounded(work: (signal: AbortSignal) => Promise<void>, timeoutMs: number): Promise<void> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Rejected before the abort, so the timeout (not the notifier's reaction to it) is the reason.
      reject(new Error(`timed out after ${timeoutMs / 1000} s`));
      ac.abort();
    }, timeoutMs);
  });
  try {
    await Promise.race([work(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const reasonOf = (e: unknown): string => redactSecrets(e instanceof Error ? e.message : String(e)).slice(0, 300);

/** Sends `n` through each notifier in parallel, each within `timeoutMs` (default 5 s); never rejects. */
export async function deliver(
  notifiers: readonly Notifier[],
  n: Notification,
  timeoutMs = NOTIFY_TIMEOUT_MS,
): Promise<DeliveryResult[]> {
  return Promise.all(
    notifiers.map(async (x): Promise<DeliveryResult> => {
      try {
        await bounded((signal) => x.send(n, signal), timeoutMs);
        return { notifier: x.label, ok: true };
      } catch (e) {
        return { notifier: x.label, ok: false, reason: reasonOf(e) };
      }
    }),
  );
}

/** Shows `count` open attention items on each notifier that shows counts (tmux), within `timeoutMs`; never rejects. */
export async function showAttention(
  notifiers: readonly Notifier[],
  count: number,
  timeoutMs = NOTIFY_TIMEOUT_MS,
): Promise<DeliveryResult[]> {
  return Promise.all(
    notifiers
      .filter((x) => x.attention)
      .map(async (x): Promise<DeliveryResult> => {
        try {
          await bounded((signal) => x.attention!(count, signal), timeoutMs);
          return { notifier: x.label, ok: true };
        } catch (e) {
          return { notifier: x.label, ok: false, reason: reasonOf(e) };
        }
      }),
  );
}
