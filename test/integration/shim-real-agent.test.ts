/**
 * crewmux-shim around a REAL agent CLI (the pinned Codex CLI) on a private tmux server: the shim runs
 * `codex` in its interactive TUI against the scripted fake model server, discovery finds it once
 * (card + mDNS + pane), the lead's use cases type a prompt and read the model's answer back, and
 * SIGTERM to the shim removes the card and the socket. Skipped when the codex binary is not installed.
 */
import { systemClock } from '../../src/adapters/system/clock.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import type { Tmux } from '../../src/app/ports/tmux.js';
import { watchServices, type MdnsService } from '../../src/adapters/external/mdns.js';
import { which } from '../../src/adapters/process/which.js';
import { isAlive, killTree } from '../../src/adapters/process/process-tree.js';
import { resolvePaths } from '../../src/app/session/paths.js';
import {
  createExternalAgentDeps,
  discoverAgents,
  readFromExternalAgent,
  sendToExternalAgent,
  type ExternalAgentDeps,
} from '../../src/app/external/external-agents.js';
import { findAgent } from '../../src/core/agents/registry.js';
import { shellJoin } from '../../src/core/text/shell-quote.js';
import { MDNS_SERVICE_TYPE } from '../../src/core/external/shim-protocol.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { OFFLINE_ENV, seedUserHome } from '../helpers/agent-homes.js';
import { signalPid } from '../helpers/wait.js';

// If these tests run inside a crewmux agent, its variables would make every pane look like crewmux's own.
for (const k of ['CREWMUX_ROLE', 'CREWMUX_SESSION_ID', 'CREWMUX_WORKER_ID', 'TMUX', 'TMUX_PANE']) delete process.env[k];

const root = fileURLToPath(new URL('../../../', import.meta.url));
const shimBin = join(root, 'bin', 'crewmux-shim.js');
const PATH = [join(root, 'node_modules', '.bin'), dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(
  delimiter,
);
const AGENT = 'codex';
const codexBin = findAgent(AGENT)!
  .binaries.map((b) => which(b, PATH))
  .find(Boolean);
const skip = codexBin ? false : `${AGENT} is not installed (npm install in the repo installs the pinned CLIs)`;
/** What the fake model's policy answers to a plain prompt (no crewmux role in it): see test/fakes/fake-model/policy.ts. */
const FAKE_ANSWER = 'OK';
const PROMPT = 'reply with one word please';

let dir: string;
let runtimeDir: string;
let tmux: Tmux;
let deps: ExternalAgentDeps;
let fake: FakeModelServer;
const mdnsUp: MdnsService[] = [];
const mdnsDown: MdnsService[] = [];
let watcher: { close(): Promise<void> } | undefined;
let shimPid: number | undefined;

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'cmx-shimr-'));
  runtimeDir = join(dir, 'run');
  fake = createFakeModelServer();
  await fake.listen();
  tmux = createTmux({ socket: `crewmux-test-${process.pid}`, configFile: '/dev/null' });
  const paths = resolvePaths(
    { CREWMUX_RUNTIME_DIR: runtimeDir, CREWMUX_DATA_DIR: join(dir, 'data'), CREWMUX_CONFIG_DIR: join(dir, 'cfg') },
    dir,
    process.getuid?.() ?? 0,
  );
  deps = createExternalAgentDeps(
    { paths, tmux, env: {}, clock: systemClock },
    { mdnsBrowseMs: 800, enterDelayMs: 500 },
  );
  watcher = watchServices(
    MDNS_SERVICE_TYPE,
    (s) => mdnsUp.push(s),
    (s) => mdnsDown.push(s),
  );
});

after(async () => {
  if (skip) return;
  await watcher?.close();
  // Stop whatever still runs in our panes (the shim and codex) before the server goes.
  if (shimPid && isAlive(shimPid)) await killTree(shimPid, 3_000);
  await tmux
    .listPanes('shim-codex')
    .then(async (panes) => {
      for (const p of panes) await killTree(p.pid, 3_000);
    })
    .catch(() => undefined);
  await tmux.killServer();
  await fake.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
});

