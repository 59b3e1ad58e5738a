/**
 * Workers on SSH nodes, end to end with real OpenSSH (test/helpers/netns-ssh.ts): the built crewmux runs a goal in
 * the lab's lead namespace with one local worker and one worker on each of two nodes (spawn_worker's `node`). Each
 * node worker's agent runs in a tmux session of its node user's own server, in a worktree under that user's data
 * dir, reaches the MCP server through a loopback port on its node, and its branch is fetched back and merged on the
 * lead host. The node users cannot read the lead's repository or data dir, so any use of a lead path there fails.
 * Skipped (with the reason) where the lab cannot run (it needs root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv, diagnostics, git, headlessRunArgs } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import { labCrewmux, startNodeRun } from '../helpers/node-lab-run.js';
import Database from 'better-sqlite3';
import { isAlive, signalPid, waitFor } from '../helpers/wait.js';

const skip = sshLabSkipReason();

type Lab = Awaited<ReturnType<typeof createSshLab>>;

/** Nothing of session `sid` is left in `node`'s crewmux data dir: no worktree, no state dir, no branch or base ref. */
function assertNodeClean(lab: Lab, node: Lab['nodes'][0], sid: string): void {
  const data = join(node.home, '.local', 'share', 'crewmux', 'node');
  for (const dir of ['worktrees', 'sessions']) {
    const left = lab.asNode(node, ['ls', '-A', join(data, dir)]).stdout.trim();
    assert.doesNotMatch(left, new RegExp(sid), `${dir} on ${node.name} still holds ${sid}: ${left}`);
  }
  const refs = lab.asNode(node, ['sh', '-c', `for r in ${data}/repos/*.git; do git -C "$r" for-each-ref; done`]);
  assert.doesNotMatch(refs.stdout, new RegExp(`crewmux/${sid}/`), refs.stdout);
}

test('a goal with one local and two node workers completes; both node branches are merged here', { skip }, async () => {
  const lab = await createSshLab({ nodes: 2 });
  const t = createTestEnv();
  try {
    const [n0, n1] = lab.nodes as [(typeof lab.nodes)[0], (typeof lab.nodes)[0]];
    const { repo, cli } = labCrewmux(lab, t, {
      nodes: { n0: { host: n0.ip, user: n0.user }, n1: { host: n1.ip, user: n1.user, maxWorkers: 1 } },
    });
    const plan = {
      workers: [
        { task: 'Here.\n```file:local.txt\nfrom the local worker\n```\n' },
        { task: 'On n0.\n```file:n0.txt\nfrom node n0\n```\n', node: 'n0' },
        { task: 'On n1.\n```file:sub/n1.txt\nfrom node n1\n```\n', node: 'n1' },
      ],
      verify: ['git status'],
    };
    const goal = `Three files.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const argv = headlessRunArgs(goal, { lead: 'scripted-lead', agents: ['scripted-worker'], timeoutS: 150 });
    const r = await cli(argv, 200_000);
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);

    const status = await cli(['status', '--json']);
    const view = JSON.parse(status.stdout);
    const sid = view.session.id as string;
    assert.deepEqual(
      view.workers.map((w: { id: string; state: string; runtime: string }) => [w.id, w.state, w.runtime]),
      [
        ['w01', 'merged', 'local'],
        ['w02', 'merged', 'n0'],
        ['w03', 'merged', 'n1'],
      ],
    );
    const integration = `crewmux/${sid}/integration`;
    assert.equal(git(repo, 'show', `${integration}:local.txt`), 'from the local worker');
    assert.equal(git(repo, 'show', `${integration}:n0.txt`), 'from node n0');
    assert.equal(git(repo, 'show', `${integration}:sub/n1.txt`), 'from node n1');
    // The node's commit came home: made by the scripted worker in its node worktree, fetched here.
    assert.match(git(repo, 'log', '-1', '--format=%s', `crewmux/${sid}/w02-implementer`), /scripted worker: n0\.txt/);
    const text = await cli(['status']);
    assert.match(text.stdout, /w02 .* n0 /);

    for (const node of [n0, n1]) {
      // Stopped with the session: nothing left on the node's tmux server.
      const sessions = lab.asNode(node, ['tmux', '-L', `crewmux-node-${node.uid}`, 'list-sessions']);
      assert.doesNotMatch(sessions.stdout, /crewmux-/, sessions.stdout);
      // Its commits are home (merged above): the node's worktree, state and branches of the session are gone.
      assertNodeClean(lab, node, sid);
    }
  } finally {
    t.cleanup();
    await lab.close();
  }
});

test(
  'the link is cut while a node worker runs; it finishes meanwhile; once the link is back the lead learns it',
  { skip },
  async () => {
    // The scripted worker writes cut.txt and holds its turn open (uncommitted) until a message comes: it never
    // finishes by itself, so the test finishes it on the node while the link is down.
    const r0 = await startNodeRun({ task: 'Cut.\n```file:cut.txt\nwritten on the node\n```', timeoutS: 200 });
    const { lab, t, node: n0, repo, cli, run, sid, state } = r0;
    try {
      // The token never went on a command line: it was in the 0600 env file, deleted once read.
      const left = lab.asNode(n0, ['ls', state]).stdout.split('\n');
      assert.ok(!left.includes('env'), `the env file is deleted once read: ${left.join(' ')}`);

      lab.linkDown(n0);
      // Finished while the lead cannot reach the node: its done.flag, as an agent writes it, on the node.
      r0.writeDoneFlag('finished while the link was down');
      // The lead cannot know yet: only the node has the answer.
      const during = JSON.parse((await cli(['status', '--json'])).stdout);
      assert.equal(during.workers[0].state, 'running');
      await lab.linkUp(n0);

      const r = await run;
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      const view = JSON.parse((await cli(['status', '--json'])).stdout);
      assert.deepEqual(
        view.workers.map((w: { id: string; state: string; summary: string }) => [w.id, w.state, w.summary]),
        [['w01', 'merged', 'finished while the link was down']],
      );
      // Its uncommitted file was committed on the node (the snapshot) and came home.
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:cut.txt`), 'written on the node');
    } finally {
      await r0.close();
    }
  },
);

