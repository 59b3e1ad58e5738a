/**
 * Resuming a session whose workers run on an `exec:` runtime (docs/runtimes.md), over a stateful fake provider
 * script: its runtime is asked `is-running` with each worker's handle; a live agent is re-adopted (not crashed, not
 * relaunched) and watched again, a gone one is crashed with worker.crashed, and one its runtime cannot tell about
 * stays watched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { writeDoneFlag } from '../helpers/worker-steps.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { resumeSession } from '../../src/app/session/resume.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import type { ScriptedResult } from '../fakes/process-runner.js';

const SCRIPT = '/opt/pods.sh';

/**
 * A fake provider script on `f`'s runner: `start` makes a pod `pod-<worker>` that runs until the test ends it;
 * `is-running` answers for the pods it made and fails (exit 1) for one in `broken`; it records the ops it was asked.
 */
function fakePods(f: FakeRuntime) {
  const pods = new Map<string, boolean>();
  const broken = new Set<string>();
  const asked: [string, string | undefined][] = [];
  f.runner.handler = (call): ScriptedResult | undefined => {
    if (call.argv[0] !== SCRIPT) return undefined;
    const op = call.argv[1]!;
    const input = JSON.parse(call.input ?? '{}') as { id?: string; workerId?: string };
    asked.push([op, input.id]);
    const reply = (o: object): ScriptedResult => ({ stdout: JSON.stringify(o) });
    switch (op) {
      case 'capabilities':
        return reply({ sendText: true, readOutput: true });
      case 'start':
        pods.set(`pod-${input.workerId}`, true);
        return reply({ id: `pod-${input.workerId}` });
      case 'is-running':
        if (broken.has(input.id!)) return { exitCode: 1, stderr: 'the cluster did not answer' };
        return reply({ running: pods.get(input.id!) ?? false });
      case 'stop': {
        const was = pods.get(input.id!) ?? false;
        pods.set(input.id!, false);
        return reply({ wasRunning: was });
      }
      case 'send-text':
        return reply({});
      case 'read-output':
        return reply({ text: '' });
      default:
        return { exitCode: 2 };
    }
  };
  return { pods, broken, asked };
}

test('resume re-adopts a worker its exec runtime still runs, crashes a gone one, and keeps one it cannot tell about', async () => {
  const f = await createFakeRuntime({ config: { runtimes: { pods: { exec: SCRIPT } } } });
  const p = fakePods(f);
  try {
    const live = (await spawnWorker(f.rt, { task: 'keep going', runtime: 'pods' })).worker;
    const gone = (await spawnWorker(f.rt, { task: 'lost meanwhile', runtime: 'pods' })).worker;
    const unsure = (await spawnWorker(f.rt, { task: 'behind a silent cluster', runtime: 'pods' })).worker;
    assert.deepEqual(
      [live, gone, unsure].map((w) => [w.state, w.pane_id]),
      [
        ['running', null],
        ['running', null],
        ['running', null],
      ],
    );
    // The supervisor dies; meanwhile one pod ends and the cluster stops answering about another.
    f.store.updateSession(f.rt.sid, { status: 'stopped', ended_at: f.clock.now(), outcome_reason: 'died' });
    p.pods.set(`pod-${gone.id}`, false);
    p.broken.add(`pod-${unsure.id}`);
    f.tmux.setScreen(f.leadPane, 'scripted lead ready\n');
    p.asked.length = 0;

    const monitor = createMonitor(f.rt);
    try {
      await resumeSession(f.rt, monitor, { freshTmux: false }, []);
      // Each was asked about with its handle; none was stopped or started again.
      assert.deepEqual(p.asked, [
        ['is-running', `pod-${live.id}`],
        ['is-running', `pod-${gone.id}`],
        ['is-running', `pod-${unsure.id}`],
      ]);
      const row = (id: string) => f.store.getWorker(f.rt.sid, id)!;
      assert.equal(row(live.id).state, 'running');
      assert.equal(row(live.id).nonce, live.nonce, 'not relaunched');
      assert.equal(row(unsure.id).state, 'running');
      assert.deepEqual([row(gone.id).state, row(gone.id).exit_info], ['crashed', 'lost in restart']);
      const crashed = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'worker.crashed');
      assert.deepEqual(
        crashed.map((e) => e.worker_id),
        [gone.id],
      );
      const resumed = f.store
        .eventsAfter(f.rt.sid)
        .filter((e) => e.type === 'session.resumed')
        .at(-1)!.message;
      assert.match(resumed, new RegExp(`${live.id} still runs on runtime exec:pods: re-adopted`));
      assert.match(resumed, new RegExp(`${gone.id}'s agent on runtime exec:pods was gone; it is crashed`));
      assert.match(resumed, new RegExp(`${unsure.id}'s runtime exec:pods could not tell .*the cluster did not answer`));

      // Watched again: the re-adopted worker's done file ends its turn.
      writeDoneFlag(live, live.nonce, 'finished after the restart');
      await monitor.checkNow(live.id);
      assert.deepEqual([row(live.id).state, row(live.id).summary], ['done', 'finished after the restart']);
    } finally {
      monitor.close();
    }
  } finally {
    f.cleanup();
  }
});
