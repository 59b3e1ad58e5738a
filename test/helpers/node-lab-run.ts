/**
 * A goal run with one worker on a lab node (test/helpers/netns-ssh.ts), started and brought to the point the node
 * lab cases share: the lab with one node, the lead's files root-only (0700), the node in the global config, a
 * repository, `crewmux run` with a scripted lead and one scripted worker on that node whose task ends with a
 * ```hold block (it writes its files and holds its turn open, uncommitted), waited for until the worker holds.
 * The caller closes it (`close`), in a finally.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, createRepo, createTestEnv, type TestEnv } from './env.js';
import { createSshLab } from './netns-ssh.js';
import { waitFor } from './wait.js';
import { readIfExists } from '../../src/adapters/system/files.js';

type Lab = Awaited<ReturnType<typeof createSshLab>>;
type CliResult = Awaited<ReturnType<Lab['runInLead']>>;

export interface NodeLabRunOptions {
  /** The node worker's task: its ```file:PATH blocks are written on the node; a ```hold block is appended. */
  task: string;
  /** Keys added to the global config's `nodes` (e.g. `lostAfter`) and to node n0's entry (e.g. `include`). */
  nodes?: Record<string, unknown>;
  n0?: Record<string, unknown>;
  /** Files of the repository's first commit, over the defaults (README.md, a .crewmux/config.json verifying). */
  repoFiles?: Record<string, string>;
  /** Files written (0600) into the checkout after its commit: the user's git-ignored files, e.g. `.env`. */
  untracked?: Record<string, string>;
  /** Words added to the lab's ssh command (CREWMUX_SSH_COMMAND), e.g. shorter ServerAlive options. */
  sshOptions?: string;
  /** `crewmux run --timeout` in seconds (default 300); the run's own wait allows a minute more. */
  timeoutS?: number;
}

export interface NodeLabRun {
  lab: Lab;
  t: TestEnv;
  node: Lab['nodes'][0];
  repo: string;
  /** Runs the built crewmux in the lead namespace, in the repository, with the lab's ssh command. */
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** The lead's pane log of session `sid` ('' before it exists). */
  leadLog(sid: string): string;
  /** The `crewmux run --wait` started; it resolves when the run ends. */
  run: Promise<CliResult>;
  sid: string;
  /** The node user's crewmux node dir, and the worker's state dir in it. */
  nodeData: string;
  state: string;
  /** The nonce the prompt on the node names. */
  nonce: string;
  /** The agent's output on the node (its pane.log). */
  paneLog(): string;
  /** Writes the worker's done.flag on the node as an agent does (atomically), with `summary`. */
  writeDoneFlag(summary: string): void;
  close(): Promise<void>;
}

/**
 * The lab's crewmux for test `t`: the lead's files root-only (0700, so a node user reaching for one fails), the global
 * `config` (0600), a repository of `files` (over a README and a .crewmux/config.json verifying with `git status`),
 * and the built CLI run in the lead namespace in it with the lab's ssh command (`sshOptions` added).
 */
export function labCrewmux(lab: Lab, t: TestEnv, config: unknown, files: Record<string, string> = {}, sshOptions = '') {
  chmodSync(t.dir, 0o700);
  const configDir = t.env.CREWMUX_CONFIG_DIR!;
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(configDir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  const repo = createRepo(t, {
    'README.md': '# test repo\n',
    '.crewmux/config.json': JSON.stringify({ verify: ['git status'] }),
    ...files,
  });
  const env = { ...t.env, CREWMUX_SSH_COMMAND: sshOptions ? `${lab.sshCommand} ${sshOptions}` : lab.sshCommand };
  const cli = (args: string[], timeoutMs = 60_000) =>
    lab.runInLead([process.execPath, BIN, ...args], { env, cwd: repo, timeoutMs });
  const leadLog = (sid: string) =>
    readIfExists(join(t.env.CREWMUX_DATA_DIR!, 'sessions', sid, 'lead', 'pane.log')) ?? '';
  return { repo, cli, leadLog };
}

/** Starts the run (see the file comment) and waits until the node worker holds its turn. */
export async function startNodeRun(o: NodeLabRunOptions): Promise<NodeLabRun> {
  const lab = await createSshLab({ nodes: 1 });
  const t = createTestEnv();
  const close = async () => {
    t.cleanup();
    await lab.close();
  };
  try {
    const [node] = lab.nodes as [Lab['nodes'][0]];
    const nodes = { ...o.nodes, n0: { host: node.ip, user: node.user, ...o.n0 } };
    const { repo, cli, leadLog } = labCrewmux(lab, t, { nodes }, o.repoFiles, o.sshOptions);
    for (const [name, text] of Object.entries(o.untracked ?? {}))
      writeFileSync(join(repo, name), text, { mode: 0o600 });
    const plan = { workers: [{ task: `${o.task}\n\`\`\`hold\n\`\`\`\n`, node: 'n0' }], verify: ['git status'] };
    const goal = `One file.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const timeoutS = o.timeoutS ?? 300;
    const args = ['run', '--goal', goal, '--lead', 'scripted-lead', '--agents', 'scripted-worker', '--no-attach'];
    const run = cli([...args, '--trust-repo-config', '--wait', '--timeout', String(timeoutS)], (timeoutS + 60) * 1000);

    const nodeData = join(node.home, '.local', 'share', 'crewmux', 'node');
    const sid = await waitFor(
      'the node worker to start',
      () => {
        const found = lab.asNode(node, ['sh', '-c', `ls -d ${nodeData}/sessions/*/w01/pane.log`]).stdout.trim();
        return found ? found.split('/').at(-3) : undefined;
      },
      120_000,
    );
    const state = join(nodeData, 'sessions', sid, 'w01');
    const paneLog = () => lab.asNode(node, ['cat', join(state, 'pane.log')]).stdout;
    await waitFor('the scripted worker to hold its turn', () => /holding/.test(paneLog()), 60_000);
    const nonce = /(?:<nonce> is|with nonce) ([0-9a-f]{12})/.exec(readFileSync(join(state, 'prompt.md'), 'utf8'))?.[1];
    if (!nonce) throw new Error('the prompt on the node names no nonce');
    const writeDoneFlag = (summary: string) => {
      const flag = join(nodeData, 'worktrees', sid, 'w01', '.crewmux', 'done.flag');
      const wrote = lab.asNode(node, [
        'sh',
        '-c',
        'printf %s "$1" > "$2.tmp" && mv "$2.tmp" "$2"',
        'sh',
        JSON.stringify({ nonce, status: 'done', summary }),
        flag,
      ]);
      if (wrote.status !== 0) throw new Error(`writing the done.flag on the node failed: ${wrote.stderr}`);
    };
    return { lab, t, node, repo, cli, leadLog, run, sid, nodeData, state, nonce, paneLog, writeDoneFlag, close };
  } catch (e) {
    await close();
    throw e;
  }
}
