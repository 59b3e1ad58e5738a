/**
 * The notification watcher of a session: subscribed to its event log like the hook runner
 * (src/app/session/hooks.ts), it feeds every event to the edge trigger (src/core/notify/rules.ts) and sends
 * what it decides through the configured notifiers. Each sent notification is a `notify.sent` event holding
 * its dedup key, each failed delivery a `notify.failed` event; neither ever stops the run. On start it
 * replays the session's log so far (a resumed supervisor knows every state already notified, and the keys
 * in `notify.sent` events are never sent again).
 */
import { createNotifyDecider, type Notification } from '../../core/notify/rules.js';
import { eventSubject, isEventType } from '../../core/session/event-types.js';
import type { Store } from '../ports/store.js';
import type { Notifier } from '../ports/notify.js';
import type { EventLog, SessionEvent } from '../session/events.js';
import { deliver, showAttention, NOTIFY_TIMEOUT_MS } from './send.js';

export type NotifyWatcher = ReturnType<typeof createNotifyWatcher>;

/** Keys already sent, from the `notify.sent` events of the session's log. */
function replay(
  store: Pick<Store, 'eventsAfter'>,
  sessionId: string,
  observe: (ev: Parameters<ReturnType<typeof createNotifyDecider>['observe']>[0]) => void,
): Set<string> {
  const sent = new Set<string>();
  let after = 0;
  for (;;) {
    const rows = store.eventsAfter(sessionId, after, 1000);
    if (!rows.length) return sent;
    for (const r of rows) {
      after = r.id;
      if (r.type === 'notify.sent' && typeof r.data.key === 'string') sent.add(r.data.key);
      observe({ id: r.id, type: r.type, workerId: r.worker_id, message: r.message, data: r.data });
    }
  }
}

/**
 * Watches `events` and notifies through `notifiers`; `context` (e.g. "session s-1 in repo") is added to each
 * message. `drain()` waits for deliveries in flight (each bounded by `timeoutMs`, default 5 s).
 */
export function createNotifyWatcher(
  events: EventLog,
  store: Pick<Store, 'eventsAfter'>,
  sessionId: string,
  notifiers: readonly Notifier[],
  opts: { context?: string; timeoutMs?: number } = {},
) {
  const timeoutMs = opts.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  const decider = createNotifyDecider();
  const sent = replay(store, sessionId, (ev) => decider.observe(ev));
  // One delivery at a time, in the log's order (the status line count must end at the latest).
  let chain = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch(() => undefined);
  };
  const emit = (...a: Parameters<EventLog['emit']>) => {
    try {
      events.emit(...a);
    } catch {
      /* the store may be closing; a notification is never worth a crash */
    }
  };

  async function send(n: Notification): Promise<void> {
    const shown = opts.context ? { ...n, message: `${n.message}\n(${opts.context})` } : n;
    const results = await deliver(notifiers, shown, timeoutMs);
    for (const r of results.filter((x) => !x.ok))
      emit('notify.failed', `notifier ${r.notifier} failed for "${n.title}": ${r.reason}`, n.workerId, {
        key: n.key,
        notifier: r.notifier,
        reason: r.reason,
      });
    const ok = results.filter((x) => x.ok).map((x) => x.notifier);
    emit('notify.sent', `notified "${n.title}" (${ok.length ? ok.join(', ') : 'no notifier took it'})`, n.workerId, {
      key: n.key,
      event: n.eventType,
      eventId: n.eventId,
      urgency: n.urgency,
      delivered: ok,
    });
  }

  async function attention(count: number): Promise<void> {
    for (const r of (await showAttention(notifiers, count, timeoutMs)).filter((x) => !x.ok))
      emit('notify.failed', `notifier ${r.notifier} could not show ${count} open items: ${r.reason}`, null, {
        notifier: r.notifier,
        reason: r.reason,
      });
  }

  const unsubscribe = events.subscribe((ev: SessionEvent) => {
    // A notifier's own outcome never notifies (no loops).
    if (!isEventType(ev.type) || eventSubject(ev.type) === 'notify') return;
    const { notification, attentionChanged } = decider.observe(ev);
    if (attentionChanged) {
      const count = decider.attention();
      enqueue(() => attention(count));
    }
    if (!notification || sent.has(notification.key)) return;
    sent.add(notification.key);
    enqueue(() => send(notification));
  });
  return {
    /** Waits until every notification decided so far was delivered or failed. */
    async drain(): Promise<void> {
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
    close: unsubscribe,
  };
}
