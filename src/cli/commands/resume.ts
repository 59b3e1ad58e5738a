/** `crewmux resume [sid]`: bring a session back after a crash, a stop, or a reboot. */
import { ALL_SESSIONS_OPTION, type Command } from '../command.js';
import { resumeRun } from '../../app/session/control.js';
import { resolveSession } from '../../app/session/lookup.js';
import { followRun } from '../../app/session/follow-run.js';
import { finishRun } from './run.js';
import { showSession } from './attach.js';
import { consentFromArgs, TRUST_REPO_CONFIG_OPTION } from '../consent.js';
import { BUDGET_TOKENS_OPTION, BUDGET_USD_OPTION, budgetFlags } from '../budget-flags.js';

export const resumeCommand: Command = {
  command: 'resume [sid]',
  describe: "Resume a session whose supervisor died or that was stopped (default: this repository's latest)",
  builder: (y) =>
    y
      .positional('sid', { type: 'string' })
      .option('attach', { type: 'boolean', describe: 'Attach this terminal (default on a TTY)' })
      .option('wait', { type: 'boolean', describe: 'Block until the goal ends (default when not attaching)' })
      .option('trust-repo-config', TRUST_REPO_CONFIG_OPTION)
      .option(...BUDGET_USD_OPTION)
      .option(...BUDGET_TOKENS_OPTION)
      .option('all', ALL_SESSIONS_OPTION),
  async handler(a, ctx) {
    const sid = (await resolveSession(ctx, a.sid as string | undefined, Boolean(a.all), 'resume')).id;
    const before = ctx.store().eventsAfter(sid, 0, 1_000_000).at(-1)?.id ?? 0;
    const s = await resumeRun(ctx, sid, consentFromArgs(a), budgetFlags(a));
    ctx.out.err(`crewmux: session ${s.id} resumed (tmux session ${s.tmux_session})`);
    const attach = (a.attach as boolean | undefined) ?? Boolean(process.stdout.isTTY && process.stdin.isTTY);
    const wait = (a.wait as boolean | undefined) ?? !attach;
    if (attach) await showSession(ctx, ctx.tmuxFor(s.tmux_socket), s.tmux_session);
    if (!wait) return 0;
    await followRun(ctx.store(), ctx.tmuxFor(s.tmux_socket), s.id, (l) => ctx.out.out(l), {
      fromEventId: before,
      clock: ctx.clock,
    });
    return finishRun(ctx, s.id);
  },
};
