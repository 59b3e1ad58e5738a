/**
 * The Store port: crewmux's session state (sessions, workers, the event log, verify runs). The SQLite
 * adapter (adapters/state/store.ts) implements it for every process that shares state.db; unit tests use
 * the same adapter on an in-memory database (test/fakes/store.ts).
 */
import type {
  EventRow,
  NewSession,
  NewWorker,
  SessionPatch,
  SessionRow,
  VerifyCommandResult,
  VerifyRow,
  WorkerPatch,
  WorkerRow,
} from '../../core/session/rows.js';
import type { EventType } from '../../core/session/event-types.js';
import type { StatsStore } from './stats.js';
import type { CompactionStore } from './compactions.js';
import type { UsageStore } from './usage.js';
import type { PeakStore } from './machine-memory.js';
import type { QuestionsStore } from './questions.js';
import type { ReviewStore } from './review.js';
import type { StatusDecisionStore } from './status-decisions.js';

export interface Store {
  /** Closes the database; the store is unusable afterwards. */
  close(): void;
  createSession(s: NewSession): void;
  getSession(id: string): SessionRow | undefined;
  /** Every session, newest first. */
  listSessions(): SessionRow[];
  /** Ids starting with `prefix` (for abbreviated session ids). */
  findSessionIds(prefix: string): string[];
  updateSession(id: string, patch: SessionPatch): void;
  /** Reserves the next worker number atomically; numbers never repeat within a session. Throws for an unknown session. */
  reserveWorkerNumber(sessionId: string): number;
  createWorker(w: NewWorker): void;
  getWorker(sessionId: string, id: string): WorkerRow | undefined;
  /** The session's workers in spawn order. */
  listWorkers(sessionId: string): WorkerRow[];
  deleteWorker(sessionId: string, id: string): void;
  updateWorker(sessionId: string, id: string, patch: WorkerPatch): void;
  /** Appends an event; returns its id (ids grow across sessions). */
  addEvent(
    sessionId: string,
    workerId: string | null,
    type: EventType,
    message: string,
    data?: Record<string, unknown>,
  ): number;
  /** Events of a session after `afterId` (default 0), oldest first, at most `limit` (default 1000). */
  eventsAfter(sessionId: string, afterId?: number, limit?: number): EventRow[];
  /** Starts a verify record (status running); returns its id. */
  startVerify(sessionId: string, commit: string, commands: string[]): number;
  finishVerify(id: number, status: 'passed' | 'failed', results: VerifyCommandResult[]): void;
  /** The session's verify runs, oldest first. */
  listVerifies(sessionId: string): VerifyRow[];
  /** MCP tool statistics and aggregate counts over the same database. */
  stats(): StatsStore;
  /** Workers' compacted summaries in the same database. */
  compactions(): CompactionStore;
  /** Agents' token usage and the read offsets of their usage files, in the same database. */
  usage(): UsageStore;
  /** Peak resident sizes per worker and per agent (admission by memory), in the same database. */
  peaks(): PeakStore;
  /** Worker question tickets, in the same database. */
  questions(): QuestionsStore;
  /** Reviewers' verdicts, the review gate's rounds and workers' structured pass_criteria, in the same database. */
  review(): ReviewStore;
  /** Each worker's last status decisions (source and evidence), in the same database. */
  statusDecisions(): StatusDecisionStore;
  /** Runs `fn` in one transaction; a throw rolls it back. */
  transaction<T>(fn: () => T): T;
}
