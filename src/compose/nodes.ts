/**
 * Wiring worker nodes: the ssh adapter from CREWMUX_SSH_COMMAND and the runtime dir, the node connector and
 * the global config's `nodes` for `crewmux node add|list|check|remove`; and the node side of
 * `crewmux node serve --stdio` (memory, agents, workers on the node user's own tmux server).
 */
import { hostname } from 'node:os';
import { createSsh } from '../adapters/nodes/ssh.js';
import { createNodeConnector } from '../adapters/nodes/node-channel.js';
import { createNodesConfigFile } from '../adapters/nodes/nodes-config-file.js';
import { serveStdio } from '../adapters/nodes/stdio-server.js';
import { createMemoryReader } from '../adapters/machine/memory-reader.js';
import { detectAgents } from '../app/agents/detect.js';
import { nodeServeMethods } from '../app/nodes/serve.js';
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
  await serveStdio(methods).done;
}
