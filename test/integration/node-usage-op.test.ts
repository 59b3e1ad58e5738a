/**
 * A node worker's usage op through real sshd in the lab (test/helpers/netns-ssh.ts): the node user's home holds
 * what the agent CLIs write there (a Codex rollout below ~/.codex/sessions/Y/M/D, a Gemini CLI chat below
 * ~/.gemini/tmp, a Copilot CLI event log below ~/.copilot/session-state, OpenCode's SQLite database below
 * ~/.local/share/opencode, each also for another worktree), laid out as the real CLIs write them; `usage.read` over
 * the channel (`ssh ... crewmux node serve --stdio`) answers with that worker's files only, at their mirror paths,
 * and OpenCode's step rows from the update time asked. No agent CLI runs. Skipped (with the reason) where the lab
 * cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ROOT, createTestEnv } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import { UsageReadResultSchema } from '../../src/core/nodes/bootstrap-protocol.js';
import { HelloResultSchema } from '../../src/core/nodes/protocol.js';
import { rolloutHead, tokenCountLine } from '../helpers/codex-rollout.js';

const skip = sshLabSkipReason();
const SID = 's1nodeuse';

/** Runs in the lead namespace: opens the node channel over ssh and makes the calls in CALLS, in order. */
const PROBE = `
const { createSsh } = await import(process.env.SSH_MODULE);
const { createNodeConnector } = await import(process.env.CHANNEL_MODULE);
const ssh = createSsh({ command: process.env.CREWMUX_SSH_COMMAND, runtimeDir: process.env.RUNTIME_DIR });
const spec = JSON.parse(process.env.SPEC);
const ch = await createNodeConnector({ ssh, env: process.env }).open(spec);
const out = [];
for (const [method, params] of JSON.parse(process.env.CALLS))
  out.push(await ch.call(method, params, 60000).catch((e) => ({ error: e.message })));
await ch.close();
await ssh.control({ host: spec.host, user: spec.user }, 'exit').catch(() => undefined);
console.log(JSON.stringify(out));
`;

/** Runs as the node user: writes the files in FILES (path -> text) and an OpenCode database per DBS entry. */
const SEED = `
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { files, dbs, sqlite } = JSON.parse(process.argv[1]);
for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
const Database = require(sqlite);
for (const d of dbs) {
  mkdirSync(dirname(d.file), { recursive: true });
  const db = new Database(d.file);
  db.pragma('journal_mode = WAL');
  db.exec(\`CREATE TABLE session (id text PRIMARY KEY, directory text NOT NULL, time_created integer NOT NULL);
    CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, data text NOT NULL);
    CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
      time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)\`);
  const msg = JSON.stringify({ role: 'assistant', modelID: 'fake-model' });
  const step = (input) => JSON.stringify({ type: 'step-finish', tokens: { input, output: 4, reasoning: 0, cache: { read: 0, write: 0 } } });
  for (const [i, [dir, input]] of [[d.cwd, 100], ['/elsewhere', 999]].entries()) {
    db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_' + i, dir, d.at);
    db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_' + i, 'ses_' + i, msg);
    db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run('prt_' + i, 'msg_' + i, 'ses_' + i, d.at, d.at + 1, step(input));
  }
  db.close();
  // OpenCode keeps its database open while it runs, so its WAL file is there (crewmux reads only then).
  writeFileSync(d.file + '-wal', '');
}
`;

/** A recording of a real CLI run (test/fixtures/usage/), its worktree path replaced by `cwd`. */
function recording(name: string, recordedCwd: string, cwd: string): string {
  const sha = (x: string) => createHash('sha256').update(x).digest('hex');
  return readFileSync(join(ROOT, 'test', 'fixtures', 'usage', name), 'utf8')
    .replaceAll(sha(recordedCwd), sha(cwd))
    .replaceAll(recordedCwd, cwd);
}

