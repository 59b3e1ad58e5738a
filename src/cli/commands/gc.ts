/** `crewmux gc [--dry-run] [--force]`: remove merged or empty crewmux worktrees and branches, and leftovers. */
import type { Command } from '../command.js';
import { collectGarbage } from '../../app/session/gc.js';
import { table } from '../output.js';

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

export const gcCommand: Command = {
  command: 'gc',
  describe:
    'Remove crewmux worktrees and branches that are merged or empty, or whose repository or session is gone (--force: all but live sessions)',
  builder: (y) =>
    y
      .option('dry-run', { type: 'boolean', default: false, describe: 'Only report what would be removed' })
      .option('force', { type: 'boolean', default: false })
      .option('json', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    const items = await collectGarbage(ctx, { dryRun: Boolean(a.dryRun), force: Boolean(a.force) });
    if (a.json) {
      ctx.out.json(items);
      return 0;
    }
    if (!items.length) {
      ctx.out.out('nothing of crewmux to collect');
      return 0;
    }
    ctx.out.out(
      table(
        ['SESSION', 'BRANCH', 'CLASS', 'ACTION', 'SIZE'],
        items.map((i) => [i.session, i.branch, i.class, i.action, mb(i.bytes)]),
      ),
    );
    const freed = items.filter((i) => i.action !== 'kept').reduce((n, i) => n + i.bytes, 0);
    const kept = items.filter((i) => i.action === 'kept');
    ctx.out.out(
      `\n${a.dryRun ? 'would free' : 'freed'} ${mb(freed)}; kept ${kept.length} (${[...new Set(kept.map((k) => k.class))].join(', ') || 'none'})${kept.some((k) => ['unmerged commits', 'uncommitted changes', 'session gone', 'node only work'].includes(k.class)) ? '; --force removes those too' : ''}`,
    );
    return 0;
  },
};
