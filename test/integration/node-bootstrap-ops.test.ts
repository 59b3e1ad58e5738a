/**
 * A node worker's bootstrap and usage ops (src/app/nodes/serve-bootstrap.ts), on real git, files, processes and
 * loopback ports, without ssh (the lab e2e test/e2e/node-bootstrap.test.ts runs them through OpenSSH): the lead host
 * selects the `.worktreeinclude` files with the local matcher (a symlink leading out is not sent), the node writes
 * them owner-only into a fresh worktree of its bare repository, reserves a port block by binding (a distinct one per
 * worker, locked under its runtime dir), runs the setup with CREWMUX_PORT and the slug, reports a failed setup's tail,
 * and serves the complete lines of a worker's usage files past the offsets asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, createRepo, createTestEnv, git } from '../helpers/env.js';
import { nodeDataWithBases, nodeOpsDeps, prepareParams } from '../helpers/node-ops.js';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { createWorktreeFiles } from '../../src/adapters/git/worktree-files.js';
import { nodeBootstrapMethods } from '../../src/app/nodes/serve-bootstrap.js';
import { nodeWorkerMethods } from '../../src/app/nodes/serve-workers.js';
import { systemClock } from '../../src/adapters/system/clock.js';
import { qwen } from '../../src/core/agents/profiles/qwen.js';
import { execFileSync } from 'node:child_process';
import {
  NODE_INCLUDE_MAX_BYTES,
  UsageReadResultSchema,
  WorkerPrepareResultSchema,
  type IncludedFile,
} from '../../src/core/nodes/bootstrap-protocol.js';
import { rolloutLine, tokenCountLine } from '../helpers/codex-rollout.js';

const SID = 's1nodeboot';
const REPO_ID = '0123456789abcdef';
const SOCKET = `crewmux-test-nodeboot-${process.pid}`;

function setup() {
  const t = createTestEnv();
  const outside = join(t.dir, 'outside-secret');
  writeFileSync(outside, 'OUTSIDE\n');
  const repo = createRepo(t, {
    '.gitignore': '.env\n*.pem\n',
    '.worktreeinclude': '.env\n*.pem\n',
    'README.md': '# r\n',
  });
  writeFileSync(join(repo, '.env'), 'SECRET=inside\n');
  symlinkSync(outside, join(repo, 'key.pem'));
  // The node: a data dir with the bare repository the lead pushes bases to, and a runtime dir.
  const { dataDir } = nodeDataWithBases(t, { repo, repoId: REPO_ID, sid: SID, workers: ['w1', 'w2', 'w3'] });
  const standIn = join(t.dir, 'qwen-stand-in');
  writeFileSync(standIn, '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
  const home = join(t.dir, 'node-home');
  const deps = nodeOpsDeps(t, { dataDir, socket: SOCKET, userHome: home });
  const { runtimeDir } = deps;
  const ops = nodeBootstrapMethods(deps);
  const prepare = async (w: string, include: IncludedFile[], commands: string[]) =>
    WorkerPrepareResultSchema.parse(
      await ops['worker.prepare']!(
        prepareParams(SID, REPO_ID, w, {
          include,
          setup: { source: commands.length ? 'worktree.setup' : 'none', commands },
        }),
      ),
    );
  const workers = nodeWorkerMethods({
    ...deps,
    clock: systemClock,
    userHome: t.dir,
    // Qwen Code's entry (its workers speak ACP) with a stand-in that reads its stdin until the pane process ends:
    // only the launch is looked at.
    resolveAgent: async (name) => (name === 'qwen' ? { profile: qwen, binary: standIn } : undefined),
  });
  return { t, repo, dataDir, runtimeDir, home, ops, workers, prepare };
}

test('worker.prepare: the included files the lead selected are written 0600, the setup sees its own port block', async () => {
  const s = setup();
  try {
    const sel = await createWorktreeFiles().readIncluded(s.repo, NODE_INCLUDE_MAX_BYTES);
    assert.deepEqual(
      sel.files.map((f) => f.path),
      ['.env'],
    );
    assert.deepEqual(sel.skipped, [
      { path: 'key.pem', why: 'a symlink pointing outside the repository (not followed)' },
    ]);

    const marker = 'printf "%s %s\\n" "$CREWMUX_PORT" "$CREWMUX_WORKTREE_SLUG" > marker.txt';
    const a = await s.prepare('w1', sel.files, [marker]);
    const b = await s.prepare('w2', sel.files, [marker]);
    assert.equal(a.worktree, join(s.dataDir, 'node', 'worktrees', SID, 'w1'));
    assert.deepEqual(a.included, ['.env']);
    assert.equal(readFileSync(join(a.worktree, '.env'), 'utf8'), 'SECRET=inside\n');
    assert.equal(statSync(join(a.worktree, '.env')).mode & 0o777, 0o600);
    assert.equal(a.setup.ok, true);
    assert.equal(
      readFileSync(join(a.worktree, 'marker.txt'), 'utf8'),
      `${a.env.CREWMUX_PORT} crewmux_${SID}_w1_implementer\n`,
    );
    assert.notEqual(a.env.CREWMUX_PORT, b.env.CREWMUX_PORT);
    assert.equal(readdirSync(join(s.runtimeDir, 'ports')).length, 2);
    assert.equal(git(a.worktree, 'rev-parse', '--abbrev-ref', 'HEAD'), `crewmux/${SID}/w1-implementer`);
    assert.deepEqual(
      a.phases.map((p) => p.name),
      ['include', 'clone', 'env', 'setup'],
    );
  } finally {
    s.t.cleanup();
  }
});

test('worker.prepare: a symlink leading out of the worktree is not made; a failed setup answers with its tail', async () => {
  const s = setup();
  try {
    const r = await s.prepare(
      'w3',
      [
        { path: 'evil', link: '../../../../../../etc/passwd' },
        { path: 'ok.txt', mode: 0o755, base64: Buffer.from('#!/bin/sh\n').toString('base64') },
      ],
      ['echo installing the deps; echo boom >&2; exit 3'],
    );
    assert.deepEqual(r.included, ['ok.txt']);
    assert.deepEqual(r.skipped, [{ path: 'evil', why: 'a symlink pointing outside the worktree (not made)' }]);
    assert.equal(statSync(join(r.worktree, 'ok.txt')).mode & 0o777, 0o700);
    assert.equal(r.setup.ok, false);
    assert.deepEqual(r.setup.failed, {
      command: 'echo installing the deps; echo boom >&2; exit 3',
      exitCode: 3,
      timedOut: false,
    });
    assert.match(r.setup.tail, /installing the deps[\s\S]*boom/);
  } finally {
    s.t.cleanup();
  }
});

test('usage.read: the complete lines of a worker usage files past the offsets asked; nothing else is served', async () => {
  const s = setup();
  try {
    const state = join(s.dataDir, 'node', 'sessions', SID, 'w1');
    mkdirSync(join(state, 'claude-config', 'projects', 'p'), { recursive: true });
    writeFileSync(join(state, 'acp-usage.jsonl'), '{"a":1}\n{"a":2}\n{"a":');
    writeFileSync(join(state, 'claude-config', 'projects', 'p', 't.jsonl'), '{"t":1}\n');
    writeFileSync(join(state, 'prompt.md'), 'not usage\n');
    const read = async (offsets: Record<string, number>) =>
      UsageReadResultSchema.parse(await s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets }] })).workers[0]!
        .chunks;
    assert.deepEqual(await read({}), [
      { path: 'acp-usage.jsonl', from: 0, text: '{"a":1}\n{"a":2}\n' },
      { path: 'claude-config/projects/p/t.jsonl', from: 0, text: '{"t":1}\n' },
    ]);
    appendFileSync(join(state, 'acp-usage.jsonl'), '3}\n');
    assert.deepEqual(await read({ 'acp-usage.jsonl': 16, 'claude-config/projects/p/t.jsonl': 8 }), [
      { path: 'acp-usage.jsonl', from: 16, text: '{"a":3}\n' },
    ]);
    await assert.rejects(
      s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets: { 'prompt.md': 0 } }] }),
      /not a usage file/,
    );
    await assert.rejects(
      s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets: { '../../../../etc/passwd': 0 } }] }),
      /not a usage file/,
    );
  } finally {
    s.t.cleanup();
  }
});

/** A recording of a real CLI run (test/fixtures/usage/), its worktree path replaced by `cwd`. */
function recording(name: string, recordedCwd: string, cwd: string): string {
  const sha = (x: string) => createHash('sha256').update(x).digest('hex');
  return readFileSync(join(ROOT, 'test', 'fixtures', 'usage', name), 'utf8')
    .replaceAll(sha(recordedCwd), sha(cwd))
    .replaceAll(recordedCwd, cwd);
}

