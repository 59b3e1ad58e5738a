/**
 * deliverText over a fake pane and the fake clock: readiness by quiet output, Enter only once the paste shows
 * and held still, Enter retries, and "submitted" judged from evidence (a busy marker, a ready marker or the
 * input box back as before the paste), checked against screens recorded from Gemini CLI 0.61
 * (test/fixtures/delivery/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverText, DeliveryError, showsSubmitted } from '../../src/app/workers/deliver.js';
import type { Tmux } from '../../src/app/ports/tmux.js';
import { gemini } from '../../src/core/agents/profiles/gemini.js';
import { createFakeClock, type FakeClock } from '../fakes/clock.js';

/**
 * A pane like an agent's input box: `ready> ` while empty; a paste shows `showPasteAfter` ms after it was sent
 * (the agent is slow to draw it); Enter presses before `acceptOn` become newlines in the box (as Gemini CLI does
 * with an Enter that arrives right after a paste), the `acceptOn`-th submits: the box empties and `working...`
 * shows.
 */
function fakePane(
  clock: FakeClock,
  o: { boot?: (now: number) => string; acceptOn: number; showPasteAfter?: number; echoPaste?: boolean },
) {
  const log: string[] = [];
  let enters = 0;
  let pastedAt: number | undefined;
  let newlines = 0;
  let submitted = false;
  const screen = () => {
    const now = clock.now();
    if (o.boot && pastedAt === undefined) return o.boot(now);
    if (submitted) return '> the text\nworking...\nready> ';
    if (pastedAt === undefined || o.echoPaste === false || now < pastedAt + (o.showPasteAfter ?? 0)) return 'ready> ';
    return `> [Pasted text]${'\n'.repeat(newlines)}`;
  };
  const tmux = {
    capturePane: async () => screen(),
    loadBuffer: async () => {
      log.push(`load buffer@${clock.now()}`);
    },
    pasteBuffer: async () => {
      pastedAt = clock.now();
      log.push(`paste@${clock.now()}`);
    },
    sendKeys: async (_pane: string, ...keys: string[]) => {
      log.push(`${keys.join(' ')}@${clock.now()}`);
      if (keys[0] !== 'Enter') return;
      if (++enters >= o.acceptOn) submitted = true;
      else newlines++;
    },
  } as unknown as Tmux;
  return { tmux, log, submitted: () => submitted };
}

function withTmp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crewmux-deliver-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const markers = { readyMarkers: ['ready>'], busyMarkers: ['working...'] };

test(
  'without ready markers, the text is pasted after 400 ms of quiet screen, and Enter once the paste has held still 150 ms',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    // The agent draws its banner until t=200, then sits at its prompt.
    const p = fakePane(clock, { boot: (t) => (t < 200 ? `loading ${t}` : 'ready> '), acceptOn: 1 });
    await deliverText(p.tmux, '%1', 'do the thing', { tmpDir, clock });
    assert.deepEqual(p.log, ['load buffer@650', 'paste@650', 'Enter@810']);
    assert.equal(p.submitted(), true);
  }),
);

test(
  'a paste drawn late is waited for: Enter goes after it shows, and a changed screen alone is no proof (issue 14)',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    // Gemini CLI 0.61 under load: the paste shows 600 ms later; the first Enter after it becomes a newline.
    const p = fakePane(clock, { acceptOn: 2, showPasteAfter: 600 });
    await deliverText(p.tmux, '%1', 'x', { tmpDir, clock, ...markers });
    const enters = p.log.filter((l) => l.startsWith('Enter'));
    assert.equal(enters.length, 2, p.log.join(', '));
    assert.ok(Number(enters[0]!.split('@')[1]) >= 750, `Enter after the paste showed and held still: ${enters[0]}`);
    assert.equal(p.submitted(), true, 'delivered only once the agent took the text');
  }),
);

test(
  'an ignored Enter is pressed again after confirmMs, up to `attempts` times, then DeliveryError',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    const p = fakePane(clock, { acceptOn: 3 });
    await deliverText(p.tmux, '%1', 'x', { tmpDir, clock, ...markers, settleMs: 0 });
    assert.deepEqual(
      p.log.filter((l) => l.startsWith('Enter')),
      ['Enter@40', 'Enter@1540', 'Enter@3040'],
    );

    const never = fakePane(clock, { acceptOn: 99 });
    const twice = { tmpDir, clock, ...markers, attempts: 2 };
    await assert.rejects(deliverText(never.tmux, '%1', 'x', twice), DeliveryError);
    assert.equal(never.submitted(), false);
  }),
);

test(
  'a paste the agent never draws: Enter after landTimeoutMs, and only a marker counts as taken',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    const p = fakePane(clock, { acceptOn: 1, echoPaste: false });
    const start = clock.now();
    await deliverText(p.tmux, '%1', 'x', { tmpDir, clock, ...markers, landTimeoutMs: 2_000 });
    assert.ok(clock.now() - start >= 2_000);
    assert.equal(p.submitted(), true);
  }),
);

test(
  'an agent never showing its ready marker fails at readyTimeoutMs, having pasted nothing',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    const p = fakePane(clock, { boot: () => 'still booting', acceptOn: 1 });
    const o = { tmpDir, clock, readyMarkers: ['ready>'], readyTimeoutMs: 5_000 };
    await assert.rejects(deliverText(p.tmux, '%1', 'x', o), /did not become ready within 5 s/);
    assert.equal(clock.now(), 5_000);
    assert.deepEqual(p.log, []);
  }),
);

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/delivery/${name}.txt`, import.meta.url), 'utf8');

test('showsSubmitted on Gemini CLI 0.61 screens: the paste in the box is not submitted; "Thinking... (esc to cancel" is', () => {
  const before = fixture('gemini-0.61-before');
  const pasted = fixture('gemini-0.61-pasted');
  const submitted = fixture('gemini-0.61-submitted');
  const m = gemini.markers;
  assert.match(pasted, /\[Pasted Text: 38 lines\]/);
  // What fooled the old check: the screen before Enter was still the empty prompt (the paste not drawn yet),
  // after Enter it showed the paste; it changed, but the prompt is in the box.
  assert.equal(showsSubmitted(pasted, before, before, m), false);
  // An Enter that added a newline to the box.
  assert.equal(
    showsSubmitted(pasted.replace('[Pasted Text: 38 lines]', '[Pasted Text: 38 lines]\n'), pasted, before, m),
    false,
  );
  assert.equal(showsSubmitted(submitted, pasted, before, m), true);
  // The turn already over when the pane is read: the placeholder is back.
  assert.equal(showsSubmitted(before.replace('? for shortcuts', 'DONE\n? for shortcuts'), pasted, before, m), true);
  // An agent without markers: any change counts (the only signal there is).
  assert.equal(showsSubmitted('a\nb', 'a', 'a', {}), true);
  assert.equal(showsSubmitted('a', 'a', '', {}), false);
});
