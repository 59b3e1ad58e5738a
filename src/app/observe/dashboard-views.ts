/**
 * Read-only use cases behind the dashboard: sessions, workers, verifies, the event log, a worker's or
 * the lead's output tail (its tmux pane, else its pane log) and a worker's diff. Every function takes the store and
 * adapters it needs; an unknown session or worker yields undefined (the route answers 404).
 */
import type { SessionRow, WorkerRow } from '../../core/session/rows.js';
import type { Store } from '../ports/store.js';
import type { StatsStore } from '../ports/stats.js';
import type { Git } from '../ports/git.js';
import type { Tmux } from '../ports/tmux.js';
import { fileSize, readFrom } from '../../adapters/system/files.js';
import { stripAnsi, tailLines } from '../../core/text/ansi.js';
import { renderReport, type RunReport } from '../../core/session/report.js';
import { join } from 'node:path';
import { summaryOf } from '../usage/views.js';
import { formatCost, usageLine, type UsageGroup } from '../../core/usage/summary.js';
import type {
  EventView,
  LeadOutput,
  SessionDetail,
  SessionSummary,
  WorkerDiff,
  WorkerOutput,
  WorkerView,
} from './dashboard-schemas.js';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
/** Bytes of a pane log read for an output tail. */
const LOG_TAIL_BYTES = 256 * 1024;
/** A diff patch longer than this (characters) is cut, and says so. */
export const MAX_PATCH_CHARS = 512 * 1024;

function summary(s: SessionRow, workerCount: number): SessionSummary {
  return {
    id: s.id,
    goal: s.goal,
    status: s.status,
    reason: s.outcome_reason,
    lead: s.lead_agent || 'none (manual)',
    repo: s.repo_root,
    integrationBranch: s.integration_branch,
    tmuxSession: s.tmux_session,
    createdAt: iso(s.created_at)!,
    endedAt: iso(s.ended_at),
    workerCount,
  };
}

/** A worker row as the dashboard shows it (no token, nonce or file paths). */
export function workerView(w: WorkerRow): WorkerView {
  return {
    id: w.id,
    num: w.num,
    agent: w.agent,
    perspective: w.perspective,
    task: w.task,
    state: w.state,
    branch: w.branch,
    pane: w.pane_id,
    summary: w.summary,
    exitInfo: w.exit_info,
    notes: w.notes,
    radar: { integration: w.radar.integration, workers: w.radar.workers },
    createdAt: iso(w.created_at)!,
    updatedAt: iso(w.updated_at)!,
    finishedAt: iso(w.finished_at),
  };
}

/** Every session, newest first, with its worker count. */
export function listSessionViews(store: Store, stats: StatsStore): SessionSummary[] {
  const counts = stats.workerCountsBySession();
  return store.listSessions().map((s) => summary(s, counts[s.id] ?? 0));
}

/** One session with workers, verify results and report; undefined when `id` is unknown. */
export function sessionDetail(store: Store, stats: StatsStore, id: string): SessionDetail | undefined {
  const s = store.getSession(id);
  if (!s) return undefined;
  const workers = store.listWorkers(id).map(workerView);
  const report = s.report ? (JSON.parse(s.report) as RunReport) : null;
  const usage = summaryOf(store, id);
  const view = (g: UsageGroup) => ({
    tokens: g.total,
    costUsd: g.costComplete ? g.costUsd : null,
    cost: formatCost(g),
  });
  return {
    session: { ...summary(s, workers.length), baseCommit: s.base_commit, lastEventId: stats.lastEventId(id) },
    workers,
    usage: {
      line: usageLine(usage),
      total: view(usage.totals),
      workers: Object.fromEntries(Object.entries(usage.workers).map(([w, g]) => [w, view(g)])),
    },
    peakRss: Object.fromEntries(
      store
        .peaks()
        .workerPeaks(id)
        .map((p) => [p.worker, p.peakBytes]),
    ),
    verifies: store.listVerifies(id).map((v) => ({
      id: v.id,
      commit: v.commit_sha,
      status: v.status,
      commands: v.commands,
      startedAt: iso(v.started_at)!,
      endedAt: iso(v.ended_at),
      results: v.results.map((r) => ({
        command: r.command,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
        durationMs: r.durationMs,
        tail: r.tail,
      })),
    })),
    report: report as unknown as Record<string, unknown> | null,
    reportText: report ? renderReport(report) : null,
  };
}

/**
 * sessionDetail memoized per session until the database changes (any commit, from any process), so
 * a page polling an idle session costs two pragma reads. Holds at most `max` sessions (default 64).
 */
