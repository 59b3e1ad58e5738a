/** `crewmux trust [--show] [--revoke] [--json]`: trust (or inspect, or forget) this repository's crewmux config. */
import type { Command } from '../command.js';
import {
  describeWhatWouldRun,
  inspectRepoTrust,
  recordTrust,
  revokeTrust,
  type RepoTrustView,
} from '../../app/session/repo-trust.js';

const STATUS_TEXT: Record<RepoTrustView['status'], string> = {
  'not-needed': 'needs no trust (no .crewmux/config.json, hooks.json or How to verify commands)',
  trusted: 'trusted',
  untrusted: 'not trusted',
  changed: 'not trusted: changed since you trusted it',
};

function render(v: RepoTrustView): string {
  return [
    `repository: ${v.root}`,
    `status:     ${STATUS_TEXT[v.status]}`,
    ...(v.parts.length ? [`covers:     ${v.parts.join(', ')} (sha256 ${v.hash.slice(0, 16)}...)`] : []),
    ...(v.status === 'not-needed' ? [] : ['would run:', describeWhatWouldRun(v.wouldRun)]),
    ...v.warnings.map((w) => `warning:    ${w}`),
  ].join('\n');
}

export const trustCommand: Command = {
  command: 'trust',
  describe: "Trust this repository's .crewmux config (hooks, verify, custom agents) so `run` may execute it",
  builder: (y) =>
    y
      .option('show', { type: 'boolean', describe: 'Show what would run and whether it is trusted' })
      .option('revoke', { type: 'boolean', describe: 'Forget the trust recorded for this repository' })
      .option('json', { type: 'boolean', default: false, describe: 'With --show: print JSON' })
      .conflicts('show', 'revoke'),
  async handler(a, ctx) {
    const { view, snap } = await inspectRepoTrust(ctx);
    if (a.revoke) {
      const had = revokeTrust(ctx.paths.configDir, view.root);
      ctx.out.out(had ? `revoked trust in ${view.root}` : `${view.root} was not trusted; nothing to revoke`);
      return 0;
    }
    if (a.show) {
      if (a.json) ctx.out.json(view);
      else ctx.out.out(render(view));
      return 0;
    }
    if (view.status === 'not-needed') {
      ctx.out.out(`${view.root} ${STATUS_TEXT['not-needed']}; nothing to trust`);
      return 0;
    }
    recordTrust(ctx.paths.configDir, snap, new Date(ctx.now()).toISOString());
    ctx.out.out(render({ ...view, status: 'trusted' }));
    ctx.out.out('Trusted: `crewmux run` will run these commands until the files change.');
    return 0;
  },
};
