/**
 * Admission by memory: the pure rules (meminfo, vm_stat and PSI text from fixtures, sizes, the reserve arithmetic,
 * the pressure threshold, learned sizes), the peak store on SQLite, and spawn_worker with an injected machine (a
 * fake linked to the fake tmux: each live worker pane holds memory): the third worker is queued and starts when the
 * first ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_RESIDENT_MB,
  decideAdmission,
  expectedResident,
  parseMeminfo,
  parsePsiSome,
  parseSize,
  parseVmStat,
  scopedCommand,
  sizeBytes,
} from '../../src/core/workers/memory.js';
import { spawnWorker, startQueuedWorker } from '../../src/app/workers/spawn.js';
import { startQueuedWorkers } from '../../src/app/workers/admission.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { sendToWorker, stopWorker } from '../../src/app/workers/turns.js';
import { waitForWorkers } from '../../src/app/workers/wait.js';
import { canTransition } from '../../src/core/workers/state.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { ToolError } from '../../src/core/errors.js';
import { createMemoryStore } from '../fakes/store.js';
import { createFakeMachine, type FakeMachine } from '../fakes/machine-memory.js';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';

const MB = 1024 * 1024;
const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/memory/${name}`, import.meta.url).pathname, 'utf8');

test('meminfo: MemTotal and MemAvailable in bytes; an old kernel without MemAvailable: MemFree + Buffers + Cached', () => {
  assert.deepEqual(parseMeminfo(fixture('meminfo-linux.txt')), {
    totalBytes: 16303428 * 1024,
    availableBytes: 6291456 * 1024,
  });
  assert.deepEqual(parseMeminfo(fixture('meminfo-old-kernel.txt')), {
    totalBytes: 2048000 * 1024,
    availableBytes: (100000 + 50000 + 250000) * 1024,
  });
  assert.equal(parseMeminfo('nothing here'), undefined);
});

test('vm_stat: (free + inactive + speculative) pages x the page size its header states', () => {
  assert.equal(parseVmStat(fixture('vm_stat-macos.txt')), (12345 + 398765 + 4321) * 16384);
  assert.equal(parseVmStat('Pages free: 12.'), undefined, 'no page size');
  assert.equal(parseVmStat('Mach Virtual Memory Statistics: (page size of 4096 bytes)\n'), undefined, 'no free count');
});

test('PSI: some avg10 of /proc/pressure/memory; absent when the line is missing', () => {
  assert.equal(parsePsiSome(fixture('pressure-memory.txt')), 12.5);
  assert.equal(parsePsiSome('full avg10=4.00 avg60=1.00 avg300=0.20 total=1'), undefined);
});

test('sizes: bytes, K/M/G/T in powers of 1024, a percentage of RAM; anything else is refused by config', () => {
  assert.deepEqual(parseSize('2G'), { bytes: 2 * 1024 * MB });
  assert.deepEqual(parseSize('512MiB'), { bytes: 512 * MB });
  assert.deepEqual(parseSize('1.5g'), { bytes: 1.5 * 1024 * MB });
  assert.deepEqual(parseSize(1000), { bytes: 1000 });
  assert.deepEqual(parseSize('15%'), { percent: 15 });
  for (const bad of ['lots', '150%', '-1G', '2 gigs']) assert.equal(parseSize(bad), undefined, bad);
  assert.equal(sizeBytes('15%', 16 * 1024 * MB), Math.round(16 * 1024 * MB * 0.15));
  assert.equal(sizeBytes('2G', 1), 2 * 1024 * MB);
  assert.throws(() => sizeBytes('lots', 1), /not a size/);
  assert.equal(ConfigSchema.safeParse({ admission: { reserve: '2G', pressureMax: null } }).success, true);
  const bad = ConfigSchema.safeParse({ admission: { reserve: 'lots' } });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /a size: bytes, \\"2G\\"/);
});

test('reserve arithmetic: available − reserve − pending must cover the need, to the byte', () => {
  const reading = { totalBytes: 16_000 * MB, availableBytes: 3_000 * MB };
  const base = { reading, reserveBytes: 2_400 * MB, pressureMax: 10 };
  assert.deepEqual(decideAdmission({ ...base, needBytes: 600 * MB, pendingBytes: 0 }), {
    admit: true,
    freeBytes: 600 * MB,
  });
  const short = decideAdmission({ ...base, needBytes: 600 * MB + 1, pendingBytes: 0 });
  assert.deepEqual(short, {
    admit: false,
    reason: 'available 3000 MB minus the reserve 2400 MB leaves 600 MB; the agent needs 600 MB',
  });
  const pending = decideAdmission({ ...base, needBytes: 300 * MB, pendingBytes: 400 * MB });
  assert.deepEqual(pending, {
    admit: false,
    reason:
      'available 3000 MB minus the reserve 2400 MB, 400 MB still expected by started workers leaves 200 MB; the agent needs 300 MB',
  });
});

test('PSI threshold: some avg10 at or above the limit refuses, below admits, null ignores it, absent PSI admits', () => {
  const input = (psi: number | undefined, pressureMax: number | null) => ({
    reading: {
      totalBytes: 8_000 * MB,
      availableBytes: 8_000 * MB,
      ...(psi !== undefined ? { psiSomeAvg10: psi } : {}),
    },
    reserveBytes: 0,
    needBytes: MB,
    pendingBytes: 0,
    pressureMax,
  });
  assert.equal(decideAdmission(input(9.99, 10)).admit, true);
  assert.deepEqual(decideAdmission(input(10, 10)), {
    admit: false,
    reason: 'memory pressure (PSI some avg10) is 10%, at or above the limit 10%',
  });
  assert.equal(decideAdmission(input(50, null)).admit, true);
  assert.equal(decideAdmission(input(undefined, 10)).admit, true);
});

test('expected size: the registry estimate until peaks are seen, then the largest of the latest ten', () => {
  assert.equal(expectedResident(600, []), 600 * MB);
  assert.equal(expectedResident(undefined, []), DEFAULT_RESIDENT_MB * MB);
  assert.equal(expectedResident(600, [250 * MB, 310 * MB]), 310 * MB);
  const eleven = [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 900].map((x) => x * MB);
  assert.equal(expectedResident(600, eleven), 100 * MB, 'only the newest ten count');
});

test('learned-peak store: a worker keeps its largest sample; an agent learns finished peaks, newest first', () => {
  let t = 1;
  const store = createMemoryStore(() => t++);
  try {
    const peaks = store.peaks();
    peaks.recordWorker('s1', 'w01', 'claude', 500 * MB);
    peaks.recordWorker('s1', 'w01', 'claude', 300 * MB);
    peaks.recordWorker('s1', 'w02', 'codex', 200 * MB);
    peaks.recordWorker('s2', 'w01', 'codex', 1);
    assert.deepEqual(peaks.workerPeaks('s1'), [
      { worker: 'w01', agent: 'claude', peakBytes: 500 * MB },
      { worker: 'w02', agent: 'codex', peakBytes: 200 * MB },
    ]);
    peaks.learn('claude', 500 * MB);
    peaks.learn('claude', 700 * MB);
    peaks.learn('codex', 200 * MB);
    assert.deepEqual(peaks.learned('claude', 10), [700 * MB, 500 * MB]);
    assert.deepEqual(peaks.learned('claude', 1), [700 * MB]);
    assert.deepEqual(peaks.learned('gemini', 10), []);
  } finally {
    store.close();
  }
});

test('worker scope: systemd-run wraps the agent command with MemoryMax and OOMScoreAdjust; else the shell raises its oom_score_adj', () => {
  assert.equal(
    scopedCommand(`agent --prompt "$(cat '/p f')"`, { kind: 'systemd', memoryMaxBytes: 4096, oomScoreAdj: 500 }),
    `systemd-run --user --scope --quiet --collect -p MemoryMax=4096 -p OOMScoreAdjust=500 -- /bin/sh -c 'agent --prompt "$(cat '\\''/p f'\\'')"'`,
  );
  assert.equal(
    scopedCommand('agent', { kind: 'oom', oomScoreAdj: 500 }),
    '{ echo 500 > /proc/self/oom_score_adj; } 2>/dev/null; agent',
  );
});

test('state machine: queued starts or leaves as discarded; nothing else', () => {
  assert.equal(canTransition('queued', 'starting'), true);
  assert.equal(canTransition('queued', 'discarded'), true);
  for (const to of ['running', 'done', 'killed', 'merged'] as const)
    assert.equal(canTransition('queued', to), false, to);
});

/** A fake runtime with a machine: reserve 1 GB, 250 MB beyond it with no worker; each worker pane holds 100 MB. */
async function withMachine(
  fn: (f: FakeRuntime, m: FakeMachine) => Promise<void>,
  o: { maxWorkers?: number; psi?: number } = {},
): Promise<void> {
  const f = await createFakeRuntime({
    config: { admission: { reserve: '1G' } },
    options: { maxWorkers: o.maxWorkers ?? 4 },
  });
  const m = createFakeMachine(f, { totalMb: 8192, availableMb: 1024 + 250, paneMb: 100, psi: o.psi });
  f.rt.machine = m;
  try {
    await fn(f, m);
  } finally {
    f.cleanup();
  }
}

