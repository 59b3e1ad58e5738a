/**
 * Wiring worker nodes: the ssh adapter from CREWMUX_SSH_COMMAND and the runtime dir, the node connector and
 * the global config's `nodes` for `crewmux node add|list|check|remove`; and the node side of
 * `crewmux node serve --stdio` (memory, agents, and the workers it runs on the node user's own tmux server, whose
 * changes it pushes to the lead) and of `crewmux node clone-receive` (a `worktree.clone` folder into the node's cache).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createSsh } from '../adapters/nodes/ssh.js';
import { createNodeConnector } from '../adapters/nodes/node-channel.js';
import { createNodesConfigFile } from '../adapters/nodes/nodes-config-file.js';
import { serveStdio, type StdioServer } from '../adapters/nodes/stdio-server.js';
import { watchDir } from '../adapters/system/files.js';
import { pokeLoopbackPort } from '../adapters/system/net.js';
import { createMemoryReader } from '../adapters/machine/memory-reader.js';
import { detectAgents } from '../app/agents/detect.js';
import { nodeServeMethods } from '../app/nodes/serve.js';
import { nodeWorkerMethods, nodeWorkerStatus, nodeWorkerWatchDirs } from '../app/nodes/serve-workers.js';
import { nodeBootstrapMethods } from '../app/nodes/serve-bootstrap.js';
import { nodeCloneMethods, receiveCloneFolder } from '../app/nodes/serve-clone.js';
import { createCloneCache } from '../adapters/nodes/clone-folders.js';
import { createWorktreeFiles } from '../adapters/git/worktree-files.js';
import { createUsageFiles } from '../adapters/usage/usage-files.js';
import { nodeGcMethods } from '../app/nodes/serve-gc.js';
import { createWorkerWatch } from '../app/nodes/serve-watch.js';
import { resolveAgents } from '../app/agents/agent-table.js';
import { forwardableEnv } from '../app/agents/launch.js';
import { createProcessRunner } from '../adapters/process/process-runner.js';
import type { NodeDeps } from '../app/nodes/manage.js';
import type { AppServices } from '../app/services.js';
import { BUILTIN_AGENTS } from '../core/agents/registry.js';
import { nodeTmuxSocket } from '../core/nodes/protocol.js';

/** The NodeDeps of a CLI command: E_SSH_COMMAND when CREWMUX_SSH_COMMAND cannot be split. */
export function nodeDeps(ctx: AppServices): NodeDeps {
  const ssh = createSsh({ command: ctx.env.CREWMUX_SSH_COMMAND, runtimeDir: ctx.paths.runtimeDir });
  return {
    config: createNodesConfigFile(ctx.paths.configDir),
    connector: createNodeConnector({ ssh, env: ctx.env }),
    version: ctx.version,
  };
}

/**
 * Serves the node channel on this process's stdin and stdout until stdin ends (the lead closed the channel or
 * the ssh link dropped). Nothing else may print to stdout meanwhile.
 */
export async function serveNodeStdio(ctx: AppServices): Promise<void> {
  // sshd gives a command no locale: tmux then prints a tab in `-F` output as "_" (and the pane ids it answers
  // would not parse), and agents would start in the C locale.
  if (!process.env.LANG && !process.env.LC_ALL && !process.env.LC_CTYPE) process.env.LANG = 'C.UTF-8';
  const tmux = ctx.tmuxFor(nodeTmuxSocket(process.getuid?.() ?? 0));
  const methods = nodeServeMethods({
    version: ctx.version,
    dataDir: ctx.paths.dataDir,
    hostname: hostname(),
    platform: process.platform,
    memory: createMemoryReader({ testFile: ctx.env.CREWMUX_TEST_MEMINFO || undefined }),
    async detectAgents(names) {
      const profiles = names ? BUILTIN_AGENTS.filter((a) => names.includes(a.name)) : BUILTIN_AGENTS;
      const found = await detectAgents({ agents: profiles, env: ctx.env, timeoutMs: 8_000 });
      const unknown = (names ?? []).filter((n) => !profiles.some((p) => p.name === n));
      return [
        ...found.map((a) => ({ name: a.name, found: a.found, ...(a.version ? { version: a.version } : {}) })),
        ...unknown.map((name) => ({ name, found: false })),
      ];
    },
    async workersRunning() {
      const panes = await tmux.listAllPanes();
      return new Set(panes.filter((p) => !p.dead).map((p) => p.session)).size;
    },
  });
  const agents = resolveAgents({}, ctx.env.PATH);
  // Changes of the workers the lead watches go out as notifications on the same stdout, once it serves.
  const channel: { server?: StdioServer } = {};
  const resolveAgent = async (name: string) => {
    const a = agents.get(name);
    // Built-in agents only: a node runs what the lead names from the registry, with its own binary.
    return a?.binary && BUILTIN_AGENTS.some((b) => b.name === name)
      ? { profile: a.profile, binary: a.binary }
      : undefined;
  };
  const watch = createWorkerWatch({
    status: (id) => nodeWorkerStatus({ dataDir: ctx.paths.dataDir, tmux, resolveAgent }, id),
    dirs: (id) => nodeWorkerWatchDirs({ dataDir: ctx.paths.dataDir }, id),
    watchDir,
    notify: (method, params) => channel.server?.notify(method, params),
  });
  // What the worker, gc and bootstrap methods share: where the node keeps its state and how it starts processes.
  const shared = {
    dataDir: ctx.paths.dataDir,
    tmux,
    git: ctx.git,
    runner: createProcessRunner(),
    env: { LANG: process.env.LANG ?? 'C.UTF-8', ...forwardableEnv(ctx.env) },
  };
  const files = createWorktreeFiles();
  const workers = nodeWorkerMethods({
    ...shared,
    watch,
    clock: ctx.clock,
    userHome: ctx.env.HOME ?? '',
    resolveAgent,
    pokePort: pokeLoopbackPort,
  });
  const gc = nodeGcMethods({ ...shared, files, runtimeDir: ctx.paths.runtimeDir });
  const cloneCache = createCloneCache({ nodeDir: join(ctx.paths.dataDir, 'node') });
  const bootstrap = nodeBootstrapMethods({
    ...shared,
    cloneCache,
    files,
    usageFiles: createUsageFiles(),
    runtimeDir: ctx.paths.runtimeDir,
    userHome: ctx.env.HOME ?? '',
  });
  const clone = nodeCloneMethods({ cache: cloneCache });
  channel.server = serveStdio({ ...methods, ...workers, ...gc, ...bootstrap, ...clone });
  try {
    await channel.server.done;
  } finally {
    watch.close();
  }
}

/**
 * `crewmux node clone-receive` (run by the lead host through ssh): the tar stream on stdin into the node's cache of
 * `worktree.clone` folders; prints its answer as one JSON line. Rejects with why (nothing kept).
 */
export async function receiveNodeClone(ctx: AppServices, params: unknown): Promise<unknown> {
  const cache = createCloneCache({ nodeDir: join(ctx.paths.dataDir, 'node') });
  return receiveCloneFolder(cache, params, process.stdin);
}
