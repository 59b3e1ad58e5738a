/**
 * Agent status from pane text: a pure function over an agent's registry markers. Questions win over
 * work and work over idleness, because a TUI keeps its idle footer on screen while it asks or works.
 * Only the bottom of the screen counts: answered dialogs and old spinners scroll up and stay in view.
 */
import type { StatusMarkers } from '../agents/profile.js';
import { stripAnsi } from '../text/ansi.js';

export type AgentStatus = 'ready' | 'busy' | 'waiting' | 'unknown';

/** Lines from the bottom of the pane that are searched (blank lines not counted). */
export const STATUS_WINDOW_LINES = 15;

/** The bottom `n` non-blank lines of `text`, ANSI escapes removed. */
function bottom(text: string, n: number): string {
  const lines = stripAnsi(text)
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}

/** ready / busy / waiting from `markers` found in the bottom of `paneText`; `unknown` when none matches. */
export function detectStatus(markers: StatusMarkers, paneText: string, windowLines = STATUS_WINDOW_LINES): AgentStatus {
  return matchStatus(markers, paneText, windowLines).status;
}

/** detectStatus with the marker that decided (`''` for unknown), the evidence of a pane decision. */
export function matchStatus(
  markers: StatusMarkers,
  paneText: string,
  windowLines = STATUS_WINDOW_LINES,
): { status: AgentStatus; marker: string } {
  const text = bottom(paneText, windowLines);
  const find = (list?: string[]) => (list ?? []).find((m) => m !== '' && text.includes(m));
  for (const [status, list] of [
    ['waiting', markers.waiting],
    ['busy', markers.busy],
    ['ready', markers.ready],
  ] as const) {
    const marker = find(list);
    if (marker !== undefined) return { status, marker };
  }
  return { status: 'unknown', marker: '' };
}
