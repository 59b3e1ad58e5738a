/** Building a session's Runtime from its stored row: used by the supervisor, `stop` and `resume`. */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ensureDir, readIfExists, writeFileAtomic } from '../adapters/system/files.js';
import { createProcessRunner } from '../adapters/process/process-runner.js';
import { createWorktreeFiles } from '../adapters/git/worktree-files.js';
import {
  configuredVerify,
  effectiveConfig,
  emptyRepoConfig,
  loadSessionRepoConfig,
  parseRepoConfig,
} from '../app/session/repo-config.js';
import { resolveAgents, withNonsenseMarkers } from '../app/agents/agent-table.js';
import { createEventLog } from '../app/session/events.js';
import { forwardableEnv } from '../app/agents/launch.js';
import type { Runtime } from '../app/runtime.js';
import { budgetStops } from '../app/usage/budget-stops.js';
import type { AppServices } from '../app/services.js';
import { createNodeRuntime, type NodeRelay } from '../app/nodes/node-runtime.js';
import { createSsh } from '../adapters/nodes/ssh.js';
import { createNodeConnector } from '../adapters/nodes/node-channel.js';
import { createGitTransfer } from '../adapters/nodes/git-transfer.js';
import { createCloneFolders, sendFolder } from '../adapters/nodes/clone-folders.js';

/**
 * The Runtime of session `sid` (hooks are no-ops until the caller sets them). Throws when unknown. The repo's
 * config is the session's stored snapshot (trusted when the run started or resumed), never the checkout.
 */
export function openRuntime(ctx: AppServices, sid: string): Runtime {
  const store = ctx.store();
  const s = store.getSession(sid);
  if (!s) throw new Error(`no session ${sid}`);
  const parsed = parseRepoConfig(loadSessionRepoConfig(s.session_dir) ?? emptyRepoConfig(s.repo_root));
  const config = effectiveConfig(ctx.paths.configDir, parsed);
  const rt: Runtime = {
    sid,
    store,
    tmux: ctx.tmuxFor(s.tmux_socket),
    git: ctx.git,
    runner: createProcessRunner(),
    worktreeFiles: createWorktreeFiles(),
    cloneFolders: createCloneFolders(),
    conductorSetup: parsed.conductorSetup,
    paths: ctx.paths,
    config,
    configuredVerify: configuredVerify(config, parsed),
    // Tests only: agents whose pane markers are nonsense (their status must come from their signals).
    agents: withNonsenseMarkers(
      resolveAgents(config, ctx.env.PATH),
      (ctx.env.CREWMUX_TEST_PANE_MARKERS ?? '').split(',').filter(Boolean),
    ),
    events: createEventLog(store, sid, ctx.now),
    options: s.options,
    mcpUrl: s.mcp_port ? `http://127.0.0.1:${s.mcp_port}/mcp` : '',
    tmuxSession: s.tmux_session,
    repoRoot: s.repo_root,
    sessionDir: s.session_dir,
    worktreesDir: dirname(s.integration_worktree),
    integrationWorktree: s.integration_worktree,
    integrationBranch: s.integration_branch,
    baseEnv: forwardableEnv(ctx.env),
    userHome: ctx.env.HOME ?? '',
    now: ctx.now,
    clock: ctx.clock,
    completing: new Map(),
    verifyRuns: new Map(),
    stopping: new Set(),
    hooks: { workerStarted: () => undefined, workerStopped: () => undefined, sessionEnding: () => undefined },
    budgetStops,
  };
  rt.newNodeRuntime = (name, spec) => {
    // E_SSH_COMMAND (a CREWMUX_SSH_COMMAND that cannot be split) surfaces at the worker's spawn.
    const ssh = createSsh({ command: ctx.env.CREWMUX_SSH_COMMAND, runtimeDir: ctx.paths.runtimeDir });
    return createNodeRuntime({
      name,
      spec,
      connector: createNodeConnector({ ssh, env: ctx.env }),
      forwardRemote: (target, to, nodePort) => ssh.forwardRemote(target, to, nodePort),
      cancelForward: (target, to, nodePort) => ssh.cancelForward(target, to, nodePort),
      masterPid: (target) => ssh.masterPid(target),
      mcpTarget: () => rt.mcpSocket ?? (rt.mcpUrl ? Number(new URL(rt.mcpUrl).port) : 0),
      relayRecord: relayRecordFile(join(s.session_dir, 'nodes', `${name}.relay.json`)),
      gitSshCommand: ssh.gitSshCommand(),
      transfer: createGitTransfer({ env: ctx.env }),
      version: ctx.version,
      emit: (type, message, workerId, data) => rt.events.emit(type, message, workerId, data),
      sid,
      repoRoot: s.repo_root,
      allowMcpHost: (hostPort) => rt.allowMcpHost?.(hostPort),
      ttyArgv: (target, remote) => ssh.argv(target, remote, { tty: true }),
      sendFolder: (target, o) => sendFolder(ssh, target, o),
    });
  };
  return rt;
}

const NodeRelaySchema = z.object({
  port: z.number().int().min(1).max(65535),
  to: z.union([z.number().int(), z.string()]),
  master: z.number().int().optional(),
});

/** A node's relay as recorded for the session (0600 JSON in a 0700 dir); a record that does not parse is none. */
function relayRecordFile(file: string): { load(): NodeRelay | undefined; save(r: NodeRelay): void } {
  return {
    load() {
      const text = readIfExists(file);
      if (text === undefined) return undefined;
      try {
        return NodeRelaySchema.parse(JSON.parse(text));
      } catch {
        return undefined;
      }
    },
    save(r) {
      ensureDir(dirname(file), 0o700);
      writeFileAtomic(file, JSON.stringify(r), 0o600);
    },
  };
}
