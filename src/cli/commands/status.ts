/** `crewmux status [sid] [--json] [--explain W]`: a session and every worker, or why worker W is in its state. */
import { ALL_SESSIONS_OPTION, type Command } from '../command.js';
import { sessionStatus, type SessionStatusView } from '../../app/session/status.js';
import { resolveSession } from '../../app/session/lookup.js';
import { renderReport } from '../../core/session/report.js';
import { clip, table } from '../output.js';
import { formatTokens } from '../../core/usage/summary.js';
import { mb } from '../../core/workers/memory.js';
import { approvalsLine } from '../../core/review/approval.js';
import { explainWorker } from '../../app/workers/signals.js';
import { DECISION_HEADER, decisionLine } from '../../core/workers/signals.js';

export function renderStatus(v: SessionStatusView): string {
  const s = v.session;
  const lines = [
    `session ${s.id}  ${s.status}${s.reason ? ` (${s.reason})` : ''}`,
    `goal:        ${clip(s.goal, 100)}`,
    `lead:        ${s.lead}   tmux: ${s.tmuxSession}   mcp port: ${s.mcpPort ?? '-'}`,
    `integration: ${s.integrationBranch}  (${s.integrationWorktree})`,
    `started:     ${s.createdAt}${s.endedAt ? `   ended: ${s.endedAt}` : ''}`,
    v.usage.line,
    ...(v.usage.quota ? [v.usage.quota] : []),
    ...(v.budget ? [v.budget.line] : []),
    '',
  ];
  if (v.workers.length === 0) lines.push('no workers yet');
  else {
    lines.push(
      table(
        [
          'ID',
          'AGENT',
          'PERSPECTIVE',
          'STATE',
          'ACTIVITY',
          'BRANCH',
          'PANE',
          'ON',
          'WORKTREE',
          'USAGE',
          'PEAK RSS',
          'SUMMARY',
        ],
        v.workers.map((w) => [
          w.id,
          w.agent,
          w.perspective,
          w.state,
          w.activity ? `${w.activity.activity} (${w.activity.source})` : '-',
          w.branch,
          w.pane ?? '-',
          w.runtime,
          w.worktree,
          w.usage ? `${formatTokens(w.usage.tokens)} ${w.usage.cost}` : '-',
          w.peakRssBytes === null ? '-' : mb(w.peakRssBytes),
          clip(w.summary ?? '', 60),
        ]),
      ),
    );
  }
  if (v.review.verdicts.length) {
    lines.push('', 'reviews:');
    for (const g of v.review.gate)
      lines.push(`  gate round ${g.round}: ${g.status} on ${g.head.slice(0, 10)} (${g.reviewers.join(', ')})`);
    for (const r of v.review.verdicts) {
      const on = r.subject === 'gate' ? `gate round ${r.round}` : r.subject;
      const what = r.verdict
        ? `${r.verdict}, risk ${r.risk}${r.unmet.length ? `, unmet ${r.unmet.join(', ')}` : ''}`
        : r.status;
      lines.push(`  ${r.reviewer} on ${on}: ${what}`);
      for (const f of r.findings) lines.push(`    ${clip(f, 140)}`);
    }
  }
  if (v.approvals.rows.length) {
    lines.push('', approvalsLine(v.approvals.counts));
    for (const a of v.approvals.rows) {
      const what =
        a.status === 'pending'
          ? a.awaiting
            ? `awaits you: crewmux approve ${a.worker} / crewmux reject ${a.worker} "why"`
            : 'pending'
          : `${a.status}${a.note ? `: ${a.note}` : ''}${a.commit ? ` (${a.commit.slice(0, 10)})` : ''}`;
      lines.push(`  ${a.worker}  risk ${a.risk ?? 'unknown'}  ${clip(what, 120)}`, `    held: ${clip(a.reason, 120)}`);
    }
  }
  if (v.report) lines.push('', renderReport(v.report));
  return lines.join('\n');
}

/** `status --explain W`: the worker's state and its last status decisions, oldest first. */
export function renderExplain(x: ReturnType<typeof explainWorker>): string {
  const head = `${x.worker} (${x.agent}) is ${x.state}; its last ${x.decisions.length} status decisions, oldest first:`;
  if (!x.decisions.length) return `${x.worker} (${x.agent}) is ${x.state}; no status decision recorded yet`;
  return [head, DECISION_HEADER, ...x.decisions.map(decisionLine)].join('\n');
}

export const statusCommand: Command = {
  command: 'status [sid]',
  describe: "Show a session (default: this repository's latest) and its workers",
  builder: (y) =>
    y
      .positional('sid', { type: 'string', describe: 'Session id or a unique prefix' })
      .option('json', { type: 'boolean', default: false })
      .option('explain', {
        type: 'string',
        describe: "List worker W's last status decisions: time, activity, source (hook, rollout, acp, pane), evidence",
      })
      .option('all', ALL_SESSIONS_OPTION),
  async handler(a, ctx) {
    const s = await resolveSession(ctx, a.sid as string | undefined, Boolean(a.all), 'status');
    if (typeof a.explain === 'string') {
      const x = explainWorker(ctx.store(), s.id, a.explain);
      if (a.json) ctx.out.json(x);
      else ctx.out.out(renderExplain(x));
      return 0;
    }
    const v = sessionStatus(ctx.store(), s.id);
    if (a.json) ctx.out.json(v);
    else ctx.out.out(renderStatus(v));
    return 0;
  },
};
