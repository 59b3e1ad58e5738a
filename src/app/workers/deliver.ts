/**
 * Typing text into an agent's pane with confirmation (a prompt never counts as delivered unless the agent
 * is seen to accept it): wait until the agent is ready, paste the text as a bracketed paste (from a file
 * through a tmux buffer, never a shell), wait until the paste has landed in the input box (the screen
 * changed and then held still), press Enter as a separate key, and check the agent took the text; retry
 * Enter, and fail with a DeliveryError when it never does. Text is never keys: its control characters are
 * escaped first (escapeControls), so a `ESC[201~` inside cannot end the paste and a CR or Ctrl-C inside
 * cannot act; only the Enter crewmux sends submits.
 *
 * "Took the text" is evidence, not any change of the screen (issue 14: Gemini CLI 0.61 drew a long paste
 * as `[Pasted Text: 38 lines]` only after the Enter that it had turned into a newline, and a changed screen
 * passed for a submitted prompt): against the screen with the paste landed, a busy marker appears, or a
 * ready marker that the paste had hidden (an input placeholder such as "Type your message") is back, or the
 * bottom of the screen (the input box and footer) is again what it was before the paste. Only an agent
 * with no markers at all falls back to "the screen changed".
 *
 * An agent with a structured status source (its hooks: app/workers/signals.ts) is asked first: it is ready when it
 * says it is idle, and it took the text when it reports a submitted prompt after the paste; its markers remain the
 * fallback, so an agent whose hooks stay silent is still typed to.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../../adapters/system/files.js';
import type { Tmux } from '../ports/tmux.js';
import { waitUntil, type Clock } from '../../core/clock.js';
import { escapeControls } from '../../core/text/terminal-text.js';
import type { DeliverySignals } from './signals.js';

export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface DeliverOptions {
  /** Substrings that show the agent waits for input (registry `ready` markers); without them, quiet output counts. */
  readyMarkers?: string[];
  /** Substrings that show the agent works (registry `busy` markers): seen after Enter, the text was taken. */
  busyMarkers?: string[];
  /** Milliseconds to wait for readiness (default 30 000). */
  readyTimeoutMs?: number;
  /** Milliseconds the screen must hold still once the paste shows, before Enter (default 150). */
  settleMs?: number;
  /** Milliseconds to wait for the paste to show on screen; past it Enter is pressed anyway (default 5 000). */
  landTimeoutMs?: number;
  /** Milliseconds to wait for evidence after each Enter (default 1 500). */
  confirmMs?: number;
  /** Enter presses before giving up (default 3). */
  attempts?: number;
  /** Directory for the temporary paste file. */
  tmpDir: string;
  /** Time for the waits (default the system clock). */
  clock: Clock;
  /** The agent's own status reports (its hooks), asked before the screen; unset: the screen only. */
  signals?: DeliverySignals;
}

/** Non-blank lines at the bottom of a screen compared with the pre-paste screen (the input box and footer). */
const BOTTOM_LINES = 3;

async function waitReady(tmux: Tmux, paneId: string, o: DeliverOptions, clock: Clock): Promise<void> {
  const markers = (o.readyMarkers ?? []).filter(Boolean);
  let last = '';
  let stableSince = clock.now();
  const ready = await waitUntil(
    async () => {
      if (o.signals?.ready()) return true;
      const screen = await tmux.capturePane(paneId);
      if (
        markers.length
          ? markers.some((m) => screen.includes(m))
          : screen.trim() !== '' && clock.now() - stableSince > 400
      )
        return true;
      if (screen !== last) {
        last = screen;
        stableSince = clock.now();
      }
      return undefined;
    },
    { timeoutMs: o.readyTimeoutMs ?? 30_000, intervalMs: 50, clock },
  );
  if (!ready)
    throw new DeliveryError(
      `the agent in pane ${paneId} did not become ready within ${(o.readyTimeoutMs ?? 30_000) / 1000} s`,
    );
}

/** The screen once the paste shows (differs from `before`) and has held still for `settleMs`; the last screen past the timeout. */
async function waitLanded(tmux: Tmux, paneId: string, before: string, o: DeliverOptions): Promise<string> {
  const settle = o.settleMs ?? 150;
  let last = before;
  let stableSince = o.clock.now();
  const landed = await waitUntil(
    async () => {
      const screen = await tmux.capturePane(paneId);
      if (screen !== last) {
        last = screen;
        stableSince = o.clock.now();
        return undefined;
      }
      return screen !== before && o.clock.now() - stableSince >= settle ? screen : undefined;
    },
    { timeoutMs: o.landTimeoutMs ?? 5_000, intervalMs: 40, clock: o.clock },
  );
  return landed ?? last;
}

const lines = (screen: string) =>
  screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');

/**
 * True when `now` shows that the agent took the pasted text, judged against `landed` (the paste in its input)
 * and `before` (the screen before the paste): see the file comment. Pure; exported for tests.
 */
export function showsSubmitted(
  now: string,
  landed: string,
  before: string,
  markers: { ready?: string[]; busy?: string[] },
): boolean {
  if (now === landed) return false;
  const ready = (markers.ready ?? []).filter(Boolean);
  const busy = (markers.busy ?? []).filter(Boolean);
  if (!ready.length && !busy.length) return true;
  const appeared = (m: string) => now.includes(m) && !landed.includes(m);
  if (busy.some(appeared) || ready.some(appeared)) return true;
  const k = Math.min(BOTTOM_LINES, lines(before).length);
  if (k === 0) return false;
  const bottom = (screen: string) => lines(screen).slice(-k).join('\n');
  return bottom(now) === bottom(before) && bottom(now) !== bottom(landed);
}

/** Types `text` (control characters escaped) into `paneId` and confirms the agent took it. */
export async function deliverText(tmux: Tmux, paneId: string, text: string, o: DeliverOptions): Promise<void> {
  const clock = o.clock;
  await waitReady(tmux, paneId, o, clock);
  const id = randomBytes(6).toString('hex');
  const file = join(o.tmpDir, `paste-${id}.txt`);
  writeFileAtomic(file, escapeControls(text));
  const buffer = `crewmux-${id}`;
  const pastedAt = clock.now();
  const before = await tmux.capturePane(paneId);
  await tmux.loadBuffer(buffer, file);
  await tmux.pasteBuffer(buffer, paneId);
  let landed = await waitLanded(tmux, paneId, before, o);
  const markers = { ready: o.readyMarkers, busy: o.busyMarkers };
  const took = async () =>
    o.signals?.submittedSince(pastedAt) || showsSubmitted(await tmux.capturePane(paneId), landed, before, markers);
  const attempts = o.attempts ?? 3;
  for (let i = 0; i < attempts; i++) {
    await tmux.sendKeys(paneId, 'Enter');
    if (await waitUntil(took, { timeoutMs: o.confirmMs ?? 1_500, intervalMs: 40, clock })) return;
    // An Enter that became a newline changed the input box: the next one is judged against it.
    const now = await tmux.capturePane(paneId);
    if (o.signals?.submittedSince(pastedAt) || showsSubmitted(now, landed, before, markers)) return;
    landed = now;
  }
  throw new DeliveryError(`the agent in pane ${paneId} did not accept the text after ${attempts} Enter presses`);
}