test(
  'resume after the supervisor is SIGKILLed re-adopts a node worker: its agent runs on, its view is back, worker_done works',
  { skip },
  async () => {
    // The worker writes kept.txt and holds its turn open; the test finishes it through its view after the resume.
    const r0 = await startNodeRun({ task: 'Hold.\n```file:kept.txt\nwritten before the crash\n```' });
    try {
      const { lab, t, node: n0, repo, cli, run, sid, paneLog } = r0;
      const agentPid = () =>
        lab
          .asNode(n0, [
            'tmux',
            '-L',
            `crewmux-node-${n0.uid}`,
            'list-panes',
            '-t',
            `crewmux-${sid}-w01`,
            '-F',
            '#{pane_pid}',
          ])
          .stdout.trim();
      const pid = agentPid();
      assert.match(pid, /^\d+$/);
      const viewFile = await waitFor('view.json', () => findFile(t.env.CREWMUX_DATA_DIR!, 'view.json'), 30_000);
      const viewPane = () => JSON.parse(readFileSync(viewFile, 'utf8')).pane as string;
      const before = JSON.parse((await cli(['status', '--json'])).stdout);
      signalPid(before.session.supervisorPid, 'SIGKILL');
      const lost = await run;
      assert.equal(lost.code, 1, `${lost.stdout}\n${lost.stderr}`);
      assert.match(lost.stdout, /E_SUPERVISOR_LOST/);
      // While crewmux is down, the worker's view pane here goes too (closed by hand, say).
      t.tmux('kill-pane', '-t', viewPane());

      const resumed = cli(['resume', '--no-attach', '--wait'], 240_000);
      // The relaunched lead waits for w01 (its recap says so); the agent on the node was never stopped.
      const leadLog = join(t.env.CREWMUX_DATA_DIR!, 'sessions', sid, 'lead', 'pane.log');
      const readLog = () => (existsSync(leadLog) ? readFileSync(leadLog, 'utf8') : '');
      await waitFor('the resumed lead to wait for w01', () => /resumed: waiting for w01/.test(readLog()), 120_000);
      // Re-adopted, not relaunched: the same agent process runs on the node.
      assert.equal(agentPid(), pid);
      // Its view is back: a pane here showing the agent on the node.
      const shown = () => t.tmux('capture-pane', '-p', '-t', viewPane());
      await waitFor('the view pane to show the agent again', () => /scripted worker holding/.test(shown()), 60_000);

      // Typed into the view (a bracketed paste and Enter): the agent ends its turn with worker_done over MCP, through
      // its node's relay, with the token it was started with.
      t.tmux('send-keys', '-t', viewPane(), '-l', '\x1b[200~finish now\x1b[201~');
      t.tmux('send-keys', '-t', viewPane(), 'Enter');
      await waitFor('worker_done over MCP on the node', () => /worker_done -> /.test(paneLog()), 60_000);
      assert.doesNotMatch(paneLog(), /scripted worker error/);

      const r = await resumed;
      assert.equal(r.code, 0, `resume failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      assert.match(r.stdout, /session\.resumed .*w01 still runs on node n0: re-adopted/);
      const view = JSON.parse((await cli(['status', '--json'])).stdout);
      assert.deepEqual(
        view.workers.map((w: { id: string; state: string; summary: string }) => [w.id, w.state, w.summary]),
        [['w01', 'merged', 'turn 1: nothing to write']],
      );
      // Its uncommitted file, written before the crash, was committed on the node and came home.
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:kept.txt`), 'written before the crash');
      // The node's copy went at the session's end (the supervisor's last steps, before it exits).
      const supervisor = view.session.supervisorPid as number;
      await waitFor('the resumed supervisor to exit', () => !isAlive(supervisor), 60_000);
      const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
      const cleanup = db.prepare(`SELECT type, message FROM events WHERE type LIKE 'node.worktree%'`).all() as {
        type: string;
        message: string;
      }[];
      db.close();
      assert.deepEqual(
        cleanup.map((e) => e.message),
        ['w01: its worktree and branches on node n0 were removed'],
      );
      assertNodeClean(lab, n0, sid);
    } finally {
      await r0.close();
    }
  },
);

