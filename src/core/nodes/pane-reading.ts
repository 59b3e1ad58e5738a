/**
 * Status detection on a node (docs/architecture.md "Worker nodes"): the node reads its worker's screen with the
 * agent's registry entry, the same pane detector the lead host runs on a local pane (core/workers/status-detect.ts
 * for ready/busy/waiting, core/workers/blockers.ts for a screen that needs a person), and pushes the reading; the
 * lead applies it as it would its own reading (source `pane`). Pure.
 */
import { z } from 'zod';
import type { AgentProfile } from '../agents/profile.js';
import { tailLines, stripAnsi } from '../text/ansi.js';
import { escapeControls } from '../text/terminal-text.js';
import { detectBlocker } from '../workers/blockers.js';
import { matchStatus } from '../workers/status-detect.js';

/** How many bottom lines of a waiting screen travel with the reading (the question, for the lead's ticket). */
export const PANE_TAIL_LINES = 15;

export const PaneReadingSchema = z.object({
  status: z.enum(['ready', 'busy', 'waiting', 'unknown']),
  /** The marker that decided (`''` for unknown). */
  marker: z.string().max(300),
  blocker: z
    .object({
      kind: z.enum(['auth_required', 'quota_exhausted', 'blocked_dialog']),
      line: z.string().max(300),
      fix: z.string().max(1000),
    })
    .optional(),
  /** The screen's bottom lines while it waits (controls escaped), at most 4 KiB. */
  tail: z.string().max(4096).optional(),
});
export type PaneReading = z.infer<typeof PaneReadingSchema>;

/** True when reading `profile`'s screens can tell anything (it has waiting markers or blockers). */
export function readsPane(profile: Pick<AgentProfile, 'markers' | 'blockers'>): boolean {
  return Boolean(profile.markers.waiting?.length || profile.blockers?.length);
}

/** The reading of `screen` for an agent of `profile`: its status and marker, a blocker, the tail while it waits. */
export function readPane(profile: Pick<AgentProfile, 'markers' | 'blockers'>, screen: string): PaneReading {
  const blocker = detectBlocker(profile.blockers, profile.markers, screen);
  const { status, marker } = matchStatus(profile.markers, screen);
  const tail =
    status === 'waiting' ? escapeControls(tailLines(stripAnsi(screen), PANE_TAIL_LINES)).slice(-4096) : undefined;
  return {
    status,
    marker: marker.slice(0, 300),
    ...(blocker ? { blocker: { kind: blocker.kind, line: blocker.line, fix: blocker.fix.slice(0, 1000) } } : {}),
    ...(tail !== undefined ? { tail } : {}),
  };
}
