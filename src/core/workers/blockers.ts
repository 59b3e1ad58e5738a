/**
 * "This agent cannot work": a pure match of an agent's registry blockers (not logged in, out of quota, a
 * dialog crewmux cannot answer) against the bottom of its pane. An agent that prints such a line has
 * stopped and waits for a person, so crewmux reports it at once instead of at the run's timeout.
 *
 * False positives are the risk: a worker that opens a file or a diff holding "Not logged in" shows that
 * text in its pane too. Three rules keep those out: only the last `BLOCKER_WINDOW_LINES` non-blank lines
 * count (the agent's own status area near its prompt, not its scrolled transcript); a pattern must start
 * its line once the TUI's decoration (box drawing, bullets like ⎿ ● ⚠ ■) is removed, so a numbered diff
 * line (`12 + Not logged in`) or a quoted line does not match; and nothing counts while a busy marker is
 * on screen (the agent is still working, or retrying). A file whose line starts with the exact text and
 * that the agent prints last, while idle, still matches: that limit is documented in docs/agents.md.
 */
import type { BlockerKind, BlockerPattern, StatusMarkers } from '../agents/profile.js';
import { stripAnsi } from '../text/ansi.js';
import { escapeControls } from '../text/terminal-text.js';

/** Default seconds the lead may go without an MCP tool call after it started (config leadStartTimeout). */
export const LEAD_START_TIMEOUT_S = 120;

/**
 * Non-blank lines from the bottom of the pane that are searched for blockers: Gemini CLI 0.61 draws its error
 * (wrapped on two lines), a hint line and a six-line input box and footer below it, so 8 was too few.
 */
export const BLOCKER_WINDOW_LINES = 12;

export interface Blocker {
  kind: BlockerKind;
  /** The agent's own line, trimmed, controls escaped, at most 300 characters. */
  line: string;
  fix: string;
}

// Leading decoration a TUI puts before a message: spaces, box drawing (U+2500-U+257F), and the bullets
// Claude, Codex and Gemini use for results and errors.
const DECORATION_RE = /^[\s\u2500-\u257f⎿●⏺•◦✗✘✕×⚠■▲▶!]+/u;

/** `line` without the TUI decoration at its start (and at its end, for boxed dialogs). */
export function undecorated(line: string): string {
  return line
    .replace(DECORATION_RE, '')
    .replace(/[\s\u2500-\u257f]+$/u, '')
    .trim();
}

/**
 * The first of `patterns` that starts one of the bottom `windowLines` non-blank lines of `paneText` (checked
 * from the bottom up), or the last cell of such a line after a run of 8 or more spaces (a TUI's right-aligned
 * notice: Claude Code with a status line shows "Not logged in · Run /login" at the right of its footer), or
 * undefined; undefined too while one of `markers.busy` shows in that window.
 */
export function detectBlocker(
  patterns: readonly BlockerPattern[] | undefined,
  markers: StatusMarkers | undefined,
  paneText: string,
  windowLines = BLOCKER_WINDOW_LINES,
): Blocker | undefined {
  if (!patterns?.length) return undefined;
  const lines = stripAnsi(paneText)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-windowLines);
  const window = lines.join('\n');
  if ((markers?.busy ?? []).some((m) => m !== '' && window.includes(m))) return undefined;
  for (const raw of [...lines].reverse()) {
    const right = / {8,}(\S.*)$/.exec(raw.trimEnd())?.[1];
    for (const cell of right === undefined ? [raw] : [raw, right]) {
      const line = undecorated(cell);
      const hit = patterns.find((p) => p.match.trim() !== '' && line.startsWith(p.match.trim()));
      if (hit) return { kind: hit.kind, line: escapeControls(line).slice(0, 300), fix: hit.fix };
    }
  }
  return undefined;
}

/** One line for people and the event log: `<who> cannot work: <the agent's line> — fix: <fix>`. */
export function blockerMessage(who: string, b: Blocker): string {
  return `${who} cannot work: ${b.line} — fix: ${b.fix}`;
}
