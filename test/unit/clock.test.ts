/** waitUntil over the fake clock: when it probes, what it resolves, and the fake clock's own contract. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '../../src/core/clock.js';
import { systemClock } from '../../src/adapters/system/clock.js';
import { createFakeClock } from '../fakes/clock.js';

test('waitUntil probes at once, then every intervalMs, and resolves the first defined value', async () => {
  const clock = createFakeClock({ auto: true });
  const probedAt: number[] = [];
  const probe = () => {
    probedAt.push(clock.now());
    return clock.now() >= 30 ? 'ready' : undefined;
  };
  const v = await waitUntil(probe, { timeoutMs: 1_000, intervalMs: 10, clock });
  assert.equal(v, 'ready');
  assert.deepEqual(probedAt, [0, 10, 20, 30]);
});

test('waitUntil gives up with undefined after timeoutMs, probing a last time at the deadline', async () => {
  const clock = createFakeClock({ auto: true });
  const probedAt: number[] = [];
  const never = () => void probedAt.push(clock.now());
  const v = await waitUntil(never, { timeoutMs: 25, intervalMs: 10, clock });
  assert.equal(v, undefined);
  assert.deepEqual(probedAt, [0, 10, 20, 25]);
  assert.deepEqual(clock.sleeps, [10, 10, 5]);
});

test('waitUntil treats false as "not yet", so a boolean condition resolves true or undefined', async () => {
  const clock = createFakeClock({ auto: true });
  const gone: true | undefined = await waitUntil(() => clock.now() >= 50, { timeoutMs: 100, intervalMs: 50, clock });
  assert.equal(gone, true);
  assert.equal(await waitUntil(() => false, { timeoutMs: 100, intervalMs: 50, clock }), undefined);
});

test('waitUntil awaits async probes and rejects with the error a probe throws', async () => {
  const clock = createFakeClock({ auto: true });
  const seven = async () => (clock.now() >= 20 ? 7 : undefined);
  assert.equal(await waitUntil(seven, { timeoutMs: 100, intervalMs: 10, clock }), 7);
  const boom = new Error('the pane is gone');
  const throwsLater = () => {
    if (clock.now() >= 120) throw boom;
    return undefined;
  };
  await assert.rejects(waitUntil(throwsLater, { timeoutMs: 1_000, intervalMs: 10, clock }), boom);
});

test('waitUntil stops early with undefined when its signal aborts mid-sleep', async () => {
  const clock = createFakeClock();
  const ac = new AbortController();
  let probes = 0;
  const never = () => void probes++;
  const wait = waitUntil(never, { timeoutMs: Infinity, intervalMs: 1_000, clock, signal: ac.signal });
  await clock.advance(2_500);
  assert.equal(probes, 3);
  ac.abort();
  assert.equal(await wait, undefined);
  assert.equal(clock.now(), 2_500);
  assert.equal(clock.pending, 0);
});

test('manual fake clock: nothing resolves until advance passes the wake time, then sleepers wake in order', async () => {
  const clock = createFakeClock({ start: 1_000 });
  const woke: string[] = [];
  void clock.sleep(30).then(() => woke.push(`b@${clock.now()}`));
  void clock.sleep(10).then(() => woke.push(`a@${clock.now()}`));
  void clock.sleep(30).then(() => woke.push(`c@${clock.now()}`));
  await clock.advance(9);
  assert.deepEqual(woke, []);
  assert.equal(clock.pending, 3);
  await clock.advance(21);
  assert.deepEqual(woke, ['a@1010', 'b@1030', 'c@1030']);
  assert.equal(clock.now(), 1_030);
  assert.equal(await clock.next(), false);
});

test('manual fake clock: a loop that sleeps again inside the window runs every iteration at its own time', async () => {
  const clock = createFakeClock();
  const probedAt: number[] = [];
  const never = () => void probedAt.push(clock.now());
  const wait = waitUntil(never, { timeoutMs: 100, intervalMs: 40, clock });
  await clock.advance(100);
  assert.equal(await wait, undefined);
  assert.deepEqual(probedAt, [0, 40, 80, 100]);
});

test('manual fake clock: next() jumps to the earliest wake; sleep(0) and aborted sleeps resolve at once', async () => {
  const clock = createFakeClock();
  let done = false;
  void clock.sleep(500).then(() => {
    done = true;
  });
  assert.equal(await clock.next(), true);
  assert.equal(done, true);
  assert.equal(clock.now(), 500);
  await clock.sleep(0);
  const ac = new AbortController();
  ac.abort();
  await clock.sleep(10_000, ac.signal);
  assert.equal(clock.now(), 500);
  assert.deepEqual(clock.sleeps, [500, 0, 10_000]);
});

test('the system clock sleeps for real and wakes early on abort', async () => {
  const t0 = systemClock.now();
  await systemClock.sleep(20);
  assert.ok(systemClock.now() - t0 >= 15);
  const ac = new AbortController();
  const s = systemClock.sleep(60_000, ac.signal);
  ac.abort();
  await s;
});
