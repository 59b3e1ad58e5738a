/** `crewmux sessions [--json]` (alias `crewmux --list-sessions`). */
import type { Command } from '../command.js';
import { listSessionViews } from '../../app/session/list-sessions.js';
import { clip, table } from '../output.js';

const age = (s: number) =>
  s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)}m`
      : s < 172800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86400)}d`;

/** A repository path for the table: ~ for the home dir, and only its last 40 characters. */
function shortRepo(repo: string, home: string | undefined): string {
  const p = home && (repo === home || repo.startsWith(home + '/')) ? '~' + repo.slice(home.length) : repo;
  return p.length > 40 ? '…' + p.slice(-39) : p;
}

export const sessionsCommand: Command = {
  command: 'sessions',
  describe: 'List sessions of every repository: repository, goal, status, lead, workers by state, age, resumable',
  builder: (y) => y.option('json', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    const views = listSessionViews(ctx.store(), ctx.now());
    if (a.json) {
      ctx.out.json(views);
      return 0;
    }
    if (!views.length) {
      ctx.out.out('no sessions yet; try `crewmux demo`');
      return 0;
    }
    ctx.out.out(
      table(
        ['ID', 'STATUS', 'REPO', 'LEAD', 'WORKERS', 'AGE', 'RESUME', 'GOAL'],
        views.map((v) => [
          v.id,
          v.status,
          shortRepo(v.repo, ctx.env.HOME),
          v.lead,
          Object.entries(v.workers)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ') || '-',
          age(v.ageS),
          v.resumable ? 'yes' : 'no',
          clip(v.goal, 50),
        ]),
      ),
    );
    return 0;
  },
};
