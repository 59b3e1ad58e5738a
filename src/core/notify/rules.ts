/**
 * Which events tell the human, and the edge trigger that makes it one notification per change: every
 * event moves a subject (the session, a worker, the lead, verify, a question ticket, a budget) to a state;
 * a notification goes out only when a subject enters a notifying state it was not already in. A state
 * entered again after leaving it is a new change (a worker that crashes, is restarted and crashes again).
 * Pure: the watcher (src/app/notify/watcher.ts) feeds it the session's log, past events first on resume.
 */
import { redactSecrets } from '../text/redact.js';
import { isEventType, type EventType } from '../session/event-types.js';
import { WORKER_STATES, type WorkerState } from '../workers/state.js';

/** How urgent a notification is: ntfy priority 2/3/5, notify-send low/normal/critical. */
export const URGENCIES = ['low', 'normal', 'high'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** ntfy's Priority header for an urgency (1 min .. 5 max). */
export const NTFY_PRIORITY: Record<Urgency, string> = { low: '2', normal: '3', high: '5' };
/** notify-send's --urgency for an urgency. */
export const NOTIFY_SEND_URGENCY: Record<Urgency, string> = { low: 'low', normal: 'normal', high: 'critical' };

/** An event as the rules read it (a SessionEvent, or a row read back from the log). */
export interface ObservedEvent {
  id: number;
  type: string;
  workerId: string | null;
  message: string;
  data: Record<string, unknown>;
}

/** One message for the human. */
export interface Notification {
  /** `subject|state|n` (n: the how-many-th time the subject entered the state): the dedup key. */
  key: string;
  title: string;
  /** The event's message, secrets redacted, at most 500 characters. */
  message: string;
  urgency: Urgency;
  eventType: string;
  eventId: number;
  workerId: string | null;
}

/** What one event says: `subject` is now in `state`; `notify` when entering it tells the human. */
interface Step {
  subject: string;
  state: string;
  notify?: { title: string; urgency: Urgency };
  /** The subject in this state is an open item needing the human (the tmux status line counts them). */
  attention?: boolean;
}

type Rule = (ev: ObservedEvent, prev: string | undefined) => Step | undefined;

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined;
const urgencyOf = (v: unknown, fallback: Urgency): Urgency =>
  (URGENCIES as readonly unknown[]).includes(v) ? (v as Urgency) : fallback;

const sessionEnd =
  (title: string, urgency: Urgency): Rule =>
  () => ({ subject: 'session', state: 'ended', notify: { title: `crewmux: ${title}`, urgency } });

const workerCannotGoOn =
  (what: string, urgency: Urgency): Rule =>
  (ev) =>
    ev.workerId === null
      ? undefined
      : {
          subject: `worker:${ev.workerId}`,
          state: ev.type.slice('worker.'.length),
          notify: { title: `crewmux: worker ${ev.workerId} ${what}`, urgency },
          attention: true,
        };

const budget =
  (state: string, urgency: Urgency, attention: boolean): Rule =>
  (ev) => {
    // A note that a dollar budget cannot be enforced for a worker is not a level reached.
    if (ev.data.unenforceable !== undefined) return undefined;
    const name = str(ev.data.key) ?? str(ev.data.budget) ?? str(ev.data.kind) ?? 'run';
    const pct = state === 'warning' ? '80%' : '100%';
    return {
      subject: `budget:${name}`,
      state,
      notify: { title: `crewmux: the ${name} budget reached ${pct}`, urgency },
      attention,
    };
  };

/**
 * The events that notify, one line each (adding one is adding a line). Events not listed still move
 * their subject (a worker's `worker.<state>`, the session starting or resuming): see `stepOf`.
 */
export const NOTIFY_RULES: Partial<Record<EventType, Rule>> = {
  'session.done': sessionEnd('the run is done', 'normal'),
  'session.failed': sessionEnd('the run failed', 'high'),
  'session.timeout': sessionEnd('the run timed out', 'high'),
  'session.stopped': sessionEnd('the run was stopped', 'low'),
  'session.budget': sessionEnd('the run stopped at its budget', 'high'),
  'worker.crashed': workerCannotGoOn('crashed', 'normal'),
  'worker.lost': workerCannotGoOn('was lost with its node', 'normal'),
  'worker.auth_required': workerCannotGoOn('is not logged in', 'high'),
  'worker.quota_exhausted': workerCannotGoOn('is out of quota', 'high'),
  'worker.blocked_dialog': workerCannotGoOn('shows a screen crewmux cannot answer', 'high'),
  'lead.cannot_work': () => ({
    subject: 'lead',
    state: 'cannot_work',
    notify: { title: 'crewmux: the lead cannot work', urgency: 'high' },
    attention: true,
  }),
  // Verify failing once is the lead's business; twice in a row, the human's.
  'verify.done': (ev, prev) => {
    if (ev.data.passed !== false) return { subject: 'verify', state: 'passed' };
    if (prev !== 'failed' && prev !== 'failed_twice') return { subject: 'verify', state: 'failed' };
    return {
      subject: 'verify',
      state: 'failed_twice',
      notify: { title: 'crewmux: verify failed twice in a row', urgency: 'high' },
      attention: true,
    };
  },
  // Each escalation attempt is a change: an unanswered ticket is re-sent with raised urgency.
  'question.escalated': (ev) => {
    const ticket = str(ev.data.ticket) ?? str(ev.data.ticketId) ?? str(ev.data.id) ?? `event-${ev.id}`;
    return {
      subject: `question:${ticket}`,
      state: `escalated_${str(ev.data.attempt) ?? '1'}`,
      notify: {
        title: `crewmux: ${ev.workerId ? `worker ${ev.workerId} asks` : 'a question needs you'} (ticket ${ticket})`,
        urgency: urgencyOf(ev.data.urgency, 'high'),
      },
      attention: true,
    };
  },
  // An answer (the lead's or yours) closes the ticket's "needs you" item.
  'question.answered': (ev) => ({
    subject: `question:${str(ev.data.ticket) ?? `event-${ev.id}`}`,
    state: 'answered',
  }),
  // A merge held by merge.autoMerge needs a person until it is approved or rejected.
  'merge.awaiting_approval': (ev) => ({
    subject: `merge:${ev.workerId ?? `event-${ev.id}`}`,
    state: 'awaiting_approval',
    notify: { title: `crewmux: merging ${ev.workerId ?? 'a worker'} awaits your approval`, urgency: 'high' },
    attention: true,
  }),
  'merge.approved': (ev) => ({ subject: `merge:${ev.workerId ?? `event-${ev.id}`}`, state: 'approved' }),
  'merge.rejected': (ev) => ({ subject: `merge:${ev.workerId ?? `event-${ev.id}`}`, state: 'rejected' }),
  'budget.warning': budget('warning', 'normal', false),
  'budget.exceeded': budget('exceeded', 'high', true),
  // The lead working again closes its "cannot work" item.
  'lead.prompted': () => ({ subject: 'lead', state: 'working' }),
  'lead.progress': () => ({ subject: 'lead', state: 'working' }),
  'session.started': () => ({ subject: 'session', state: 'running' }),
  'session.resumed': () => ({ subject: 'session', state: 'running' }),
};

const isWorkerState = (s: string): s is WorkerState => (WORKER_STATES as readonly string[]).includes(s);

/** The step of an event: its rule, else a worker event naming a worker state moves that worker. */
function stepOf(ev: ObservedEvent, prev: (subject: string) => string | undefined): Step | undefined {
  if (!isEventType(ev.type)) return undefined;
  const rule = NOTIFY_RULES[ev.type];
  if (rule) {
    // A rule's subject does not depend on prev; ask it once to learn the subject, then with prev.
    const probe = rule(ev, undefined);
    return probe && rule(ev, prev(probe.subject));
  }
  const suffix = ev.type.slice(ev.type.indexOf('.') + 1);
  if (ev.type.startsWith('worker.') && ev.workerId !== null && isWorkerState(suffix))
    return { subject: `worker:${ev.workerId}`, state: suffix };
  return undefined;
}

export type NotifyDecider = ReturnType<typeof createNotifyDecider>;

/**
 * The edge trigger: `observe(ev)` returns the notification the event causes (undefined when it causes none
 * or its subject is already in that state) and whether the count of open attention items changed.
 */
export function createNotifyDecider() {
  const current = new Map<string, { state: string; attention: boolean }>();
  const entered = new Map<string, number>();
  return {
    observe(ev: ObservedEvent): { notification?: Notification; attentionChanged: boolean } {
      const step = stepOf(ev, (s) => current.get(s)?.state);
      if (!step) return { attentionChanged: false };
      const before = current.get(step.subject);
      if (before?.state === step.state) return { attentionChanged: false };
      const attention = Boolean(step.attention);
      current.set(step.subject, { state: step.state, attention });
      const attentionChanged = attention !== Boolean(before?.attention);
      if (!step.notify) return { attentionChanged };
      const id = `${step.subject}|${step.state}`;
      const n = (entered.get(id) ?? 0) + 1;
      entered.set(id, n);
      const message = redactSecrets(ev.message);
      return {
        attentionChanged,
        notification: {
          key: `${id}|${n}`,
          title: step.notify.title,
          message: message.length > 500 ? `${message.slice(0, 499)}…` : message,
          urgency: step.notify.urgency,
          eventType: ev.type,
          eventId: ev.id,
          workerId: ev.workerId,
        },
      };
    },
    /** Subjects in a state that needs the human (a crashed or blocked worker, an escalated ticket, ...). */
    attention(): number {
      let n = 0;
      for (const v of current.values()) if (v.attention) n++;
      return n;
    },
  };
}

/** The message `crewmux notify test` sends. */
export const TEST_NOTIFICATION: Notification = {
  key: 'test',
  title: 'crewmux: test notification',
  message: 'This is a test from `crewmux notify test`: this notifier works.',
  urgency: 'normal',
  eventType: 'notify.test',
  eventId: 0,
  workerId: null,
};