test('admission with an injected memory reader queues the third worker and starts it when the first ends', () =>
  withMachine(async (f) => {
    let queueRun: Promise<void> | undefined;
    const monitor = createMonitor(f.rt, {
      startQueued: () => (queueRun = startQueuedWorkers(f.rt, (w) => startQueuedWorker(f.rt, w))),
    });
    // The monitor samples each worker's tree RSS (at most every 5 s): a sampled worker reserves nothing more.
    const tick = async () => {
      f.clock.advance(5_000);
      await monitor.tick();
      await queueRun;
    };
    const one = await spawnWorker(f.rt, { task: 'one' });
    await tick();
    const two = await spawnWorker(f.rt, { task: 'two' });
    await tick();
    assert.deepEqual(
      [one.worker.state, two.worker.state, one.queued, two.queued],
      ['running', 'running', undefined, undefined],
    );

    const three = await spawnWorker(f.rt, { task: 'three', perspective: 'tester' });
    const reason = 'available 1074 MB minus the reserve 1024 MB leaves 50 MB; the agent needs 100 MB';
    assert.equal(three.queued, reason);
    const w3 = f.store.getWorker(f.rt.sid, 'w03')!;
    assert.deepEqual(
      [w3.state, w3.pane_id, w3.base_commit, w3.summary],
      ['queued', null, '', `queued for memory: ${reason}`],
    );
    // A queue costs nothing: no worktree, no branch, no pane.
    assert.equal(f.git.worktrees.has(w3.worktree), false);
    assert.equal(f.git.branches.has(w3.branch), false);
    assert.equal(f.tmux.panes().length, 4);
    // It waits through the queue, takes no messages, and memory that has not freed keeps it there.
    const waited = await waitForWorkers(f.rt, ['w03'], 'any', 0);
    assert.deepEqual(
      waited.pending.map((w) => w.state),
      ['queued'],
    );
    await assert.rejects(
      sendToWorker(f.rt, 'w03', 'hello'),
      (e: Error) => e instanceof ToolError && /queued for memory/.test(e.message),
    );
    await tick();
    assert.equal(f.store.getWorker(f.rt.sid, 'w03')!.state, 'queued');

    // The first ends: its agent's 100 MB come back, and the next tick starts the queued worker.
    await stopWorker(f.rt, 'w01', 'killed', 'kill_worker');
    await tick();
    const started = f.store.getWorker(f.rt.sid, 'w03')!;
    assert.equal(started.state, 'running');
    assert.notEqual(started.pane_id, null);
    assert.equal(started.summary, null);
    assert.equal(f.git.worktrees.has(started.worktree), true);
    assert.equal(started.base_commit, f.git.resolve(f.rt.integrationBranch));
    const types = f.eventTypes();
    assert.deepEqual(
      types.filter((t) => ['worker.queued', 'worker.admitted', 'worker.spawned'].includes(t)),
      ['worker.spawned', 'worker.spawned', 'worker.queued', 'worker.admitted', 'worker.spawned'],
    );
    // The peaks seen were recorded per worker (w03's at the tick after it started).
    await tick();
    assert.deepEqual(
      f.store
        .peaks()
        .workerPeaks(f.rt.sid)
        .map((p) => [p.worker, p.peakBytes]),
      [
        ['w01', 100 * MB],
        ['w02', 100 * MB],
        ['w03', 100 * MB],
      ],
    );
    monitor.close();
  }));

