/**
 * Typing text into an agent's pane with confirmation (a prompt never counts as delivered unless the agent
 * is seen to accept it): wait until the agent is ready, paste the text as a bracketed paste (from a file
 * through a tmux buffer, never a shell), press Enter as a separate key after a settle delay, and check the
 * pane reacted; retry Enter, and fail with a DeliveryError when it never does. Text is never keys: its
 * control characters are escaped first (escapeControls), so a `ESC[201~` inside cannot end the paste and
 * a CR or Ctrl-C inside cannot act; only the Enter crewmux sends submits.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../../adapters/files.js';
import type { Tmux } from '../ports/tmux.js';
import { waitUntil, type Clock } from '../../core/clock.js';
import { escapeControls } from '../../core/text/terminal-text.js';

export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface DeliverOptions {
  /** Substrings that show the agent waits for input (registry `ready` markers); without them, quiet output counts. */
  readyMarkers?: string[];
  /** Milliseconds to wait for readiness (default 30 000). */
  readyTimeoutMs?: number;
  /** Milliseconds between paste and Enter (default 150). */
  settleMs?: number;
  /** Enter presses before giving up (default 3). */
  attempts?: number;
  /** Directory for the temporary paste file. */
  tmpDir: string;
  /** Time for the waits (default the system clock). */
  clock: Clock;
}

async function waitReady(tmux: Tmux, paneId: string, o: DeliverOptions, clock: Clock): Promise<void> {
  const markers = (o.readyMarkers ?? []).filter(Boolean);
  let last = '';
  let stableSince = clock.now();
  const ready = await waitUntil(
    async () => {
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

/** Types `text` (control characters escaped) into `paneId` and confirms it was submitted. */
export async function deliverText(tmux: Tmux, paneId: string, text: string, o: DeliverOptions): Promise<void> {
  const clock = o.clock;
  await waitReady(tmux, paneId, o, clock);
  const id = randomBytes(6).toString('hex');
  const file = join(o.tmpDir, `paste-${id}.txt`);
  writeFileAtomic(file, escapeControls(text));
  const buffer = `crewmux-${id}`;
  await tmux.loadBuffer(buffer, file);
  await tmux.pasteBuffer(buffer, paneId);
  await clock.sleep(o.settleMs ?? 150);
  const attempts = o.attempts ?? 3;
  for (let i = 0; i < attempts; i++) {
    const before = await tmux.capturePane(paneId);
    await tmux.sendKeys(paneId, 'Enter');
    if (
      await waitUntil(async () => (await tmux.capturePane(paneId)) !== before, {
        timeoutMs: 1_500,
        intervalMs: 40,
        clock,
      })
    )
      return;
  }
  throw new DeliveryError(`the agent in pane ${paneId} did not accept the text after ${attempts} Enter presses`);
}
