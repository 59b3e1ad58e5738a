/**
 * The review gate of mark_goal_done: when the gate is on (run --review-gate, config `gate`) and the other checks
 * pass, a round of read-only reviewers judges the integration head against the acceptance criteria, and the goal is
 * done only when every reviewer passes. A round runs in the background like verify: mark_goal_done answers "still
 * running, call again" and joins it. The next round reuses the same reviewer sessions (sent the new diff), and a
 * rejection in round gate.maxRounds ends the run failed.
 */
import {
  decideRound,
  gateCriteria,
  rejectionText,
  type GateSettings,
  type ReviewOutcome,
} from '../../core/review/gate.js';
import type { Criterion } from '../../core/review/verdict.js';
import { findingLines } from '../../core/review/verdict.js';
import { isActive } from '../../core/workers/state.js';
import { ToolError } from '../../core/errors.js';
import type { GateRoundRow } from '../ports/review.js';
import { MAX_DIFF_CHARS } from '../integration/merge.js';
import { spawnWorker, type PromptExtras } from '../workers/spawn.js';
import { sendToWorker } from '../workers/turns.js';
import { chooseReviewer } from '../workers/review.js';
import { requestReview, verdictInstructions, watchReview } from './verdicts.js';
import { session, type Runtime } from '../runtime.js';

/** The session's gate settings (from run --review-gate or config `gate`, recorded at start), or none. */
export function gateOf(rt: Runtime): GateSettings | undefined {
  return rt.options.gate ?? undefined;
}

/**
 * Worker ids of every gate reviewer so far (they never block mark_goal_done and are never merged): those of the
 * rounds, and any worker asked a gate review (one started by a round whose supervisor died before it was recorded).
 */
export function gateReviewerIds(rt: Runtime): Set<string> {
  const review = rt.store.review();
  return new Set([
    ...review.listRounds(rt.sid).flatMap((r) => r.reviewers),
    ...review
      .listReviews(rt.sid)
      .filter((r) => r.subject === 'gate')
      .map((r) => r.reviewer),
  ]);
}

/**
 * What a resumed lead is told of a gate round an earlier supervisor left running: it continues with the same
 * reviewers (their agents relaunched with the round's request), and mark_goal_done joins it. Undefined when none runs.
 */
export function gateResumeNote(rt: Runtime): string | undefined {
  const gate = gateOf(rt);
  const last = rt.store.review().listRounds(rt.sid).at(-1);
  if (!gate || last?.status !== 'running') return undefined;
  return `review gate round ${last.round} of ${gate.maxRounds} was running (reviewers ${last.reviewers.join(', ')}); it continues with the same reviewers: call mark_goal_done to get its result`;
}

export type GateAnswer = { status: 'passed'; round: number } | { status: 'running'; text: string };

/**
 * The gate's answer for the current integration head: passed; still running (join it for up to `waitMs`); or a
 * ToolError "DONE REJECTED (round N of M)" with the unmet criteria and findings. A new round starts when none has
 * judged this head; the lead's `criteria` join the goal's and the workers'. A last round rejected ends the session
 * failed (through `onExhausted`) before the ToolError is thrown.
 */
export async function runGate(
  rt: Runtime,
  gate: GateSettings,
  input: { summary: string; criteria?: string[]; extras?: PromptExtras; waitMs: number },
  onExhausted: (reason: string) => Promise<void>,
): Promise<GateAnswer> {
  const head = await rt.git.revParse(rt.integrationWorktree, 'HEAD');
  const rounds = rt.store.review().listRounds(rt.sid);
  const last = rounds.at(-1);
  let run: Promise<GateRoundRow>;
  if (last?.status === 'running')
    run = rt.gateRun?.round === last.round ? rt.gateRun.run : resumeRound(rt, gate, last, onExhausted);
  else if (last && last.head === head && last.status === 'passed') return { status: 'passed', round: last.round };
  // The gate is over: the run ends failed (a call that outlasted the round gets its answer again).
  else if (last?.status === 'exhausted')
    throw new ToolError(`Error: ${rejectionText(outcomesOf(rt, last), last.round, gate.maxRounds)}`);
  else if (last && last.head === head && last.status === 'rejected')
    throw new ToolError(
      `Error: ${rejectionText(outcomesOf(rt, last), last.round, gate.maxRounds)}\nNothing changed on the integration head since that round: change something first (a new round starts on a new head).`,
    );
  else run = (await startRound(rt, gate, (last?.round ?? 0) + 1, head, input, rounds, onExhausted)).run;
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), input.waitMs).unref());
  const done = await Promise.race([run, timeout]);
  if (!done) {
    const r = rt.store.review().listRounds(rt.sid).at(-1)!;
    return {
      status: 'running',
      text: `The review gate is still running (round ${r.round} of ${gate.maxRounds}: reviewers ${r.reviewers.join(', ')} on ${r.head.slice(0, 10)}). Call mark_goal_done again to get its result.`,
    };
  }
  if (done.status === 'passed') return { status: 'passed', round: done.round };
  throw new ToolError(`Error: ${rejectionText(outcomesOf(rt, done), done.round, gate.maxRounds)}`);
}