test('admission: a worker started but not yet sampled still reserves its expected size (two spawns at once)', () =>
  withMachine(async (f) => {
    // 250 MB beyond the reserve: the first's pane holds 100 MB, and until the monitor samples it, it is expected
    // to take its whole 100 MB estimate more (an agent grows after its start).
    await spawnWorker(f.rt, { task: 'one' });
    const r = await spawnWorker(f.rt, { task: 'two' });
    assert.equal(
      r.queued,
      'available 1174 MB minus the reserve 1024 MB, 100 MB still expected by started workers leaves 50 MB; the agent needs 100 MB',
    );
  }));

test('admission: queued workers start in order, nothing overtakes the queue, --max-workers counts them', () =>
  withMachine(
    async (f, m) => {
      m.baseAvailableMb = 1024 + 50;
      const a = await spawnWorker(f.rt, { task: 'a' });
      const b = await spawnWorker(f.rt, { task: 'b' });
      assert.equal(a.worker.state, 'queued');
      assert.match(b.queued!, /1 worker is already queued for memory/);
      await assert.rejects(
        spawnWorker(f.rt, { task: 'c' }),
        /already running or queued \(the limit is --max-workers 2\)/,
      );
      m.baseAvailableMb = 1024 + 150;
      await startQueuedWorkers(f.rt, (w) => startQueuedWorker(f.rt, w));
      assert.deepEqual(
        f.store.listWorkers(f.rt.sid).map((w) => w.state),
        ['running', 'queued'],
      );
    },
    { maxWorkers: 2 },
  ));