/** `path` under `dir`, found by name (the session's dirs are named after its id). */
function findFile(dir: string, name: string): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    }
  }
  return undefined;
}

test(
  "the node worker's pane at home shows its agent; typing there reaches it; a cut link is said, then attached again",
  { skip },
  async () => {
    // A cut link is noticed in about 3 s (not 45): long enough for the shared connection's master, and the relay
    // of the worker's MCP calls it held, to die; an attempt while it is down fails in 3 s.
    const r0 = await startNodeRun({
      task: 'View.\n```file:view.txt\nwritten on the node\n```',
      sshOptions: '-o ServerAliveInterval=1 -o ServerAliveCountMax=3 -o ConnectTimeout=3',
      timeoutS: 200,
    });
    try {
      const { lab, t, node: n0, repo, cli, run, sid, state, paneLog } = r0;
      const viewFile = await waitFor('view.json', () => findFile(t.env.CREWMUX_DATA_DIR!, 'view.json'), 30_000);
      const pane = JSON.parse(readFileSync(viewFile, 'utf8')).pane as string;
      // The lead's tmux server (in the lead namespace; its socket is a file, reachable from here).
      const shown = () => t.tmux('capture-pane', '-p', '-t', pane);
      await waitFor(
        'the home pane to show the agent on the node',
        () => /scripted worker holding/.test(shown()),
        30_000,
      );

      // Typed into the home pane (a bracketed paste and Enter, as a person pasting does): the agent on the node gets it.
      t.tmux('send-keys', '-t', pane, '-l', '\x1b[200~typed at home ```hold\x1b[201~');
      t.tmux('send-keys', '-t', pane, 'Enter');
      await waitFor(
        'the typed message to reach the agent on the node',
        () => lab.asNode(n0, ['cat', join(state, 'received-1.txt')]).stdout === 'typed at home ```hold',
        30_000,
      );

      // The link is cut: the home pane says so (the worker runs on); back, it attaches again.
      lab.linkDown(n0);
      await waitFor(
        'the home pane to say the view dropped',
        () => /view of w01 on node n0 dropped/.test(shown()),
        60_000,
      );
      await lab.linkUp(n0);
      await waitFor(
        'the home pane to show the agent again',
        () => {
          const s = shown();
          return /scripted worker holding/.test(s) && !/dropped/.test(s);
        },
        90_000,
      );
      const during = JSON.parse((await cli(['status', '--json'])).stdout);
      assert.equal(during.workers[0].state, 'running');
      // The master died with the cut, and the relay with it: it is made again on the port the agent knows.
      const events = (type: string) => {
        const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
        try {
          return db.prepare(`SELECT message FROM events WHERE type = ?`).all(type) as { message: string }[];
        } finally {
          db.close();
        }
      };
      await waitFor('the relay to be made again', () => events('node.relay_restored').length > 0, 60_000);
      assert.deepEqual(events('node.relay_failed'), []);

      // Finished by the agent over MCP (worker_done through the relay made again), and merged here.
      t.tmux('send-keys', '-t', pane, '-l', '\x1b[200~finish now\x1b[201~');
      t.tmux('send-keys', '-t', pane, 'Enter');
      await waitFor('worker_done over MCP on the node', () => /worker_done -> /.test(paneLog()), 60_000);
      assert.doesNotMatch(paneLog(), /scripted worker error/);
      const r = await run;
      assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      const view = JSON.parse((await cli(['status', '--json'])).stdout);
      assert.deepEqual(
        view.workers.map((w: { id: string; state: string; summary: string }) => [w.id, w.state, w.summary]),
        [['w01', 'merged', 'turn 2: nothing to write']],
      );
      assert.equal(git(repo, 'show', `crewmux/${sid}/integration:view.txt`), 'written on the node');
    } finally {
      await r0.close();
    }
  },
);
