/** The end-of-run report: data built from the session and its workers, and its text rendering. */
import { formatCost, formatTokens, usageLine, type UsageSummary } from '../usage/summary.js';
import { questionsLine, type QuestionCounts } from '../questions/tickets.js';
import { approvalsLine, type ApprovalCounts } from '../review/approval.js';

export interface ReportWorker {
  id: string;
  agent: string;
  perspective: string;
  state: string;
  branch: string;
  summary: string | null;
  diffstat?: string;
  merged: boolean;
}

export interface ReportVerify {
  commit: string;
  passed: boolean;
  commands: { command: string; exitCode: number | null; durationMs: number }[];
}

export interface RunReport {
  sessionId: string;
  goal: string;
  outcome: string;
  reason: string;
  integrationBranch: string;
  workers: ReportWorker[];
  verifies: ReportVerify[];
  summary?: string;
  /** Who wrote the summary: `router (groq/…)` or `plain truncation: …`. */
  summaryBy?: string;
  /** How the user takes the result (`git merge <integration branch>`); absent when it has nothing beyond the base. */
  mergeCommand?: string;
  merged?: string;
  /** What the run cost, from the agents' own usage files (absent in reports of older versions). */
  usage?: UsageSummary;
  /** The `budget:` line (core/usage/budget.ts); absent when the run had no budget. */
  budget?: string;
  /** Workers' question tickets and who answered them (absent when none were asked, and in older reports). */
  questions?: QuestionCounts;
  /** The review gate: its last round's status, each round's findings (absent when no gate round ran). */
  gate?: ReportGate;
  /** Merges held for a person (merge.autoMerge) and their decisions (absent when none was held, and in older reports). */
  approvals?: ApprovalCounts;
}

export interface ReportGate {
  status: string;
  rounds: { round: number; status: string; findings: string[]; noVerdict: string[] }[];
  /** Findings of rejected rounds, all answered when the gate passed (0 otherwise). */
  findingsFixed: number;
}

/** The gate's line: `gate: passed in round 3; findings fixed: 4`, or how it ended. */
export function gateLine(g: ReportGate): string {
  const last = g.rounds.at(-1)!;
  if (g.status === 'passed') return `gate: passed in round ${last.round}; findings fixed: ${g.findingsFixed}`;
  if (g.status === 'running') return `gate: round ${last.round} still running`;
  return `gate: ${g.status === 'exhausted' ? 'rejected in every round' : 'rejected'} (round ${last.round}); ${last.findings.length} findings`;
}

export function renderReport(r: RunReport): string {
  const lines = [
    `crewmux session ${r.sessionId}: ${r.outcome}`,
    `goal: ${r.goal.split('\n')[0]}${r.goal.includes('\n') ? ' …' : ''}`,
    `why: ${r.reason}`,
  ];
  if (r.summary)
    lines.push(`summary: ${r.summary.replace(/\s*\n+\s*/g, ' ')}${r.summaryBy ? ` [${r.summaryBy}]` : ''}`);
  lines.push('', `workers (${r.workers.length}):`);
  for (const w of r.workers) {
    lines.push(`  ${w.id}  ${w.agent}  ${w.perspective}  ${w.state}  ${w.branch}`);
    if (w.diffstat) lines.push(`      ${w.diffstat}`);
    const u = r.usage?.workers[w.id];
    if (u) lines.push(`      ${formatTokens(u.total)} tokens, ${formatCost(u)}`);
    if (w.summary) lines.push(`      ${w.summary.split('\n')[0]}`);
  }
  if (r.verifies.length) {
    lines.push('', 'verify:');
    for (const v of r.verifies) {
      lines.push(`  ${v.passed ? 'passed' : 'FAILED'} on ${v.commit.slice(0, 10)}`);
      for (const c of v.commands)
        lines.push(`    [${c.exitCode ?? 'timeout'}] ${c.command} (${Math.round(c.durationMs)} ms)`);
    }
  }
  if (r.questions) lines.push('', questionsLine(r.questions));
  if (r.approvals) lines.push(...(r.questions ? [] : ['']), approvalsLine(r.approvals));
  if (r.gate) {
    lines.push('', gateLine(r.gate));
    const last = r.gate.rounds.at(-1)!;
    if (r.gate.status !== 'passed') {
      for (const f of last.findings) lines.push(`  ${f}`);
      if (last.noVerdict.length) lines.push(`  no verdict from ${last.noVerdict.join(', ')}`);
    }
  }
  if (r.usage) {
    const lead = r.usage.workers.lead;
    lines.push('', usageLine(r.usage));
    if (lead) lines.push(`  lead: ${formatTokens(lead.total)} tokens, ${formatCost(lead)}`);
  }
  if (r.budget) lines.push(r.budget);
  lines.push(
    '',
    `integration branch: ${r.integrationBranch}`,
    r.mergeCommand
      ? `take it: ${r.mergeCommand}`
      : `nothing to take: ${r.integrationBranch} has no commits beyond the base`,
  );
  if (r.merged) lines.push(r.merged);
  return lines.join('\n');
}

/** A one-paragraph summary of a report built from its facts alone (the report summary without a router). */
export function plainReportSummary(r: RunReport): string {
  const merged = r.workers.filter((w) => w.merged).map((w) => w.id);
  const other = r.workers.filter((w) => !w.merged).map((w) => `${w.id} ${w.state}`);
  const last = r.verifies.at(-1);
  return [
    `Goal ${r.outcome}: ${r.reason.split('\n')[0]}.`,
    r.workers.length
      ? `${r.workers.length} worker(s): ${merged.length ? `${merged.join(', ')} merged` : 'none merged'}${other.length ? `; ${other.join(', ')}` : ''}.`
      : 'No workers ran.',
    last ? `Last verify ${last.passed ? 'passed' : 'failed'} on ${last.commit.slice(0, 10)}.` : 'No verify ran.',
  ].join(' ');
}
