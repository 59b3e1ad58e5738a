/**
 * The supervisor's side of tickets, run from the monitor's tick (and at once after the lead answers): escalate what
 * the lead left unanswered, deliver answers to workers, and open or close tickets for questions an agent shows in
 * its own pane. Everything it needs is in the rows, so a new supervisor (resume) carries on where one died.
 */
import { escalationDue, paneQuestion, type Ticket } from '../../core/questions/tickets.js';
import { fenceData, fenceMarker } from '../../core/text/data-fence.js';
import { escapeControls } from '../../core/text/terminal-text.js';
import { stripAnsi } from '../../core/text/ansi.js';
import { isActive } from '../../core/workers/state.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { deliverText } from '../workers/deliver.js';
import { deliverySignals } from '../workers/signals.js';
import { sendToWorker } from '../workers/turns.js';
import { workerDir, type Runtime } from '../runtime.js';
import { askQuestion, escalateTicket, leadTimeoutS, openTickets } from './tickets.js';

/** Emits the escalations due now (first escalation, then at most two re-sends, each after questions.leadTimeout). */
export function escalateQuestions(rt: Runtime): Ticket[] {
  const escalated: Ticket[] = [];
  for (const t of openTickets(rt)) {
    const due = escalationDue(t, rt.now(), leadTimeoutS(rt));
    if (!due) continue;
    escalateTicket(rt, t, due.attempt, due.urgency);
    escalated.push(t);
  }
  return escalated;
}

/**
 * The message that brings an answer to a worker that asked with its `ask` tool: the answer fenced as data (a marker
 * of its own, not the lead's), so text in it cannot pose as crewmux's words.
 */
export function answerMessage(rt: Runtime, t: Ticket): string {
  const marker = fenceMarker(`${rt.sid}:${t.worker_id}:answers`);
  const who = t.answered_by === 'human' ? 'the user' : 'the lead';
  return [
    `crewmux: the answer to your question ${t.id} (from ${who}):`,
    fenceData(marker, `answer to ${t.id}`, t.answer ?? ''),
    'Carry on with your task using it.',
  ].join('\n');
}

/** Types answer `t` into its worker: a message for `ask` tickets, the bare answer for a prompt shown in the pane. */
async function deliverOne(rt: Runtime, t: Ticket, w: WorkerRow): Promise<void> {
  if (t.source === 'pane') {
    const profile = rt.agents.get(w.agent)?.profile;
    const pane = (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === w.pane_id && !p.dead);
    if (!pane) throw new Error(`the agent of ${w.id} has exited`);
    // The agent shows its own prompt (a [y/N], a choice): the answer is typed as a user would (deliverText escapes
    // its control characters, so only crewmux's Enter submits).
    await deliverText(rt.tmux, pane.paneId, t.answer ?? '', {
      readyMarkers: profile?.markers.waiting,
      // An agent that reports its dialogs (an ACP permission request) is ready for the answer while it says waiting.
      signals: deliverySignals(rt, w, 'waiting'),
      tmpDir: workerDir(rt, w.id),
      readyTimeoutMs: 5_000,
      clock: rt.clock,
    });
    return;
  }
  await sendToWorker(rt, w.id, answerMessage(rt, t));
}

const failedOnce = new WeakMap<Runtime, Set<string>>();

/**
 * Delivers every answered ticket not yet delivered (hook tickets are read by their hook, not typed): claims each
 * first, so a ticket is delivered once however many passes run; a failed delivery is released and retried.
 */
export async function deliverAnswers(rt: Runtime): Promise<number> {
  let delivered = 0;
  const failed = failedOnce.get(rt) ?? new Set<string>();
  failedOnce.set(rt, failed);
  for (const t of rt.store.questions().list(rt.sid)) {
    if (t.status !== 'answered' || t.delivered_at !== null || t.source === 'hook') continue;
    const w = rt.store.getWorker(rt.sid, t.worker_id);
    if (!w || !rt.store.questions().claimDelivery(rt.sid, t.id, rt.now())) continue;
    try {
      await deliverOne(rt, t, w);
      rt.events.emit('question.delivered', `${t.id}: the answer was typed into ${w.id}`, w.id, {
        ticket: t.id,
        via: 'pane',
      });
      delivered++;
    } catch (e) {
      rt.store.questions().releaseDelivery(rt.sid, t.id);
      if (!isActive(w.state) && w.state !== 'done' && w.state !== 'blocked') {
        // Nobody is left to type into: the answer stays on the ticket (get_answer, the report).
        rt.store.questions().claimDelivery(rt.sid, t.id, rt.now());
      }
      if (!failed.has(t.id)) {
        failed.add(t.id);
        rt.events.emit(
          'question.delivery_failed',
          `${t.id}: the answer could not be typed into ${w.id}: ${(e as Error).message}`,
          w.id,
          { ticket: t.id },
        );
      }
    }
  }
  return delivered;
}

/** One pass: escalations due, then deliveries. Never throws (a failure is a monitor.error event). */
export async function questionsPass(rt: Runtime): Promise<void> {
  try {
    escalateQuestions(rt);
    await deliverAnswers(rt);
  } catch (e) {
    rt.events.emit('monitor.error', `questions pass: ${(e as Error).message}`);
  }
}

/**
 * Worker `w` shows a question in its pane (state `waiting`): opens a `pane` ticket holding the pane's last lines,
 * unless one is open already. Returns the open ticket.
 */
export function askFromPane(rt: Runtime, w: WorkerRow, screen: string): Ticket {
  const open = openTickets(rt, [w.id]).find((t) => t.source === 'pane');
  if (open) return open;
  const text = paneQuestion(escapeControls(stripAnsi(screen)));
  return askQuestion(rt, w.id, { question: text || '(the agent waits for input)', source: 'pane' });
}

/**
 * Worker `w` works again without crewmux typing an answer: someone answered in the pane (attached). Closes its open
 * pane ticket as answered by the human.
 */
export function closePaneTickets(rt: Runtime, w: WorkerRow): void {
  for (const t of openTickets(rt, [w.id]).filter((x) => x.source === 'pane')) {
    if (!rt.store.questions().answer(rt.sid, t.id, '(answered in the pane)', 'human', rt.now())) continue;
    rt.store.questions().claimDelivery(rt.sid, t.id, rt.now());
    rt.events.emit('question.answered', `${t.id} answered in ${w.id}'s pane`, w.id, { ticket: t.id, by: 'human' });
  }
}