/** Each reviewer's outcome in `round` (its latest review of that round). */
function outcomesOf(rt: Runtime, round: GateRoundRow): ReviewOutcome[] {
  const reviews = rt.store
    .review()
    .listReviews(rt.sid)
    .filter((r) => r.subject === 'gate' && r.round === round.round);
  return round.reviewers.map((id) => {
    const r = reviews.filter((x) => x.reviewer === id).at(-1);
    const w = rt.store.getWorker(rt.sid, id);
    return { reviewer: id, perspective: w?.perspective ?? '?', ...(r?.verdict ? { verdict: r.verdict } : {}) };
  });
}

/** The diff of the whole session (its base to `head`), cut at MAX_DIFF_CHARS with a note. */
async function sessionDiff(rt: Runtime, head: string): Promise<string> {
  const d = await rt.git.diff(rt.repoRoot, session(rt).base_commit, head);
  const cut = d.patch.length > MAX_DIFF_CHARS;
  return `Diff stat:\n${d.stat}\n\nPatch${cut ? ` (cut at ${MAX_DIFF_CHARS} characters; read the files in your worktree for the rest)` : ''}:\n${d.patch.slice(0, MAX_DIFF_CHARS)}`;
}

/** The gate's review request: goal, criteria, the lead's summary, the diff, and how to answer. */
function roundText(
  rt: Runtime,
  round: number,
  max: number,
  criteria: Criterion[],
  summary: string,
  diff: string,
  again: boolean,
): string {
  return [
    again
      ? `Review gate round ${round} of ${max}: the lead changed the work after your last verdict and says the goal is done again. Your worktree is now at the new integration head. Check that what you objected to is fixed and that nothing else broke.`
      : `Review gate round ${round} of ${max}: the lead says the goal below is done. Judge independently whether it is, on the integration head (your worktree). Do not edit files.`,
    `The goal:\n${session(rt).goal.slice(0, 8000)}`,
    `The lead's summary:\n${summary.slice(0, 4000) || '(none)'}`,
    verdictInstructions(criteria),
    diff,
  ].join('\n\n');
}

