/**
 * Boundary: discovery of running agents (docs/security/discovery.md). Any local user can publish an mDNS
 * advert of `_crewmux-agent._tcp` and, where they can write, a card; neither may point crewmux at a socket
 * that is not one of this user's shims in the runtime agents dir. Adverts name no socket path and no user.
 * The shim says on stderr that it advertises, and `--no-mdns` turns the advert off.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDiscovery, type DiscoveryDeps } from '../../src/app/external/discovery.js';
import { createCardStore, isOwnSocket } from '../../src/adapters/external/card-store.js';
import { browse, type MdnsService } from '../../src/adapters/external/mdns.js';
import { isAlive } from '../../src/adapters/process/process-tree.js';
import { MDNS_SERVICE_TYPE, type AgentCard } from '../../src/core/external/shim-protocol.js';

const SHIM_BIN = fileURLToPath(new URL('../../../bin/crewmux-shim.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cmx-disc-'));
const servers: Server[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const s of servers) s.close();
  for (const c of children) if (c.pid && isAlive(c.pid)) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A listening Unix socket at `path` (a real one, as a shim's). */
async function socketAt(path: string): Promise<string> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(path, () => r()));
  return path;
}

/** A live process (`sleep 60`) whose pid a card or advert can name. */
function livePid(): number {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

function agentsDirIn(name: string): string {
  const dir = join(root, name, 'agents');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function depsFor(dir: string, adverts: MdnsService[] = []): DiscoveryDeps {
  return {
    cards: createCardStore(dir),
    tmux: null,
    browseMdns: adverts.length ? async () => adverts : null,
    hostname: 'box',
    processTable: () => [],
    isAlive,
    environHas: () => false,
    isOwnSocket,
  };
}

const advert = (pid: number, extra: Record<string, string> = {}): MdnsService => ({
  name: `crewmux a box ${pid}`,
  type: MDNS_SERVICE_TYPE,
  port: 9,
  host: 'localhost',
  txt: { v: '1', id: `shim-${pid}`, pid: String(pid), agent: 'codex', host: 'box', ...extra },
});

function card(dir: string, pid: number, socket: string): AgentCard {
  return {
    version: 1,
    id: `shim-${pid}`,
    agent: 'codex',
    command: 'codex',
    args: [],
    cwd: '/w',
    pid,
    agentPid: pid,
    socket,
    host: 'box',
    startedAt: 't',
  };
}

test('a spoofed advert naming a socket elsewhere is not counted; only our socket in the agents dir is', async () => {
  const dir = agentsDirIn('adverts');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  const [spoofed, symlinked, foreign, good] = [livePid(), livePid(), livePid(), livePid()];
  // 1. The advert names a socket in another dir (ours, listening): the path is ignored, and there is no
  //    shim-<pid>.sock in the agents dir.
  await socketAt(join(elsewhere, `shim-${spoofed}.sock`));
  // 2. The agents-dir entry is a symlink to a socket elsewhere.
  symlinkSync(await socketAt(join(elsewhere, 'target.sock')), join(dir, `shim-${symlinked}.sock`));
  // 3. A socket in the agents dir that belongs to another user.
  chownSync(await socketAt(join(dir, `shim-${foreign}.sock`)), 65534, 65534);
  // 4. The real thing: our own socket in the agents dir.
  await socketAt(join(dir, `shim-${good}.sock`));

  const r = await runDiscovery(
    depsFor(dir, [
      advert(spoofed, { sock: join(elsewhere, `shim-${spoofed}.sock`) }),
      advert(symlinked, { sock: join(elsewhere, 'target.sock') }),
      advert(foreign),
      advert(good, { sock: '/tmp/evil.sock' }),
      // An id that does not match its pid cannot borrow another shim's socket.
      advert(spoofed, { id: `shim-${good}`, sock: '/tmp/evil.sock' }),
    ]),
  );
  assert.deepEqual(
    r.agents.map((a) => [a.id, a.socket, a.pid]),
    [[`shim-${good}`, join(dir, `shim-${good}.sock`), good]],
  );
});

test('a card counts only when its file is ours and 0600 and its socket is our socket beside it', async () => {
  const dir = agentsDirIn('cards');
  const elsewhere = join(root, 'cards-elsewhere');
  mkdirSync(elsewhere, { recursive: true });
  const store = createCardStore(dir);
  const [outside, loose, notOurs, linked, foreignSock, good] = [
    livePid(),
    livePid(),
    livePid(),
    livePid(),
    livePid(),
    livePid(),
  ];
  // A card whose socket is outside the agents dir (a live socket of ours).
  store.write(card(dir, outside, await socketAt(join(elsewhere, `shim-${outside}.sock`))));
  // A card file left 0644.
  store.write(card(dir, loose, await socketAt(store.socketPath(`shim-${loose}`))));
  chmodSync(store.cardPath(`shim-${loose}`), 0o644);
  // A card file of another user.
  store.write(card(dir, notOurs, await socketAt(store.socketPath(`shim-${notOurs}`))));
  chownSync(store.cardPath(`shim-${notOurs}`), 65534, 65534);
  // A card that is a symlink to a card file elsewhere.
  const planted = join(elsewhere, 'planted.json');
  writeFileSync(planted, JSON.stringify(card(dir, linked, await socketAt(store.socketPath(`shim-${linked}`)))), {
    mode: 0o600,
  });
  symlinkSync(planted, store.cardPath(`shim-${linked}`));
  // A card whose socket in the agents dir belongs to another user.
  store.write(card(dir, foreignSock, await socketAt(store.socketPath(`shim-${foreignSock}`))));
  chownSync(store.socketPath(`shim-${foreignSock}`), 65534, 65534);
  // The real thing.
  store.write(card(dir, good, await socketAt(store.socketPath(`shim-${good}`))));

  const r = await runDiscovery(depsFor(dir));
  assert.deepEqual(
    r.agents.map((a) => a.id),
    [`shim-${good}`],
  );
  const warned = (id: string, why: RegExp) =>
    assert.ok(
      r.warnings.some((w) => w.includes(`${id}.json`) && why.test(w)),
      `${id}: ${why}\n${r.warnings.join('\n')}`,
    );
  warned(`shim-${outside}`, /its socket .* is not /);
  warned(`shim-${loose}`, /mode is 644, not 600/);
  warned(`shim-${notOurs}`, /belongs to uid 65534/);
  warned(`shim-${linked}`, /symlink/);
  warned(`shim-${foreignSock}`, /not a socket of this user/);
});

/** Starts bin/crewmux-shim.js with `args` running `sleep 30`; resolves with the child and its stderr so far. */
function startShim(runtimeDir: string, args: string[]): { child: ChildProcess; stderr: () => string } {
  let err = '';
  const child = spawn(process.execPath, [SHIM_BIN, ...args, 'sleep', '30'], {
    env: { PATH: process.env.PATH, HOME: root, CREWMUX_RUNTIME_DIR: runtimeDir },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  children.push(child);
  child.stderr.on('data', (d) => {
    err += d;
  });
  return { child, stderr: () => err };
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a real shim advert carries no socket path and no user name, says so on stderr, and --no-mdns turns it off', async () => {
  const runtimeDir = join(root, 'shim-run');
  const user = userInfo().username;
  const shim = startShim(runtimeDir, []);
  try {
    const id = `shim-${shim.child.pid}`;
    await until('the advertising notice', () => /advertising .* over mDNS/.test(shim.stderr()));
    assert.match(shim.stderr(), /--no-mdns or CREWMUX_MDNS=0/);
    let found: MdnsService | undefined;
    for (let i = 0; i < 10 && !found; i++) found = (await browse(MDNS_SERVICE_TYPE, 800)).find((s) => s.txt.id === id);
    assert.ok(found, 'the advert was browsed');
    assert.deepEqual(Object.keys(found.txt).sort(), ['agent', 'host', 'id', 'pid', 'v']);
    for (const value of [found.name, ...Object.values(found.txt)]) {
      assert.ok(!value.includes('/'), `no path in ${value}`);
      assert.ok(!value.includes(runtimeDir), value);
      if (user !== hostname()) assert.ok(!value.split(/\s+/).includes(user), `no user name in ${value}`);
    }
  } finally {
    shim.child.kill('SIGTERM');
  }

  const quiet = startShim(join(root, 'shim-run-quiet'), ['--no-mdns']);
  try {
    const id = `shim-${quiet.child.pid}`;
    await until('the quiet shim to publish its card', () =>
      createCardStore(join(root, 'shim-run-quiet', 'agents'))
        .list()
        .some((c) => c.card?.id === id),
    );
    const services = await browse(MDNS_SERVICE_TYPE, 800);
    assert.equal(
      services.find((s) => s.txt.id === id),
      undefined,
    );
    assert.doesNotMatch(quiet.stderr(), /advertising/);
  } finally {
    quiet.child.kill('SIGTERM');
  }
});
