/**
 * How a worker signals the end of a turn without MCP: a done.flag file or a sentinel line in its pane.
 * Both carry the turn's nonce, so a flag or line left from an earlier turn cannot end a new one.
 * The prompt describes the line with a placeholder, never with the literal nonce, so an agent UI that
 * echoes the prompt cannot trigger it.
 */
import { z } from 'zod';
import { COMPLETION_STATUSES, type CompletionStatus } from './state.js';
import { stripAnsi } from '../text/ansi.js';

export interface Completion {
  status: CompletionStatus;
  summary: string;
  /** With status done: why the worker changed nothing (worker_done no_changes); a done without commits needs it. */
  noChanges?: string;
}

const SENTINEL: Record<string, CompletionStatus> = {
  WORKER_DONE: 'done',
  WORKER_BLOCKED: 'blocked',
  WORKER_FAILED: 'failed',
};

const SENTINEL_RE = /^\s*(?:[•●⏺>*-]\s*)?(WORKER_DONE|WORKER_BLOCKED|WORKER_FAILED):\s*([A-Za-z0-9]+)\s*(.*)$/;

/**
 * Scans pane output (ANSI allowed) for a sentinel line carrying `nonce`; returns the first match.
 * Lines are `WORKER_DONE: <nonce> <summary>` (likewise BLOCKED, FAILED).
 */
export function findSentinel(text: string, nonce: string): Completion | undefined {
  for (const raw of stripAnsi(text).split(/\r?\n|\r/)) {
    const m = SENTINEL_RE.exec(raw);
    if (!m || m[2] !== nonce) continue;
    return { status: SENTINEL[m[1]!]!, summary: (m[3] ?? '').trim() };
  }
  return undefined;
}

export const DoneFlagSchema = z.object({
  nonce: z.string().min(1),
  status: z.enum(COMPLETION_STATUSES),
  summary: z.string().default(''),
});

export type DoneFlagParse = { ok: true; completion: Completion } | { ok: false; reason: string };

/** Parses done.flag content; a flag for another turn's nonce is rejected with the reason. */
export function parseDoneFlag(content: string, nonce: string): DoneFlagParse {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { ok: false, reason: 'done.flag is not JSON' };
  }
  const parsed = DoneFlagSchema.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: `done.flag is invalid: ${parsed.error.issues[0]?.message ?? 'bad shape'}` };
  if (parsed.data.nonce !== nonce)
    return { ok: false, reason: 'done.flag belongs to an earlier turn (nonce mismatch)' };
  return { ok: true, completion: { status: parsed.data.status, summary: parsed.data.summary } };
}

/** The completion protocol paragraph of a worker prompt (and of every follow-up turn). */
export function completionProtocol(nonce: string, doneFile: string): string {
  return [
    '## When you finish',
    'Call the MCP tool `worker_done` (server "crewmux") with `status` ("done", "blocked" or "failed") and a short `summary`.',
    'Commit your work on your branch first if you can; anything left uncommitted is committed for you.',
    'If you cannot call MCP tools, do one of these instead:',
    `- write JSON {"nonce": "${nonce}", "status": "done", "summary": "..."} atomically to ${doneFile}`,
    '- or print one line of the form WORKER_DONE: <nonce> <summary> (or WORKER_BLOCKED / WORKER_FAILED),',
    `  where <nonce> is ${nonce}.`,
  ].join('\n');
}