test(
  "usage.read through real sshd: each worker's agent files from the node user's home, as its CLI lays them out",
  { skip },
  async () => {
    const lab = await createSshLab({ nodes: 1 });
    const t = createTestEnv();
    try {
      const node = lab.nodes[0]!;
      const env = {
        ...t.env,
        CREWMUX_SSH_COMMAND: lab.sshCommand,
        SSH_MODULE: join(ROOT, 'dist', 'src', 'adapters', 'nodes', 'ssh.js'),
        CHANNEL_MODULE: join(ROOT, 'dist', 'src', 'adapters', 'nodes', 'node-channel.js'),
        RUNTIME_DIR: t.env.CREWMUX_RUNTIME_DIR,
        SPEC: JSON.stringify({ host: node.ip, user: node.user }),
      };
      const calls = async (list: [string, unknown][]) => {
        const r = await lab.runInLead([process.execPath, '--input-type=module', '-e', PROBE], {
          env: { ...env, CALLS: JSON.stringify(list) },
          timeoutMs: 120_000,
        });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as unknown[];
      };
      const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      const [hello] = await calls([['hello', { version, protocol: 1 }]]);
      const { dataDir } = HelloResultSchema.parse(hello);
      assert.ok(dataDir.startsWith(node.home), dataDir);

      // The workers as worker.start leaves them on the node: a state dir naming the agent; their agents wrote below HOME.
      const now = Date.now();
      const d = new Date(now);
      const day = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0')).join('/');
      const state = (w: string) => join(dataDir, 'node', 'sessions', SID, w);
      const worktree = (w: string) => join(dataDir, 'node', 'worktrees', SID, w);
      const rollout = (cwd: string) => rolloutHead(cwd) + tokenCountLine(100, 107);
      const gemini = recording(
        'gemini-0.61.0-chat.jsonl',
        '/work/wt-sources/test-artifacts/lab/gemini/ws',
        worktree('w2'),
      );
      const copilot = recording(
        'copilot-1.0.102-events.jsonl',
        '/work/wt-sources/test-artifacts/lab/copilot/ws',
        worktree('w3'),
      );
      const h = node.home;
      const files: Record<string, string> = {
        [join(state('w1'), 'agent')]: 'codex',
        [join(state('w2'), 'agent')]: 'gemini',
        [join(state('w3'), 'agent')]: 'copilot',
        [join(state('w4'), 'agent')]: 'opencode',
        [join(h, '.codex', 'sessions', day, 'rollout-2026-11-30T10-00-00-0197a.jsonl')]: rollout(worktree('w1')),
        [join(h, '.codex', 'sessions', day, 'rollout-2026-11-30T10-00-00-0197b.jsonl')]: rollout('/home/else/ws'),
        [join(h, '.gemini', 'tmp', 'ws', 'chats', 'session-2026-11-30T01-48-ff62dca1.jsonl')]: gemini,
        [join(h, '.copilot', 'session-state', 'e878a684', 'events.jsonl')]: copilot,
      };
      const seed = lab.asNode(node, [
        process.execPath,
        '-e',
        SEED,
        JSON.stringify({
          files,
          dbs: [{ file: join(h, '.local', 'share', 'opencode', 'opencode.db'), cwd: worktree('w4'), at: now }],
          sqlite: lab.nodePath(join(ROOT, 'node_modules', 'better-sqlite3')),
        }),
      ]);
      assert.equal(seed.status, 0, seed.stderr);

      const ask = (w: string, offsets: Record<string, number> = {}, steps?: number) => ({
        id: `${SID}/${w}`,
        offsets,
        since: now - 60_000,
        ...(steps !== undefined ? { steps } : {}),
      });
      const [first, again] = await calls([
        ['usage.read', { workers: ['w1', 'w2', 'w3', 'w4'].map((w) => ask(w)) }],
        [
          'usage.read',
          {
            workers: [
              ask('w1', {
                [`node-usage/codex-rollout/sessions/${day}/rollout-2026-11-30T10-00-00-0197a.jsonl`]: 10_000,
              }),
              ask('w4', {}, now + 2),
            ],
          },
        ],
      ]);
      const got = UsageReadResultSchema.parse(first).workers;
      assert.deepEqual(
        got.map((w) => [w.id, w.chunks.map((c) => [c.path, c.from, c.text.length])]),
        [
          [
            `${SID}/w1`,
            [
              [
                `node-usage/codex-rollout/sessions/${day}/rollout-2026-11-30T10-00-00-0197a.jsonl`,
                0,
                rollout(worktree('w1')).length,
              ],
            ],
          ],
          [
            `${SID}/w2`,
            [['node-usage/gemini-chat/tmp/ws/chats/session-2026-11-30T01-48-ff62dca1.jsonl', 0, gemini.length]],
          ],
          [`${SID}/w3`, [['node-usage/copilot-events/session-state/e878a684/events.jsonl', 0, copilot.length]]],
          [`${SID}/w4`, []],
        ],
      );
      assert.equal(got[0]!.chunks[0]!.text, rollout(worktree('w1')));
      assert.deepEqual(
        got[3]!.steps?.map((r) => [r.id, r.timeUpdated]),
        [['prt_0', now + 1]],
        "only the step of the worker's own directory",
      );
      // Read already (the offset past it; the update time past it): nothing again.
      assert.deepEqual(
        UsageReadResultSchema.parse(again).workers.map((w) => [w.chunks.length, w.steps?.length ?? 0]),
        [
          [0, 0],
          [0, 0],
        ],
      );
    } finally {
      t.cleanup();
      await lab.close();
    }
  },
);
