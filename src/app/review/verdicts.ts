/**
 * Structured verdicts: a review asked of a reviewer worker (cross_review, a gate round), the reviewer's
 * submit_verdict, and the watch that drives each review to an end: the verdict, or, when the reviewer ends its turn
 * without one, one more request, then "missing". A watch runs in the background like a verify run; callers join it.
 */
import { verdictProblems, type Criterion, type Verdict } from '../../core/review/verdict.js';
import { VerdictSchema } from '../../core/review/verdict-schema.js';
import { isActive } from '../../core/workers/state.js';
import { eventSubject } from '../../core/session/event-types.js';
import { ToolError } from '../../core/errors.js';
import type { ReviewRow } from '../ports/review.js';
import { sendToWorker } from '../workers/turns.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

/** Perspectives that get submit_verdict (the tester only gives one when a review is asked of it). */
export const VERDICT_PERSPECTIVES = ['reviewer', 'security', 'performance', 'verifier', 'tester'] as const;

/** How a reviewer is told to answer: the tool, the criteria ids it must judge, and then worker_done. */
export function verdictInstructions(criteria: readonly Criterion[]): string {
  return [
    'Give your verdict with the submit_verdict tool (not in prose), then call worker_done:',
    '- verdict "pass" only when every criterion is met and you found nothing of high or critical severity; else "fail";',
    '- risk: how risky merging this is (low, medium, high, critical);',
    `- criteria: one entry {id, met, evidence} for each of ${criteria.length ? criteria.map((c) => c.id).join(', ') : '(none given: pass [])'}, the evidence being what you ran or read;`,
    '- findings: each problem as {file, line, severity, text}.',
    criteria.length
      ? `Criteria:\n${criteria.map((c) => `- [${c.id}] ${c.text}`).join('\n')}`
      : 'No acceptance criteria were given: judge the change against its task.',
  ].join('\n');
}

/**
 * Records a review asked of worker `reviewerId` about `subject` (a worker id, or `gate`); returns its id. The caller
 * starts its watch (watchReview) once the reviewer has its turn, so a reviewer between turns is not asked again.
 */
export function requestReview(
  rt: Runtime,
  reviewerId: string,
  subject: string,
  round: number,
  criteria: Criterion[],
): number {
  const id = rt.store
    .review()
    .addReview({ session: rt.sid, reviewer: reviewerId, subject, round, criteria, ts: rt.now() });
  rt.events.emit(
    'review.requested',
    `${reviewerId} is asked for a verdict on ${subject === 'gate' ? `the goal (gate round ${round})` : subject}`,
    reviewerId,
    { review: id, subject, round, criteria: criteria.map((c) => c.id) },
  );
  return id;
}

/**
 * submit_verdict for worker `workerId`: validates `input` (schema, then consistency with the criteria it was given)
 * and stores it on its pending review. ToolError when no review is asked of it or the verdict does not hold together.
 */
export function submitVerdict(rt: Runtime, workerId: string, input: unknown): ReviewRow {
  const w = getWorkerOrFail(rt, workerId);
  if (!(VERDICT_PERSPECTIVES as readonly string[]).includes(w.perspective))
    throw new ToolError(
      `Error: a ${w.perspective} gives no verdict; only ${VERDICT_PERSPECTIVES.join(', ')} workers asked to review do. Report in your worker_done summary.`,
    );
  const pending = rt.store.review().pendingReviewOf(rt.sid, workerId);
  if (!pending) {
    // A reviewer relaunched after it answered (a resume) may try again: its verdict stands.
    const given = rt.store
      .review()
      .listReviews(rt.sid)
      .filter((r) => r.reviewer === workerId && r.status === 'submitted')
      .at(-1);
    if (given && isActive(w.state))
      throw new ToolError(
        `Error: your verdict (${given.verdict?.verdict ?? '?'}) on ${given.subject === 'gate' ? `the goal (gate round ${given.round})` : given.subject} is already recorded; nothing more is asked of you. Call worker_done.`,
      );
    throw new ToolError(
      'Error: no review is asked of you, so there is no verdict to give. Report your findings in your worker_done summary.',
    );
  }
  const parsed = VerdictSchema.safeParse(input);
  if (!parsed.success)
    throw new ToolError(
      `Error: the verdict is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}. Fix it and call submit_verdict again.`,
    );
  const v: Verdict = parsed.data;
  const problems = verdictProblems(
    v,
    pending.criteria.map((c) => c.id),
  );
  if (problems.length)
    throw new ToolError(
      `Error: the verdict does not hold together: ${problems.join('; ')}. Fix it and call submit_verdict again.`,
    );
  rt.store.review().submitVerdict(pending.id, v, rt.now());
  const unmet = v.criteria.filter((c) => !c.met).length;
  rt.events.emit(
    'review.verdict',
    `${workerId}: verdict ${v.verdict} (risk ${v.risk}, ${unmet} unmet criteria, ${v.findings.length} findings) on ${pending.subject}`,
    workerId,
    { review: pending.id, subject: pending.subject, round: pending.round, ...v },
  );
  return rt.store.review().getReview(pending.id)!;
}

const ASK_AGAIN =
  'You ended your turn without a verdict. Call the submit_verdict tool now with your verdict (pass or fail), risk, each criterion with its evidence, and your findings; then call worker_done.';

/** The review's watch (started after requestReview, or again after a supervisor restart); resolves when it is not pending. */
export function watchReview(rt: Runtime, id: number): Promise<ReviewRow> {
  const runs = (rt.reviewRuns ??= new Map<number, Promise<ReviewRow>>());
  const running = runs.get(id);
  if (running) return running;
  const run = new Promise<ReviewRow>((resolve) => {
    let busy = false;
    let again = false;
    let unsubscribe = () => undefined as void;
    const finish = (r: ReviewRow) => {
      unsubscribe();
      runs.delete(id);
      resolve(r);
    };
    const check = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const done = await step(rt, id);
          if (done) return finish(done);
        } while (again);
      } finally {
        busy = false;
      }
    };
    const review = rt.store.review().getReview(id)!;
    unsubscribe = rt.events.subscribe((ev) => {
      if (ev.workerId === review.reviewer || eventSubject(ev.type) === 'session') void check();
    });
    void check();
  });
  runs.set(id, run);
  return run;
}

/** One look at review `id`: its end (verdict, missing, session ending), else undefined after asking again if due. */
async function step(rt: Runtime, id: number): Promise<ReviewRow | undefined> {
  const store = rt.store.review();
  const r = store.getReview(id);
  if (!r || r.status !== 'pending') return r;
  if (rt.ending) return r;
  const w = rt.store.getWorker(rt.sid, r.reviewer);
  if (w && isActive(w.state)) return undefined;
  if (w && !r.asked) {
    store.updateReview(id, { asked: true });
    try {
      await sendToWorker(rt, w.id, ASK_AGAIN);
      rt.events.emit('review.asked_again', `${w.id} ended its turn without a verdict; asked once more`, w.id, {
        review: id,
      });
      return undefined;
    } catch {
      // Its agent is gone: nothing to ask.
    }
  }
  store.updateReview(id, { status: 'missing' });
  rt.events.emit('review.missing', `${r.reviewer} gave no verdict on ${r.subject}`, r.reviewer, { review: id });
  return store.getReview(id);
}

/** Waits up to `waitMs` for review `id`; resolves with its row as it stands then (pending when still running). */
export async function awaitReview(rt: Runtime, id: number, waitMs: number): Promise<ReviewRow> {
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), waitMs).unref());
  return (await Promise.race([watchReview(rt, id), timeout])) ?? rt.store.review().getReview(id)!;
}
