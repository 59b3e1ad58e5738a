/**
 * Resume re-adopts node workers (docs/architecture.md "Worker nodes: resume"): after the supervisor died, a worker
 * whose agent still runs on its node is kept and watched (not relaunched, not crashed), one whose done.flag was
 * written on the node meanwhile finishes now with its branch fetched home, one whose agent is gone is crashed, and
 * one whose node does not answer stays watched (the monitor's nodes.lostAfter decides). On fakes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { resumeSession } from '../../src/app/session/resume.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { rotateTokens } from '../../src/app/session/tokens.js';
import { nodeOf } from '../../src/app/workers/worker-runtimes.js';
import { createFakeNode, createFakeNodesRuntime } from '../helpers/fake-node.js';

test('resume re-adopts node workers: a live agent is kept and watched, a finished one done, a gone one crashed', async () => {
  const node = createFakeNode('gpu1');
  const f = await createFakeNodesRuntime(node, { nodes: { lostAfter: 60, gpu1: { host: 'gpu1.lan' } } });
  const monitor = createMonitor(f.rt);
  // The lead host's mirror lets go of its branch for a fetch (app/nodes/node-workers.ts).
  f.git.scriptRaw(['checkout', '-q', '--detach'], '');
  try {
    for (const task of ['live', 'finished', 'gone', 'silent']) await spawnWorker(f.rt, { task, node: 'gpu1' });
    const w = (id: string) => f.store.getWorker(f.rt.sid, id)!;
    // The supervisor died; meanwhile on the node: w01 works on, w02 wrote its done.flag, w03's agent exited, and
    // w04's node does not answer now.
    f.store.updateSession(f.rt.sid, { status: 'stopped', ended_at: f.clock.now(), outcome_reason: 'died' });
    node.agents.set('w02', {
      running: true,
      doneFlag: JSON.stringify({ nonce: w('w02').nonce, status: 'done', summary: 'finished while down' }),
    });
    node.agents.set('w03', { running: false });
    node.agents.set('w04', 'unreachable');
    f.tmux.setScreen(f.leadPane, 'scripted lead ready\n');

    await resumeSession(f.rt, monitor, { freshTmux: false }, []);

    assert.deepEqual(
      ['w01', 'w02', 'w03', 'w04'].map((id) => [id, w(id).state]),
      [
        ['w01', 'running'],
        ['w02', 'done'],
        ['w03', 'crashed'],
        ['w04', 'running'],
      ],
    );
    assert.equal(w('w02').summary, 'finished while down');
    // Nothing was relaunched or stopped on the node; w02's branch was fetched home when its turn ended.
    assert.deepEqual(node.started, ['w01', 'w02', 'w03', 'w04']);
    assert.deepEqual(node.stopped, []);
    assert.deepEqual(node.fetched, ['w02']);
    const resumed = f.store
      .eventsAfter(f.rt.sid)
      .filter((e) => e.type === 'session.resumed')
      .at(-1)!.message;
    assert.match(resumed, /w01 still runs on node gpu1: re-adopted/);
    assert.match(resumed, /w02 finished on node gpu1 while crewmux was down \(done\)/);
    assert.match(resumed, /w03's agent on node gpu1 was gone; it is crashed/);
    assert.match(resumed, /w04's node gpu1 did not answer \(.*No route to host\); it is watched again/);

    // Watched again: w01's done.flag, read on its node by the monitor, ends its turn and brings its branch home.
    node.agents.set('w01', {
      running: true,
      doneFlag: JSON.stringify({ nonce: w('w01').nonce, status: 'done', summary: 'done after the resume' }),
    });
    f.clock.advance(3_000);
    await monitor.tick();
    for (let i = 0; i < 10 && w('w01').state !== 'done'; i++) await turn();
    assert.deepEqual([w('w01').state, w('w01').summary], ['done', 'done after the resume']);
    assert.deepEqual(node.fetched, ['w02', 'w01']);
  } finally {
    monitor.close();
    f.cleanup();
  }
});

test('resume: rotateTokens keeps the token of a node worker (keep), replaces the lead’s and every other worker’s', async () => {
  const node = createFakeNode('gpu1');
  const f = await createFakeNodesRuntime(node);
  try {
    await spawnWorker(f.rt, { task: 'on the node', node: 'gpu1' });
    await spawnWorker(f.rt, { task: 'here' });
    const tokens = () => [
      f.store.getSession(f.rt.sid)!.lead_token,
      ...['w01', 'w02'].map((id) => f.store.getWorker(f.rt.sid, id)!.token),
    ];
    const [lead, onNode, here] = tokens();
    f.rt.mcpSocket = '/run/crewmux/mcp/x.sock';
    assert.equal(
      rotateTokens(f.store, f.rt.sid, (w) => nodeOf(f.rt, w) !== undefined),
      1,
    );
    const [lead2, onNode2, here2] = tokens();
    assert.notEqual(lead2, lead);
    assert.equal(onNode2, onNode);
    assert.notEqual(here2, here);
  } finally {
    f.cleanup();
  }
});
