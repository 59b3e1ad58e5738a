/**
 * compact_session: finished workers' long summaries and terminal outputs are replaced, in what the
 * lead is given (list_workers, read_worker_output, the resume recap), by a short digest written by
 * the router, or by plain truncation without one (said so). The full text goes to the event log first.
 */
import { isActive } from '../../core/workers/state.js';
import { stripAnsi } from '../../core/text/ansi.js';
import type { CompactionRow } from '../ports/compactions.js';
import { fileSize, readFrom } from '../../adapters/system/files.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { COMPACT_INSTRUCTION, summarize } from './summarize.js';
import type { Runtime } from '../runtime.js';

/** Below this many characters (summary plus output tail) a worker is left as it is. */
export const COMPACT_MIN_CHARS = 1_200;
/** Target size of a digest, in characters. */
const DIGEST_CHARS = 700;
/** How much of the end of a worker's pane log is kept in the event log and summarised. */
const OUTPUT_TAIL_BYTES = 48 * 1024;

export interface CompactOutcome {
  workerId: string;
  action: 'compacted' | 'short' | 'unchanged';
  fullChars: number;
  digestChars?: number;
  method?: CompactionRow['method'];
  note?: string;
}

/** The end of a worker's pane log as plain text. */
function outputTail(w: WorkerRow): string {
  const size = fileSize(w.log_file);
  const raw = readFrom(w.log_file, Math.max(0, size - OUTPUT_TAIL_BYTES), OUTPUT_TAIL_BYTES).text;
  // Collapse the blank runs full-screen TUIs leave in a log.
  return stripAnsi(raw)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l, i, all) => l || all[i - 1])
    .join('\n')
    .trim();
}

/** Whether compaction `c` still describes `w`: not while it works, not once a later turn ended. */
const stillCurrent = (w: WorkerRow, c: CompactionRow | undefined) =>
  c && !isActive(w.state) && (w.finished_at === null || c.created_at >= w.finished_at) ? c : undefined;

/** The compaction of `w` that still describes it, if any. */
export function currentCompaction(rt: Runtime, w: WorkerRow): CompactionRow | undefined {
  return isActive(w.state) ? undefined : stillCurrent(w, rt.store.compactions().get(rt.sid, w.id));
}

/**
 * Compacts every finished worker whose summary plus output is longer than COMPACT_MIN_CHARS and has no
 * current compaction. Router calls run up to 4 at a time; never throws for one worker's failure.
 */
export async function compactSession(rt: Runtime): Promise<CompactOutcome[]> {
  const store = rt.store.compactions();
  const todo = rt.store.listWorkers(rt.sid).filter((w) => !isActive(w.state));
  const outcomes: CompactOutcome[] = [];
  const queue = [...todo];
  const one = async (w: WorkerRow) => {
    const summary = (w.summary ?? '').trim();
    const output = outputTail(w);
    const fullChars = summary.length + output.length;
    if (currentCompaction(rt, w)) return outcomes.push({ workerId: w.id, action: 'unchanged', fullChars });
    if (fullChars < COMPACT_MIN_CHARS) return outcomes.push({ workerId: w.id, action: 'short', fullChars });
    const s = await summarize(rt.router, {
      purpose: 'compact',
      instruction: COMPACT_INSTRUCTION,
      maxChars: DIGEST_CHARS,
      text: `Task of worker ${w.id} (${w.perspective}, ${w.state}):\n${w.task.slice(0, 4_000)}\n\nThe worker's final report:\n${summary || '(none)'}\n\nThe end of its terminal output:\n${output || '(none)'}`,
    });
    const ev = rt.events.emit(
      'worker.compacted',
      `${w.id} compacted by ${s.method === 'router' ? s.note : 'truncation'}: ${fullChars} → ${s.text.length} chars`,
      w.id,
      { method: s.method, note: s.note, fullSummary: summary, fullOutput: output },
    );
    store.put({
      session_id: rt.sid,
      worker_id: w.id,
      summary: s.text,
      output: s.text,
      method: s.method,
      note: s.note,
      full_chars: fullChars,
      event_id: ev.id,
      created_at: rt.now(),
    });
    return outcomes.push({
      workerId: w.id,
      action: 'compacted',
      fullChars,
      digestChars: s.text.length,
      method: s.method,
      note: s.note,
    });
  };
  await Promise.all(
    Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let w = queue.shift(); w; w = queue.shift()) await one(w);
    }),
  );
  return outcomes.sort((a, b) => a.workerId.localeCompare(b.workerId));
}

type CompactedView = {
  summary: string | null;
  compacted?: { method: string; note: string; fullChars: number; eventId: number };
};

function view(w: WorkerRow, c: CompactionRow | undefined): CompactedView {
  if (!c) return { summary: w.summary };
  return {
    summary: c.summary,
    compacted: { method: c.method, note: c.note, fullChars: c.full_chars, eventId: c.event_id },
  };
}

/** `w` as the lead should see it: its summary replaced by the current compaction's digest, if any. */
export function compactedSummary(rt: Runtime, w: WorkerRow): CompactedView {
  return view(w, currentCompaction(rt, w));
}

/** compactedSummary for many workers with one query (list_workers). */
export function compactedSummaries(rt: Runtime, workers: WorkerRow[]): CompactedView[] {
  const all = rt.store.compactions().bySession(rt.sid);
  return workers.map((w) => view(w, stillCurrent(w, all.get(w.id))));
}
