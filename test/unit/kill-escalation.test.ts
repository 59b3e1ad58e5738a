/** stopPolitely, the one kill escalation, over a fake target and the fake clock: which signals, and when. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stopPolitely } from '../../src/adapters/process/exec.js';
import { createFakeClock } from '../fakes/clock.js';

/** A process that dies on the signals in `diesOn`, recording what it got and when. */
function fakeTarget(clock: { now(): number }, diesOn: NodeJS.Signals[]) {
  const got: string[] = [];
  let alive = true;
  return {
    got,
    target: {
      signal(sig: NodeJS.Signals) {
        if (!alive) throw new Error('ESRCH');
        got.push(`${sig}@${clock.now()}`);
        if (diesOn.includes(sig)) alive = false;
      },
      alive: () => alive,
    },
  };
}

test('a target that exits on SIGTERM gets only SIGTERM', async () => {
  const clock = createFakeClock({ auto: true });
  const t = fakeTarget(clock, ['SIGTERM']);
  assert.equal(await stopPolitely(t.target, { clock }), 'exited');
  assert.deepEqual(t.got, ['SIGTERM@0']);
});

test('a target that ignores SIGTERM gets SIGKILL once the grace period (default 2 s) has passed', async () => {
  const clock = createFakeClock({ auto: true });
  const t = fakeTarget(clock, ['SIGKILL']);
  assert.equal(await stopPolitely(t.target, { clock }), 'killed');
  assert.deepEqual(t.got, ['SIGTERM@0', 'SIGKILL@2000']);
  // Polled every 50 ms during the grace period.
  assert.ok(
    clock.sleeps.every((ms) => ms === 50),
    String(clock.sleeps),
  );
});

test("graceMs and the first signal are the caller's (the shim forwards SIGHUP and waits 3 s)", async () => {
  const clock = createFakeClock({ auto: true });
  const t = fakeTarget(clock, ['SIGKILL']);
  assert.equal(await stopPolitely(t.target, { clock, firstSignal: 'SIGHUP', graceMs: 3_000, killWaitMs: 0 }), 'killed');
  assert.deepEqual(t.got, ['SIGHUP@0', 'SIGKILL@3000']);
});

test('a target still alive after SIGKILL and killWaitMs is reported as survived, never thrown', async () => {
  const clock = createFakeClock({ auto: true });
  const t = fakeTarget(clock, []);
  assert.equal(await stopPolitely(t.target, { clock, graceMs: 100, killWaitMs: 1_000 }), 'survived');
  assert.deepEqual(t.got, ['SIGTERM@0', 'SIGKILL@100']);
  assert.equal(clock.now(), 1_100);
});

test('a target that exits during the grace period on its own is not sent SIGKILL', async () => {
  const clock = createFakeClock();
  const t = fakeTarget(clock, []);
  let alive = true;
  const stop = stopPolitely({ signal: t.target.signal, alive: () => alive }, { clock });
  await clock.advance(1_000);
  alive = false;
  await clock.advance(1_500);
  assert.equal(await stop, 'exited');
  assert.deepEqual(t.got, ['SIGTERM@0']);
});
