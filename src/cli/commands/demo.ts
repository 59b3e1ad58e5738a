/**
 * `crewmux demo`: the whole loop (tmux, MCP, worktrees, completion) on a throwaway repository with
 * the built-in scripted lead and workers, so a newcomer sees crewmux work without an API key.
 */
import type { Command } from '../command.js';
import { preflight } from '../../app/setup/preflight.js';
import { runRequest, startRun } from '../../app/session/start-run.js';
import { followRun } from '../../app/session/follow-run.js';
import { createDemoRepo } from '../../app/setup/demo-repo.js';
import { finishRun } from './run.js';

export const demoCommand: Command = {
  command: 'demo',
  describe: 'Run a demo goal on a throwaway repo with scripted agents (no API key needed)',
  builder: (y) =>
    y
      .option('attach', { type: 'boolean', describe: 'Watch it in tmux (default on a TTY)' })
      .option('keep-session', { type: 'boolean', default: false, describe: 'Leave the tmux session open at the end' }),
  async handler(a, base) {
    const repo = await createDemoRepo(base.git);
    const ctx = { ...base, cwd: repo };
    ctx.out.err(`crewmux demo: the lead and the workers here are SCRIPTED programs, not AI models.`);
    ctx.out.err(`crewmux demo: throwaway repository ${repo}`);
    // crewmux wrote this repository's config itself a moment ago: this run trusts it without asking.
    const pre = await preflight(ctx, { lead: 'scripted-lead', agents: ['scripted-worker'] }, { trustFlag: true });
    const attach = (a.attach as boolean | undefined) ?? Boolean(process.stdout.isTTY && process.stdin.isTTY);
    const run = await startRun(
      ctx,
      pre,
      runRequest(
        {},
        {
          goal: 'Add a greeting module (src/greet.js) and a test for it, in parallel, then verify the merged result.',
          timeoutS: 300,
          workerTimeoutS: 120,
          stuckAfterS: 120,
          keepSession: Boolean(a.keepSession) || attach,
          attach,
        },
      ),
    );
    ctx.out.err(`crewmux demo: session ${run.sid}`);
    if (attach) {
      ctx.out.err('crewmux demo: attaching; detach with your tmux prefix then d.');
      ctx.attachTerminal(ctx.tmux, run.tmuxSession);
    }
    await followRun(ctx.store(), ctx.tmux, run.sid, (l) => ctx.out.out(l), { clock: ctx.clock });
    const code = finishRun(ctx, run.sid);
    ctx.out.err(`crewmux demo: look at the result: git -C ${repo} log --oneline --all --graph`);
    return code;
  },
};
