/**
 * Preflight of `crewmux run`: tmux >= 3.2, git, a repository with a commit, a readable config, and a
 * usable lead and worker set. Each failure is one UserError line whose hint is the fix (exit code 3).
 */
import { UserError } from '../../core/errors.js';
import { parseTmuxVersion } from '../../core/setup/tmux-version.js';
import type { RepoInfo } from '../ports/git.js';
import type { Config } from '../../core/session/config-schema.js';
import { exec } from '../../adapters/process/exec.js';
import { loadHooks } from '../session/hooks.js';
import { effectiveConfig, parseRepoConfig, readRepoConfig, type RepoConfigSnapshot } from '../session/repo-config.js';
import { requireRepoTrust, type Consent } from '../session/repo-trust.js';
import { requireAgent, resolveAgents, usableAgents, type AgentTable } from '../agents/agent-table.js';
import type { AppServices } from '../services.js';
import { isApiLeadName, parseApiLeadName } from '../../core/api-lead/lead-spec.js';
import { resolveProviders, routerOff } from '../../core/llm/router-providers.js';

export interface Preflight {
  repo: RepoInfo & { head: string };
  config: Config;
  /** The repo's config as read now and trusted; the session stores it (startRun). */
  repoConfig: RepoConfigSnapshot;
  /** Keys of the repo's config that were ignored (base URLs), one sentence each. */
  warnings: string[];
  agents: AgentTable;
  lead: string;
  workers: string[];
}

async function checkTmux(ctx: AppServices): Promise<void> {
  let version: string;
  try {
    version = await ctx.tmux.version();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('E_TMUX_MISSING');
    throw new UserError('E_TMUX_MISSING', `tmux could not be run: ${(e as Error).message}`);
  }
  const v = parseTmuxVersion(version);
  if (!v || v[0] < 3 || (v[0] === 3 && v[1] < 2))
    throw new UserError('E_TMUX_OLD', `tmux is ${version}; crewmux needs 3.2 or newer.`);
}

async function checkGit(): Promise<void> {
  try {
    await exec('git', ['--version'], { timeoutMs: 10_000 });
  } catch {
    throw new UserError('E_GIT_MISSING');
  }
}

/**
 * Preflight of `crewmux run`: tmux >= 3.2, git, a repository with a commit, readable config and hooks, trusted
 * repo config (`consent`: src/app/session/repo-trust.ts), a lead
 * (`want.lead`, config, else the best installed agent with an MCP client) and installed workers; the first failure
 * throws as a one-line UserError. With `want.noLead` (`crewmux manual`) no lead is chosen or checked (`lead` is '').
 */
export async function preflight(
  ctx: AppServices,
  want: { lead?: string; agents?: string[]; noLead?: boolean },
  consent: Omit<Consent, 'now'> = {},
): Promise<Preflight> {
  await checkTmux(ctx);
  await checkGit();
  const repo = await ctx.git.repoInfo(ctx.cwd);
  if (!repo) throw new UserError('E_NOT_GIT_REPO', `${ctx.cwd} is not inside a git repository.`);
  if (!repo.hasCommits || !repo.head) throw new UserError('E_NO_COMMITS');
  // Read once: this snapshot is what the user trusts and what the session runs (never the checkout again).
  const repoConfig = readRepoConfig(repo.root);
  const parsed = parseRepoConfig(repoConfig);
  const config = effectiveConfig(ctx.paths.configDir, parsed);
  loadHooks(ctx.paths.configDir, repoConfig.material['hooks.json']);
  await requireRepoTrust(ctx.paths.configDir, repoConfig, parsed, {
    ...consent,
    now: new Date(ctx.now()).toISOString(),
  });
  const agents = resolveAgents(config, ctx.env.PATH);
  const usable = usableAgents(agents);
  const leadName = want.noLead
    ? ''
    : (want.lead ?? config.lead ?? usable.find((a) => a.profile.capabilities.mcpClient)?.profile.name);
  if (!leadName && !want.noLead)
    throw new UserError('E_NO_AGENT', 'No usable agent CLI was found on PATH, and no lead was named.');
  if (leadName) requireAgent(agents, leadName, 'lead');
  if (leadName && isApiLeadName(leadName)) requireApiLeadProvider(leadName, config, ctx.env);
  const workers = want.agents?.length
    ? want.agents
    : config.workers?.length
      ? config.workers
      : usable.length
        ? usable.map((a) => a.profile.name)
        : leadName
          ? [leadName]
          : [];
  if (!workers.length)
    throw new UserError('E_NO_AGENT', 'No usable agent CLI was found on PATH, and no agent was named.');
  for (const w of workers) requireAgent(agents, w, 'worker');
  return {
    repo: { ...repo, head: repo.head },
    config,
    repoConfig,
    warnings: parsed.warnings,
    agents,
    lead: leadName ?? '',
    workers,
  };
}

/** An API lead needs a provider with a key (and the router on); E_API_LEAD_NO_PROVIDER names the variables. */
function requireApiLeadProvider(lead: string, config: Config, env: Record<string, string | undefined>): void {
  const providers = resolveProviders(config.router, env);
  if (!routerOff(env) && providers.some((p) => p.key !== undefined && !p.disabled)) return;
  const wanted = parseApiLeadName(lead);
  const named = 'provider' in wanted && wanted.provider ? providers.find((p) => p.name === wanted.provider) : undefined;
  throw new UserError(
    'E_API_LEAD_NO_PROVIDER',
    routerOff(env)
      ? `Lead "${lead}" calls a model through crewmux's router, and CREWMUX_ROUTER turns it off.`
      : `Lead "${lead}" has no model provider: ${named ? `${named.keyEnv} is not set` : `none of ${[...new Set(providers.flatMap((p) => p.spec.keyEnvs))].join(', ')} is set`}.`,
    `Set ${named ? named.keyEnv : 'one of those variables'} in the environment crewmux runs in${routerOff(env) ? ' and unset CREWMUX_ROUTER' : ''}, or pick a CLI lead with --lead.`,
  );
}
