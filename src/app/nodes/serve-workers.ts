/**
 * The node side of a worker (docs/architecture.md "Worker nodes: workers"): the ops `crewmux node serve --stdio`
 * answers for the lead host. The worker is local to its node: a bare repository per lead repository
 * (`<dataDir>/node/repos/<repoId>.git`, the lead pushes the worker's base there), a worktree of it
 * (`<dataDir>/node/worktrees/<sid>/<worker>`), a 0700 state dir (`<dataDir>/node/sessions/<sid>/<worker>`: prompt,
 * env file, pane log, MCP config) and the agent in tmux session `crewmux-<sid>-<worker>` of the node user's private
 * tmux server. The agent's command line is built here, from the node's own agent install; its environment (the
 * MCP token, provider keys) comes over the channel and reaches it through a 0600 file, never a command line.
 */
import { join } from 'node:path';
import { waitUntil, type Clock } from '../../core/clock.js';
import {
  RelayPokeParamsSchema,
  RepoEnsureParamsSchema,
  WorkerOutputParamsSchema,
  WorkerRefParamsSchema,
  WorkerSendParamsSchema,
  WorkerSnapshotParamsSchema,
  WorkerStartParamsSchema,
  WorkerWatchParamsSchema,
  parseOpParams,
  type WorkerStatus,
} from '../../core/nodes/protocol.js';
import { readPane, readsPane, type PaneReading } from '../../core/nodes/pane-reading.js';
import { nodeWorkerSession } from '../../core/nodes/view.js';
import type { AgentProfile } from '../../core/agents/profile.js';
import { tailLines } from '../../core/text/ansi.js';
import { shellQuote } from '../../core/text/shell-quote.js';
import { ensureDir, fileSize, readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import type { Git } from '../ports/git.js';
import type { ProcessRunner } from '../ports/process-runner.js';
import type { Tmux } from '../ports/tmux.js';
import { prepareLaunch } from '../agents/launch.js';
import { askHookArgv } from '../questions/ask-hook-path.js';
import { exitStatusFile, recordingExit, withEnvFile } from '../workers/panes.js';
import { deliverText } from '../workers/deliver.js';
import type { WorkerWatch } from './serve-watch.js';
import { NODE_USAGE_ENV_FILE, usageEnvRecord } from './node-usage.js';

/** What the node's worker ops need; compose/nodes.ts wires the real ones. */
export interface NodeWorkerDeps {
  /** The node user's crewmux data dir. */
  dataDir: string;
  /** The node user's private tmux server (`-L crewmux-node-<uid>`). */
  tmux: Tmux;
  git: Git;
  runner: ProcessRunner;
  clock: Clock;
  /** The node user's HOME (agents seed their crewmux-owned config from it). */
  userHome: string;
  /** The node's own environment, under the lead's variables in the agent's env. */
  env: Record<string, string>;
  /** A built-in agent and its binary on this node; undefined when unknown or not installed here. */
  resolveAgent(name: string): Promise<{ profile: AgentProfile; binary: string } | undefined>;
  /** Pushes the watched workers' changes to the lead (serve-watch.ts); worker.start watches its worker. */
  watch?: WorkerWatch;
  /** Connects to a loopback port and closes (relay.poke); resolves whether anything accepted. */
  pokePort?(port: number): Promise<boolean>;
}

/** The file in a worker's state dir naming its agent. */
export const AGENT_FILE = 'agent';

/** Where worker `id` (`<sid>/<worker>`) lives on the node: worktree, state dir, tmux session. */
export function placesOf(d: Pick<NodeWorkerDeps, 'dataDir'>, id: string) {
  const [sid, wid] = id.split('/') as [string, string];
  const root = join(d.dataDir, 'node');
  return {
    sid,
    wid,
    worktree: join(root, 'worktrees', sid, wid),
    stateDir: join(root, 'sessions', sid, wid),
    session: nodeWorkerSession(sid, wid),
  };
}

/** The node's bare repository of the lead host's repository `repoId`. */
export const repoPath = (d: Pick<NodeWorkerDeps, 'dataDir'>, repoId: string) =>
  join(d.dataDir, 'node', 'repos', `${repoId}.git`);

/** The worker's live pane on the node's tmux server (undefined when its session is gone or its agent exited). */
export async function livePane(d: Pick<NodeWorkerDeps, 'tmux'>, session: string) {
  const panes = await d.tmux.listPanes(session).catch(() => []);
  return panes.find((p) => !p.dead);
}

/**
 * Worker `id`'s state as worker.running answers it: whether its agent lives, its done.flag (at most 64 KiB), how many
 * bytes its agent has printed (its pane log; the lead's stuck check), and while it runs, what its screen shows
 * (status and blockers, read with its agent's registry markers).
 */
export async function nodeWorkerStatus(
  d: Pick<NodeWorkerDeps, 'dataDir' | 'tmux' | 'resolveAgent'>,
  id: string,
): Promise<WorkerStatus> {
  const at = placesOf(d, id);
  const flag = readIfExists(join(at.worktree, '.crewmux', 'done.flag'));
  const pane = await livePane(d, at.session);
  return {
    running: Boolean(pane),
    ...(flag !== undefined ? { doneFlag: flag.slice(0, 64 * 1024) } : {}),
    ...(pane ? await paneOf(d, at.stateDir, pane.paneId) : {}),
    ...(pane ? { output: fileSize(join(at.stateDir, 'pane.log')) } : {}),
  };
}

/** The reading of a running worker's screen with its agent's registry entry (nothing when it cannot tell). */
async function paneOf(
  d: Pick<NodeWorkerDeps, 'tmux' | 'resolveAgent'>,
  stateDir: string,
  paneId: string,
): Promise<{ pane?: PaneReading }> {
  const name = readIfExists(join(stateDir, AGENT_FILE))?.trim();
  const profile = name ? (await d.resolveAgent(name).catch(() => undefined))?.profile : undefined;
  if (!profile || !readsPane(profile)) return {};
  const screen = await d.tmux.capturePane(paneId).catch(() => undefined);
  return screen === undefined ? {} : { pane: readPane(profile, screen) };
}

/** The dirs whose changes may change worker `id`'s state: its `.crewmux` dir (done.flag) and its state dir. */
export function nodeWorkerWatchDirs(d: Pick<NodeWorkerDeps, 'dataDir'>, id: string): string[] {
  const at = placesOf(d, id);
  return [join(at.worktree, '.crewmux'), at.stateDir];
}

/**
 * A new worktree of worker `p.id` on `p.branch` at `p.baseRef`: a restart starts again from the newer base, so its old
 * tmux session and worktree go first. Rejects while its agent runs.
 */
export async function freshWorktree(
  d: Pick<NodeWorkerDeps, 'dataDir' | 'tmux' | 'git'>,
  p: { id: string; repoId: string; branch: string; baseRef: string },
): Promise<string> {
  const at = placesOf(d, p.id);
  const repo = repoPath(d, p.repoId);
  if (await livePane(d, at.session)) throw new Error(`worker ${p.id} is already running on this node`);
  await d.tmux.killSession(at.session).catch(() => undefined);
  if (readIfExists(join(at.worktree, '.git')) !== undefined)
    await d.git.raw(repo, ['worktree', 'remove', '--force', at.worktree]).catch(() => undefined);
  ensureDir(join(at.worktree, '..'));
  await d.git.raw(repo, ['worktree', 'add', '-q', '-B', p.branch, at.worktree, p.baseRef]);
  return at.worktree;
}

/**
 * The node's worker ops by name (`repo.ensure`, `worker.start|running|watch|stop|send|output|snapshot`,
 * `relay.poke`).
 */
export function nodeWorkerMethods(d: NodeWorkerDeps): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    async 'relay.poke'(params) {
      const { port } = parseOpParams(RelayPokeParamsSchema, params, 'relay.poke');
      return { reached: (await d.pokePort?.(port)) ?? false };
    },

    async 'repo.ensure'(params) {
      const { repoId } = parseOpParams(RepoEnsureParamsSchema, params, 'repo.ensure');
      const path = repoPath(d, repoId);
      if (readIfExists(join(path, 'HEAD')) === undefined) {
        ensureDir(path);
        await d.git.raw(path, ['init', '-q', '--bare']);
      }
      return { path };
    },

    async 'worker.start'(params) {
      const p = parseOpParams(WorkerStartParamsSchema, params, 'worker.start');
      const at = placesOf(d, p.id);
      const agent = await d.resolveAgent(p.agent);
      if (!agent) throw new Error(`agent "${p.agent}" is not installed on this node`);
      // worker.prepare made (and bootstrapped) the worktree just before: it is kept.
      if (!p.keepWorktree) await freshWorktree(d, p);
      else if (readIfExists(join(at.worktree, '.git')) === undefined)
        throw new Error(`worker ${p.id} has no worktree on this node: worker.prepare first`);
      ensureDir(at.stateDir);
      const promptFile = join(at.stateDir, 'prompt.md');
      const logFile = join(at.stateDir, 'pane.log');
      const doneFile = join(at.worktree, '.crewmux', 'done.flag');
      // The prompt was written for the lead host's worktree: its done.flag is this one here.
      const prompt = p.leadDoneFile ? p.prompt.replaceAll(p.leadDoneFile, doneFile) : p.prompt;
      writeFileAtomic(promptFile, prompt);
      // Which agent it runs: its screen is read with that agent's registry entry (by later channels too).
      writeFileAtomic(join(at.stateDir, AGENT_FILE), p.agent);
      // Where its agent keeps its usage files (CODEX_HOME, XDG_DATA_HOME, ...): usage.read finds them from this.
      writeFileAtomic(join(at.stateDir, NODE_USAGE_ENV_FILE), usageEnvRecord({ HOME: d.userHome, ...d.env, ...p.env }));
      if (readIfExists(logFile) === undefined) writeFileAtomic(logFile, '');
      ensureDir(join(at.worktree, '.crewmux'));
      const launch = await prepareLaunch({
        profile: agent.profile,
        binary: agent.binary,
        baseEnv: { ...d.env, ...p.env },
        git: d.git,
        doneFile,
        // An agent whose workers speak ACP runs under crewmux's ACP pane process here too (its usage recorded).
        ...(agent.profile.acp?.workers
          ? { acpArgs: agent.profile.acp.args, ...(agent.profile.acp.usage ? { acpUsage: true } : {}) }
          : {}),
        ctx: {
          role: 'worker',
          sessionId: at.sid,
          workerId: at.wid,
          cwd: at.worktree,
          mcpUrl: p.mcpUrl,
          mcpToken: p.mcpToken,
          promptFile,
          stateDir: at.stateDir,
          toolTimeoutS: p.toolTimeoutS ?? 600,
          userHome: d.userHome,
          env: { ...d.env, ...p.env },
          askHook: askHookArgv(),
        },
      });
      const spec = withEnvFile(
        { ...launch.pane, command: recordingExit(launch.pane.command, exitStatusFile(logFile)) },
        join(at.stateDir, 'env'),
      );
      const pane = await d.tmux.newSession(at.session, 'worker', spec);
      await d.tmux.setWindowOption(pane.windowId, 'remain-on-exit', 'on');
      await d.tmux.pipePane(pane.paneId, `cat >> ${shellQuote(logFile)}`);
      if (launch.prompt === 'type')
        await deliverText(d.tmux, pane.paneId, prompt, {
          readyMarkers: agent.profile.markers.ready,
          busyMarkers: agent.profile.markers.busy,
          tmpDir: at.stateDir,
          clock: d.clock,
        });
      d.watch?.add(p.id);
      return { id: p.id, worktree: at.worktree };
    },

    async 'worker.running'(params) {
      const { id } = parseOpParams(WorkerRefParamsSchema, params, 'worker.running');
      return nodeWorkerStatus(d, id);
    },

    async 'worker.watch'(params) {
      const { ids } = parseOpParams(WorkerWatchParamsSchema, params, 'worker.watch');
      for (const id of ids) d.watch?.add(id);
      return { watching: d.watch?.size() ?? 0 };
    },

    async 'worker.stop'(params) {
      const { id } = parseOpParams(WorkerRefParamsSchema, params, 'worker.stop');
      const { session } = placesOf(d, id);
      d.watch?.remove(id);
      const p = await livePane(d, session);
      if (p) {
        // As the local runtime does: Ctrl-C first, then SIGTERM and SIGKILL of the agent's tree.
        await d.tmux.sendKeys(p.paneId, 'C-c').catch(() => undefined);
        await waitUntil(() => !d.runner.isAlive(p.pid), { timeoutMs: 1_000, intervalMs: 50, clock: d.clock });
        await d.runner.killTree(p.pid);
      }
      await d.tmux.killSession(session).catch(() => undefined);
      return { wasRunning: Boolean(p) };
    },

    async 'worker.send'(params) {
      const p = parseOpParams(WorkerSendParamsSchema, params, 'worker.send');
      const at = placesOf(d, p.id);
      const pane = await livePane(d, at.session);
      if (!pane) throw new Error(`worker ${p.id}'s agent is not running on this node`);
      await deliverText(d.tmux, pane.paneId, p.text, {
        readyMarkers: p.readyMarkers,
        busyMarkers: p.busyMarkers,
        readyTimeoutMs: p.readyTimeoutMs,
        tmpDir: at.stateDir,
        clock: d.clock,
      });
      return {};
    },

    async 'worker.output'(params) {
      const p = parseOpParams(WorkerOutputParamsSchema, params, 'worker.output');
      const panes = await d.tmux.listPanes(placesOf(d, p.id).session).catch(() => []);
      const pane = panes[0];
      if (!pane) return {};
      return { text: tailLines(await d.tmux.capturePane(pane.paneId, Math.max(p.lines, 100)), p.lines) };
    },

    async 'worker.snapshot'(params) {
      const p = parseOpParams(WorkerSnapshotParamsSchema, params, 'worker.snapshot');
      const { worktree } = placesOf(d, p.id);
      const commit = await d.git.snapshotCommit(worktree, p.message, p.exclude);
      return { commit: commit ?? null, head: await d.git.revParse(worktree, 'HEAD') };
    },
  };
}