/** The agent of the workers so far (the most used), against which the gate prefers another family. */
function workersAgent(rt: Runtime, reviewers: Set<string>): string {
  const counts = new Map<string, number>();
  for (const w of rt.store.listWorkers(rt.sid))
    if (!reviewers.has(w.id)) counts.set(w.agent, (counts.get(w.agent) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? rt.options.agents[0] ?? '';
}

async function startRound(
  rt: Runtime,
  gate: GateSettings,
  round: number,
  head: string,
  input: { summary: string; criteria?: string[]; extras?: PromptExtras },
  earlier: GateRoundRow[],
  onExhausted: (reason: string) => Promise<void>,
): Promise<{ run: Promise<GateRoundRow> }> {
  const criteria = gateCriteria(session(rt).goal, rt.store.review().workerCriteria(rt.sid), input.criteria);
  const diff = await sessionDiff(rt, head);
  const known = gateReviewerIds(rt);
  const author = workersAgent(rt, known);
  const reviewers: string[] = [];
  const reviews: number[] = [];
  for (const [i, perspective] of gate.reviewers.entries()) {
    // The same reviewer session as in the last round, when its agent still runs: it remembers its objections.
    const prev = earlier.at(-1)?.reviewers[i];
    const w = prev ? rt.store.getWorker(rt.sid, prev) : undefined;
    if (w && !isActive(w.state)) {
      try {
        await rt.git.resetHard(w.worktree, head);
        // Its branch now starts at this head: nothing on it is the reviewer's own commit.
        rt.store.updateWorker(rt.sid, w.id, { base_commit: head });
        const id = requestReview(rt, w.id, 'gate', round, criteria);
        try {
          await sendToWorker(rt, w.id, roundText(rt, round, gate.maxRounds, criteria, input.summary, diff, true));
        } catch (e) {
          rt.store.review().updateReview(id, { status: 'missing' });
          throw e;
        }
        reviewers.push(w.id);
        reviews.push(id);
        continue;
      } catch {
        // Its agent is gone or its worktree cannot move: a new reviewer takes its place.
      }
    }
    const agent = gate.agents?.length ? gate.agents[i % gate.agents.length]! : chooseReviewer(rt, author);
    let review = 0;
    const r = await spawnWorker(
      rt,
      {
        task: roundText(rt, round, gate.maxRounds, criteria, input.summary, diff, false),
        perspective,
        agent,
        startPoint: head,
        beforeLaunch: (x) => (review = requestReview(rt, x.id, 'gate', round, criteria)),
      },
      input.extras,
    ).catch((e: unknown) => {
      if (review) rt.store.review().updateReview(review, { status: 'missing' });
      throw new ToolError(
        `Error: the review gate could not start its ${perspective} reviewer: ${(e as Error).message.replace(/^Error: /, '')}`,
      );
    });
    reviewers.push(r.worker.id);
    reviews.push(review);
  }
  rt.store.review().startRound({ session: rt.sid, round, head, reviewers, ts: rt.now() });
  rt.events.emit(
    'gate.started',
    `review gate round ${round} of ${gate.maxRounds} on ${head.slice(0, 10)}: ${reviewers.join(', ')} (${criteria.length} criteria)`,
    null,
    { round, head, reviewers, criteria: criteria.map((c) => c.id) },
  );
  const row = rt.store
    .review()
    .listRounds(rt.sid)
    .find((r) => r.round === round)!;
  const run = finishRound(rt, gate, row, reviews, onExhausted);
  rt.gateRun = { round, run };
  return { run };
}

/** A round left running by an earlier supervisor: its reviews are watched again. */
function resumeRound(
  rt: Runtime,
  gate: GateSettings,
  row: GateRoundRow,
  onExhausted: (reason: string) => Promise<void>,
): Promise<GateRoundRow> {
  const ids = rt.store
    .review()
    .listReviews(rt.sid)
    .filter((r) => r.subject === 'gate' && r.round === row.round)
    .map((r) => r.id);
  const run = finishRound(rt, gate, row, ids, onExhausted);
  rt.gateRun = { round: row.round, run };
  return run;
}

async function finishRound(
  rt: Runtime,
  gate: GateSettings,
  row: GateRoundRow,
  reviews: number[],
  onExhausted: (reason: string) => Promise<void>,
): Promise<GateRoundRow> {
  await Promise.all(reviews.map((id) => watchReview(rt, id)));
  const outcomes = outcomesOf(rt, row);
  const decision = decideRound(outcomes, row.round, gate.maxRounds);
  const findings = outcomes.flatMap((o) => o.verdict?.findings ?? []);
  rt.store.review().finishRound(rt.sid, row.round, decision, rt.now());
  const of = `round ${row.round} of ${gate.maxRounds}`;
  if (decision === 'passed') rt.events.emit('gate.passed', `review gate passed in ${of}`, null, { round: row.round });
  else
    rt.events.emit(
      decision === 'exhausted' ? 'gate.exhausted' : 'gate.rejected',
      `review gate ${decision === 'exhausted' ? 'rejected the last round' : 'rejected'} (${of}): ${outcomes
        .filter((o) => o.verdict?.verdict !== 'pass')
        .map((o) => o.reviewer)
        .join(', ')} did not pass; ${findings.length} findings`,
      null,
      { round: row.round, findings: findings.length },
    );
  if (decision === 'exhausted')
    await onExhausted(
      `the review gate rejected the goal in all ${gate.maxRounds} rounds; last findings: ${findingLines(findings).slice(0, 10).join('; ') || 'none (a reviewer gave no verdict or an unmet criterion)'}`,
    );
  return rt.store
    .review()
    .listRounds(rt.sid)
    .find((r) => r.round === row.round)!;
}
