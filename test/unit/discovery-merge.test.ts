import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeDiscovered, type ScannedPane } from '../../src/core/external/discovery-merge.js';
import type { AgentCard } from '../../src/core/external/shim-protocol.js';

const card = (pid: number, extra: Partial<AgentCard> = {}): AgentCard => ({
  version: 1,
  id: `shim-${pid}`,
  agent: 'claude',
  command: 'claude',
  args: [],
  cwd: '/w',
  pid,
  agentPid: pid + 1,
  socket: `/run/agents/shim-${pid}.sock`,
  host: 'h',
  startedAt: 't',
  ...extra,
});
const pane = (paneId: string, treePids: number[], agent?: ScannedPane['agent']): ScannedPane => ({
  session: 's',
  paneId,
  target: `s:0.${paneId.slice(1)}`,
  cwd: '/p',
  socketPath: '/tmp/tmux-0/default',
  treePids,
  ...(agent ? { agent } : {}),
});

test('a shim seen as card, mDNS advert and pane is one entry', () => {
  const out = mergeDiscovered({
    cards: [card(100)],
    mdns: [{ v: '1', id: 'shim-100', pid: '100', agent: 'claude', host: 'h', socket: '/run/agents/shim-100.sock' }],
    panes: [pane('%3', [50, 100, 101], { name: 'claude', pid: 101, argv: ['claude'] })],
  });
  assert.equal(out.length, 1);
  assert.equal(out[0]!.id, 'shim-100');
  assert.deepEqual(out[0]!.sources, ['card', 'mdns', 'tmux']);
  assert.deepEqual(out[0]!.tmux, { session: 's', paneId: '%3', target: 's:0.3' });
});

test('a shim is matched to its pane by TMUX_PANE on the same server too', () => {
  const out = mergeDiscovered({
    cards: [card(7, { tmuxPane: '%9', tmuxSocket: '/tmp/tmux-0/default' })],
    mdns: [],
    panes: [pane('%9', [1])],
  });
  assert.equal(out.length, 1);
  assert.equal(out[0]!.tmux?.paneId, '%9');
});

test('mDNS-only shims, plain agent panes, and panes without an agent', () => {
  const out = mergeDiscovered({
    cards: [],
    mdns: [{ v: '1', id: 'shim-5', pid: '5', agent: 'codex', host: 'h', socket: '/elsewhere/shim-5.sock' }],
    panes: [
      pane('%1', [10, 11], { name: 'gemini', pid: 11, argv: ['node', '/usr/bin/gemini'] }),
      pane('%2', [20]),
      pane('%1', [10, 11]),
    ],
  });
  assert.deepEqual(
    out.map((a) => [a.id, a.agent, a.via, a.pid]),
    [
      ['shim-5', 'codex', 'shim', 5],
      ['tmux-%1', 'gemini', 'tmux', 11],
    ],
  );
  assert.equal(out[0]!.socket, '/elsewhere/shim-5.sock');
});
