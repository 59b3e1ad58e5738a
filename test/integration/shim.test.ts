/**
 * crewmux-shim end to end on a private tmux server: the shim runs the fake-tui fixture in a real pane,
 * discovery finds it (card + mDNS + pane), the lead's use cases send a prompt and read the answer,
 * and killing it removes the card, the socket and the mDNS record. Also: agents in plain panes,
 * crewmux's own panes skipped, stale cards pruned, the terminal restored after exit.
 */
import { systemClock } from '../../src/adapters/system/clock.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { withEnvFile } from '../../src/app/workers/panes.js';
import type { Tmux } from '../../src/app/ports/tmux.js';
import { watchServices, type MdnsService } from '../../src/adapters/external/mdns.js';
import { callRpc } from '../../src/adapters/external/json-rpc-client.js';
import { resolvePaths } from '../../src/app/session/paths.js';
import {
  createExternalAgentDeps,
  discoverAgents,
  readFromExternalAgent,
  sendToExternalAgent,
  type ExternalAgentDeps,
} from '../../src/app/external/external-agents.js';
import { shellJoin } from '../../src/core/text/shell-quote.js';
import { ToolError } from '../../src/core/errors.js';
import { MDNS_SERVICE_TYPE } from '../../src/core/external/shim-protocol.js';
import { signalPid } from '../helpers/wait.js';

// If these tests run inside a crewmux agent, its variables would make every pane look like crewmux's own.
for (const k of ['CREWMUX_ROLE', 'CREWMUX_SESSION_ID', 'CREWMUX_WORKER_ID', 'TMUX', 'TMUX_PANE']) delete process.env[k];

const root = fileURLToPath(new URL('../../../', import.meta.url));
const shimBin = join(root, 'bin', 'crewmux-shim.js');
const fakeTui = join(root, 'test', 'fixtures', 'bin', 'fake-tui');

let dir: string;
let runtimeDir: string;
let tmux: Tmux;
let deps: ExternalAgentDeps;
const mdnsUp: MdnsService[] = [];
const mdnsDown: MdnsService[] = [];
let watcher: { close(): Promise<void> } | undefined;

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `argv` in a new tmux session; `after` runs in the same shell once it exits. */
async function startPane(
  session: string,
  argv: string[],
  env: Record<string, string> = {},
  afterExit = '',
): Promise<string> {
  const command = shellJoin(argv) + (afterExit ? `; ${afterExit}` : '') + '; sleep 600';
  const { paneId } = await tmux.newSession(
    session,
    'main',
    withEnvFile({ cwd: dir, command, env: { CREWMUX_RUNTIME_DIR: runtimeDir, ...env } }, join(dir, `${session}.env`)),
    { width: 120, height: 30 },
  );
  return paneId;
}

/** The card of the shim running in tmux pane `paneId` (the shim records its TMUX_PANE). */
const cardOf = (paneId: string) =>
  deps.cards
    .list()
    .map((c) => c.card)
    .find((c) => c?.tmuxPane === paneId);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cmx-shim-'));
  runtimeDir = join(dir, 'run');
  tmux = createTmux({ socket: `crewmux-test-${process.pid}`, configFile: '/dev/null' });
  const paths = resolvePaths(
    { CREWMUX_RUNTIME_DIR: runtimeDir, CREWMUX_DATA_DIR: join(dir, 'data'), CREWMUX_CONFIG_DIR: join(dir, 'cfg') },
    dir,
    process.getuid?.() ?? 0,
  );
  deps = createExternalAgentDeps(
    { paths, tmux, env: {}, clock: systemClock },
    { mdnsBrowseMs: 800, enterDelayMs: 200 },
  );
  watcher = watchServices(
    MDNS_SERVICE_TYPE,
    (s) => mdnsUp.push(s),
    (s) => mdnsDown.push(s),
  );
});

after(async () => {
  await watcher?.close();
  await tmux.killServer();
  rmSync(dir, { recursive: true, force: true });
});

