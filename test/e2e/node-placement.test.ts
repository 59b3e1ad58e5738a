/**
 * Automatic placement and a node lost for good, end to end with real OpenSSH (test/helpers/netns-ssh.ts): the built
 * crewmux runs a goal in the lab's lead namespace. (1) This machine admits no worker (config `admission.pressureMax`
 * 0: any memory pressure reading refuses it here; nodes are admitted by their free memory only), so spawn_worker
 * without `node` places the worker on the node; a second one waits in the queue (the node's maxWorkers is 1) and is
 * placed there when the first ends; both are merged here. (2) A node's link goes down and stays down
 * with `nodes.lostAfter` small: its worker is marked lost, wait_for_worker returns it, the lead is told and fails the
 * goal, and the session ends without hanging on the dead node. Skipped (with the reason) where the lab cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTestEnv, diagnostics, git, headlessRunArgs } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason, type LabNode } from '../helpers/netns-ssh.js';
import { labCrewmux, startNodeRun } from '../helpers/node-lab-run.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const skip =
  sshLabSkipReason() ??
  (existsSync('/proc/pressure/memory') ? undefined : 'needs PSI (/proc/pressure/memory) to refuse workers here');

const goalOf = (workers: unknown[]) =>
  `Work.\n\`\`\`json\n${JSON.stringify({ workers, verify: ['git status'] })}\n\`\`\`\n`;

test(
  'this machine admits no worker: spawn_worker without a node places it on the node; the queued one follows there; both merged here',
  { skip },
  async () => {
    const lab = await createSshLab({ nodes: 1 });
    const t = createTestEnv();
    try {
      const [n0] = lab.nodes as [LabNode];
      const { repo, cli, leadLog } = labCrewmux(lab, t, {
        // One worker at a time there: the second is queued until the first ends, then placed there too.
        nodes: { n0: { host: n0.ip, user: n0.user, maxWorkers: 1 } },
        // Any pressure reading (0.00 included) is at or above 0: nothing is admitted here.
        admission: { pressureMax: 0 },
      });
      const goal = goalOf([
        { task: 'Placed.\n```file:placed.txt\nplaced on a node\n```\n' },
        { task: 'Queued.\n```file:queued.txt\nqueued, then placed\n```\n' },
      ]);
      const argv = headlessRunArgs(goal, { lead: 'scripted-lead', agents: ['scripted-worker'], timeoutS: 150 });
      const r = await cli(argv, 200_000);
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);

      const view = JSON.parse((await cli(['status', '--json'])).stdout);
      const sid = view.session.id as string;
      assert.deepEqual(
        view.workers.map((w: { id: string; state: string; runtime: string }) => [w.id, w.state, w.runtime]),
        [
          ['w01', 'merged', 'n0'],
          ['w02', 'merged', 'n0'],
        ],
      );
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:placed.txt`), 'placed on a node');
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:queued.txt`), 'queued, then placed');
      // Made on the node (the scripted worker's commit in its node worktree), fetched here.
      assert.match(git(repo, 'log', '-1', '--format=%s', `crewmux/${sid}/w01-implementer`), /placed\.txt/);
      const log = leadLog(sid);
      // The lead was told where each went and why, and list_workers names the node.
      assert.match(
        log,
        /spawn_worker -> Started worker w01 \(scripted-worker, implementer\) on node n0 \(placed there: this machine did not admit it \(memory pressure \(PSI some avg10\) is [\d.]+%, at or above the limit 0%\); node n0 has room/,
      );
      assert.match(log, /spawn_worker -> Queued worker w02 .*n0: it runs 1 of this session's workers \(maxWorkers 1\)/);
      assert.match(log, /list_workers -> w01 done on n0, w02 done on n0/);
      assert.match((await cli(['status'])).stdout, /w01 .* n0 /);
      const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
      const admitted = db
        .prepare(`SELECT message FROM events WHERE session_id = ? AND type = 'worker.admitted'`)
        .all(sid) as { message: string }[];
      db.close();
      assert.deepEqual(
        admitted.map((e) => e.message.replace(/ \(.*/, '')),
        ['w02 admitted on node n0: this machine did not admit it'],
      );
    } finally {
      t.cleanup();
      await lab.close();
    }
  },
);

test(
  'a node lost for good: its worker is lost, wait_for_worker returns it, the lead is told, the session ends; its branch stays',
  { skip },
  async () => {
    // A cut link is noticed in about 3 s, and each attempt while it is down fails in 3 s. The worker writes lost.txt
    // and holds its turn open: it never finishes by itself.
    const r0 = await startNodeRun({
      task: 'Hold.\n```file:lost.txt\nwritten on the node\n```\n',
      nodes: { lostAfter: 5 },
      sshOptions: '-o ServerAliveInterval=1 -o ServerAliveCountMax=3 -o ConnectTimeout=3',
      timeoutS: 200,
    });
    const { lab, t, node: n0, repo, cli, leadLog, run, sid } = r0;
    try {
      // Gone for good: the link stays down until the lab is closed.
      lab.linkDown(n0);

      const r = await run;
      // The lead failed the goal for the lost worker; the run ended by itself (not killed by the test's timeout).
      assert.notEqual(r.code, null, `the run hung:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      const view = JSON.parse((await cli(['status', '--json'])).stdout);
      assert.equal(view.session.status, 'failed');
      const [w] = view.workers as { id: string; state: string; runtime: string; summary: string }[];
      assert.deepEqual([w!.id, w!.state, w!.runtime], ['w01', 'lost', 'n0']);
      assert.match(w!.summary, /^lost: node n0 has not answered for \d+ s \(nodes\.lostAfter is 5 s; last error: /);

      const log = leadLog(sid);
      // wait_for_worker returned it, with what the lead can do; the lead failed the goal naming it.
      assert.match(log, /wait_for_worker -> [\s\S]*w01 is lost: its node stopped answering/);
      const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
      const events = db.prepare(`SELECT type, message FROM events WHERE session_id = ? ORDER BY id`).all(sid) as {
        type: string;
        message: string;
      }[];
      db.close();
      assert.ok(
        events.some((e) => e.type === 'worker.lost'),
        events.map((e) => e.type).join(' '),
      );
      assert.ok(
        events.some((e) => e.type === 'session.failed' && /w01 lost/.test(e.message)),
        events.map((e) => `${e.type}: ${e.message}`).join('\n'),
      );
      // Its branch is kept here (the commits last fetched from the node; none came home before the cut).
      assert.match(git(repo, 'rev-parse', `crewmux/${sid}/w01-implementer`), /^[0-9a-f]{40}$/);
      // Nothing waits on the dead node: the supervisor is gone.
      const supervisor = view.session.supervisorPid as number;
      await waitFor('the supervisor to exit', () => !isAlive(supervisor), 60_000);
    } finally {
      await r0.close();
    }
  },
);
