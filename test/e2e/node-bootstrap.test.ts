/**
 * A node worker's worktree bootstrap and usage, end to end with real OpenSSH (test/helpers/netns-ssh.ts): a fixture
 * project with a git-ignored `.env` named in `.worktreeinclude` and a `worktree.setup` that writes a marker. The
 * built crewmux runs a goal whose one worker runs on a node whose config says `include: true`: on the node its
 * worktree holds the `.env` (owner-only) and the marker the setup wrote with its CREWMUX_PORT and slug, its agent has
 * that port in its environment and its prompt, the lead's event log names the file sent (not its contents), and
 * the usage the worker's agent recorded on the node arrives in the lead's usage table while it still runs.
 * A second case: the lead's `worktree.teardown` runs on the node before the session's end removes the node worktree
 * (a marker with its CREWMUX_PORT and slug, its port lock released, `bootstrap.teardown` at home), and the user's
 * `.env.local` here gives the node worktree a 0600 `.env.local` holding only the managed block.
 * A third: a fixture project whose git-ignored node_modules holds the module its test script requires, with
 * `worktree.clone`: two workers on one node each run the test in their worktree's setup without installing; the
 * folder went to the node once (the other worker's bootstrap reports a cache hit, 0 bytes sent).
 * Skipped (with the reason) where the lab cannot run (it needs root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createTestEnv, diagnostics, git, headlessRunArgs } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import { labCrewmux, startNodeRun } from '../helpers/node-lab-run.js';
import { waitFor } from '../helpers/wait.js';

const skip = sshLabSkipReason();

test(
  'a node worker gets .worktreeinclude files, its setup and its own CREWMUX_PORT on the node; its usage comes home',
  { skip },
  async () => {
    const setup = 'printf "%s %s %s\\n" "$CREWMUX_PORT" "$CREWMUX_WORKTREE_SLUG" "$(cat .env)" > .setup-marker';
    // The worker writes a file, records one model call as its agent would, and holds its turn open. Its node's
    // entry says `include: true`; the user's git-ignored .env is only in this checkout.
    const r0 = await startNodeRun({
      task: 'On n0.\n```file:n0.txt\nfrom node n0\n```\n```usage\n{"input":1234,"output":56,"model":"claude-sonnet-4-5"}\n```\n',
      n0: { include: true },
      repoFiles: {
        '.gitignore': '.env\n.setup-marker\n',
        '.worktreeinclude': '.env\n',
        '.crewmux/config.json': JSON.stringify({ verify: ['git status'], worktree: { setup: [setup] } }),
      },
      untracked: { '.env': 'SECRET=from-the-lead-checkout\n' },
      timeoutS: 200,
    });
    const { lab, t, node: n0, repo, run, sid, nodeData, state } = r0;
    try {
      const worktree = join(nodeData, 'worktrees', sid, 'w01');

      // The included file reached the node's worktree, owner-only, as the node user's.
      const stat = lab.asNode(n0, ['stat', '-c', '%a %U', join(worktree, '.env')]);
      assert.equal(stat.stdout.trim(), `600 ${n0.user}`, stat.stderr);
      assert.equal(readFileSync(join(worktree, '.env'), 'utf8'), 'SECRET=from-the-lead-checkout\n');
      // The setup ran on the node, in the worktree, with its own port block and slug, and saw the .env.
      const marker = readFileSync(join(worktree, '.setup-marker'), 'utf8').trim().split(' ');
      const [port, slug, secret] = marker;
      assert.ok(Number(port) >= 20000 && Number(port) < 32000, `CREWMUX_PORT ${port}`);
      assert.equal(slug, `crewmux_${sid}_w01_implementer`.replace(/-/g, '_'));
      assert.equal(secret, 'SECRET=from-the-lead-checkout');
      // Its port is locked under the node user's runtime dir, not on the lead host.
      const lockAt = [
        join(n0.home, '.local', 'share', 'crewmux', 'run', String(n0.uid), 'ports', `${port}.lock`),
        join('/run/user', String(n0.uid), 'crewmux', 'ports', `${port}.lock`),
      ];
      const lock = lab.asNode(n0, ['sh', '-c', 'cat "$1" "$2" 2>/dev/null', 'sh', ...lockAt]).stdout;
      assert.equal((JSON.parse(lock) as { key: string }).key, worktree, `the port lock on the node: ${lock}`);
      // The agent and its prompt (the node's copy) name the same port.
      const prompt = readFileSync(join(state, 'prompt.md'), 'utf8');
      assert.match(prompt, new RegExp(`CREWMUX_PORT=${port} \\(ports ${port}-${Number(port) + 9} are yours\\)`));
      const agentEnv = lab.asNode(n0, [
        'sh',
        '-c',
        `for p in $(pgrep -u ${n0.user} -f scripted-worker); do tr '\\0' '\\n' < /proc/$p/environ; done`,
      ]);
      assert.match(agentEnv.stdout, new RegExp(`^CREWMUX_PORT=${port}$`, 'm'));

      // The usage the agent recorded on the node arrives here while the worker still runs.
      const dbFile = join(t.env.CREWMUX_DATA_DIR!, 'state.db');
      const rows = await waitFor(
        'the node worker usage row in the lead state.db',
        () => {
          const db = new Database(dbFile, { readonly: true, fileMustExist: true });
          try {
            const r = db
              .prepare(`SELECT worker_id, model, input, output FROM usage WHERE session_id = ? AND worker_id = 'w01'`)
              .all(sid) as { worker_id: string; model: string; input: number; output: number }[];
            return r.length ? r : undefined;
          } finally {
            db.close();
          }
        },
        60_000,
      );
      assert.deepEqual(rows, [{ worker_id: 'w01', model: 'claude-sonnet-4-5', input: 1234, output: 56 }]);

      // What left the lead host is in its event log: the file's name and size, never its contents.
      const db = new Database(dbFile, { readonly: true });
      const sent = db
        .prepare(`SELECT message, data FROM events WHERE session_id = ? AND type = 'bootstrap.node_files'`)
        .all(sid) as { message: string; data: string }[];
      db.close();
      assert.equal(sent.length, 1);
      assert.match(sent[0]!.message, /^w01: sent 1 \.worktreeinclude file\(s\) \(30 bytes\) to node n0: \.env$/);
      assert.doesNotMatch(JSON.stringify(sent), /from-the-lead-checkout/);

      // Finished as an agent finishes: its done.flag, on the node.
      r0.writeDoneFlag('bootstrapped on the node');
      const r = await run;
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:n0.txt`), 'from node n0');
      // Neither the .env nor the marker came home in the worker's branch (git-ignored there as here).
      assert.doesNotMatch(
        git(repo, 'ls-tree', '-r', '--name-only', `crewmux/${sid}/integration`),
        /\.env|setup-marker/,
      );
    } finally {
      await r0.close();
    }
  },
);

test(
  'a node worktree runs the lead teardown on the node before it goes at the session end; .env.local gets the block',
  { skip },
  async () => {
    // The teardown writes a marker beside the node dir (the worktree itself goes), with its port and slug.
    const teardown = 'printf "%s %s\\n" "$CREWMUX_PORT" "$CREWMUX_WORKTREE_SLUG" > ../../../teardown-marker';
    const r0 = await startNodeRun({
      task: 'On n0.\n```file:n0.txt\nfrom node n0\n```\n',
      repoFiles: {
        '.gitignore': '.env.local\n',
        '.crewmux/config.json': JSON.stringify({ verify: ['git status'], worktree: { teardown: [teardown] } }),
      },
      // The user's checkout uses .env.local; the node gets no include (no "include": true), only the block.
      untracked: { '.env.local': 'MINE=1\n' },
      timeoutS: 200,
    });
    const { lab, t, node: n0, run, sid, nodeData } = r0;
    try {
      const worktree = join(nodeData, 'worktrees', sid, 'w01');
      const envLocal = lab.asNode(n0, ['sh', '-c', 'stat -c %a "$1" && cat "$1"', 'sh', join(worktree, '.env.local')]);
      assert.match(envLocal.stdout, /^600\n/, envLocal.stderr);
      assert.match(envLocal.stdout, /CREWMUX_PORT=\d+\n/);
      assert.doesNotMatch(envLocal.stdout, /MINE=1/);
      const port = /CREWMUX_PORT=(\d+)/.exec(envLocal.stdout)![1]!;

      r0.writeDoneFlag('done on the node');
      const r = await run;
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      // The session's end removed the node worktree, and its teardown ran there first.
      const marker = await waitFor(
        'the teardown marker on the node',
        () => lab.asNode(n0, ['cat', join(nodeData, 'teardown-marker')]).stdout || undefined,
        60_000,
      );
      assert.equal(marker, `${port} ${`crewmux_${sid}_w01_implementer`.replace(/-/g, '_')}\n`);
      assert.equal(lab.asNode(n0, ['test', '-e', worktree]).status, 1, 'the node worktree is gone');
      // Its port lock on the node is released.
      const locks = lab.asNode(n0, [
        'sh',
        '-c',
        'ls "$1" "$2" 2>/dev/null',
        'sh',
        join(n0.home, '.local', 'share', 'crewmux', 'run', String(n0.uid), 'ports'),
        join('/run/user', String(n0.uid), 'crewmux', 'ports'),
      ]).stdout;
      assert.doesNotMatch(locks, new RegExp(`${port}\\.lock`));
      // The outcome is an event at home.
      const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
      const ev = db
        .prepare(`SELECT message FROM events WHERE session_id = ? AND type LIKE 'bootstrap.teardown%'`)
        .all(sid) as { message: string }[];
      db.close();
      assert.deepEqual(
        ev.map((e) => e.message.replace(/ \(output in .*$/, '')),
        ["teardown of w01's worktree on node n0: 1 command(s) ran"],
      );
    } finally {
      await r0.close();
    }
  },
);

test(
  'worktree.clone folders reach node workers: their test passes without installing; the second is a cache hit',
  { skip },
  async () => {
    const lab = await createSshLab({ nodes: 1 });
    const t = createTestEnv();
    try {
      const [n0] = lab.nodes as [(typeof lab.nodes)[0]];
      const test = "require('fs').writeFileSync('.test-result', 'dep=' + require('dep') + '\\n');\n";
      const { repo, cli } = labCrewmux(
        lab,
        t,
        { nodes: { n0: { host: n0.ip, user: n0.user } } },
        {
          '.gitignore': 'node_modules/\n.test-result\n',
          'test.js': test,
          '.crewmux/config.json': JSON.stringify({
            verify: ['node test.js'],
            worktree: { clone: ['node_modules'], setup: ['node test.js'] },
          }),
        },
      );
      // The user's installed dependency: only in this checkout, git-ignored.
      mkdirSync(join(repo, 'node_modules', 'dep'), { recursive: true });
      writeFileSync(join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 42;\n');
      const plan = {
        workers: [
          { task: 'On n0.\n```file:a.txt\nfrom a\n```\n', node: 'n0' },
          { task: 'On n0 too.\n```file:b.txt\nfrom b\n```\n', node: 'n0' },
        ],
        verify: ['node test.js'],
      };
      const goal = `Two files.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
      const r = await cli(
        headlessRunArgs(goal, { lead: 'scripted-lead', agents: ['scripted-worker'], timeoutS: 150 }),
        200_000,
      );
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);

      const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
      const rows = db
        .prepare(
          `SELECT worker_id, message, data FROM events WHERE type = 'bootstrap.prepared' AND worker_id LIKE 'w%' ORDER BY worker_id`,
        )
        .all() as { worker_id: string; message: string; data: string }[];
      db.close();
      assert.equal(rows.length, 2, JSON.stringify(rows));
      type Outcome = { folder: string; outcome: string; bytesSent: number };
      const outcomes = rows.map((e) => (JSON.parse(e.data) as { nodeClone: Outcome[] }).nodeClone[0]!);
      // Sent once (a tar stream of the folder), then found in the node's cache: 0 bytes.
      const [sent, hit] = outcomes[0]!.outcome === 'sent' ? outcomes : [outcomes[1]!, outcomes[0]!];
      assert.deepEqual([sent!.outcome, hit!.outcome, hit!.bytesSent], ['sent', 'cached', 0], JSON.stringify(outcomes));
      assert.ok(sent!.bytesSent >= 10240, JSON.stringify(sent));
      for (const e of rows) {
        // Cloned into each worktree (a copy: never a symlink on a node without worktree.link); the setup's test passed.
        assert.match(e.message, /clone [\d.]+ ms \(node_modules by (reflink|copy)/, e.message);
        assert.match(e.message, /setup [\d.]+ ms \(1 command\(s\) from worktree\.setup: ok\)/, e.message);
      }
      // The node's cache holds the folder once, owner-only.
      const cache = join(n0.home, '.local', 'share', 'crewmux', 'node', 'cache');
      const held = lab.asNode(n0, [
        'sh',
        '-c',
        'stat -c %a "$1" && ls -d "$1"/*/node_modules/*/node_modules/dep',
        'sh',
        cache,
      ]);
      assert.equal(held.stdout.trim().split('\n').length, 2, held.stdout + held.stderr);
      assert.equal(held.stdout.split('\n')[0], '700');
      const status = JSON.parse((await cli(['status', '--json'])).stdout) as { session: { id: string } };
      const integration = `crewmux/${status.session.id}/integration`;
      assert.equal(git(repo, 'show', `${integration}:a.txt`), 'from a');
      assert.equal(git(repo, 'show', `${integration}:b.txt`), 'from b');
    } finally {
      t.cleanup();
      await lab.close();
    }
  },
);
