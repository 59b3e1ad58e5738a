/**
 * The supervisor of one session: runs in the session's `supervisor` tmux window for as long as the
 * session lives. It serves MCP, runs the monitor, launches the lead in pane 0, and when the goal ends
 * (or on SIGTERM/SIGHUP) records the outcome and closes everything it opened.
 */
import { dirname, join } from 'node:path';
import { buildLeadPrompt } from '../core/prompts.js';
import { readIfExists, writeFileAtomic } from '../adapters/files.js';
import { TERMINAL_SESSION_STATUSES } from '../adapters/store.js';
import { buildMcpServer } from '../mcp/build-server.js';
import { createMcpHttpServer } from '../mcp/http-server.js';
import { loadConfig, loadProjectContext } from './config.js';
import { requireAgent, resolveAgents } from './agents.js';
import { createEventLog } from './events.js';
import { forwardableEnv, prepareLaunch } from './launch.js';
import { startInPane } from './panes.js';
import { deliverText } from './deliver.js';
import { createMonitor } from './monitor.js';
import { createRadarScheduler } from './radar.js';
import { endSession } from './goal.js';
import type { Runtime } from './runtime.js';
import type { AppContext } from './context.js';
import type { PromptExtras } from './spawn-worker.js';
import { selectSkillsForWorker } from './skills.js';
import { createExternalAgentDeps } from './external-agents.js';
import { createStatsStore } from '../adapters/stats-store.js';
import { createToolStats } from './tool-stats.js';

export interface SupervisorOptions {
  promptExtras?: PromptExtras;
  /** Milliseconds between the outcome and closing, so the lead receives its last answer (default 700). */
  closeDelayMs?: number;
}

export async function runSupervisor(ctx: AppContext, sid: string, opts: SupervisorOptions = {}): Promise<number> {
  const store = ctx.store();
  const s = store.getSession(sid);
  if (!s) throw new Error(`no session ${sid}`);
  const tmux = ctx.tmuxFor(s.tmux_socket);
  const config = loadConfig(ctx.paths.configDir, s.repo_root);
  const agents = resolveAgents(config, ctx.env.PATH);
  const events = createEventLog(store, sid, ctx.now);
  const toolStats = createToolStats(createStatsStore(store.db), sid);
  store.updateSession(sid, { supervisor_pid: process.pid });

  const rt: Runtime = {
    sid, store, tmux, git: ctx.git, paths: ctx.paths, config, agents, events, options: s.options, mcpUrl: '',
    tmuxSession: s.tmux_session, repoRoot: s.repo_root, sessionDir: s.session_dir, worktreesDir: dirname(s.integration_worktree),
    integrationWorktree: s.integration_worktree, integrationBranch: s.integration_branch,
    baseEnv: forwardableEnv(ctx.env), userHome: ctx.env.HOME ?? '', now: ctx.now, completing: new Map(), verifyRuns: new Map(), stopping: new Set(),
    hooks: { workerStarted: () => undefined, workerStopped: () => undefined, sessionEnding: () => undefined },
  };
  const monitor = createMonitor(rt);
  const radar = createRadarScheduler(rt);
  rt.hooks = {
    workerStarted: (w) => monitor.watch(w),
    workerStopped: (id) => monitor.unwatch(id),
    sessionEnding: () => undefined,
  };
  const promptExtras: PromptExtras = opts.promptExtras ?? (async (input) => {
    const r = await selectSkillsForWorker({ paths: ctx.paths, projectRoot: s.repo_root, task: input.task, fileScope: input.fileScope, perspective: input.perspective, requireSigned: s.options.requireSignedSkills });
    for (const x of r.refused) events.emit('skill.refused', `skill ${x.name} not loaded: ${x.reason}`);
    return r.blocks;
  });
  const external = createExternalAgentDeps({ paths: ctx.paths, tmux: ctx.tmux, env: ctx.env });
  const mcp = createMcpHttpServer({
    book: { lead: s.lead_token, workerByToken: (t) => store.listWorkers(sid).find((w) => w.token === t)?.id },
    buildServer: (p) => buildMcpServer(p, { rt, stats: toolStats, promptExtras, external, onWorkerActivity: (id) => monitor.touch(id) }),
  });

  let finished!: () => void;
  const over = new Promise<void>((r) => { finished = r; });
  const unsubscribe = events.subscribe((e) => { if (TERMINAL_SESSION_STATUSES.some((t) => e.type === `session.${t}`)) finished(); });
  const onSignal = (sig: string) => { void endSession(rt, 'stopped', `the supervisor received ${sig}`); };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));
  const onCrash = (e: unknown) => {
    const msg = e instanceof Error ? e.stack ?? e.message : String(e);
    process.stderr.write(`supervisor internal error: ${msg}\n`);
    void endSession(rt, 'failed', `crewmux internal error in the supervisor: ${e instanceof Error ? e.message : String(e)}`);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  try {
    const port = await mcp.listen(0);
    rt.mcpUrl = `http://127.0.0.1:${port}/mcp`;
    store.updateSession(sid, { mcp_port: port });
    events.emit('mcp.listening', `MCP server on ${rt.mcpUrl}`);
    monitor.start();

    const lead = requireAgent(agents, s.lead_agent, 'lead');
    const leadDir = join(s.session_dir, 'lead');
    const promptFile = join(leadDir, 'prompt.md');
    writeFileAtomic(promptFile, buildLeadPrompt({
      sessionId: sid, goal: s.goal, agents: s.options.agents, maxWorkers: s.options.maxWorkers, projectContext: loadProjectContext(s.repo_root),
    }));
    const launch = prepareLaunch({
      profile: lead.profile, binary: lead.binary, baseEnv: rt.baseEnv,
      ctx: { role: 'lead', sessionId: sid, cwd: s.integration_worktree, mcpUrl: rt.mcpUrl, mcpToken: s.lead_token, promptFile, stateDir: leadDir, toolTimeoutS: s.options.toolWaitS, userHome: rt.userHome, env: rt.baseEnv },
    });
    const panes = await tmux.listPanes(s.tmux_session);
    const leadPane = panes.find((p) => p.windowName === 'lead' && p.paneIndex === Math.min(...panes.filter((x) => x.windowName === 'lead').map((x) => x.paneIndex)));
    if (!leadPane) throw new Error('the lead window is gone');
    writeFileAtomic(join(leadDir, 'pane.log'), '');
    await startInPane(tmux, leadPane.paneId, join(leadDir, 'pane.log'), launch.pane);
    store.updateSession(sid, { lead_pane: leadPane.paneId, status: 'running' });
    events.emit('session.started', `lead ${lead.profile.name}${lead.profile.scripted ? ' (scripted, no model)' : ''} started in pane ${leadPane.paneId}`);
    if (launch.prompt === 'type') await deliverText(tmux, leadPane.paneId, readIfExists(promptFile) ?? '', { readyMarkers: lead.profile.markers.ready, tmpDir: leadDir });
  } catch (e) {
    await endSession(rt, 'failed', `the supervisor could not start: ${(e as Error).message}`);
  }

  await over;
  unsubscribe();
  await new Promise((r) => setTimeout(r, opts.closeDelayMs ?? 700));
  monitor.close();
  radar.close();
  toolStats.close();
  await mcp.close();
  const final = store.getSession(sid)!;
  if (!final.options.keepSession) await tmux.killSession(s.tmux_session);
  return final.status === 'done' ? 0 : 1;
}