test('a shim in a tmux pane is discovered, answers a prompt, and disappears when killed', async () => {
  const pane = await startPane(
    'ext-shim',
    ['node', shimBin, fakeTui],
    {},
    'echo "SHIM_EXIT=$?" > shim-exit.txt; stty -a > stty-after.txt',
  );
  const card = await waitFor('the shim card', () => cardOf(pane));
  assert.equal(statSync(deps.cards.cardPath(card.id)).mode & 0o777, 0o600);
  assert.equal(statSync(card.socket).mode & 0o777, 0o600);
  assert.equal(statSync(deps.cards.dir).mode & 0o777, 0o700);

  await waitFor('the mDNS advert', () => mdnsUp.find((s) => s.txt.id === card.id));
  const found = await discoverAgents(deps);
  // Filter by id: a developer's own shims on this machine may answer on mDNS too.
  const shims = found.agents.filter((a) => a.id === card.id);
  assert.equal(shims.length, 1, JSON.stringify(found));
  const me = shims[0]!;
  assert.equal(me.id, card.id);
  assert.deepEqual([...me.sources].sort(), ['card', 'mdns', 'tmux']);
  assert.equal(me.tmux?.session, 'ext-shim');
  assert.equal(found.agents.filter((a) => a.tmux?.session === 'ext-shim').length, 1, 'the pane is not listed twice');

  // `crewmux agents --json` sees the same agent.
  const cli = spawnSync(process.execPath, [join(root, 'bin', 'crewmux.js'), 'agents', '--json', '--mdns-ms', '300'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      CREWMUX_RUNTIME_DIR: runtimeDir,
      CREWMUX_TMUX_SOCKET: `crewmux-test-${process.pid}`,
      CREWMUX_TMUX_CONFIG: '/dev/null',
      CREWMUX_DATA_DIR: join(dir, 'data'),
      CREWMUX_CONFIG_DIR: join(dir, 'cfg'),
    },
  });
  assert.equal(cli.status, 0, cli.stderr);
  const listed = JSON.parse(cli.stdout) as { agents: { id: string; via: string }[] };
  assert.deepEqual(
    listed.agents.filter((a) => a.id === card.id).map((a) => a.via),
    ['shim'],
  );

  // The TUI enabled bracketed paste and sees the pane's real size.
  await waitFor(
    'fake-tui ready',
    async () => ((await callRpc(card.socket, 'info')) as { bracketedPaste: boolean }).bracketedPaste,
  );
  const info = (await callRpc(card.socket, 'info')) as { cols: number; rows: number };
  assert.deepEqual([info.cols, info.rows], [120, 30]);

  await readFromExternalAgent(deps, me.id); // consume the start-up screen
  const sent = await sendToExternalAgent(deps, me.id, 'hello from the lead');
  assert.deepEqual(sent, { id: me.id, via: 'shim', chars: 19, enter: true });
  let seen = '';
  await waitFor('the answer', async () => {
    const r = await readFromExternalAgent(deps, me.id, 4000);
    assert.equal(r.mode, 'stream');
    seen += r.text;
    return seen.includes('ANSWER: HELLO FROM THE LEAD');
  });
  assert.doesNotMatch(seen, /\u001b/, 'stripped of escapes');
  const again = await readFromExternalAgent(deps, me.id);
  assert.equal(again.text.includes('ANSWER: HELLO FROM THE LEAD'), false, 'a second read does not repeat the first');

  // The user's keystrokes in the terminal reach the agent too.
  await tmux.sendKeys(pane, '-l', 'typed by the user');
  await tmux.sendKeys(pane, 'Enter');
  await waitFor('the answer to typed keys', async () =>
    (await tmux.capturePane(pane)).includes('ANSWER: TYPED BY THE USER'),
  );

  // Window size changes reach the agent.
  spawnSync('tmux', [
    '-L',
    `crewmux-test-${process.pid}`,
    'resize-window',
    '-t',
    '=ext-shim:',
    '-x',
    '100',
    '-y',
    '25',
  ]);
  await waitFor('the resized agent', async () => {
    const r = await readFromExternalAgent(deps, me.id);
    return r.text.includes('size 100x25');
  });

  signalPid(card.pid, 'SIGTERM');
  await waitFor('the card to go', () => !existsSync(deps.cards.cardPath(card.id)));
  await waitFor('the socket to go', () => !existsSync(card.socket));
  await waitFor('the mDNS goodbye', () => mdnsDown.find((s) => s.txt.id === card.id));
  const exitFile = join(dir, 'shim-exit.txt');
  await waitFor(
    'the shim to exit',
    () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').includes('SHIM_EXIT='),
  );
  assert.equal(readFileSync(exitFile, 'utf8').trim(), 'SHIM_EXIT=143', 'the agent died of SIGTERM: 128 + 15');
  await waitFor(
    'stty output',
    () =>
      existsSync(join(dir, 'stty-after.txt')) && readFileSync(join(dir, 'stty-after.txt'), 'utf8').includes('icanon'),
  );
  assert.match(readFileSync(join(dir, 'stty-after.txt'), 'utf8'), /(^|\s)icanon(\s|$)/m, 'the terminal left raw mode');

  await assert.rejects(
    sendToExternalAgent(deps, me.id, 'still there?'),
    (e: unknown) => e instanceof ToolError && /^Error: agent shim-\d+ is no longer running/.test(e.message),
  );
  const after2 = await discoverAgents(deps);
  assert.equal(
    after2.agents.some((a) => a.id === me.id),
    false,
  );
});

