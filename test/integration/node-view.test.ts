/**
 * A node worker's pane at home, on a real tmux server: the loop of core/nodes/view.ts runs in a pane of the lead's
 * window with a stand-in for ssh (a script playing a view that drops twice like a cut link, then attaches, takes
 * typed input, is detached, and finds the session gone). The pane says each drop, attaches again after 1 s then 2 s,
 * passes what is typed into it to the view, and ends saying the session ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { createSessionWindows, openPaneInLayout } from '../../src/app/workers/panes.js';
import { nodeViewCommand } from '../../src/core/nodes/view.js';
import { readIfExists } from '../../src/adapters/system/files.js';
import { createTestEnv, eventually } from '../helpers/env.js';

test('view: the home pane says the view dropped, attaches again with a backoff, passes keys, ends with the session', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null' });
  try {
    await createSessionWindows(tmux, 'crewmux-view', t.dir, join(t.dir, 'lead.sh'), {
      cwd: t.dir,
      command: 'exec sleep 600',
    });
    const count = join(t.dir, 'attempts');
    const typed = join(t.dir, 'typed');
    const fakeSsh = join(t.dir, 'fake-ssh');
    // Attempts 1 and 2: the link is down (ssh exits 255). 3: attached; the agent's screen; what is typed; detached
    // (exit 0). 4: the session is gone (the remote command exits 3).
    writeFileSync(
      fakeSsh,
      [
        '#!/bin/sh',
        `n=$(( $(cat ${count} 2>/dev/null || echo 0) + 1 )); echo $n > ${count}`,
        `[ "$1" = "the remote command" ] || { echo "bad argv: $*"; exit 9; }`,
        'case $n in',
        '1|2) echo "ssh: connect to host gpu1 port 22: No route to host" >&2; exit 255;;',
        `3) printf 'agent screen: holding\\n'; read line; printf '%s' "$line" > ${typed}; exit 0;;`,
        '*) exit 3;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const command = nodeViewCommand({ sshArgv: [fakeSsh, 'the remote command'], workerId: 'w02', node: 'gpu1' });
    const view = await openPaneInLayout(tmux, 'crewmux-view', { cwd: t.dir, command }, '');
    const screen = () => tmux.capturePane(view.paneId, 200);

    const attached = await eventually(
      'the view to attach after two drops',
      async () => ((await screen()).includes('agent screen: holding') ? screen() : undefined),
      20_000,
    );
    const text = attached.replace(/\s+/g, ' ');
    assert.match(
      text,
      /ssh: connect to host gpu1 port 22: No route to host crewmux: the view of w02 on node gpu1 dropped \(the link to the node is down\); the worker keeps running there\. Attaching again in 1s\./,
    );
    assert.match(text, /dropped .* Attaching again in 2s\. agent screen: holding/);

    // Typing into the home pane reaches what the view shows.
    await tmux.sendKeys(view.paneId, 'h', 'i', 'Space', 't', 'h', 'e', 'r', 'e', 'Enter');
    await eventually('the typed line to reach the view', () => readIfExists(typed) === 'hi there');

    // Detached, then the session is gone: the pane says so and its loop ends.
    await eventually(
      'the view pane to end',
      async () => (await tmux.listPanes('crewmux-view')).find((p) => p.paneId === view.paneId && p.dead),
      10_000,
    );
    assert.match(
      (await screen()).replace(/\s+/g, ' '),
      /the session of w02 on node gpu1 has ended; this view is closed\./,
    );
    assert.equal(readFileSync(count, 'utf8').trim(), '4');
  } finally {
    await tmux.killServer().catch(() => undefined);
    t.cleanup();
  }
});
