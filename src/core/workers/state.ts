/**
 * The worker state machine: a worker may wait in the memory queue (queued), starts, runs or waits at its prompt,
 * ends a turn done (or unverified when crewmux's check of a done claim fails), blocked,
 * failed, crashed, killed or timed out, or stops because its agent cannot work (auth_required,
 * quota_exhausted, blocked_dialog: seen in its pane), or never starts (setup_failed), or is lost with the SSH node it
 * runs on (lost: unreachable longer than `nodes.lostAfter`), and is finally merged or discarded; a worker over its budget is stopped `budget_exceeded`. Pure: it says which
 * transitions are legal and what a state means; the app layer applies them and logs each as an event.
 */

export const WORKER_STATES = [
  'queued',
  'starting',
  'running',
  'waiting',
  'done',
  'unverified',
  'blocked',
  'failed',
  'crashed',
  'killed',
  'timeout',
  'auth_required',
  'quota_exhausted',
  'blocked_dialog',
  'setup_failed',
  'budget_exceeded',
  'lost',
  'merged',
  'discarded',
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/**
 * The agent is (or may be) working, or waits in the memory queue to start: it counts against --max-workers (a queued
 * worker holds its slot, so the queue never outgrows the cap) and blocks mark_goal_done.
 */
export const ACTIVE_STATES: readonly WorkerState[] = ['queued', 'starting', 'running', 'waiting'];
/**
 * The agent cannot proceed until a person acts (logs in, waits for quota, answers a screen crewmux cannot):
 * read from its pane. Finished, so wait_for_worker wakes with the reason; send_to_worker resumes it.
 */
export const CANNOT_WORK_STATES = ['auth_required', 'quota_exhausted', 'blocked_dialog'] as const;
export type CannotWorkState = (typeof CANNOT_WORK_STATES)[number];
/** The worker's turn ended with a result the lead can act on (merge, discard, send more work). */
export const FINISHED_STATES: readonly WorkerState[] = [
  'done',
  'unverified',
  'blocked',
  'failed',
  'crashed',
  'killed',
  'timeout',
  ...CANNOT_WORK_STATES,
  'setup_failed',
  'budget_exceeded',
  'lost',
];
/** Nothing more will happen to the worker. */
export const SETTLED_STATES: readonly WorkerState[] = ['merged', 'discarded'];

export function isActive(s: WorkerState): boolean {
  return ACTIVE_STATES.includes(s);
}
export function isFinished(s: WorkerState): boolean {
  return FINISHED_STATES.includes(s);
}

// Every way a turn ends (lost: its node stopped answering, mid-turn or while it started); setup_failed only ends a start.
const ENDS = FINISHED_STATES.filter((s) => s !== 'setup_failed');
// The agent is alive but idle until a person acts: a new turn, or the same ways out as a finished worker.
const CANNOT_WORK_NEXT: readonly WorkerState[] = ['running', 'merged', 'discarded', 'crashed', 'killed', 'timeout'];

// A finished turn whose agent may still be alive: a new turn, merge or discard, or its agent gone or over budget.
const AFTER_TURN: readonly WorkerState[] = ['running', 'merged', 'discarded', 'crashed', 'killed', 'budget_exceeded'];

const TRANSITIONS: Record<WorkerState, readonly WorkerState[]> = {
  // Not admitted for memory: no worktree, no pane yet. It starts when memory frees, or leaves the queue
  // (kill_worker, a failed start, the session ending) as discarded: nothing of it exists to merge or restart.
  queued: ['starting', 'discarded'],
  // discarded: a worker taken from the queue whose start failed before its pane (rolled back, nothing left).
  starting: ['running', 'waiting', ...ENDS, 'setup_failed', 'discarded'],
  running: ['waiting', ...ENDS],
  waiting: ['running', ...ENDS],
  // A finished worker can be given a new turn (send_to_worker) if its agent is still alive.
  // A worker over its own budget is budget_exceeded even when its last turn ended first.
  done: AFTER_TURN,
  /**
   * The worker said done but crewmux's check of the claim failed (no commits, work left uncommitted, a pass_criteria
   * command failed). Not mergeable as it stands: send_to_worker starts a new turn (checked again), or discard it.
   */
  unverified: ['running', 'discarded', 'crashed', 'killed', 'budget_exceeded'],
  blocked: AFTER_TURN,
  failed: AFTER_TURN,
  // restart_worker relaunches an agent that is gone.
  crashed: ['running', 'merged', 'discarded'],
  killed: ['running', 'merged', 'discarded'],
  timeout: ['running', 'merged', 'discarded'],
  // Stopped over its budget: restart_worker or send_to_worker once the budget was raised, else merge or discard.
  budget_exceeded: ['running', 'merged', 'discarded'],
  auth_required: CANNOT_WORK_NEXT,
  quota_exhausted: CANNOT_WORK_NEXT,
  blocked_dialog: CANNOT_WORK_NEXT,
  // The worktree's setup command failed: no agent ever ran; the lead discards it (its worktree stays for a look).
  setup_failed: ['discarded'],
  /**
   * Its SSH node did not answer for longer than `nodes.lostAfter`: the commits last fetched from the node are on its
   * branch (merge them, or discard it and give the task to a new worker). Never revived, even when the node answers
   * again: nothing is restarted on a machine crewmux cannot see.
   */
  lost: ['merged', 'discarded'],
  merged: [],
  discarded: [],
};

export function canTransition(from: WorkerState, to: WorkerState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Completion statuses a worker can report (worker_done, done.flag, sentinel line). */
export const COMPLETION_STATUSES = ['done', 'blocked', 'failed'] as const;
export type CompletionStatus = (typeof COMPLETION_STATUSES)[number];
