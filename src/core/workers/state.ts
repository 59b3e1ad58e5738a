/**
 * The worker state machine: a worker starts, runs or waits at its prompt, ends a turn done, blocked,
 * failed, crashed, killed or timed out (or never starts: setup_failed), and is finally merged or discarded. Pure: it says which
 * transitions are legal and what a state means; the app layer applies them and logs each as an event.
 */

export const WORKER_STATES = [
  'starting',
  'running',
  'waiting',
  'done',
  'blocked',
  'failed',
  'crashed',
  'killed',
  'timeout',
  'setup_failed',
  'merged',
  'discarded',
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** The agent is (or may be) working: it counts against --max-workers and blocks mark_goal_done. */
export const ACTIVE_STATES: readonly WorkerState[] = ['starting', 'running', 'waiting'];
/** The worker's turn ended with a result the lead can act on (merge, discard, send more work). */
export const FINISHED_STATES: readonly WorkerState[] = [
  'done',
  'blocked',
  'failed',
  'crashed',
  'killed',
  'timeout',
  'setup_failed',
];
/** Nothing more will happen to the worker. */
export const SETTLED_STATES: readonly WorkerState[] = ['merged', 'discarded'];

export function isActive(s: WorkerState): boolean {
  return ACTIVE_STATES.includes(s);
}
export function isFinished(s: WorkerState): boolean {
  return FINISHED_STATES.includes(s);
}

const TRANSITIONS: Record<WorkerState, readonly WorkerState[]> = {
  starting: ['running', 'waiting', 'done', 'blocked', 'failed', 'crashed', 'killed', 'timeout', 'setup_failed'],
  running: ['waiting', 'done', 'blocked', 'failed', 'crashed', 'killed', 'timeout'],
  waiting: ['running', 'done', 'blocked', 'failed', 'crashed', 'killed', 'timeout'],
  // A finished worker can be given a new turn (send_to_worker) if its agent is still alive.
  done: ['running', 'merged', 'discarded', 'crashed', 'killed'],
  blocked: ['running', 'merged', 'discarded', 'crashed', 'killed'],
  failed: ['running', 'merged', 'discarded', 'crashed', 'killed'],
  // restart_worker relaunches an agent that is gone.
  crashed: ['running', 'merged', 'discarded'],
  killed: ['running', 'merged', 'discarded'],
  timeout: ['running', 'merged', 'discarded'],
  // The worktree's setup command failed: no agent ever ran; the lead discards it (its worktree stays for a look).
  setup_failed: ['discarded'],
  merged: [],
  discarded: [],
};

export function canTransition(from: WorkerState, to: WorkerState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Completion statuses a worker can report (worker_done, done.flag, sentinel line). */
export const COMPLETION_STATUSES = ['done', 'blocked', 'failed'] as const;
export type CompletionStatus = (typeof COMPLETION_STATUSES)[number];
