/**
 * Ending the goal: mark_goal_done (gated on evidence), mark_goal_failed, limits that end the run, and
 * the one `endSession` that every ending goes through: stop agents (snapshotting their work), write
 * the report, record the outcome.
 */
import { isActive, isFinished } from '../../core/workers/state.js';
import { lastVerifyOf } from '../integration/verify.js';
import { ToolError } from '../../core/errors.js';
import { plainReportSummary, renderReport, type RunReport } from '../../core/session/report.js';
import { questionCounts, type QuestionCounts } from '../../core/questions/tickets.js';
import { REPORT_INSTRUCTION, summarize } from '../llm/summarize.js';
import type { SessionStatus } from '../../core/session/rows.js';
import { stopWorker } from '../workers/turns.js';
import { awaitClosingAnswer } from '../workers/closing-answer.js';
import { session, type Runtime } from '../runtime.js';
import { redactSecrets } from '../../core/text/redact.js';
import { episodeWorthWriting } from '../../core/llm/memory-text.js';
import { summaryOf } from '../usage/views.js';
import { goalBudgetOver } from '../usage/budget.js';
import { budgetView } from '../usage/views.js';
import { gateOf, gateReviewerIds, runGate } from '../review/gate.js';
import type { PromptExtras } from '../workers/spawn.js';
import { findingsFixed } from '../../core/review/gate.js';
import { approvalCounts } from '../../core/review/approval.js';
import { findingLines } from '../../core/review/verdict.js';

/**
 * Reasons mark_goal_done is refused right now (empty when it may pass): a worker still running, a
 * finished worker neither merged nor discarded, or no passing verify on the current integration head.
 */
export async function doneBlockers(rt: Runtime): Promise<string[]> {
  // The review gate's reviewers are crewmux's, not the lead's: they neither block nor wait to be merged.
  const reviewers = gateReviewerIds(rt);
  const workers = rt.store.listWorkers(rt.sid).filter((w) => !reviewers.has(w.id));
  const running = workers.filter((w) => isActive(w.state));
  const open = workers.filter((w) => isFinished(w.state));
  const out: string[] = [];
  if (running.length)
    out.push(
      `workers still running: ${running.map((w) => `${w.id} (${w.state})`).join(', ')}; call wait_for_worker for them or kill_worker`,
    );
  if (open.length)
    out.push(
      `finished workers neither merged nor discarded: ${open.map((w) => `${w.id} (${w.state})`).join(', ')}; call merge_worker or discard_worker for each`,
    );
  const head = await rt.git.revParse(rt.integrationWorktree, 'HEAD');
  const v = lastVerifyOf(rt, head);
  if (!v) out.push(`no verify has run on the integration head ${head.slice(0, 10)}; call verify`);
  else if (v.status === 'running')
    out.push('verify is still running on the integration head; call verify again to get its result');
  else if (v.status === 'failed') {
    const bad = v.results
      .filter((r) => r.exitCode !== 0)
      .map((r) => `"${redactSecrets(r.command)}" ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}`);
    out.push(
      `the last verify on ${head.slice(0, 10)} failed (${bad.join(', ')}); fix it with a worker, merge, and verify again`,
    );
  }
  return out;
}

/**
 * mark_goal_done: ends the session as done with `summary` once `doneBlockers` is empty and, when the session has a
 * review gate, its reviewers passed (`running`: a gate round is still under way, call again; a rejection is a
 * ToolError "DONE REJECTED (round N of M)", and the last one ends the session failed). Otherwise emits
 * `goal.done_refused` and throws a ToolError naming every blocker. `opts.criteria` are the lead's own acceptance
 * criteria for the gate; `opts.waitMs` how long to wait for a gate round (default the session's tool wait).
 */
export async function markGoalDone(
  rt: Runtime,
  summary: string,
  opts: { criteria?: string[]; extras?: PromptExtras; waitMs?: number } = {},
): Promise<{ status: 'done' } | { status: 'running'; text: string }> {
  refuseOverBudget(rt);
  const blockers = await doneBlockers(rt);
  if (blockers.length) {
    rt.events.emit('goal.done_refused', `mark_goal_done refused: ${blockers.join('; ')}`);
    throw new ToolError(
      `Error: the goal cannot be marked done yet: ${blockers.join('; ')}. Then call mark_goal_done again.`,
    );
  }
  const gate = gateOf(rt);
  let passedIn: number | undefined;
  if (gate) {
    const r = await runGate(
      rt,
      gate,
      { summary, criteria: opts.criteria, extras: opts.extras, waitMs: opts.waitMs ?? rt.options.toolWaitS * 1000 },
      (reason) => endSession(rt, 'failed', reason),
    );
    if (r.status === 'running') return r;
    passedIn = r.round;
  }
  const why = summary || 'the lead marked the goal done';
  await endSession(rt, 'done', passedIn ? `${why} (review gate passed in round ${passedIn})` : why);
  return { status: 'done' };
}