/**
 * An OpenCode (1.18.33 schema) database in WAL mode with one step-finish part of a session in `cwd`, one elsewhere;
 * left open, as OpenCode keeps it (its WAL file exists while it runs).
 */
function seedOpencodeDb(file: string, cwd: string, at: number): Database.Database {
  mkdirSync(join(file, '..'), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE session (id text PRIMARY KEY, directory text NOT NULL, time_created integer NOT NULL);
    CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, data text NOT NULL);
    CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
      time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)`);
  db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_mine', cwd, at);
  db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_other', '/elsewhere', at);
  const msg = JSON.stringify({ role: 'assistant', modelID: 'fake-model' });
  db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_1', 'ses_mine', msg);
  db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_2', 'ses_other', msg);
  const step = (input: number) =>
    JSON.stringify({ type: 'step-finish', tokens: { input, output: 4, reasoning: 0, cache: { read: 0, write: 0 } } });
  db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run('prt_1', 'msg_1', 'ses_mine', at, at + 1, step(100));
  db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run('prt_x', 'msg_2', 'ses_other', at, at + 1, step(999));
  return db;
}

test("usage.read: each agent's own usage files the node finds in the layouts its CLI writes, that worker's only", async () => {
  const s = setup();
  try {
    const now = Date.now();
    const d = new Date(now);
    const day = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0')).join('/');
    const places = (w: string) => ({
      state: join(s.dataDir, 'node', 'sessions', SID, w),
      worktree: join(s.dataDir, 'node', 'worktrees', SID, w),
    });
    const worker = (w: string, agent: string, env?: Record<string, string>) => {
      const at = places(w);
      mkdirSync(at.state, { recursive: true });
      writeFileSync(join(at.state, 'agent'), agent);
      if (env) writeFileSync(join(at.state, 'usage-env.json'), JSON.stringify(env));
      return at;
    };
    const put = (file: string, text: string) => {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text);
    };
    // The node's environment says HOME is t.dir: the agents wrote below it.
    const home = s.t.dir;
    // Codex: a rollout of this worker's session and one of another worktree's, under ~/.codex/sessions/Y/M/D.
    const codexW = worker('w1', 'codex');
    const turn = tokenCountLine(100, 107);
    const rollout = `sessions/${day}/rollout-2026-11-30T10-00-00-0197.jsonl`;
    put(join(home, '.codex', rollout), rolloutLine('session_meta', { cwd: codexW.worktree }) + turn + '{"partial":');
    put(
      join(home, '.codex', `sessions/${day}/rollout-2026-11-30T10-00-00-0198.jsonl`),
      rolloutLine('session_meta', { cwd: '/x' }) + turn,
    );
    // Gemini CLI (its chat recording under ~/.gemini/tmp/<project>/chats), Qwen Code outside ACP (~/.qwen/projects),
    // Copilot CLI (~/.copilot/session-state/<id>/events.jsonl): the recordings of real runs.
    const geminiW = worker('w2', 'gemini');
    const geminiChat = recording(
      'gemini-0.61.0-chat.jsonl',
      '/work/wt-sources/test-artifacts/lab/gemini/ws',
      geminiW.worktree,
    );
    put(join(home, '.gemini', 'tmp', 'ws', 'chats', 'session-2026-11-30T01-48-ff62dca1.jsonl'), geminiChat);
    const qwenW = worker('w3', 'qwen');
    const qwenChat = recording('qwen-0.24.4-chat.jsonl', '/work/wt-sources/test-artifacts/lab/qwen/ws', qwenW.worktree);
    put(join(home, '.qwen', 'projects', '-node-ws', 'chats', '4b09de03.jsonl'), qwenChat);
    const copilotW = worker('w4', 'copilot');
    const events = recording(
      'copilot-1.0.102-events.jsonl',
      '/work/wt-sources/test-artifacts/lab/copilot/ws',
      copilotW.worktree,
    );
    put(join(home, '.copilot', 'session-state', 'e878a684', 'events.jsonl'), events);
    // OpenCode (~/.local/share/opencode/opencode.db) and Kilo Code with KILO_DB in the environment it started with.
    const opencodeW = worker('w5', 'opencode');
    const dbs = [seedOpencodeDb(join(home, '.local', 'share', 'opencode', 'opencode.db'), opencodeW.worktree, now)];
    const kiloW = worker('w6', 'kilocode', { HOME: home, KILO_DB: join(s.t.dir, 'kilo-elsewhere.db') });
    dbs.push(seedOpencodeDb(join(s.t.dir, 'kilo-elsewhere.db'), kiloW.worktree, now));
    // Aider: its report in its pane log on the node.
    const aiderW = worker('w7', 'aider');
    // A pane log holds whatever the agent printed: an invalid UTF-8 byte still crosses as one byte.
    writeFileSync(
      join(aiderW.state, 'pane.log'),
      Buffer.concat([Buffer.from([0xff, 0x0a]), Buffer.from('Tokens: 1.2k sent, 34 received.\n')]),
    );

    const ask = async (w: string, offsets: Record<string, number> = {}, steps?: number) =>
      UsageReadResultSchema.parse(
        await s.ops['usage.read']!({
          workers: [{ id: `${SID}/${w}`, offsets, since: now - 60_000, ...(steps !== undefined ? { steps } : {}) }],
        }),
      ).workers[0]!;
    const chunks = async (w: string, offsets: Record<string, number> = {}) =>
      (await ask(w, offsets)).chunks.map((c) => [c.path, c.from, c.text]);
    const mine = rolloutLine('session_meta', { cwd: codexW.worktree }) + turn;
    assert.deepEqual(await chunks('w1'), [[`node-usage/codex-rollout/${rollout}`, 0, mine]]);
    assert.deepEqual(await chunks('w1', { [`node-usage/codex-rollout/${rollout}`]: Buffer.byteLength(mine) }), []);
    assert.deepEqual(await chunks('w2'), [
      ['node-usage/gemini-chat/tmp/ws/chats/session-2026-11-30T01-48-ff62dca1.jsonl', 0, geminiChat],
    ]);
    assert.deepEqual(await chunks('w3'), [
      ['node-usage/qwen-chat/projects/-node-ws/chats/4b09de03.jsonl', 0, qwenChat],
    ]);
    assert.deepEqual(await chunks('w4'), [
      ['node-usage/copilot-events/session-state/e878a684/events.jsonl', 0, events],
    ]);
    assert.deepEqual(await chunks('w7'), [['node-usage/pane/pane.log', 0, '?\nTokens: 1.2k sent, 34 received.\n']]);
    appendFileSync(join(aiderW.state, 'pane.log'), 'more\n');
    assert.deepEqual(await chunks('w7', { 'node-usage/pane/pane.log': 34 }), [
      ['node-usage/pane/pane.log', 34, 'more\n'],
    ]);
    for (const w of ['w5', 'w6']) {
      const a = await ask(w);
      assert.deepEqual(a.chunks, []);
      assert.deepEqual(
        a.steps?.map((r) => [r.id, r.timeUpdated]),
        [['prt_1', now + 1]],
      );
      assert.equal((await ask(w, {}, now + 2)).steps, undefined, 'nothing updated since');
    }
    // A Qwen worker that ran under the ACP pane process: its acp-usage.jsonl is its usage, its chats are not sent.
    writeFileSync(join(qwenW.state, 'acp-launch.json'), '{}');
    writeFileSync(join(qwenW.state, 'acp-usage.jsonl'), '{"a":1}\n');
    assert.deepEqual(await chunks('w3'), [['acp-usage.jsonl', 0, '{"a":1}\n']]);
    // The lead names no other file: a mirror path the node did not find (another worktree's rollout) is not read, and
    // a path outside the layouts is refused.
    assert.deepEqual(
      await chunks('w2', {
        [`node-usage/codex-rollout/sessions/${day}/rollout-2026-11-30T10-00-00-0198.jsonl`]: 0,
      }).then((c) => c.map((x) => x[0])),
      ['node-usage/gemini-chat/tmp/ws/chats/session-2026-11-30T01-48-ff62dca1.jsonl'],
    );
    for (const bad of [
      'node-usage/codex-rollout/../../../.ssh/id_ed25519',
      'node-usage/codex-rollout/auth.json',
      'node-usage/x.jsonl',
    ])
      await assert.rejects(
        s.ops['usage.read']!({ workers: [{ id: `${SID}/w1`, offsets: { [bad]: 0 } }] }),
        /not a usage file/,
      );
    for (const db of dbs) db.close();
  } finally {
    s.t.cleanup();
  }
});

test('worker.start keeps the worktree worker.prepare bootstrapped; an ACP agent runs under the ACP pane process', async () => {
  const s = setup();
  try {
    const sel = await createWorktreeFiles().readIncluded(s.repo, NODE_INCLUDE_MAX_BYTES);
    const p = await s.prepare('w1', sel.files, []);
    await s.workers['worker.start']!({
      id: `${SID}/w1`,
      repoId: REPO_ID,
      branch: `crewmux/${SID}/w1-implementer`,
      baseRef: `refs/heads/crewmux/${SID}/base-w1`,
      agent: 'qwen',
      prompt: 'the task',
      mcpUrl: 'http://127.0.0.1:9/mcp',
      mcpToken: 'x'.repeat(32),
      env: { CREWMUX_PORT: p.env.CREWMUX_PORT! },
      keepWorktree: true,
    });
    // Not made again: the included file is still there.
    assert.equal(readFileSync(join(p.worktree, '.env'), 'utf8'), 'SECRET=inside\n');
    // The ACP pane process records the agent's reported usage in the state dir usage.read serves.
    const state = join(s.dataDir, 'node', 'sessions', SID, 'w1');
    const launch = JSON.parse(readFileSync(join(state, 'acp-launch.json'), 'utf8')) as { usage?: string };
    assert.equal(launch.usage, join(state, 'acp-usage.jsonl'));
    // Where its agent keeps its own usage files, as usage.read resolves them later: owner-only.
    assert.deepEqual(JSON.parse(readFileSync(join(state, 'usage-env.json'), 'utf8')), { HOME: s.t.dir });
    assert.equal(statSync(join(state, 'usage-env.json')).mode & 0o777, 0o600);
  } finally {
    try {
      execFileSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* no server */
    }
    s.t.cleanup();
  }
});