test('the agent crashing ends the shim with its exit code and removes the card', async () => {
  const pane = await startPane('ext-crash', ['node', shimBin, fakeTui], {}, 'echo "SHIM_EXIT=$?" > crash-exit.txt');
  const card = await waitFor('the shim card', () => cardOf(pane));
  await waitFor(
    'fake-tui ready',
    async () => ((await callRpc(card.socket, 'info')) as { bracketedPaste: boolean }).bracketedPaste,
  );
  await sendToExternalAgent(deps, card.id, '/crash');
  const exitFile = join(dir, 'crash-exit.txt');
  await waitFor(
    'the shim to exit',
    () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').includes('SHIM_EXIT='),
  );
  assert.equal(readFileSync(exitFile, 'utf8').trim(), 'SHIM_EXIT=3');
  assert.equal(existsSync(deps.cards.cardPath(card.id)), false);
  assert.equal(existsSync(card.socket), false);
  await waitFor('the mDNS goodbye', () => mdnsDown.find((s) => s.txt.id === card.id));
});

test('the kill method stops the agent and bad requests get error replies', async () => {
  const pane = await startPane('ext-kill', ['node', shimBin, fakeTui]);
  const card = await waitFor('the shim card', () => cardOf(pane));
  await assert.rejects(callRpc(card.socket, 'send', { text: 42 }), /invalid params/);
  await assert.rejects(callRpc(card.socket, 'nope'), /unknown method/);
  await assert.rejects(callRpc(card.socket, 'read', { cursor: -1 }), /invalid params/);
  const r = (await callRpc(card.socket, 'kill', {})) as { signal: string };
  assert.equal(r.signal, 'SIGTERM');
  await waitFor('the card to go', () => !existsSync(deps.cards.cardPath(card.id)));
});

test('agents in plain tmux panes are found by process, crewmux panes skipped, and driven with paste + Enter', async () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(fakeTui, join(bin, 'aider')); // the process runs as `node .../aider`: recognised as aider
  const pane = await startPane('ext-plain', [join(bin, 'aider')]);
  await startPane('crewmux-s1234567', [join(bin, 'aider')]);
  await startPane('ext-worker', [join(bin, 'aider')], { CREWMUX_ROLE: 'worker' });
  await startPane('ext-shell', ['sh', '-c', 'echo aider claude codex; sleep 600']);
  const crewShimPane = await startPane('ext-crew-shim', ['node', shimBin, fakeTui], { CREWMUX_ROLE: 'worker' });
  const crewCard = await waitFor('the crewmux-started shim card', () => cardOf(crewShimPane));
  assert.equal(crewCard.crewmuxRole, 'worker');
  await waitFor('its mDNS advert', () => mdnsUp.find((s) => s.txt.id === crewCard.id && s.txt.role === 'worker'));
  await waitFor('the plain agent', async () => (await tmux.capturePane(pane)).includes('fake-tui ready'));

  const found = await discoverAgents(deps);
  assert.equal(
    found.agents.some((x) => x.id === crewCard.id),
    false,
    'a shim crewmux started is not listed',
  );
  const plain = found.agents.filter((a) => a.via === 'tmux');
  assert.equal(plain.length, 1, JSON.stringify(found.agents));
  const a = plain[0]!;
  assert.equal(a.id, `tmux-${pane}`);
  assert.equal(a.agent, 'aider');
  assert.equal(a.tmux?.session, 'ext-plain');

  await sendToExternalAgent(deps, a.id, 'ping the pane');
  await waitFor('the pane answer', async () =>
    (await readFromExternalAgent(deps, a.id)).text.includes('ANSWER: PING THE PANE'),
  );
  const r = await readFromExternalAgent(deps, a.id, 10);
  assert.equal(r.mode, 'screen');
  assert.ok(Buffer.byteLength(r.text) <= 10);

  await tmux.killSession('ext-plain');
  await assert.rejects(
    readFromExternalAgent(deps, a.id),
    (e: unknown) => e instanceof ToolError && /^Error: agent tmux-%\d+ is no longer running/.test(e.message),
  );
  await assert.rejects(
    sendToExternalAgent(deps, 'tmux-%999', 'x'),
    (e: unknown) => e instanceof ToolError && /^Error: unknown agent id/.test(e.message),
  );
});

test('a stale card of a dead pid is pruned', async () => {
  const dead = spawnSync('true').pid;
  const id = `shim-${dead}`;
  mkdirSync(deps.cards.dir, { recursive: true });
  const sock = deps.cards.socketPath(id);
  writeFileSync(sock, '');
  writeFileSync(
    deps.cards.cardPath(id),
    JSON.stringify({
      version: 1,
      id,
      agent: 'claude',
      command: 'claude',
      args: [],
      cwd: dir,
      pid: dead,
      agentPid: dead,
      socket: sock,
      host: 'x',
      startedAt: new Date().toISOString(),
    }),
    { mode: 0o600 },
  );
  const r = await discoverAgents(deps);
  assert.deepEqual(r.pruned, [deps.cards.cardPath(id)]);
  assert.equal(existsSync(deps.cards.cardPath(id)), false);
  assert.equal(existsSync(sock), false);
  assert.equal(
    r.agents.some((x) => x.id === id),
    false,
  );
});
