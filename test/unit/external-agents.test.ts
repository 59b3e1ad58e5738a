/** The lead's external-agent use cases over fakes: ordering of paste and Enter, errors the lead can act on. */
import { systemClock } from '../../src/adapters/system/clock.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createExternalAgentDeps,
  discoverAgents,
  readFromExternalAgent,
  sendToExternalAgent,
  type ExternalAgentDeps,
} from '../../src/app/external/external-agents.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import type { Tmux } from '../../src/app/ports/tmux.js';
import { resolvePaths } from '../../src/app/session/paths.js';
import { ToolError } from '../../src/core/errors.js';
import type { ProcessInfo } from '../../src/core/agents/recognition.js';

function fixture() {
  const calls: string[] = [];
  let procs: ProcessInfo[] = [
    { pid: 10, ppid: 1, argv: ['bash'] },
    { pid: 11, ppid: 10, argv: ['codex'] },
  ];
  const tmux = {
    listAllPanes: async () => [
      { session: 'w', paneId: '%5', pid: 10, dead: false, cwd: '/p', target: 'w:0.0', socketPath: '/t' },
    ],
    setBuffer: async (name: string, text: string) => {
      calls.push(`set-buffer ${name} ${text}`);
    },
    pasteBuffer: async (name: string, pane: string) => {
      calls.push(`paste-buffer ${name} ${pane}`);
    },
    sendKeys: async (pane: string, ...keys: string[]) => {
      calls.push(`send-keys ${pane} ${keys.join(' ')}`);
    },
    capturePane: async () => 'line one\nline two\n\n',
  } as unknown as Tmux;
  const paths = resolvePaths({ CREWMUX_RUNTIME_DIR: '/nonexistent/run' }, '/nonexistent', 0);
  const deps: ExternalAgentDeps = createExternalAgentDeps(
    { paths, tmux, env: { CREWMUX_MDNS: '0' }, clock: systemClock },
    {
      processTable: () => procs,
      environHas: () => false,
      sleep: async (ms) => {
        calls.push(`sleep ${ms}`);
      },
    },
  );
  return {
    deps,
    calls,
    setProcs: (p: ProcessInfo[]) => {
      procs = p;
    },
  };
}

test('a plain pane gets the text pasted, a settle delay, then Enter as its own key', async () => {
  const { deps, calls } = fixture();
  const { agents } = await discoverAgents(deps);
  assert.deepEqual(
    agents.map((a) => a.id),
    ['tmux-%5'],
  );
  assert.deepEqual(await sendToExternalAgent(deps, 'tmux-%5', 'fix the bug'), {
    id: 'tmux-%5',
    via: 'tmux',
    chars: 11,
    enter: true,
  });
  assert.deepEqual(calls, [
    `set-buffer crewmux-ext-${process.pid}-5 fix the bug`,
    `paste-buffer crewmux-ext-${process.pid}-5 %5`,
    'sleep 300',
    'send-keys %5 Enter',
  ]);
  const r = await readFromExternalAgent(deps, 'tmux-%5');
  assert.deepEqual(r, {
    id: 'tmux-%5',
    via: 'tmux',
    mode: 'screen',
    text: 'line one\nline two',
    skippedBytes: 0,
    exited: false,
  });
});

test('errors start with "Error:" and say what to do', async () => {
  const { deps, setProcs } = fixture();
  await discoverAgents(deps);
  const isToolError = (re: RegExp) => (e: unknown) => e instanceof ToolError && re.test(e.message);
  await assert.rejects(
    sendToExternalAgent(deps, 'nope', 'x'),
    isToolError(/^Error: unknown agent id "nope"\. Call discover_running_agents/),
  );
  await assert.rejects(readFromExternalAgent(deps, 'tmux-%5', 0), isToolError(/^Error: max_bytes must be/));
  await assert.rejects(
    sendToExternalAgent(deps, 'tmux-%5', 'x'.repeat(100_001)),
    isToolError(/^Error: the text is 100001 characters/),
  );
  setProcs([{ pid: 10, ppid: 1, argv: ['bash'] }]); // the agent exited; its shell remains
  await assert.rejects(
    sendToExternalAgent(deps, 'tmux-%5', 'rm -rf /'),
    isToolError(/^Error: agent tmux-%5 is no longer running .*discover_running_agents/),
  );
});

test('tmux argv of the discovery methods', async () => {
  const argvs: string[][] = [];
  const tmux = createTmux({
    binary: 'true',
    socket: 'crewmux-test-x',
    configFile: '/dev/null',
    onCommand: (a) => argvs.push(a),
  });
  assert.deepEqual(await tmux.listAllPanes(), []);
  await tmux.setBuffer('b1', '-dash first');
  assert.deepEqual(argvs, [
    [
      'true',
      '-L',
      'crewmux-test-x',
      '-f',
      '/dev/null',
      'list-panes',
      '-a',
      '-F',
      '#{session_name}\t#{pane_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_current_path}\t#{window_index}\t#{pane_index}\t#{socket_path}',
    ],
    ['true', '-L', 'crewmux-test-x', '-f', '/dev/null', 'set-buffer', '-b', 'b1', '--', '-dash first'],
  ]);
});
