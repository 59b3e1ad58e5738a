/**
 * Starts a real agent CLI's TUI in a tmux pane with crewmux's launch entry: builds the LaunchContext,
 * writes the spec's files, and runs `env -i … argv` so nothing of the test process's environment
 * (the real HOME above all) leaks into the agent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillPromptArg, type AgentProfile, type LaunchSpec, type Role } from '../../src/core/agents/profile.js';
import { shellJoin } from '../../src/core/text/shell-quote.js';
import { writeLaunchFiles } from '../../src/adapters/system/agent-files.js';
import type { Tmux } from '../../src/app/ports/tmux.js';
import { killTree } from '../../src/adapters/process/process-tree.js';
import { OFFLINE_ENV } from './agent-homes.js';

export interface AgentTuiOptions {
  tmux: Tmux;
  session: string;
  profile: AgentProfile;
  binary: string;
  role: Role;
  prompt: string;
  cwd: string;
  stateDir: string;
  home: string;
  userEnv: Record<string, string>;
  mcpUrl: string;
  mcpToken: string;
  toolTimeoutS?: number;
  /** Changes the spec before launch (e.g. to provoke a dialog for a fixture). */
  tweak?: (spec: LaunchSpec) => LaunchSpec;
  /** PATH for the agent (node_modules/.bin first). */
  path: string;
}

export interface AgentTui {
  paneId: string;
  spec: LaunchSpec;
  capture(): Promise<string>;
  stop(): Promise<void>;
  /** The pane's process id (the agent or its wrapper), while the pane exists. */
  pid(): Promise<number | undefined>;
}

/** Launches the agent; resolves once tmux has the pane (not when the agent is ready). */
export async function startAgentTui(o: AgentTuiOptions): Promise<AgentTui> {
  mkdirSync(o.stateDir, { recursive: true });
  const mcpConfigPath = join(o.stateDir, 'mcp.json');
  writeFileSync(
    mcpConfigPath,
    JSON.stringify({
      mcpServers: { crewmux: { type: 'http', url: o.mcpUrl, headers: { Authorization: `Bearer ${o.mcpToken}` } } },
    }),
  );
  const promptFile = join(o.stateDir, 'prompt.md');
  writeFileSync(promptFile, o.prompt);
  const userEnv = { HOME: o.home, PATH: o.path, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...OFFLINE_ENV, ...o.userEnv };
  const ctx = {
    role: o.role,
    sessionId: 'test-session',
    workerId: o.role === 'worker' ? 'w1' : undefined,
    cwd: o.cwd,
    mcpUrl: o.mcpUrl,
    mcpToken: o.mcpToken,
    mcpConfigPath,
    promptFile,
    stateDir: o.stateDir,
    toolTimeoutS: o.toolTimeoutS ?? 60,
    userHome: o.home,
    env: userEnv,
  };
  let spec = o.profile.launch(ctx, o.binary);
  if (o.tweak) spec = o.tweak(spec);
  writeLaunchFiles(spec);
  const env = {
    ...userEnv,
    ...spec.env,
    CREWMUX_SESSION_ID: 'test-session',
    CREWMUX_ROLE: o.role,
    CREWMUX_PROMPT_FILE: promptFile,
    ...(o.role === 'worker' ? { CREWMUX_WORKER_ID: 'w1' } : {}),
  };
  const argv = fillPromptArg(spec.argv, spec.prompt === 'arg' ? o.prompt : undefined);
  const command = shellJoin(['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]);
  const { paneId } = await o.tmux.newSession(o.session, 'agent', { cwd: o.cwd, command }, { width: 160, height: 48 });
  return {
    paneId,
    spec,
    capture: () => o.tmux.capturePane(paneId),
    // Stop the agent's process tree first (by the pane's pid), so nothing writes after the test cleans up.
    stop: async () => {
      const panes = await o.tmux.listPanes(o.session);
      for (const p of panes) await killTree(p.pid, 3_000);
      await o.tmux.killSession(o.session);
    },
    pid: async () => (await o.tmux.listPanes(o.session))[0]?.pid,
  };
}
