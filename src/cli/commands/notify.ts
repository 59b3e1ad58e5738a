/** `crewmux notify test [--json]`: a test message through each configured notifier, ok or failed with the reason. */
import type { Command } from '../command.js';
import { notifierLabel } from '../../core/notify/config.js';
import { notifyTestSetup, sendTestNotification } from '../../app/notify/test-send.js';
import { createNotifiers } from '../../compose/notifiers.js';

export const notifyCommand: Command = {
  command: 'notify <action>',
  describe: 'Send a test message through each configured notifier (tmux, desktop, ntfy, webhook)',
  builder: (y) =>
    y
      .positional('action', { choices: ['test'] as const, describe: 'test: send a test message and report each' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON' }),
  async handler(a, ctx) {
    const setup = await notifyTestSetup(ctx);
    for (const n of setup.notes) ctx.out.err(`note: ${n}`);
    if (!setup.notifiers.length) {
      if (a.json) ctx.out.json({ results: [] });
      else
        ctx.out.out(
          'no notifiers configured: add e.g. "notify": [{"type": "desktop"}, {"type": "ntfy", "url": "https://ntfy.sh/YOUR-TOPIC"}] to the global config.json or .crewmux/config.json (README#notifications)',
        );
      return 0;
    }
    const notifiers = createNotifiers(setup.notifiers, {
      env: ctx.env,
      tmux: setup.session
        ? { tmux: ctx.tmuxFor(setup.session.tmux_socket), session: setup.session.tmux_session }
        : undefined,
      noTmuxReason: 'no running crewmux session in this repository (tmux messages go to its attached clients)',
    });
    const results = await sendTestNotification(notifiers);
    if (a.json) ctx.out.json({ results });
    else
      for (const [i, r] of results.entries())
        ctx.out.out(`${notifierLabel(setup.notifiers[i]!)}: ${r.ok ? 'ok' : `failed: ${r.reason}`}`);
    return results.every((r) => r.ok) ? 0 : 1;
  },
};
