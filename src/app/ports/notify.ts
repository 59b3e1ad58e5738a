/**
 * The Notifier port: one configured way of telling the human (tmux, desktop, ntfy, webhook).
 * src/adapters/notify/ implements each; unit tests pass a recording fake. A notifier throws when it could
 * not deliver; the caller (src/app/notify/send.ts) bounds it with a timeout and records the failure.
 */
import type { Notification } from '../../core/notify/rules.js';

export interface Notifier {
  /** How it is shown in events and output, with no secret in it (core/notify/config.ts notifierLabel). */
  label: string;
  /** Delivers `n`; rejects with a reason when it could not. Stops early when `signal` aborts (the timeout). */
  send(n: Notification, signal: AbortSignal): Promise<void>;
  /** Shows the count of open attention items (tmux: the status line); optional. */
  attention?(count: number, signal: AbortSignal): Promise<void>;
}