test('admission: kill_worker takes a queued worker off the queue (discarded): it never starts', () =>
  withMachine(async (f, m) => {
    m.baseAvailableMb = 0;
    await spawnWorker(f.rt, { task: 'a' });
    const w = await stopWorker(f.rt, 'w01', 'killed', 'kill_worker');
    assert.equal(w?.state, 'discarded');
    assert.match(w.summary ?? '', /never started: removed from the memory queue \(kill_worker\)/);
    m.baseAvailableMb = 10_000;
    await startQueuedWorkers(f.rt, (x) => startQueuedWorker(f.rt, x));
    assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'discarded');
    assert.equal(f.tmux.panes().length, 2);
  }));

test('admission: PSI at the threshold queues; below it admits; admission.enabled false admits regardless', async () => {
  await withMachine(
    async (f) => {
      const r = await spawnWorker(f.rt, { task: 'a' });
      assert.match(r.queued!, /memory pressure \(PSI some avg10\) is 10%/);
    },
    { psi: 10 },
  );
  await withMachine(
    async (f) => {
      assert.equal((await spawnWorker(f.rt, { task: 'a' })).worker.state, 'running');
    },
    { psi: 9.5 },
  );
  await withMachine(async (f, m) => {
    m.baseAvailableMb = 0;
    f.rt.config = { ...f.rt.config, admission: { enabled: false } };
    assert.equal((await spawnWorker(f.rt, { task: 'a' })).worker.state, 'running');
  });
});
