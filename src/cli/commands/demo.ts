/**
 * `crewmux demo`: the whole loop (tmux, MCP, worktrees, completion) on a throwaway repository with
 * the built-in scripted lead and workers, so a newcomer sees crewmux work without an API key. It ends when
 * the goal ends: the tmux session, agents and worktrees are gone, and so is the repository unless --keep.
 */
import type { Command } from '../command.js';
import { preflight } from '../../app/setup/preflight.js';
import { runRequest, startRun } from '../../app/session/start-run.js';
import { followRun } from '../../app/session/follow-run.js';
import { createDemoRepo, removeDemoRepo } from '../../app/setup/demo-repo.js';
import { finishRun } from './run.js';
import { showSession } from './attach.js';

export const demoCommand: Command = {
  command: 'demo',
  describe: 'Run a demo goal on a throwaway repo with scripted agents (no API key needed)',
  builder: (y) =>
    y
      .option('attach', {
        type: 'boolean',
        describe:
          'Watch it in tmux (default on a TTY; inside tmux your client switches to it); back to your shell when the goal ends',
      })
      .option('keep', {
        type: 'boolean',
        default: false,
        describe: 'Keep the throwaway repository and its worktrees (removed when the demo ends otherwise)',
      })
      .option('keep-session', {
        type: 'boolean',
        default: false,
        describe:
          'Leave the tmux session and its final screens open after the goal (implies --keep; `crewmux stop` clears it)',
      }),
  async handler(a, base) {
    const repo = await createDemoRepo(base.git);
    const ctx = { ...base, cwd: repo };
    const keepSession = Boolean(a.keepSession);
    const keep = Boolean(a.keep) || keepSession;
    ctx.out.err(`crewmux demo: the lead and the workers here are SCRIPTED programs, not AI models.`);
    ctx.out.err(`crewmux demo: throwaway repository ${repo}${keep ? '' : ' (removed at the end; --keep keeps it)'}`);
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
          keepSession,
          attach,
        },
      ),
    );
    ctx.out.err(`crewmux demo: session ${run.sid}`);
    if (attach) {
      if (!ctx.env.TMUX)
        ctx.out.err(
          keepSession
            ? 'crewmux demo: attaching; the session stays open when the goal ends: detach with your tmux prefix then d.'
            : 'crewmux demo: attaching; you are back here when the goal ends (detach earlier with your tmux prefix then d).',
        );
      await showSession(ctx, ctx.tmux, run.tmuxSession);
    }
    // After the outcome, followRun waits for the supervisor to exit: the agents and the tmux session are gone.
    await followRun(ctx.store(), ctx.tmux, run.sid, (l) => ctx.out.out(l), { clock: ctx.clock });
    const code = finishRun(ctx, run.sid);
    if (keep) {
      ctx.out.err(`crewmux demo: look at the result: git -C ${repo} log --oneline --all --graph`);
      if (keepSession)
        ctx.out.err(`crewmux demo: its tmux session is still open; end it with: crewmux stop ${run.sid}`);
    } else {
      removeDemoRepo(ctx.paths, repo);
      ctx.out.err(`crewmux demo: removed the throwaway repository and its worktrees (keep them next time: --keep).`);
    }
    return code;
  },
};
