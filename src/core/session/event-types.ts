/**
 * The names in the session event log (`events.type` in state.db), one table of name -> what happened.
 * EventLog.emit and Store.addEvent take only these names, so a misspelt event is a compile error; the
 * supervisor, hooks, wait_for_worker and `run --wait` match them with the helpers below, not prefixes.
 * Rows read back stay plain strings (StoredEventTypeSchema): an older state.db may hold names this
 * version no longer emits, and the log must stay readable.
 */
import { z } from 'zod';

export const EVENT_TYPES = {
  'session.created': 'the session row exists; its supervisor is being started',
  'session.resuming': '`crewmux resume` is starting a new supervisor for the session',
  'session.started': 'the lead was launched; the session is running',
  'session.resumed': 'a new supervisor took the session over (what changed while down is in the message)',
  'session.ending': 'the outcome is decided; agents are being stopped and the report written',
  'session.done': 'the session ended: the lead marked the goal done',
  'session.failed': 'the session ended: the goal failed or the supervisor could not start',
  'session.timeout': 'the session ended: --timeout passed',
  'session.stopped': 'the session ended: `crewmux stop` or a signal stopped it',
  'session.budget':
    'the session ended: a goal budget (tokens, dollars or quota) was reached; resumable with a higher one',
  'session.merged': "`run --merge` fast-forwarded the user's branch to the integration branch",

  'worker.spawned': 'a worker has its worktree, pane and row, and its agent is starting',
  'worker.spawn_failed': 'spawn_worker failed; what it had made was rolled back',
  'worker.queued': 'spawn_worker did not admit a worker for lack of memory: it waits in the queue (the figures)',
  'worker.admitted': 'a queued worker was admitted (memory freed here, or a node has room) and is being started',
  'pool.failed':
    'the worktree pool could not make, move or remove a ready worktree or its parked pane (spawns create their own)',
  'worker.running': 'a worker started a turn (first, new message, or restart)',
  'worker.waiting': "a worker's agent waits for input (a question or permission prompt)",
  'worker.done': 'a worker reported its turn done',
  'worker.unverified':
    "a worker reported done but crewmux's check failed (no commits, uncommitted work, or a pass_criteria command failed)",
  'worker.blocked': 'a worker reported it cannot go on without help',
  'worker.failed': 'a worker reported its turn failed',
  'worker.crashed': "a worker's agent exited or its pane vanished without a report",
  'worker.killed': 'a worker was stopped by kill_worker or by the session ending',
  'worker.timeout': 'a worker was stopped by --worker-timeout',
  'worker.auth_required': "a worker's agent shows it is not logged in or its key is refused (its line and the fix)",
  'worker.quota_exhausted': "a worker's agent shows its quota or rate limit is reached (its line and the fix)",
  'worker.blocked_dialog': "a worker's agent shows a screen crewmux cannot answer (its line and the fix)",
  'worker.setup_failed': "a worker's worktree setup command failed or timed out; its agent was not started",
  'worker.budget_exceeded': 'a worker over its own budget was stopped at the end of its turn (its work committed)',
  'worker.lost':
    "a node worker's SSH node did not answer for longer than nodes.lostAfter (its last fetched commits stay on its branch)",
  'worker.merged': "a worker's branch was merged into the integration branch",
  'worker.discarded': "a worker's branch was dropped",
  'worker.merge_conflict': "merging a worker's branch conflicted; nothing was merged",
  'supervisor.close_failed': 'the supervisor could not close one of its parts at the end (it still exits)',
  'worker.merge_failed':
    "git could not merge a worker's branch for a reason other than a conflict (a hook, a lock); nothing was merged",
  'worker.compacted': "a worker's report was compacted to a digest (the full text is in the event data)",
  'worker.review': "a reviewer worker was spawned for a worker's change",
  'review.requested': 'a reviewer was asked for a structured verdict (cross_review or a gate round)',
  'review.verdict': 'a reviewer submitted its verdict (submit_verdict): pass or fail, risk, criteria, findings',
  'review.asked_again': 'a reviewer ended its turn without a verdict and was asked once more',
  'review.missing': 'a reviewer ended its turn again without a verdict; it is reported as giving none',
  'gate.started': 'a review gate round started on the integration head (mark_goal_done)',
  'gate.passed': 'every reviewer of a gate round passed; the goal may be marked done',
  'gate.rejected': 'a gate round was not passed; the lead got the unmet criteria and findings',
  'merge.awaiting_approval':
    'merge_worker held a merge for a person (merge.autoMerge; data: risk, reason): `crewmux approve` or `crewmux reject`',
  'merge.approved': 'a person approved a held merge (`crewmux approve`); crewmux merges it',
  'merge.rejected': 'a person rejected a held merge (`crewmux reject WORKER "why"`); it stays unmerged',
  'merge.approval_failed':
    "an approved merge could not be made (a conflict or git's error); the lead's next merge_worker tries again",
  'gate.exhausted': 'the last gate round (gate.maxRounds) was not passed; the run ends failed',
  'worker.snapshot': 'work a worker left uncommitted was committed on its branch',
  'worker.snapshot_failed': "the snapshot commit of a worker's leftover work failed",
  'worker.message': 'send_to_worker typed a message into a worker',
  'worker.stopped': "a finished worker's idle agent was stopped; the worker keeps its state",
  'worker.view_failed':
    "a node worker's pane here (a live view of its agent on the node) could not be opened; the worker runs on",
  'node.ref_refused':
    "a node offered, or a worker asked for, a git ref outside the worker's prefix; it was not fetched (the ref and the node)",
  'node.worktree_removed':
    "a finished worker's worktree, branches and state on its node were removed (the lead host holds its commits)",
  'node.relay_restored':
    "the node's loopback port relaying its workers' MCP calls here was lost with the ssh connection and made again on the same port (data: node, port)",
  'node.relay_failed':
    "the node's loopback port relaying its workers' MCP calls could not be made again (data: node, port, error); its workers report through their done files",
  'node.worktree_kept':
    "a finished worker's worktree on its node was kept (data: reason: commits or changes only there, or the node did not answer); crewmux gc retries",
  'worker.nudged': 'a worker was quiet too long and was nudged once',
  'worker.stuck': 'a worker stayed quiet after the nudge',
  'worker.flagged': "a read-only perspective's branch gained commits",
  'worker.progress': 'a worker reported progress (report_progress)',

  'question.asked': 'a worker asked a question (ask tool, its pane, or a Claude Code hook); a ticket is open',
  'question.answered': 'a ticket was answered (by the lead or by you: data.by)',
  'question.escalated':
    'a ticket went to the human: category approval/credentials, or the lead did not answer within questions.leadTimeout (data: ticket, urgency, attempt)',
  'question.delivered': "a ticket's answer reached the worker (typed into its pane, or read by its hook or get_answer)",
  'question.delivery_failed': "a ticket's answer could not be typed into the worker's pane; the next pass tries again",

  'bootstrap.prepared':
    'a worktree was bootstrapped (include, clone, env, setup): each phase, its time and what it did',
  'bootstrap.node_files':
    "a node worker's worktree got the repository's .worktreeinclude files from this machine, or did not (data: node, sent and withheld file names and bytes; never contents)",
  'bootstrap.teardown': "a worktree's teardown commands ran before gc removed it",
  'bootstrap.teardown_failed': "a worktree's teardown command failed; the worktree was removed anyway",

  'verify.started': 'verify started on the integration branch',
  'verify.done': 'verify finished (passed or failed, per command in the message)',
  'radar.conflict': 'the conflict radar found workers whose changes would conflict',
  'radar.error': 'the conflict radar could not check',
  'hook.ran': 'a hook command exited 0',
  'hook.failed': 'a hook command failed, timed out or could not start',
  'hook.config_error': 'hooks.json could not be loaded; no hooks run',
  'lead.started': 'the lead agent was launched in its pane',
  'lead.tools_listed': "the lead's MCP client listed crewmux's tools (its prompt can be typed now)",
  'lead.tools_not_listed':
    "the lead's MCP client had not listed crewmux's tools within the wait; its prompt was typed anyway",
  'lead.prompted': "the lead's prompt (with the goal) was typed into its pane and submitted",
  'lead.cannot_work':
    'the lead cannot work (not logged in, out of quota, a screen crewmux cannot answer, or no MCP call within leadStartTimeout); the run fails unless a user is attached',
  'lead.recap_failed': 'the resume recap could not be typed into the live lead',
  'lead.progress': 'the lead reported progress (report_progress)',
  'goal.done_refused': 'mark_goal_done was refused (workers still active or unmerged)',
  'memory.retrieved': "memory was added to the next worker's prompt",
  'memory.failed': 'memory retrieval failed; the worker starts without it',
  'memory.episode': "the session's episode was written to memory",
  'memory.episode_failed': "the session's episode could not be written",
  'monitor.error': 'a monitor check or tick threw; it carries on',
  'monitor.tmux_unreachable':
    "tmux failed to list the session's panes several ticks in a row; no pane is judged until it answers",
  'monitor.tmux_recovered': "tmux lists the session's panes again after being reported unreachable",
  'skill.refused': 'a skill was not loaded (unsigned, invalid or refused by policy)',
  'router.warning': 'the summary router is misconfigured; summaries may fall back to truncation',
  'mcp.listening': 'the MCP server listens (its URL is in the message)',
  'tools.cleared': 'clear_tool_results dropped cached tool answers',
  'usage.error': "reading an agent's usage files failed; the next pass tries again",
  'notify.sent': 'a notification was sent through the configured notifiers (its dedup key and who took it in data)',
  'notify.failed': 'a notifier could not deliver a notification (timed out, refused or not installed); the run goes on',
  'budget.warning': 'a budget (goal or worker; dollars, tokens or quota) reached 80 %; told once per budget',
  'budget.exceeded':
    'a budget reached 100 %: the worker, or with a goal budget the whole run, is stopped at the turn end',
} as const satisfies Record<`${string}.${string}`, string>;

