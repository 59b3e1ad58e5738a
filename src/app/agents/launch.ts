/**
 * Turning an agent profile into a tmux pane command: writes the MCP config file and any session-scoped
 * files, sets the CREWMUX_* environment (the contract in README "Plugging in any agent"), and builds a
 * command line in which only crewmux-built argv is quoted for the shell. The prompt text never appears
 * on a command line: in `arg` mode the shell reads it from the prompt file as one argument.
 */
import { join, relative } from 'node:path';
import {
  PROMPT_ARG,
  withoutPromptArg,
  type AgentProfile,
  type LaunchContext,
  type PromptMode,
} from '../../core/agents/profile.js';
import { shellQuote } from '../../core/text/shell-quote.js';
import { acpLaunchSpec } from '../../core/acp/launch.js';
import { PASS_ENV_VAR, passEnvPatterns, passesEnv } from '../../core/agents/pass-env.js';
import { ensureDir, writeFileAtomic } from '../../adapters/system/files.js';
import { writeLaunchFiles } from '../../adapters/system/agent-files.js';
import type { Git } from '../ports/git.js';
import { guardProjectFiles } from './project-files.js';
import type { PaneSpec } from '../workers/panes.js';

export interface PaneLaunch {
  /** The pane with its environment; app/workers/panes.ts passes the environment through a 0600 file. */
  pane: PaneSpec;
  prompt: PromptMode;
  /** Files written in the worktree (relative paths; the profile's projectConfig): never to be committed. */
  projectFiles: string[];
}

/**
 * The part of the caller's environment written to a pane's env file or launch script: the variables on
 * the pass-through list (core/agents/pass-env.ts: process basics, git identity, the agents' and
 * router's provider keys and endpoints) plus those named by CREWMUX_PASS_ENV, minus CREWMUX_* and
 * oversized values. The pane inherits everything else from the tmux server, never from a file.
 */
export function forwardableEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const patterns = passEnvPatterns(env[PASS_ENV_VAR]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.startsWith('CREWMUX_') || v.length > 2048 || !passesEnv(k, patterns)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The MCP config file an agent reads, in the common `mcpServers` shape: one HTTP server `crewmux` at `url` with
 * `token` as a bearer header (pure; pretty-printed JSON).
 */
export function mcpConfigJson(url: string, token: string): string {
  return JSON.stringify(
    { mcpServers: { crewmux: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } },
    null,
    2,
  );
}

export interface LaunchInput {
  profile: AgentProfile;
  binary: string;
  ctx: Omit<LaunchContext, 'mcpConfigPath'>;
  baseEnv: Record<string, string>;
  doneFile?: string;
  /** For agents with project-local config: checks the repo does not track it and excludes it from git. */
  git: Git;
  /** Launch without the prompt, which the caller types later (withoutPromptArg; a lead's 'after-tools'). */
  deferPrompt?: boolean;
  /** Launch through crewmux's ACP pane process, the agent started with these ACP args (core/acp/launch.ts). */
  acpArgs?: string[];
  /** With acpArgs: the agent reports its calls' usage over ACP, which the pane process records (core/acp/usage.ts). */
  acpUsage?: boolean;
}

/**
 * Writes the agent's files and returns the pane to spawn. Files inside the worktree must be the profile's
 * `projectConfig`: they are excluded from git first, and written without following symlinks. Rejects when
 * the repository tracks such a file or planted a symlink on its path.
 */
export async function prepareLaunch(input: LaunchInput): Promise<PaneLaunch> {
  const { profile, binary, ctx } = input;
  ensureDir(ctx.stateDir);
  const mcpConfigPath = join(ctx.stateDir, 'mcp.json');
  writeFileAtomic(mcpConfigPath, mcpConfigJson(ctx.mcpUrl, ctx.mcpToken));
  const nodePath = ctx.nodePath ?? process.execPath;
  const launched = profile.launch({ ...ctx, mcpConfigPath, nodePath, ...(input.acpArgs ? { acp: true } : {}) }, binary);
  const spec = input.acpArgs
    ? acpLaunchSpec(launched, input.acpArgs, {
        nodePath,
        stateDir: ctx.stateDir,
        cwd: ctx.cwd,
        ...(input.acpUsage ? { usage: true } : {}),
      })
    : input.deferPrompt
      ? withoutPromptArg(launched)
      : launched;
  const inWorktree = (spec.files ?? [])
    .filter((f) => f.path.startsWith(ctx.cwd + '/'))
    .map((f) => relative(ctx.cwd, f.path));
  const undeclared = inWorktree.filter((rel) => !(profile.projectConfig ?? []).includes(rel));
  if (undeclared.length)
    throw new Error(`agent ${profile.name} would write ${undeclared.join(', ')} in the worktree without declaring it`);
  await guardProjectFiles(input.git, ctx.cwd, profile.name, inWorktree);
  writeLaunchFiles(spec, [ctx.cwd, ctx.stateDir]);

  const env: Record<string, string> = {
    ...input.baseEnv,
    ...spec.env,
    CREWMUX_MCP_URL: ctx.mcpUrl,
    CREWMUX_MCP_TOKEN: ctx.mcpToken,
    CREWMUX_MCP_CONFIG: mcpConfigPath,
    CREWMUX_SESSION_ID: ctx.sessionId,
    CREWMUX_ROLE: ctx.role,
    CREWMUX_PROMPT_FILE: ctx.promptFile,
  };
  if (ctx.workerId) env.CREWMUX_WORKER_ID = ctx.workerId;
  if (input.doneFile) env.CREWMUX_DONE_FILE = input.doneFile;

  const words = spec.argv.map((a) => (a === PROMPT_ARG ? `"$(cat ${shellQuote(ctx.promptFile)})"` : shellQuote(a)));
  // The pane's shell runs the agent and records its exit status (panes.ts); it never reads input.
  return { pane: { cwd: ctx.cwd, env, command: words.join(' ') }, prompt: spec.prompt, projectFiles: inWorktree };
}
