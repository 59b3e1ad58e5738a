/** `crewmux status`: the session, its workers and (once ended) its report, as data. */
import type { RunReport } from '../../core/session/report.js';
import type { Store } from '../ports/store.js';
import { findSession } from './lookup.js';
import { budgetView, summaryOf } from '../usage/views.js';
import { formatCost, quotaLine, usageLine } from '../../core/usage/summary.js';
import { findingLines } from '../../core/review/verdict.js';
import { approvalsView } from '../review/review-views.js';
import { activityViews } from '../workers/signals.js';
import { join } from 'node:path';
import { readIfExists } from '../../adapters/system/files.js';

/** The runtime worker `id` ran on (runtime.json in its state dir, app/workers/worker-runtimes.ts): an SSH node's
 * name, an `exec:` runtime's, or `local`. */
function runtimeName(sessionDir: string, id: string): string {
  try {
    const r = JSON.parse(readIfExists(join(sessionDir, 'workers', id, 'runtime.json')) ?? '{}') as {
      runtime?: unknown;
    };
    return typeof r.runtime === 'string' ? r.runtime : 'local';
  } catch {
    return 'local';
  }
}

/**
 * `crewmux status`: session `sid` (else the latest) with its workers, their conflict radar and the stored report;
 * UserError when no session matches.
 */
export function sessionStatus(store: Store, sid?: string) {
  const s = findSession(store, sid);
  const usage = summaryOf(store, s.id);
  const usageOf = (id: string) => {
    const g = usage.workers[id];
    return g ? { tokens: g.total, costUsd: g.costComplete ? g.costUsd : null, cost: formatCost(g) } : null;
  };
  const peaks = new Map(
    store
      .peaks()
      .workerPeaks(s.id)
      .map((p) => [p.worker, p.peakBytes]),
  );
  const activity = activityViews(store, s.id);
  const workers = store.listWorkers(s.id).map((w) => ({
    id: w.id,
    agent: w.agent,
    perspective: w.perspective,
    state: w.state,
    branch: w.branch,
    worktree: w.worktree,
    pane: w.pane_id,
    /** Where its agent runs: `local`, an SSH node's name or a configured runtime's (its worktree here mirrors a node's). */
    runtime: runtimeName(s.session_dir, w.id),
    summary: w.summary,
    notes: w.notes,
    conflicts: { integration: w.radar.integration, workers: w.radar.workers },
    usage: usageOf(w.id),
    /** The largest resident size of the worker's agent process tree the monitor saw (bytes); null: none sampled. */
    peakRssBytes: peaks.get(w.id) ?? null,
    /** What its agent does (busy, idle, waiting) and which source said so (hook, rollout, acp, pane); null: not known. */
    activity: activity.get(w.id) ?? null,
  }));
  return {
    session: {
      id: s.id,
      goal: s.goal,
      status: s.status,
      reason: s.outcome_reason,
      // A manual session (`crewmux manual`) has one worker and no lead.
      kind: s.options.kind ?? 'run',
      lead: s.lead_agent || 'none (manual)',
      repo: s.repo_root,
      integrationBranch: s.integration_branch,
      integrationWorktree: s.integration_worktree,
      tmuxSession: s.tmux_session,
      mcpPort: s.mcp_port,
      supervisorPid: s.supervisor_pid,
      createdAt: new Date(s.created_at).toISOString(),
      endedAt: s.ended_at ? new Date(s.ended_at).toISOString() : null,
    },
    workers,
    usage: {
      line: usageLine(usage),
      quota: quotaLine(store.usage().limits(s.id)) ?? null,
      lead: usageOf('lead'),
      totals: usage.totals,
      buckets: usage.buckets,
    },
    /** The budgets and how much of each is used; null when the run has none. */
    budget: budgetView(store, s),
    report: s.report ? (JSON.parse(s.report) as RunReport) : null,
    review: reviewView(store, s.id),
    /** Merges held for a person (merge.autoMerge): every hold with its decision, and the counts. */
    approvals: approvalsView(store, s.id),
  };
}

/** The session's verdicts (cross_review and gate) and gate rounds, for `status` and the dashboard. */
export function reviewView(store: Store, sid: string) {
  const rounds = store.review().listRounds(sid);
  return {
    gate: rounds.map((r) => ({ round: r.round, status: r.status, head: r.head, reviewers: r.reviewers })),
    verdicts: store
      .review()
      .listReviews(sid)
      .map((r) => ({
        reviewer: r.reviewer,
        subject: r.subject,
        round: r.round,
        status: r.status,
        verdict: r.verdict?.verdict ?? null,
        risk: r.verdict?.risk ?? null,
        unmet: r.verdict?.criteria.filter((c) => !c.met).map((c) => c.id) ?? [],
        findings: r.verdict ? findingLines(r.verdict.findings) : [],
      })),
  };
}

export type SessionStatusView = ReturnType<typeof sessionStatus>;