/**
 * mark_goal_failed: ends the session as failed with `reason` (a default reason when empty); refused only once a goal
 * budget was reached (the run is then ending `budget`).
 */
export async function markGoalFailed(rt: Runtime, reason: string): Promise<void> {
  refuseOverBudget(rt);
  await endSession(rt, 'failed', reason || 'the lead marked the goal failed');
}

/** Once a goal budget is reached the outcome is `budget`, whatever the lead marks (ToolError). */
function refuseOverBudget(rt: Runtime): void {
  const over = goalBudgetOver(rt);
  if (over)
    throw new ToolError(
      `Error: [E_BUDGET_EXCEEDED] the run's budget is used up (${over}); the run is ending as "budget" once running workers finish their turn. Stop here.`,
    );
}

/**
 * Ends the session once (later calls get the first call's promise): agents stopped (their work snapshot-committed; a
 * worker that reported its turn first gets up to CLOSING_GRACE_MS to finish its closing answer), the report built and
 * stored, the outcome recorded on the session row and `session.<status>` emitted. Never rejects: a step that throws (a
 * hook, tmux, the report, the store) is named in the recorded reason and the steps after it still run, so a session
 * always ends. `rt.ending` is set before any step runs.
 */
export function endSession(
  rt: Runtime,
  status: Exclude<SessionStatus, 'starting' | 'running'>,
  reason: string,
): Promise<void> {
  // Started a tick later, so `rt.ending` is already set when the sessionEnding hook runs.
  rt.ending ??= Promise.resolve().then(() => finishSession(rt, status, reason));
  return rt.ending;
}

