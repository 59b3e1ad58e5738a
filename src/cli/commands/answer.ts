/** `crewmux answer [TICKET "text"]`: answer a worker's question, or list the open tickets that need you. */
import { asUserError, sessionItemOptions, type Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { resolveSession } from '../../app/session/lookup.js';
import { answerAsUser, ticketsNeedingYou } from '../../app/questions/human.js';
import type { Ticket } from '../../core/questions/tickets.js';
import { escapeControls } from '../../core/text/terminal-text.js';

function ticketLines(t: Ticket): string {
  const opts = t.options.length ? `\n    options: ${t.options.map((o, i) => `${i + 1}. ${o}`).join('; ')}` : '';
  const head = `${t.id}  ${t.worker_id}  ${t.category}  ${t.urgency}${t.escalations ? '  (needs you)' : ''}`;
  // Worker text: controls escaped, so it cannot move this terminal's cursor or retitle it.
  const body = escapeControls(t.question + opts)
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `${head}\n${body}`;
}

export const answerCommand: Command = {
  command: 'answer [ticket] [text]',
  describe: "Answer a worker's question ticket (no arguments: list the open ones of this repository's latest session)",
  builder: (y) =>
    sessionItemOptions(y)
      .positional('ticket', { type: 'string', describe: 'A ticket id such as q1 (`crewmux answer` lists them)' })
      .positional('text', { type: 'string', describe: 'The answer; the worker gets it typed into its terminal' }),
  async handler(a, ctx) {
    const s = await resolveSession(ctx, a.session as string | undefined, Boolean(a.all), 'answer');
    const ticket = a.ticket as string | undefined;
    if (!ticket) {
      const open = ticketsNeedingYou(ctx.store(), s.id);
      if (a.json) ctx.out.json({ session: s.id, questions: open });
      else
        ctx.out.out(
          open.length
            ? `open questions of session ${s.id}:\n${open.map(ticketLines).join('\n')}\nAnswer one with: crewmux answer TICKET "text"`
            : `No open questions in session ${s.id}.`,
        );
      return 0;
    }
    const text = a.text as string | undefined;
    if (!text?.trim())
      throw new UserError(
        'E_TICKET',
        `No answer text for ${ticket}.`,
        `Run \`crewmux answer ${ticket} "your answer"\`.`,
      );
    const t: Ticket = asUserError('E_TICKET', () => answerAsUser(ctx.store(), s.id, ticket, text, ctx.now));
    const live = s.status === 'running' || s.status === 'starting';
    if (a.json) ctx.out.json({ session: s.id, ticket: t.id, worker: t.worker_id, answeredBy: t.answered_by, live });
    else
      ctx.out.out(
        live
          ? `Answered ${t.id}; ${t.worker_id} gets it in its terminal within a few seconds.`
          : `Answered ${t.id}; session ${s.id} is ${s.status}, so ${t.worker_id} gets it when the session is resumed (crewmux resume ${s.id}).`,
      );
    return 0;
  },
};
