/**
 * A node worker's worktree bootstrap and usage, end to end with real OpenSSH (test/helpers/netns-ssh.ts): a fixture
 * project with a git-ignored `.env` named in `.worktreeinclude` and a `worktree.setup` that writes a marker. The
 * built crewmux runs a goal whose one worker runs on a node whose config says `include: true`: on the node its
 * worktree holds the `.env` (owner-only) and the marker the setup wrote with its CREWMUX_PORT and slug, its agent has
 * that port in its environment and its prompt, the lead's event log names the file sent (not its contents), and
 * the usage the worker's agent recorded on the node arrives in the lead's usage table while it still runs.
 * Skipped (with the reason) where the lab cannot run (it needs root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, createRepo, createTestEnv, diagnostics, git } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import { waitFor } from '../helpers/wait.js';

const skip = sshLabSkipReason();

test(
  'a node worker gets .worktreeinclude files, its setup and its own CREWMUX_PORT on the node; its usage comes home',
  { skip },
  async () => {
    const lab = await createSshLab({ nodes: 1 });
    const t = createTestEnv();
    try {
      const [n0] = lab.nodes as [(typeof lab.nodes)[0]];
      chmodSync(t.dir, 0o700);
      const configDir = t.env.CREWMUX_CONFIG_DIR!;
      mkdirSync(configDir, { recursive: true, mode: 0o700 });
      writeFileSync(
        join(configDir, 'config.json'),
        JSON.stringify({ nodes: { n0: { host: n0.ip, user: n0.user, include: true } } }),
        { mode: 0o600 },
      );
      const setup = 'printf "%s %s %s\\n" "$CREWMUX_PORT" "$CREWMUX_WORKTREE_SLUG" "$(cat .env)" > .setup-marker';
      const repo = createRepo(t, {
        'README.md': '# test repo\n',
        '.gitignore': '.env\n.setup-marker\n',
        '.worktreeinclude': '.env\n',
        '.crewmux/config.json': JSON.stringify({ verify: ['git status'], worktree: { setup: [setup] } }),
      });
      // The user's git-ignored file: only this checkout has it.
      writeFileSync(join(repo, '.env'), 'SECRET=from-the-lead-checkout\n', { mode: 0o600 });
      // The worker writes a file, records one model call as its agent would, and holds its turn open.
      const plan = {
        workers: [
          {
            task:
              'On n0.\n```file:n0.txt\nfrom node n0\n```\n' +
              '```usage\n{"input":1234,"output":56,"model":"claude-sonnet-4-5"}\n```\n```hold\n```\n',
            node: 'n0',
          },
        ],
        verify: ['git status'],
      };
      const goal = `One file.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
      const env = { ...t.env, CREWMUX_SSH_COMMAND: lab.sshCommand };
      const cli = (args: string[], timeoutMs = 60_000) =>
        lab.runInLead([process.execPath, BIN, ...args], { env, cwd: repo, timeoutMs });
      const args = ['run', '--goal', goal, '--lead', 'scripted-lead', '--agents', 'scripted-worker', '--no-attach'];
      const run = cli([...args, '--trust-repo-config', '--wait', '--timeout', '200'], 260_000);

      const nodeData = join(n0.home, '.local', 'share', 'crewmux', 'node');
      const sid = await waitFor(
        'the node worker to hold its turn with n0.txt written',
        () => {
          const found = lab.asNode(n0, ['sh', '-c', `ls -d ${nodeData}/worktrees/*/w01/n0.txt`]).stdout.trim();
          return found ? found.split('/').at(-3) : undefined;
        },
        120_000,
      );
      const worktree = join(nodeData, 'worktrees', sid, 'w01');
      const state = join(nodeData, 'sessions', sid, 'w01');
      await waitFor(
        'the scripted worker to idle',
        () => /holding/.test(lab.asNode(n0, ['cat', join(state, 'pane.log')]).stdout),
        60_000,
      );

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
      const nonce = /(?:<nonce> is|with nonce) ([0-9a-f]{12})/.exec(prompt)?.[1];
      assert.ok(nonce, 'the prompt on the node names the nonce');
      const wrote = lab.asNode(n0, [
        'sh',
        '-c',
        'printf %s "$1" > "$2.tmp" && mv "$2.tmp" "$2"',
        'sh',
        JSON.stringify({ nonce, status: 'done', summary: 'bootstrapped on the node' }),
        join(worktree, '.crewmux', 'done.flag'),
      ]);
      assert.equal(wrote.status, 0, wrote.stderr);
      const r = await run;
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:n0.txt`), 'from node n0');
      // Neither the .env nor the marker came home in the worker's branch (git-ignored there as here).
      assert.doesNotMatch(
        git(repo, 'ls-tree', '-r', '--name-only', `crewmux/${sid}/integration`),
        /\.env|setup-marker/,
      );
    } finally {
      t.cleanup();
      await lab.close();
    }
  },
);