/** One event name of the log. */
export type EventType = keyof typeof EVENT_TYPES;
/** Every event name, in table order. */
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

type SubjectOf<T> = T extends `${infer S}.${string}` ? S : never;
/** The part before the dot: 'session', 'worker', 'hook', ... */
export type EventSubject = SubjectOf<EventType>;

/** The subject of event `type` (`worker.done` -> `worker`). */
export function eventSubject(type: EventType): EventSubject {
  return type.slice(0, type.indexOf('.')) as EventSubject;
}

/** True when `s` is an event name this version emits (rows read back may hold older ones). */
export function isEventType(s: string): s is EventType {
  return Object.hasOwn(EVENT_TYPES, s);
}

/** The events that end a session, one per terminal session status. */
export const SESSION_END_EVENTS = [
  'session.done',
  'session.failed',
  'session.timeout',
  'session.stopped',
  'session.budget',
] as const satisfies readonly EventType[];
export type SessionEndEvent = (typeof SESSION_END_EVENTS)[number];

/** True when `type` ends the session (its outcome row was written just before). */
export function isSessionEnd(type: EventType): type is SessionEndEvent {
  return (SESSION_END_EVENTS as readonly string[]).includes(type);
}

/** The events that end a worker's turn with a result, one per finished worker state. */
export const WORKER_END_EVENTS = [
  'worker.done',
  'worker.unverified',
  'worker.blocked',
  'worker.failed',
  'worker.crashed',
  'worker.killed',
  'worker.timeout',
  'worker.auth_required',
  'worker.quota_exhausted',
  'worker.blocked_dialog',
  'worker.setup_failed',
  'worker.budget_exceeded',
  'worker.lost',
] as const satisfies readonly EventType[];
export type WorkerEndEvent = (typeof WORKER_END_EVENTS)[number];

/** True when `type` ends a worker's turn (hooks fire `worker_done` on these). */
export function isWorkerEnd(type: EventType): type is WorkerEndEvent {
  return (WORKER_END_EVENTS as readonly string[]).includes(type);
}

/** `events.type` as read back from state.db: any name, known or from an older crewmux (see isEventType). */
export const StoredEventTypeSchema = z.string();
