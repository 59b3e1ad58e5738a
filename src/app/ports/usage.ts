/**
 * The usage ports: the `usage` table (one row per model call or turn an agent reported) with the read
 * offsets of the agents' usage files (adapters/usage/usage-store.ts, on state.db), and the agents' usage
 * files themselves (adapters/usage/usage-files.ts).
 */
import type { UsageRow, UsageRowGroup } from '../../core/usage/summary.js';
import type { RateLimit } from '../../core/usage/usage.js';
import type { OpencodeStepRow } from '../../core/usage/opencode-steps.js';

/** The latest rate-limit window an agent of a session reported. */
export interface LimitRow extends RateLimit {
  worker: string;
  agent: string;
  ts: number;
}

/** How far one usage file has been read, and what its parser carries to the next batch (JSON). */
export interface UsageCursor {
  offset: number;
  state: string;
}

export interface UsageStore {
  /**
   * Adds `rows`, each keyed `key` within its session and worker; a key already stored keeps the larger
   * counts (and their cost). Returns the number of rows added or grown.
   */
  add(rows: readonly (UsageRow & { key: string })[]): number;
  /** The session's rows, oldest first. */
  list(sessionId: string): UsageRow[];
  /** The session's rows summed per worker, agent, model, bucket, source and approximate flag (cached until rows change; do not mutate). */
  grouped(sessionId: string): UsageRowGroup[];
  /** Every session's rows summed the same way, with their session id (for /metrics). */
  groupedBySession(): (UsageRowGroup & { session: string })[];
  /** Records the latest reading of each window (one row per session, worker and window). */
  setLimits(sessionId: string, rows: readonly LimitRow[]): void;
  /** The session's latest rate-limit readings, by worker then window. */
  limits(sessionId: string): LimitRow[];
  cursor(sessionId: string, worker: string, file: string): UsageCursor | undefined;
  /** Every file with a cursor for `worker`. */
  files(sessionId: string, worker: string): string[];
  setCursor(sessionId: string, worker: string, file: string, c: UsageCursor): void;
}

/** The agents' own usage files, read incrementally. */
export interface UsageFiles {
  /** Complete lines of `file` from byte `offset` (at most about `maxBytes`), and the offset after the last one. */
  readLines(file: string, offset: number, maxBytes?: number): { lines: string[]; next: number };
  /**
   * The complete lines of `file` from byte `offset` (at most about `maxBytes`) as one text whose UTF-8 length is
   * exactly `next - offset` (a byte of an invalid sequence reads `?`): what a node sends of a usage file.
   */
  readText(file: string, offset: number, maxBytes: number): { text: string; next: number };
  /** Claude Code transcripts (`*.jsonl`) below `<configDir>/projects`. */
  claudeTranscripts(configDir: string): string[];
  /** Every `*.jsonl` file below `dir` (a node worker's mirror of its agent's files: the node chose them), sorted. */
  mirrored(dir: string): string[];
  /** Codex rollouts below `<codexHome>/sessions`, changed at or after `sinceMs`, whose session ran in `cwd`. */
  codexRollouts(codexHome: string, sinceMs: number, cwd: string): string[];
  /** Gemini CLI chat recordings (`tmp/<project>/chats/*.jsonl` below `geminiDir`), changed at or after `sinceMs`, whose project is `cwd`. */
  geminiChats(geminiDir: string, sinceMs: number, cwd: string): string[];
  /** Qwen Code chat recordings (`projects/<cwd>/chats/*.jsonl` below `qwenDir`), changed at or after `sinceMs`, whose cwd is `cwd`. */
  qwenChats(qwenDir: string, sinceMs: number, cwd: string): string[];
  /** Copilot CLI session event logs (`session-state/<id>/events.jsonl` below `copilotDir`), changed at or after `sinceMs`, whose cwd is `cwd`. */
  copilotEvents(copilotDir: string, sinceMs: number, cwd: string): string[];
  /**
   * The step-finish parts in OpenCode database `dbFile` of sessions in directory `cwd` created at or after
   * `sinceMs`, updated at or after `updatedSince` (none while the database does not exist), and the latest
   * update time among them.
   */
  opencodeSteps(
    dbFile: string,
    cwd: string,
    sinceMs: number,
    updatedSince: number,
  ): { rows: OpencodeStepRow[]; lastUpdated: number };
}
