/** deliverText's timing over a fake pane and the fake clock: readiness by quiet output, settle, Enter retries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverText, DeliveryError } from '../../src/app/workers/deliver.js';
import type { Tmux } from '../../src/app/ports/tmux.js';
import { createFakeClock, type FakeClock } from '../fakes/clock.js';

/** A pane whose screen the test scripts; Enter is accepted (the screen changes) from press `acceptOn` on. */
function fakePane(clock: FakeClock, o: { screen: (now: number) => string; acceptOn: number }) {
  const log: string[] = [];
  let enters = 0;
  let accepted = false;
  const tmux = {
    capturePane: async () => (accepted ? `${o.screen(clock.now())}\nworking...` : o.screen(clock.now())),
    loadBuffer: async () => {
      log.push(`load buffer@${clock.now()}`);
    },
    pasteBuffer: async () => {
      log.push(`paste@${clock.now()}`);
    },
    sendKeys: async (_pane: string, ...keys: string[]) => {
      log.push(`${keys.join(' ')}@${clock.now()}`);
      if (keys[0] === 'Enter' && ++enters >= o.acceptOn) accepted = true;
    },
  } as unknown as Tmux;
  return { tmux, log };
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

test(
  'without ready markers, the text is pasted after 400 ms of quiet screen, and Enter 150 ms later',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    // The agent draws its banner until t=200, then sits at its prompt.
    const p = fakePane(clock, { screen: (t) => (t < 200 ? `loading ${t}` : 'ready> '), acceptOn: 1 });
    await deliverText(p.tmux, '%1', 'do the thing', { tmpDir, clock });
    assert.deepEqual(p.log, ['load buffer@650', 'paste@650', 'Enter@800']);
  }),
);

test(
  'an ignored Enter is pressed again after 1.5 s, up to `attempts` times, then DeliveryError',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    const p = fakePane(clock, { screen: () => 'ready> ', acceptOn: 3 });
    await deliverText(p.tmux, '%1', 'x', { tmpDir, clock, readyMarkers: ['ready>'], settleMs: 0 });
    assert.deepEqual(
      p.log.filter((l) => l.startsWith('Enter')),
      ['Enter@0', 'Enter@1500', 'Enter@3000'],
    );

    const never = fakePane(clock, { screen: () => 'ready> ', acceptOn: 99 });
    const twice = { tmpDir, clock, readyMarkers: ['ready>'], attempts: 2 };
    await assert.rejects(deliverText(never.tmux, '%1', 'x', twice), DeliveryError);
  }),
);

test(
  'an agent never showing its ready marker fails at readyTimeoutMs, having pasted nothing',
  withTmp(async (tmpDir) => {
    const clock = createFakeClock({ auto: true });
    const p = fakePane(clock, { screen: () => 'still booting', acceptOn: 1 });
    const o = { tmpDir, clock, readyMarkers: ['ready>'], readyTimeoutMs: 5_000 };
    await assert.rejects(deliverText(p.tmux, '%1', 'x', o), /did not become ready within 5 s/);
    assert.equal(clock.now(), 5_000);
    assert.deepEqual(p.log, []);
  }),
);
