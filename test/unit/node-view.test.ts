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
