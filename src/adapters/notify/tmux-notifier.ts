/**
 * The `tmux` notifier: a message in the status line of every client attached to the session
 * (display-message), and the count of open attention items kept in the session's `status-right`.
 */
import type { Tmux } from '../../app/ports/tmux.js';
import type { Notifier } from '../../app/ports/notify.js';

/** The session's status-right for `count` open items; no `#` or `%` in it, so tmux expands nothing. */
export function attentionStatus(count: number): string {
  return count > 0 ? ` crewmux: ${count} need${count === 1 ? 's' : ''} you ` : ' crewmux ';
}

/** A notifier showing messages in tmux session `session` (tmux's own escaping: Tmux.displayMessage). */
export function createTmuxNotifier(tmux: Tmux, session: string): Notifier {
  return {
    label: 'tmux',
    async send(n) {
      if (!(await tmux.hasSession(session))) throw new Error(`tmux session ${session} is gone`);
      const first = n.message.split('\n')[0] ?? '';
      await tmux.displayMessage(session, first ? `${n.title}: ${first.slice(0, 200)}` : n.title);
    },
    async attention(count) {
      await tmux.setSessionOption(session, 'status-right', attentionStatus(count));
    },
  };
}
