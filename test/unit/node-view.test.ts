/**
 * A node worker's pane at home: the remote command that attaches to its tmux session on the node, the loop the home
 * pane runs (attach, say when the view dropped, attach again with a backoff, end when the session is gone), and
 * spawn_worker on a node opening that pane in the lead's window (recorded in view.json, not as the row's pane).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { nodeAttachRemote, nodeViewCommand, nodeWorkerSession, VIEW_SESSION_GONE } from '../../src/core/nodes/view.js';
import { nodeTmuxSocket } from '../../src/core/nodes/protocol.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { nodeViewPane } from '../../src/app/nodes/node-view.js';
import { resumeSession } from '../../src/app/session/resume.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeNode, createFakeNodesRuntime } from '../helpers/fake-node.js';

test('view: the node attaches to the worker session of its own crewmux tmux server, or exits 3 when it is gone', () => {
  assert.equal(nodeWorkerSession('s1abc', 'w02'), 's1abc-w02'.replace(/^/, 'crewmux-'));
  assert.equal(nodeTmuxSocket(1001), 'crewmux-node-1001');
  const argv = nodeAttachRemote('crewmux-s1abc-w02');
  assert.deepEqual(argv, [
    'sh',
    '-c',
    'tmux -u -L "crewmux-node-$(id -u)" has-session -t "=$1" 2>/dev/null || exit 3; ' +
      'if command -v infocmp >/dev/null 2>&1 && ! infocmp "$TERM" >/dev/null 2>&1; then TERM=screen; export TERM; fi; ' +
      'exec tmux -u -L "crewmux-node-$(id -u)" attach-session -t "=$1"',
    'sh',
    'crewmux-s1abc-w02',
  ]);
  assert.equal(VIEW_SESSION_GONE, 3);
});

test('view: the home pane loop runs the ssh argv as given, says when the view drops, and ends with the session', () => {
  const cmd = nodeViewCommand({
    sshArgv: ['ssh', '-o', 'BatchMode=yes', '-t', 'me@gpu1', '--', "sh -c 'x'"],
    workerId: 'w02',
    node: 'gpu1',
  });
  const lines = cmd.split('\n');
  assert.equal(lines[0], 'd=1');
  assert.equal(lines[3], `ssh -o BatchMode=yes -t me@gpu1 -- 'sh -c '\\''x'\\'''`);
  assert.match(
    cmd,
    /^3\) printf '\\r\\ncrewmux: the session of w02 on node gpu1 has ended; this view is closed\.\\r\\n' ; exit 0;;$/m,
  );
  assert.match(
    cmd,
    /^255\) printf '.*the view of w02 on node gpu1 dropped \(the link to the node is down\); the worker keeps running there\. Attaching again in %ss\.\\r\\n' "\$d"; sleep "\$d"; d=\$\(\(d \* 2\)\);;$/m,
  );
  assert.match(cmd, /^\[ "\$d" -gt 30 \] && d=30$/m);
});

test('view: a worker spawned on a node gets a pane in the lead window showing it; the row keeps no pane', async () => {
  const f = await createFakeNodesRuntime(createFakeNode('gpu1', { views: true }));
  const monitor = createMonitor(f.rt);
  monitor.leadActivity();
  try {
    await spawnWorker(f.rt, { task: 'work', node: 'gpu1' });
    const w = f.store.getWorker(f.rt.sid, 'w01')!;
    assert.equal(w.pane_id, null);
    const view = nodeViewPane(f.rt, 'w01');
    assert.ok(view, 'view.json names the pane');
    const pane = f.tmux.panes().find((p) => p.paneId === view)!;
    assert.ok(pane, 'the view pane exists');
    // A split of the lead's window, like a local worker's pane.
    assert.equal(pane.windowId, f.tmux.panes()[0]!.windowId);
    assert.ok(pane.spec.command.includes(`ssh -t gpu1.lan -- 'attach s1fake00/w01'`), pane.spec.command);
    assert.match(pane.spec.command, /the view of w01 on node gpu1 dropped/);
    assert.equal(pane.spec.cwd, w.worktree);
    // Its output is not the agent's log (no pipe).
    assert.deepEqual(f.tmux.callsOf('startPane').at(-1)?.at(-1), '');

    // The view is not the agent: it dying is no crash (the agent on the node runs on).
    f.tmux.exitPane(view, 255, null);
    await monitor.tick();
    for (let i = 0; i < 5; i++) await turn();
    assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'running');
  } finally {
    monitor.close();
    f.cleanup();
  }
});

test('view: resume keeps a node worker view that still runs, opens one where it is gone, never closes a pane it did not open', async () => {
  const node = createFakeNode('gpu1', { views: true });
  const f = await createFakeNodesRuntime(node);
  const monitor = createMonitor(f.rt);
  try {
    for (const task of ['kept', 'gone', 'stale']) await spawnWorker(f.rt, { task, node: 'gpu1' });
    const viewOf = (id: string) => nodeViewPane(f.rt, id)!;
    const live = (id: string) => f.tmux.panes().find((p) => p.paneId === id && !p.dead);
    const kept = viewOf('w01');
    // The supervisor died; tmux ran on. w02's view pane was closed meanwhile; w03's is gone too and its record names a
    // pane id that is now another pane's (the lead's), as in a new tmux server: its process is not the view's.
    await f.tmux.killPane(viewOf('w02'));
    await f.tmux.killPane(viewOf('w03'));
    const leadPid = f.tmux.panes().find((p) => p.paneId === f.leadPane)!.pid;
    writeFileSync(
      join(f.rt.sessionDir, 'workers', 'w03', 'view.json'),
      JSON.stringify({ pane: f.leadPane, pid: leadPid + 1000 }),
    );
    f.store.updateSession(f.rt.sid, { status: 'stopped', ended_at: f.clock.now(), outcome_reason: 'died' });
    f.tmux.setScreen(f.leadPane, 'scripted lead ready\n');
    f.tmux.calls.length = 0;

    await resumeSession(f.rt, monitor, { freshTmux: false }, []);

    // w01's view runs on (not closed, not doubled); w02 and w03 have a new one showing their agent on the node.
    assert.equal(viewOf('w01'), kept);
    assert.ok(live(kept));
    for (const id of ['w02', 'w03']) {
      const pane = live(viewOf(id));
      assert.ok(pane, `${id} has a live view pane`);
      assert.ok(pane.spec.command.includes(`attach s1fake00/${id}`), pane.spec.command);
    }
    assert.notEqual(viewOf('w03'), f.leadPane);
    // The pane that took w03's old id was not closed.
    assert.ok(live(f.leadPane), 'the lead pane lives');
    assert.deepEqual(
      f.tmux.callsOf('killPane').map((c) => c[0]),
      [],
    );
    assert.equal(f.tmux.panes().filter((p) => !p.dead && p.spec.command.includes('attach s1fake00/')).length, 3);
  } finally {
    monitor.close();
    f.cleanup();
  }
});