export function createSessionDetailCache(store: Store, stats: StatsStore, max = 64) {
  const cache = new Map<string, { version: string; value: SessionDetail | undefined }>();
  return (id: string): SessionDetail | undefined => {
    const version = stats.version();
    const hit = cache.get(id);
    if (hit && hit.version === version) return hit.value;
    const value = sessionDetail(store, stats, id);
    cache.delete(id);
    cache.set(id, { version, value });
    if (cache.size > max) cache.delete(cache.keys().next().value!);
    return value;
  };
}

/** The workers of session `id`, or undefined when it is unknown. */
export function workerViews(store: Store, id: string): WorkerView[] | undefined {
  return store.getSession(id) ? store.listWorkers(id).map(workerView) : undefined;
}

/** Events of session `id` after `afterId`, oldest first, at most `limit`. */
export function eventViews(store: Store, id: string, afterId: number, limit = 500): EventView[] {
  return store
    .eventsAfter(id, afterId, limit)
    .map((e) => ({ id: e.id, workerId: e.worker_id, ts: e.ts, type: e.type, message: e.message, data: e.data }));
}

function lookup(store: Store, sid: string, wid: string): { s: SessionRow; w: WorkerRow } | undefined {
  const s = store.getSession(sid);
  const w = s && store.getWorker(sid, wid);
  return s && w ? { s, w } : undefined;
}

/** The last `lines` lines of pane `paneId` while it exists, else of `logFile`; escapes removed either way. */
async function terminalTail(
  tmux: Tmux,
  paneId: string | null,
  logFile: string,
  lines: number,
): Promise<{ source: 'pane' | 'log' | 'none'; text: string }> {
  if (paneId) {
    // capture-pane answers '' only when the pane (or server) is gone; a blank live pane is newlines.
    const text = await tmux.capturePane(paneId, lines);
    if (text !== '') return { source: 'pane', text: tailLines(stripAnsi(text), lines) };
  }
  const size = fileSize(logFile);
  if (size === 0) return { source: 'none', text: '' };
  const { text } = readFrom(logFile, Math.max(0, size - LOG_TAIL_BYTES), LOG_TAIL_BYTES);
  return {
    source: 'log',
    text: tailLines(
      stripAnsi(text)
        .replace(/\r(?!\n)/g, '\n')
        .replace(/\r\n/g, '\n'),
      lines,
    ),
  };
}

/**
 * The last `lines` lines of a worker's terminal: its pane via capture-pane on the session's tmux
 * socket while the pane exists, else the tail of its pane log; escapes removed either way.
 */
export async function workerOutput(
  store: Store,
  tmuxFor: (socket: string | null) => Tmux,
  sid: string,
  wid: string,
  lines: number,
): Promise<WorkerOutput | undefined> {
  const found = lookup(store, sid, wid);
  if (!found) return undefined;
  const { s, w } = found;
  return { worker: w.id, ...(await terminalTail(tmuxFor(s.tmux_socket), w.pane_id, w.log_file, lines)) };
}

/**
 * The last `lines` lines of the lead's terminal (pane 0 of the lead window): its pane while it exists,
 * else `<session dir>/lead/pane.log`; escapes removed. Undefined when the session is unknown.
 */
export async function leadOutput(
  store: Store,
  tmuxFor: (socket: string | null) => Tmux,
  sid: string,
  lines: number,
): Promise<LeadOutput | undefined> {
  const s = store.getSession(sid);
  if (!s) return undefined;
  const tail = await terminalTail(tmuxFor(s.tmux_socket), s.lead_pane, join(s.session_dir, 'lead', 'pane.log'), lines);
  return { lead: s.lead_agent, ...tail };
}

/** The worker's branch against its base commit (three-dot), stat and patch; the patch is cut at MAX_PATCH_CHARS. */
export async function workerDiff(store: Store, git: Git, sid: string, wid: string): Promise<WorkerDiff | undefined> {
  const found = lookup(store, sid, wid);
  if (!found) return undefined;
  const { s, w } = found;
  const d = await git.diff(s.repo_root, w.base_commit, w.branch);
  const truncated = d.patch.length > MAX_PATCH_CHARS;
  return {
    worker: w.id,
    base: w.base_commit,
    branch: w.branch,
    stat: d.stat,
    shortstat: d.shortstat,
    patch: truncated ? d.patch.slice(0, MAX_PATCH_CHARS) : d.patch,
    truncated,
  };
}
