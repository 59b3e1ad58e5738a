/**
 * Worker status from structured signals first, pane text as the fallback. An agent that reports its own turns
 * (Claude Code's hooks, Codex's notify program and its session rollout) has each report turned into a decision:
 * the agent is `busy`, `idle` at its prompt, or `waiting` for a person, with the source that said so and the
 * evidence. Once a structured source has spoken for a worker, pane markers no longer decide its activity (they
 * still show blockers: a login or quota screen has no hook). Pure: the app layer reads the files and stores the
 * decisions (app/workers/signals.ts).
 */
import type { SignalLine, StatusDecision } from './signals-schema.js';
import { checkRow } from '../session/row-check.js';
import { ROW_SPECS } from '../session/row-specs.js';
export type { SignalLine, StatusDecision } from './signals-schema.js';
import type { WorkerState } from './state.js';

/** Who decided: an agent hook (Claude Code hooks, Codex notify), Codex's rollout, ACP, or pane markers. */
export const SIGNAL_SOURCES = ['hook', 'rollout', 'acp', 'pane'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

/** What the agent is doing: working on a turn, idle at its prompt, or waiting for a person (a dialog). */
export const ACTIVITIES = ['busy', 'idle', 'waiting'] as const;
export type Activity = (typeof ACTIVITIES)[number];

/** The signals file in a worker's state dir that its agent's hooks append to (through crewmux's recorder). */
export const SIGNALS_FILE = 'agent-signals.jsonl';

/** The decisions kept per worker (older ones are dropped as new ones come). */
export const MAX_DECISIONS_PER_WORKER = 50;

/** Claude Code's Notification types that mean a dialog waits for a person. */
const CLAUDE_WAITING_NOTIFICATIONS = [
  'permission_prompt',
  'worker_permission_prompt',
  'elicitation_dialog',
  'elicitation_url_dialog',
  'agent_needs_input',
];

type Decided = Omit<StatusDecision, 'at'>;

function claudeHook(l: SignalLine): Decided | undefined {
  const hook = (activity: Activity, evidence: string): Decided => ({ activity, source: 'hook', evidence });
  switch (l.event) {
    case 'UserPromptSubmit':
      return hook('busy', 'UserPromptSubmit');
    case 'PreToolUse':
      return hook('busy', `PreToolUse ${l.tool ?? '?'}`);
    case 'Stop':
      return hook('idle', 'Stop');
    case 'StopFailure':
      return hook('idle', 'StopFailure (the turn ended on an API error)');
    case 'SessionStart':
      return hook('idle', 'SessionStart');
    case 'Notification': {
      const what = `Notification ${l.type ?? '?'}${l.message ? `: ${l.message}` : ''}`;
      if (CLAUDE_WAITING_NOTIFICATIONS.includes(l.type ?? '')) return hook('waiting', what);
      if (l.type === 'idle_prompt') return hook('idle', what);
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The events crewmux's ACP pane process (app/workers/acp-worker.ts) writes: a `session/prompt` sent, a turn's end
 * (`type` its stopReason), a failed prompt (`message` the error), a permission request crewmux could not answer
 * (`message` its title), and that request answered by a person.
 */
export const ACP_SIGNAL_EVENTS = ['prompt', 'stop', 'prompt-error', 'permission', 'permission-answered'] as const;
export type AcpSignalEvent = (typeof ACP_SIGNAL_EVENTS)[number];

function acpEvent(l: SignalLine): Decided | undefined {
  const acp = (activity: Activity, evidence: string): Decided => ({ activity, source: 'acp', evidence });
  const what = l.message ? `: ${l.message}` : '';
  switch (l.event as AcpSignalEvent) {
    case 'prompt':
      return acp('busy', 'session/prompt');
    case 'stop':
      return acp('idle', `stopReason ${l.type ?? '?'}`);
    case 'prompt-error':
      return acp('idle', `session/prompt failed${what}`);
    case 'permission':
      return acp('waiting', `session/request_permission${what}`);
    case 'permission-answered':
      return acp('busy', `permission answered${what}`);
    default:
      return undefined;
  }
}

/** The decision one signals-file line makes, or undefined for a line that says nothing about activity. */
export function decideSignal(l: SignalLine): StatusDecision | undefined {
  const d =
    l.via === 'claude-hook'
      ? claudeHook(l)
      : l.via === 'acp'
        ? acpEvent(l)
        : l.event === 'agent-turn-complete'
          ? ({ activity: 'idle', source: 'hook', evidence: 'notify agent-turn-complete' } as const)
          : undefined;
  return d && { at: l.at, ...d };
}

/** The decisions in signals-file lines (invalid or silent lines skipped). */
export function decideSignalLines(lines: readonly string[]): StatusDecision[] {
  const out: StatusDecision[] = [];
  for (const raw of lines) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      continue;
    }
    let line: SignalLine;
    try {
      line = checkRow<SignalLine>(ROW_SPECS.signalLine, json, 'signal line');
    } catch {
      continue;
    }
    const d = decideSignal(line);
    if (d) out.push(d);
  }
  return out;
}

/**
 * The decisions in Codex rollout lines (`event_msg` payloads): task_started is busy, task_complete and
 * turn_aborted idle; a token_count is evidence of work, busy unless the turn already ended in the same batch or
 * before (`last`, the latest decision). `fallbackAt` times a line without a parsable timestamp.
 */
export function decideRolloutLines(
  lines: readonly string[],
  last: Activity | undefined,
  fallbackAt: number,
): StatusDecision[] {
  const out: StatusDecision[] = [];
  let current = last;
  for (const raw of lines) {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      continue;
    }
    const p = e.payload as Record<string, unknown> | undefined;
    if (e.type !== 'event_msg' || !p || typeof p.type !== 'string') continue;
    const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    const at = Number.isFinite(ts) ? ts : fallbackAt;
    let activity: Activity | undefined;
    if (p.type === 'task_started') activity = 'busy';
    else if (p.type === 'task_complete' || p.type === 'turn_aborted') activity = 'idle';
    else if (p.type === 'token_count' && current !== 'idle' && current !== 'busy') activity = 'busy';
    if (!activity) continue;
    current = activity;
    out.push({ at, activity, source: 'rollout', evidence: p.type });
  }
  return out;
}

/** True for a decision from the agent itself (anything but pane text). */
export function isStructured(d: Pick<StatusDecision, 'source'>): boolean {
  return d.source !== 'pane';
}

/**
 * The state a worker in `state` moves to on `activity`, or undefined: a running (or starting) worker whose agent
 * waits for a person is `waiting`; a waiting worker whose agent works or idles again is `running` (its turn is
 * on until it reports completion).
 */
export function moveFor(state: WorkerState, activity: Activity): WorkerState | undefined {
  if (activity === 'waiting' && (state === 'running' || state === 'starting')) return 'waiting';
  if (activity !== 'waiting' && state === 'waiting') return 'running';
  return undefined;
}

/** One decision as a line for `crewmux status --explain` (time as ISO, evidence clipped to 160 characters). */
export function decisionLine(d: StatusDecision): string {
  const ev = d.evidence.length > 160 ? `${d.evidence.slice(0, 159)}…` : d.evidence;
  return `${new Date(d.at).toISOString()}  ${d.activity.padEnd(8)} ${d.source.padEnd(8)} ${ev}`;
}

/** The header over decisionLine's columns. */
export const DECISION_HEADER = `${'TIME'.padEnd(24)}  ${'ACTIVITY'} ${'SOURCE'.padEnd(8)} EVIDENCE`;
