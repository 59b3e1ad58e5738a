/**
 * Status detection on the node: the node reads its worker's screen with the agent's registry entry (the same pane
 * detector as a local pane: recorded screens of the real CLIs) and reports or pushes the reading; the lead applies it
 * as it applies its own reading of a local pane: waiting with a pane ticket, running again, a blocker's state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { readPane } from '../../src/core/nodes/pane-reading.js';
import { findAgent } from '../../src/core/agents/registry.js';
import { nodeWorkerStatus } from '../../src/app/nodes/serve-workers.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { openTickets } from '../../src/app/questions/tickets.js';
import { createFakeNode, createFakeNodesRuntime } from '../helpers/fake-node.js';
import { createFakeTmux } from '../fakes/tmux.js';

const panes = new URL('../../../test/fixtures/panes/claude/', import.meta.url).pathname;
const screen = (state: string) => readFileSync(join(panes, `${state}.txt`), 'utf8');
const claude = findAgent('claude')!;

test('node pane: the recorded screens of Claude Code read as on a local pane; a waiting one carries its question', () => {
  assert.equal(readPane(claude, screen('busy')).status, 'busy');
  assert.equal(readPane(claude, screen('ready')).status, 'ready');
  const waiting = readPane(claude, screen('waiting'));
  assert.equal(waiting.status, 'waiting');
  assert.match(waiting.tail!, /Do you want to create hello-claude\.txt\?/);
  assert.equal(readPane(claude, screen('busy')).tail, undefined);
  const out = readPane(claude, `${screen('ready')}\n  Not logged in · Run /login\n`);
  assert.equal(out.blocker?.kind, 'auth_required');
  assert.equal(out.blocker?.line, 'Not logged in · Run /login');
});

test('node pane: worker.running on the node reads the live pane with the agent the worker was started with', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crewmux-node-pane-'));
  try {
    const tmux = createFakeTmux();
    const pane = await tmux.newSession('crewmux-s1abc-w01', 'worker', { cwd: dataDir, command: 'claude' });
    const stateDir = join(dataDir, 'node', 'sessions', 's1abc', 'w01');
    mkdirSync(stateDir, { recursive: true });
    const resolveAgent = async (name: string) =>
      name === 'claude' ? { profile: claude, binary: '/bin/claude' } : undefined;
    const d = { dataDir, tmux, resolveAgent };
    // Without the agent's name (an older start), nothing is read.
    tmux.setScreen(pane.paneId, screen('waiting'));
    assert.deepEqual(await nodeWorkerStatus(d, 's1abc/w01'), { running: true, output: 0 });
    writeFileSync(join(stateDir, 'agent'), 'claude');
    const st = await nodeWorkerStatus(d, 's1abc/w01');
    assert.equal(st.pane?.status, 'waiting');
    assert.equal(st.pane?.marker, readPane(claude, screen('waiting')).marker);
    tmux.exitPane(pane.paneId, 0);
    assert.deepEqual(await nodeWorkerStatus(d, 's1abc/w01'), { running: false });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('node pane: a pushed reading moves the worker to waiting (a pane ticket), back to running, or to a blocker', async () => {
  const node = createFakeNode('gpu1');
  const f = await createFakeNodesRuntime(node);
  f.rt.hooks.workerStarted = (w) => monitor.watch(w);
  const monitor = createMonitor(f.rt);
  const settle = async () => {
    for (let i = 0; i < 10; i++) await turn();
  };
  const state = () => f.store.getWorker(f.rt.sid, 'w01')!.state;
  try {
    await spawnWorker(f.rt, { task: 'work', node: 'gpu1' });
    node.push('s1fake00/w01', { running: true, pane: readPane(claude, screen('waiting')) });
    await settle();
    assert.equal(state(), 'waiting');
    const [ticket] = openTickets(f.rt, ['w01']);
    assert.equal(ticket?.source, 'pane');
    assert.match(ticket.question, /Do you want to create hello-claude\.txt\?/);

    node.push('s1fake00/w01', { running: true, pane: readPane(claude, screen('busy')) });
    await settle();
    assert.equal(state(), 'running');
    assert.deepEqual(openTickets(f.rt, ['w01']), []);

    node.push('s1fake00/w01', {
      running: true,
      pane: readPane(claude, `${screen('ready')}\n  Not logged in · Run /login\n`),
    });
    await settle();
    assert.equal(state(), 'auth_required');
    const ev = f.store.eventsAfter(f.rt.sid, 0, 100_000).find((e) => e.type === 'worker.auth_required');
    assert.match(ev!.message, /Not logged in · Run \/login/);
  } finally {
    monitor.close();
    f.cleanup();
  }
});
