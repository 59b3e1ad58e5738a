/** Discovery over fakes: pruning, host and liveness filters, crewmux's own panes and shims skipped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiscovery, type DiscoveryDeps } from '../../src/app/external/discovery.js';
import type { CardStore, StoredCard } from '../../src/adapters/external/card-store.js';
import type { ServerPane, Tmux } from '../../src/app/ports/tmux.js';
import type { AgentCard } from '../../src/core/external/shim-protocol.js';
import type { ProcessInfo } from '../../src/core/agents/recognition.js';

function fakeCards(cards: AgentCard[], extra: StoredCard[] = []): CardStore & { removed: string[] } {
  const files = new Map<string, StoredCard>([
    ...cards.map((c) => [`/run/agents/${c.id}.json`, { file: `/run/agents/${c.id}.json`, card: c }] as const),
    ...extra.map((e) => [e.file, e] as const),
  ]);
  const removed: string[] = [];
  return {
    dir: '/run/agents',
    removed,
    cardPath: (id) => `/run/agents/${id}.json`,
    socketPath: (id) => `/run/agents/${id}.sock`,
    ensure() {},
    write: () => '',
    list: () => [...files.values()],
    remove(f) {
      removed.push(f);
      files.delete(f);
    },
  };
}
const card = (pid: number, extra: Partial<AgentCard> = {}): AgentCard => ({
  version: 1,
  id: `shim-${pid}`,
  agent: 'codex',
  command: 'codex',
  args: [],
  cwd: '/w',
  pid,
  agentPid: pid + 1,
  socket: `/run/agents/shim-${pid}.sock`,
  host: 'box',
  startedAt: 't',
  ...extra,
});
const pane = (session: string, paneId: string, pid: number): ServerPane => ({
  session,
  paneId,
  pid,
  dead: false,
  cwd: '/p',
  target: `${session}:0.0`,
  socketPath: '/tmp/tmux-0/default',
});

function deps(
  over: Partial<DiscoveryDeps>,
  panes: ServerPane[] = [],
  procs: ProcessInfo[] = [],
  alive: number[] = [],
  roleEnv: number[] = [],
): DiscoveryDeps {
  return {
    cards: fakeCards([]),
    tmux: { listAllPanes: async () => panes } as unknown as Tmux,
    browseMdns: async () => [],
    hostname: 'box',
    processTable: () => procs,
    isAlive: (pid) => alive.includes(pid),
    environHas: (pid, key) => key === 'CREWMUX_ROLE' && roleEnv.includes(pid),
    isOwnSocket: () => true,
    ...over,
  };
}

test('stale cards are pruned with their sockets; invalid cards only warned about', async () => {
  const cards = fakeCards([card(10), card(20)], [{ file: '/run/agents/junk.json' }]);
  const r = await runDiscovery(deps({ cards }, [], [], [20]));
  assert.deepEqual(r.pruned, ['/run/agents/shim-10.json']);
  assert.deepEqual(cards.removed, ['/run/agents/shim-10.json', '/run/agents/shim-10.sock']);
  assert.deepEqual(
    r.agents.map((a) => a.id),
    ['shim-20'],
  );
  assert.match(r.warnings[0]!, /junk\.json: not a valid agent card/);
});

test('mDNS adverts from other hosts, dead pids, missing sockets, bad TXT and crewmux roles are ignored', async () => {
  const txt = (pid: number, extra: Record<string, string> = {}) => ({
    name: `n${pid}`,
    type: 't',
    port: 9,
    host: 'localhost',
    txt: { v: '1', id: `shim-${pid}`, pid: String(pid), agent: 'a', host: 'box', ...extra },
  });
  const r = await runDiscovery(
    deps(
      {
        browseMdns: async () => [
          txt(1),
          txt(2, { host: 'other' }),
          txt(3),
          txt(4),
          txt(5, { v: '9' }),
          txt(6, { role: 'worker' }),
        ],
        isOwnSocket: (p) => p !== '/run/agents/shim-4.sock',
      },
      [],
      [],
      [1, 2, 4, 5, 6],
    ),
  );
  assert.deepEqual(
    r.agents.map((a) => a.id),
    ['shim-1'],
  );
});

test('a failing mDNS browse or tmux scan is a warning, not a failure', async () => {
  const r = await runDiscovery(
    deps({
      browseMdns: async () => {
        throw new Error('EADDRINUSE');
      },
      tmux: {
        listAllPanes: async () => {
          throw new Error('spawn tmux ENOENT');
        },
      } as unknown as Tmux,
    }),
  );
  assert.deepEqual(r.agents, []);
  assert.deepEqual(r.warnings.sort(), ['mDNS browse failed: EADDRINUSE', 'tmux scan failed: spawn tmux ENOENT']);
});

test('crewmux sessions and panes with CREWMUX_ROLE are skipped; agents found by process', async () => {
  const procs: ProcessInfo[] = [
    { pid: 100, ppid: 1, argv: ['bash'] },
    { pid: 101, ppid: 100, argv: ['node', '/usr/bin/claude'] },
    { pid: 200, ppid: 1, argv: ['bash'] },
    { pid: 201, ppid: 200, argv: ['codex'] },
    { pid: 300, ppid: 1, argv: ['bash'] },
    { pid: 301, ppid: 300, argv: ['gemini'] },
    { pid: 400, ppid: 1, argv: ['bash'] },
    { pid: 401, ppid: 400, argv: ['vim', 'claude.md'] },
  ];
  const panes = [
    pane('work', '%1', 100),
    pane('crewmux-sabcdefg', '%2', 200),
    pane('work', '%3', 300),
    pane('work', '%4', 400),
  ];
  const r = await runDiscovery(deps({}, panes, procs, [], [301]));
  assert.deepEqual(
    r.agents.map((a) => [a.id, a.agent, a.pid]),
    [['tmux-%1', 'claude', 101]],
  );
});