test(
  `crewmux-shim wraps the real ${AGENT} TUI: discovered once, answers a prompt from the fake model, gone when killed`,
  { skip, timeout: 120_000 },
  async () => {
    const home = join(dir, 'home');
    const ws = join(dir, 'ws');
    mkdirSync(home, { recursive: true });
    mkdirSync(ws, { recursive: true });
    const userEnv = seedUserHome(AGENT, home, fake.url);
    const env: Record<string, string> = {
      HOME: home,
      PATH,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      ...OFFLINE_ENV,
      ...userEnv,
      CREWMUX_RUNTIME_DIR: runtimeDir,
    };
    // Interactive TUI, no prompt on argv: the folder is trusted and nothing asks for approval, so no dialog.
    const argv = [
      process.execPath,
      shimBin,
      codexBin!,
      '-c',
      'check_for_update_on_startup=false',
      '-c',
      'analytics.enabled=false',
      '-c',
      'features.daemon_auto_start=false',
      '-c',
      `projects={${JSON.stringify(ws)}={trust_level="trusted"}}`,
      '--sandbox',
      'read-only',
      '--ask-for-approval',
      'never',
    ];
    // env -i keeps the test's environment (the real HOME above all) away from the agent; TMUX and
    // TMUX_PANE pass through so the shim records its pane in the card.
    // The pane's shell stays after the shim exits so a failure still shows what the pane printed.
    const command =
      'env -i TMUX="$TMUX" TMUX_PANE="$TMUX_PANE" ' +
      shellJoin([...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]) +
      '; sleep 600';
    const { paneId } = await tmux.newSession('shim-codex', 'main', { cwd: ws, command }, { width: 120, height: 40 });
    const paneText = () => tmux.capturePane(paneId).catch(() => '(pane gone)');

    const card = await waitFor('the shim card', () =>
      deps.cards
        .list()
        .map((c) => c.card)
        .find((c) => c?.tmuxPane === paneId),
    );
    shimPid = card.pid;
    assert.equal(card.agent, AGENT);
    const markers = findAgent(AGENT)!.markers.ready ?? [];
    assert.ok(markers.length > 0, `${AGENT} has ready markers`);
    await waitFor(
      `the ${AGENT} ready marker`,
      async () => {
        const t = await paneText();
        return markers.some((m) => t.includes(m));
      },
      60_000,
      200,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}\n--- pane ---\n${await paneText()}`);
    });

    await waitFor('the mDNS advert', () => mdnsUp.find((s) => s.txt.id === card.id));
    const found = await discoverAgents(deps);
    const mine = found.agents.filter((a) => a.id === card.id);
    assert.equal(mine.length, 1, JSON.stringify(found));
    const me = mine[0]!;
    assert.equal(me.via, 'shim');
    assert.equal(me.agent, AGENT);
    assert.deepEqual([...me.sources].sort(), ['card', 'mdns', 'tmux']);
    assert.equal(me.tmux?.session, 'shim-codex');
    assert.equal(
      found.agents.filter((a) => a.tmux?.session === 'shim-codex').length,
      1,
      'the pane is not listed twice',
    );

    await readFromExternalAgent(deps, me.id, 1_000_000); // consume the start-up screen
    const asked = fake.requests.length;
    const sent = await sendToExternalAgent(deps, me.id, PROMPT);
    assert.deepEqual(sent, { id: me.id, via: 'shim', chars: PROMPT.length, enter: true });

    // The answer: Codex prints the agent's message as a line `• OK` (its status line shows a lowercase `ok`).
    const answerLine = new RegExp(`^\\s*•\\s*${FAKE_ANSWER}\\s*$`, 'm');
    let seen = '';
    await waitFor(
      "the fake model's answer read back through the shim",
      async () => {
        const r = await readFromExternalAgent(deps, me.id);
        assert.equal(r.mode, 'stream');
        assert.equal(r.exited, false);
        seen += r.text;
        return answerLine.test(seen);
      },
      60_000,
      300,
    ).catch(async (e: Error) => {
      throw new Error(
        `${e.message}\n--- read so far ---\n${seen.slice(-3000)}\n--- pane ---\n${await paneText()}\n--- model decisions ---\n${JSON.stringify(fake.requests.slice(asked).map((x) => x.decision))}`,
      );
    });
    if (process.env.CREWMUX_SHIM_REAL_DEBUG === '1')
      console.log(`--- read ---\n${seen}\n--- pane ---\n${await paneText()}`);
    assert.ok(seen.includes(PROMPT), 'the prompt was typed into the TUI');
    assert.doesNotMatch(seen, /\u001b/, 'stripped of escapes');
    const answered = fake.requests
      .slice(asked)
      .filter((r) => r.protocol === 'responses' && r.decision.kind === 'text' && r.decision.text === FAKE_ANSWER);
    assert.ok(
      answered.length >= 1,
      `the fake model answered the prompt: ${JSON.stringify(fake.requests.slice(asked))}`,
    );

    signalPid(card.pid, 'SIGTERM');
    await waitFor('the card to go', () => !existsSync(deps.cards.cardPath(card.id)), 10_000);
    await waitFor('the socket to go', () => !existsSync(card.socket), 5_000);
    await waitFor('the shim to exit', () => !isAlive(card.pid), 5_000);
    await waitFor('codex to exit', () => !isAlive(card.agentPid), 5_000);
    const after2 = await discoverAgents(deps);
    assert.equal(
      after2.agents.some((a) => a.id === card.id),
      false,
    );
  },
);
