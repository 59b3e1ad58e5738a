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
import type { NodeRuntime } from '../../src/app/nodes/node-runtime.js';
import type { WorkerStatus } from '../../src/core/nodes/protocol.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { openTickets } from '../../src/app/questions/tickets.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
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
    assert.deepEqual(await nodeWorkerStatus(d, 's1abc/w01'), { running: true });
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
  let push: (id: string, st: WorkerStatus) => void = () => undefined;
  const runtime = {
    name: 'gpu1',
    node: 'gpu1',
    capabilities: () => Promise.resolve({ sendText: true, readOutput: true }),
    start: () => Promise.reject(new Error('startOnNode only')),
    startOnNode: (s: { workerId: string }) => Promise.resolve({ id: `s1fake00/${s.workerId}` }),
    status: () => Promise.resolve({ running: true }),
    isRunning: () => Promise.resolve(true),
    stop: () => Promise.resolve(true),
    sendText: () => Promise.resolve(),
    readOutput: () => Promise.resolve(''),
    fetchBack: () => Promise.resolve({ refs: [] }),
    viewArgv: () => undefined,
    onStatus: (fn: typeof push) => (push = fn),
    watch: () => undefined,
    close: () => Promise.resolve(),
  } as unknown as NodeRuntime;
  const f = await createFakeRuntime({
    config: ConfigSchema.parse({ nodes: { gpu1: { host: 'gpu1.lan' } } }),
    runtime: { newNodeRuntime: () => runtime },
  });
  f.rt.hooks.workerStarted = (w) => monitor.watch(w);
  const monitor = createMonitor(f.rt);
  const settle = async () => {
    for (let i = 0; i < 10; i++) await turn();
  };
  const state = () => f.store.getWorker(f.rt.sid, 'w01')!.state;
  try {
    await spawnWorker(f.rt, { task: 'work', node: 'gpu1' });
    push('s1fake00/w01', { running: true, pane: readPane(claude, screen('waiting')) });
    await settle();
    assert.equal(state(), 'waiting');
    const [ticket] = openTickets(f.rt, ['w01']);
    assert.equal(ticket?.source, 'pane');
    assert.match(ticket.question, /Do you want to create hello-claude\.txt\?/);

    push('s1fake00/w01', { running: true, pane: readPane(claude, screen('busy')) });
    await settle();
    assert.equal(state(), 'running');
    assert.deepEqual(openTickets(f.rt, ['w01']), []);

    push('s1fake00/w01', {
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