async function finishSession(
  rt: Runtime,
  status: Exclude<SessionStatus, 'starting' | 'running'>,
  reason: string,
): Promise<void> {
  const problems: string[] = [];
  /** One step of the ending: its failure is kept in `problems`, and the ending goes on. */
  const step = async <T>(what: string, fn: () => T | Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      problems.push(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  const withProblems = () => (problems.length ? `${reason} (while ending: ${problems.join('; ')})` : reason);

  await step('the sessionEnding hook', () => rt.hooks.sessionEnding());
  await step('the session.ending event', () => rt.events.emit('session.ending', `ending: ${status} (${reason})`));
  // A worker that reported its turn may still be giving its closing answer (a model call its usage must count): it
  // gets a short grace to reach its prompt; one still at work is stopped at once.
  await step('stopping the workers', () =>
    Promise.all(
      rt.store.listWorkers(rt.sid).map(async (w) => {
        await awaitClosingAnswer(rt, w);
        await stopWorker(rt, w.id, 'killed', `session ended: ${status}`).catch(() => undefined);
      }),
    ),
  );
  await step('stopping the lead', () => stopLead(rt, status));
  // The agents' last calls, before the report sums them.
  await step('reading the usage files', () => rt.usage?.collect());
  const report = await step('building the report', () => summarizedReport(rt, status, reason));
  const endedAt = rt.now();
  if (report) await step('writing the episode', () => writeEpisode(rt, report, endedAt));
  const recorded = await step('recording the outcome', () => {
    rt.store.updateSession(rt.sid, {
      status,
      outcome_reason: withProblems(),
      ended_at: endedAt,
      report: report ? JSON.stringify(report) : null,
    });
    return true;
  });
  // Without the report, which may be what the store refused.
  if (!recorded) {
    await step('recording the outcome again', () =>
      rt.store.updateSession(rt.sid, { status, outcome_reason: withProblems(), ended_at: endedAt }),
    );
  }
  const said = withProblems();
  await step(`the session.${status} event`, () =>
    rt.events.emit(`session.${status}`, `session ${status}: ${said}`, null, { status, reason: said }),
  );
}

/** Stops the lead's process tree, unless the goal is done (a done lead still prints its last answer). */
async function stopLead(rt: Runtime, status: SessionStatus): Promise<void> {
  const s = session(rt);
  if (!s.lead_pane || status === 'done') return;
  const lead = (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === s.lead_pane);
  if (lead && !lead.dead) await rt.runner.killTree(lead.pid).catch(() => undefined);
}

/** The run report with its short summary (by the router when there is one, else plain). */
async function summarizedReport(rt: Runtime, status: string, reason: string): Promise<RunReport> {
  const report = await buildReport(rt, status, reason);
  const summary = await summarize(rt.router, {
    purpose: 'report',
    instruction: REPORT_INSTRUCTION,
    text: renderReport(report),
    fallback: plainReportSummary(report),
    maxChars: 600,
    timeoutMs: 30_000,
  });
  report.summary = summary.text;
  report.summaryBy = summary.method === 'router' ? `router (${summary.note})` : summary.note;
  return report;
}

/**
 * The run report as the session stands: goal, outcome `status` and `reason`, every worker with its diffstat against
 * its base ("no changes" when git cannot diff), the finished verifies, and `git merge <integration branch>` when that
 * branch has commits beyond the session's base.
 */
export async function buildReport(rt: Runtime, status: string, reason: string): Promise<RunReport> {
  const s = session(rt);
  const workers = [];
  for (const w of rt.store.listWorkers(rt.sid)) {
    const diffstat =
      (await rt.git.diff(rt.repoRoot, w.base_commit, w.branch).catch(() => undefined))?.shortstat || 'no changes';
    workers.push({
      id: w.id,
      agent: w.agent,
      perspective: w.perspective,
      state: w.state,
      branch: w.branch,
      summary: w.summary,
      diffstat,
      merged: w.state === 'merged',
    });
  }
  // Unknown (git failed) counts as something to take: the command is harmless, a missing one is not.
  const ahead = await rt.git.commitsAhead(rt.repoRoot, s.base_commit, rt.integrationBranch).catch(() => 1);
  const budget = budgetView(rt.store, s);
  return {
    sessionId: rt.sid,
    goal: s.goal,
    outcome: status,
    reason,
    integrationBranch: rt.integrationBranch,
    workers,
    verifies: rt.store
      .listVerifies(rt.sid)
      .filter((v) => v.status !== 'running')
      .map((v) => ({
        commit: v.commit_sha,
        passed: v.status === 'passed',
        commands: v.results.map((r) => ({
          command: redactSecrets(r.command),
          exitCode: r.exitCode,
          durationMs: r.durationMs,
        })),
      })),
    ...(ahead > 0 ? { mergeCommand: `git merge ${rt.integrationBranch}` } : {}),
    usage: summaryOf(rt.store, rt.sid),
    ...(budget ? { budget: budget.line } : {}),
    ...questionsOf(rt),
    ...gateReport(rt),
    ...approvalsOf(rt),
  };
}

/** The review gate's part of the report: each round's outcome and its findings; nothing when no round ran. */
function gateReport(rt: Runtime): Pick<RunReport, 'gate'> {
  const rounds = rt.store.review().listRounds(rt.sid);
  if (!rounds.length) return {};
  const reviews = rt.store
    .review()
    .listReviews(rt.sid)
    .filter((r) => r.subject === 'gate');
  const out = rounds.map((r) => {
    const mine = reviews.filter((x) => x.round === r.round);
    return {
      round: r.round,
      status: r.status,
      findings: mine.flatMap((x) => findingLines(x.verdict?.findings ?? [])),
      noVerdict: mine.filter((x) => x.status === 'missing').map((x) => x.reviewer),
    };
  });
  const last = rounds.at(-1)!;
  return {
    gate: {
      status: last.status,
      rounds: out,
      findingsFixed:
        last.status === 'passed'
          ? findingsFixed(out.map((r) => ({ status: r.status, findings: r.findings.length })))
          : 0,
    },
  };
}

/** The report's `approvals` counts, absent when no merge was held for a person. */
function approvalsOf(rt: Runtime): Pick<RunReport, 'approvals'> {
  const rows = rt.store.review().listApprovals(rt.sid);
  return rows.length ? { approvals: approvalCounts(rows) } : {};
}

/** The report's `questions` counts, absent when no worker asked anything. */
function questionsOf(rt: Runtime): { questions?: QuestionCounts } {
  const tickets = rt.store.questions().list(rt.sid);
  return tickets.length ? { questions: questionCounts(tickets) } : {};
}

/**
 * Writes the session's episode (goal, outcome, workers, verify lessons) to memory, where the config
 * says (`memory.episodes`, default the project's .crewmux/memory/episodes); none when no worker was spawned and
 * no verify ran. A failure is an event, not an error.
 */
function writeEpisode(rt: Runtime, report: RunReport, endedAt: number): void {
  const where = rt.config.memory?.episodes ?? 'project';
  // A session in which nothing happened (no worker, no verify) has nothing to teach the next one.
  if (!rt.memory || where === 'off' || !episodeWorthWriting(report)) return;
  try {
    const failures = rt.store
      .listVerifies(rt.sid)
      .filter((v) => v.status === 'failed')
      .flatMap((v) =>
        v.results
          .filter((r) => r.exitCode !== 0)
          .map((r) => ({
            commit: v.commit_sha,
            command: r.command,
            exitCode: r.exitCode,
            timedOut: r.timedOut,
            tail: r.tail,
          })),
      );
    const s = session(rt);
    const file = rt.memory.writeEpisode(
      { report, lead: s.lead_agent, startedAt: s.created_at, endedAt, failures },
      where,
    );
    rt.events.emit('memory.episode', `episode written to ${file}`, null, { file });
  } catch (e) {
    rt.events.emit('memory.episode_failed', `the episode could not be written: ${(e as Error).message}`);
  }
}
