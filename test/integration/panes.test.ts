/** Pane layout on a real tmux server: the lead window fills to 5 panes, then overflow windows; no stray shells. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTmux } from '../../src/adapters/tmux.js';
import { createSessionWindows, openWorkerPane, startInPane } from '../../src/app/panes.js';
import { createTestEnv, eventually } from '../helpers/env.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

test('seven workers: four beside the lead, three in workers-2; output before the first byte is logged', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null' });
  try {
    await createSessionWindows(tmux, 'crewmux-layout', t.dir, { cwd: t.dir, command: 'exec sleep 600' });
    const panes: { paneId: string; windowId: string }[] = [];
    for (let i = 0; i < 7; i++) panes.push(await openWorkerPane(tmux, 'crewmux-layout', t.dir));
    const all = await tmux.listPanes('crewmux-layout');
    const count = (name: string) => all.filter((p) => p.windowName === name).length;
    assert.equal(count('lead'), 5);
    assert.equal(count('workers-2'), 3);
    assert.equal(count('supervisor'), 1);
    assert.equal(all.length, 9);
    // Every worker pane runs crewmux's placeholder, never a shell that could run typed text.
    assert.ok(all.every((p) => p.currentCommand === 'sleep'), all.map((p) => p.currentCommand).join(','));

    const log = join(t.dir, 'pane.log');
    writeFileSync(log, '');
    await startInPane(tmux, panes[6]!.paneId, log, { cwd: t.dir, command: 'exec printf "first-byte\\n"' });
    await eventually('the log to hold the first output', () => readFileSync(log, 'utf8').includes('first-byte'));
    const dead = await eventually('the pane to be dead but kept', async () => (await tmux.listPanes('crewmux-layout')).find((p) => p.paneId === panes[6]!.paneId && p.dead && p.deadStatus !== null));
    assert.equal(dead.deadStatus, 0);
  } finally {
    t.cleanup();
  }
});
