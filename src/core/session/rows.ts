/**
 * The domain rows crewmux keeps in its state database (sessions, workers, events, verifies) as zod
 * schemas and the types inferred from them. Adapters validate rows read back with the checks generated from these
 * (adapters/state/row-checks.ts, so that reading a row needs no zod); use cases,
 * the CLI, MCP and the dashboard import the types from here, never from the SQLite adapter.
 */
import { z } from 'zod';
import { GateSettingsSchema } from '../review/gate-schema.js';
import { WORKER_STATES } from '../workers/state.js';
import { StoredEventTypeSchema } from './event-types.js';
import { BudgetLimitsSchema } from '../usage/budget-schema.js';
import { parseJsonText } from './row-check.js';

export const SESSION_STATUSES = ['starting', 'running', 'done', 'failed', 'timeout', 'stopped', 'budget'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const TERMINAL_SESSION_STATUSES: readonly SessionStatus[] = ['done', 'failed', 'timeout', 'stopped', 'budget'];
/** `run`: a lead drives workers; `manual`: one worker and no lead (`crewmux manual`). */
export const SESSION_KINDS = ['run', 'manual'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

/** A TEXT column holding JSON, parsed and validated (row-check.ts knows it by its transform, parseJsonText). */
export const jsonColumn = <T extends z.ZodTypeAny>(schema: T) => z.string().transform(parseJsonText).pipe(schema);

export const RunOptionsSchema = z.object({
  maxWorkers: z.number().int(),
  workerTimeoutS: z.number().nullable(),
  timeoutS: z.number().nullable(),
  stuckAfterS: z.number(),
  toolWaitS: z.number(),
  /** Seconds the lead may go without an MCP tool call after it started; absent in sessions made before it existed. */
  leadStartTimeoutS: z.number().nullable().optional(),
  agents: z.array(z.string()),
  keepSession: z.boolean(),
  requireSignedSkills: z.boolean(),
  attach: z.boolean(),
  env: z.record(z.string(), z.string()),
  /** Absent in rows written before manual sessions existed: those are runs. */
  kind: z.enum(SESSION_KINDS).optional(),
  /** The run's budgets (config `budget` with --budget-usd / --budget-tokens over it); absent = none. */
  budget: BudgetLimitsSchema.optional(),
  /** The review gate of mark_goal_done (run --review-gate, config `gate`); absent or null: no gate. */
  gate: GateSettingsSchema.nullable().optional(),
});
export type RunOptions = z.infer<typeof RunOptionsSchema>;

export const SessionRowSchema = z.object({
  id: z.string(),
  goal: z.string(),
  status: z.enum(SESSION_STATUSES),
  outcome_reason: z.string().nullable(),
  lead_agent: z.string(),
  repo_root: z.string(),
  base_commit: z.string(),
  integration_branch: z.string(),
  integration_worktree: z.string(),
  session_dir: z.string(),
  tmux_socket: z.string().nullable(),
  tmux_session: z.string(),
  mcp_port: z.number().nullable(),
  lead_token: z.string(),
  lead_pane: z.string().nullable(),
  options: jsonColumn(RunOptionsSchema),
  next_worker: z.number().int(),
  report: z.string().nullable(),
  supervisor_pid: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  ended_at: z.number().nullable(),
});

export type SessionRow = z.infer<typeof SessionRowSchema>;

export const RadarSchema = z.object({
  /** Files that would conflict with the integration branch. */
  integration: z.array(z.string()),
  /** Other worker id -> files that would conflict between the two branches. */
  workers: z.record(z.string(), z.array(z.string())),
  /** The heads the radar was computed at. */
  key: z.string(),
});
export type Radar = z.infer<typeof RadarSchema>;

export const WorkerRowSchema = z.object({
  session_id: z.string(),
  id: z.string(),
  num: z.number().int(),
  agent: z.string(),
  perspective: z.string(),
  task: z.string(),
  state: z.enum(WORKER_STATES),
  branch: z.string(),
  worktree: z.string(),
  pane_id: z.string().nullable(),
  window_id: z.string().nullable(),
  token: z.string(),
  nonce: z.string(),
  summary: z.string().nullable(),
  prompt_file: z.string(),
  log_file: z.string(),
  done_file: z.string(),
  pid: z.number().nullable(),
  exit_info: z.string().nullable(),
  notes: jsonColumn(z.array(z.string())),
  base_commit: z.string(),
  radar: jsonColumn(RadarSchema),
  created_at: z.number(),
  updated_at: z.number(),
  finished_at: z.number().nullable(),
});
export type WorkerRow = z.infer<typeof WorkerRowSchema>;

export const EventRowSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  worker_id: z.string().nullable(),
  ts: z.number(),
  // Not narrowed to EventType: an older state.db may hold names this version no longer emits.
  type: StoredEventTypeSchema,
  message: z.string(),
  data: jsonColumn(z.record(z.string(), z.unknown())),
});
export type EventRow = z.infer<typeof EventRowSchema>;

export type NewSession = Omit<
  SessionRow,
  'options' | 'created_at' | 'updated_at' | 'ended_at' | 'report' | 'next_worker' | 'outcome_reason'
> & { options: RunOptions };
export type NewWorker = Omit<
  WorkerRow,
  'created_at' | 'updated_at' | 'finished_at' | 'notes' | 'summary' | 'exit_info' | 'radar'
>;
export type WorkerPatch = Partial<
  Pick<
    WorkerRow,
    | 'state'
    | 'pane_id'
    | 'window_id'
    | 'nonce'
    | 'token'
    | 'summary'
    | 'pid'
    | 'exit_info'
    | 'finished_at'
    | 'notes'
    | 'radar'
    // A queued worker gets these when it leaves the queue (app/workers/admission.ts): its worktree (the pool's may
    // differ from the planned one), its done flag there, the integration head then, and created_at then (so
    // --worker-timeout does not count the wait).
    | 'worktree'
    | 'done_file'
    | 'base_commit'
    | 'created_at'
  >
>;

export const VERIFY_STATUSES = ['running', 'passed', 'failed'] as const;
export const VerifyCommandResultSchema = z.object({
  command: z.string(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  outputFile: z.string(),
  tail: z.string(),
});
export type VerifyCommandResult = z.infer<typeof VerifyCommandResultSchema>;
export const VerifyRowSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  commit_sha: z.string(),
  commands: jsonColumn(z.array(z.string())),
  status: z.enum(VERIFY_STATUSES),
  results: jsonColumn(z.array(VerifyCommandResultSchema)),
  started_at: z.number(),
  ended_at: z.number().nullable(),
});
export type VerifyRow = z.infer<typeof VerifyRowSchema>;
export type SessionPatch = Partial<
  Pick<
    SessionRow,
    | 'status'
    | 'outcome_reason'
    | 'mcp_port'
    | 'lead_token'
    | 'lead_pane'
    | 'report'
    | 'supervisor_pid'
    | 'ended_at'
    // `crewmux resume --budget-*` raises the budgets.
    | 'options'
  >
>;
