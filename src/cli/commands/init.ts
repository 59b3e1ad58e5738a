/** `crewmux init [--force]`: scaffold .crewmux/ for this repository. */
import type { Command } from '../command.js';
import { initProject } from '../../app/setup/init.js';

export const initCommand: Command = {
  command: 'init',
  describe: 'Scaffold .crewmux/ (PROJECT.md with How to verify, CONVENTIONS.md, config.json, hooks.json)',
  builder: (y) => y.option('force', { type: 'boolean', default: false, describe: 'Overwrite existing files' }),
  async handler(a, ctx) {
    const r = await initProject(ctx, Boolean(a.force));
    for (const f of r.written) ctx.out.out(`wrote ${f}`);
    for (const f of r.kept) ctx.out.out(`kept  ${f} (exists; --force overwrites)`);
    ctx.out.out(
      r.verify.length
        ? `verify: ${r.verify.join('; ')}`
        : 'verify: nothing guessed; edit the How to verify section of .crewmux/PROJECT.md',
    );
    if (r.worktree.clone) ctx.out.out(`worktree.clone: ${r.worktree.clone.join(', ')} (each worktree gets a clone)`);
    if (r.worktree.setup) ctx.out.out(`worktree.setup: ${r.worktree.setup.join('; ')} (runs in each new worktree)`);
    ctx.out.out(
      r.trusted
        ? 'trusted: crewmux wrote this config, so `crewmux run` may run it (edit it, and run `crewmux trust` again)'
        : 'not trusted yet: review with `crewmux trust --show`, then `crewmux trust`',
    );
    return 0;
  },
};
