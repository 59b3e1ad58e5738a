/**
 * The supervisor of one session: runs in the session's `supervisor` tmux window for as long as the
 * session lives. It serves MCP, runs the monitor, the conflict radar and the hooks, launches the lead
 * in pane 0 (a manual session: its one worker, and it settles the session when the worker's turn ends;
 * on resume, adopts what is still running), and when the goal ends (or on SIGTERM/SIGHUP) records the
 * outcome and closes everything it opened.
 */
import { killTree, processTree } from '../adapters/process/process-tree.js';
import { buildMcpServer, listLeadTools, type ToolDeps } from '../mcp/build-server.js';
import { createMcpHttpServer } from '../mcp/http-server.js';
import { workerTokenLookup } from '../mcp/principal.js';
import type { HookCommand } from '../core/session/hooks.js';
import { isSessionEnd, isWorkerEnd } from '../core/session/event-types.js';
import { FINISHED_STATES, type WorkerState } from '../core/workers/state.js';
import { createMonitor } from '../app/workers/monitor.js';
import { createWorktreePool, DEFAULT_POOL_SIZE } from '../app/workers/pool.js';
import { createPoolPanes } from '../app/workers/pool-panes.js';
import { createUsageCollector } from '../app/usage/collect.js';
import { checkBudgets } from '../app/usage/budget.js';
import { createUsageFiles } from '../adapters/usage/usage-files.js';
import { createRadarScheduler } from '../app/integration/radar.js';
import { createHookRunner, loadHooks } from '../app/session/hooks.js';
import { createNotifyWatcher } from '../app/notify/watcher.js';
import { NOTIFY_TIMEOUT_MS } from '../app/notify/send.js';
import { createNotifiers } from './notifiers.js';
import { loadSessionRepoConfig } from '../app/session/repo-config.js';
import { createToolStats } from '../app/observe/tool-stats.js';
import { createExternalAgentDeps } from '../app/external/external-agents.js';
import { createResearch } from '../app/llm/research.js';
import { openRouter } from '../app/llm/router.js';
import { createSkillCache, selectSkillsForWorker, warmSkillMatcher } from '../app/skills/catalog.js';
import { openRuntime } from './runtime-factory.js';
import { closeSteps } from './close-steps.js';
import { MEMORY_BUDGET, openMemory, retrieveMemory } from '../app/llm/memory.js';
import { deliverLeadPrompt, launchLead, type LeadLaunch } from '../app/session/lead.js';
import { isManualSession, resumeManualSession, settleManualSession, startManualWorker } from '../app/session/manual.js';
import {
  prepareIntegrationWorktree,
  preparePoolWorktree,
  teardownPoolWorktree,
} from '../app/worktrees/session-worktrees.js';
import { resumeSession } from '../app/session/resume.js';
import { rotateTokens } from '../app/session/tokens.js';
import { endSession } from '../app/session/goal.js';
import type { AppContext } from './app-context.js';
import { placeQueuedWorker, startQueuedWorker, type PlacedOnNode, type PromptExtras } from '../app/workers/spawn.js';
import { learnPeak, startQueuedWorkers } from '../app/workers/admission.js';
import { createMachineMemory } from './machine-memory.js';
import { closeNodeRuntimes, nodeOf } from '../app/workers/worker-runtimes.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureDir, makeOwnerOnly, removeStaleSocket } from '../adapters/system/files.js';
import { cleanNodeWorkers } from '../app/nodes/node-gc.js';

const isFinishedState = (name: string) => FINISHED_STATES.includes(name as WorkerState);

export interface SupervisorOptions {
  promptExtras?: PromptExtras;
  /** Milliseconds between the outcome and closing, so the lead receives its last answer (default 700). */
  closeDelayMs?: number;
  /** Resume a session whose supervisor died (or that was stopped), instead of starting it. */
  resume?: boolean;
  /** With resume: the tmux session was recreated, so no stored pane id is valid. */
  freshTmux?: boolean;
}

export async function runSupervisor(ctx: AppContext, sid: string, opts: SupervisorOptions = {}): Promise<number> {
  const rt = openRuntime(ctx, sid);
  const { store, events } = rt;
  const s = store.getSession(sid)!;
  // This process runs for the whole session: its tmux commands go over one control-mode client (a worker's pane
  // starts without a tmux process; adapters/tmux/tmux-control.ts), closed last below.
  rt.tmux = ctx.tmuxFor(s.tmux_socket, { controlSession: s.tmux_session });
  store.updateSession(sid, { supervisor_pid: process.pid });

  let hooks: HookCommand[] = [];
  try {
    hooks = loadHooks(ctx.paths.configDir, loadSessionRepoConfig(s.session_dir)?.material['hooks.json']);
  } catch (e) {
    events.emit('hook.config_error', `hooks not loaded: ${(e as Error).message}`);
  }
  const hookRunner = createHookRunner(events, hooks, {
    cwd: s.repo_root,
    sessionId: sid,
    env: { ...process.env, ...rt.baseEnv },
  });
  // Before anything below can end a worker or the session: every change from here on is noticed.
  const notifyConfig = rt.config.notify ?? [];
  const notifier = notifyConfig.length
    ? createNotifyWatcher(
        events,
        store,
        sid,
        createNotifiers(notifyConfig, {
          env: ctx.env,
          tmux: { tmux: rt.tmux, session: s.tmux_session },
        }),
        { context: `session ${sid} in ${s.repo_root}` },
      )
    : undefined;
  const toolStats = createToolStats(store.stats(), sid);
  // Workers queued for memory start from the monitor's tick and when a worker ends (promptExtras is set below): here
  // when memory frees, or on a node with room (asked now when a worker ended, else at most every 10 s).
  const startQueued = (nodesNow = false) =>
    startQueuedWorkers<PlacedOnNode>(rt, (w, placed) => startQueuedWorker(rt, w, promptExtras, placed), {
      place: (w, reason) => placeQueuedWorker(rt, w, reason),
      nodesNow,
    });
  const monitor = createMonitor(rt, { startQueued });
  const radar = createRadarScheduler(rt);
  // The session is over when its terminal event is seen, or when endSession settles: that also
  // covers an ending whose event could not be stored (endSession never rejects).
  let finished!: () => void;
  const over = new Promise<void>((r) => {
    finished = r;
  });
  rt.hooks = {
    workerStarted: (w) => monitor.watch(w),
    workerStopped: (id) => monitor.unwatch(id),
    sessionEnding: () => {
      void rt.ending?.finally(finished);
    },
  };
  const skills = createSkillCache(
    { paths: ctx.paths, projectRoot: s.repo_root, requireSigned: s.options.requireSignedSkills },
    ctx.now,
    60_000,
  );
  // Loaded now, not on the first spawn_worker, which the lead waits for; its matcher warmed once the start is done.
  try {
    const loaded = skills();
    setImmediate(() => warmSkillMatcher(loaded));
  } catch (e) {
    events.emit('skill.refused', `skills not loaded: ${(e as Error).message}`);
  }
  const routerHandle = openRouter({ dataDir: ctx.paths.dataDir, config: rt.config.router, env: ctx.env, now: ctx.now });
  rt.router = routerHandle.router;
  if (routerHandle.warning) events.emit('router.warning', routerHandle.warning);
  rt.memory = openMemory(ctx.paths, s.repo_root);
  // Budgets are checked on every pass that added rows (and at spawn and each delivery, app/usage/budget.ts).
  rt.usage = createUsageCollector(rt, createUsageFiles(), { onAdded: () => checkBudgets(rt) });
  // Off the start path (probing for a user systemd takes ~0.1 s); the lead's first spawn comes seconds later. Until
  // it is set, workers are admitted without a memory check, as without a machine.
  void createMachineMemory(rt, ctx.env).then(
    (m) => {
      rt.machine = m;
    },
    (e) => events.emit('monitor.error', `admission by memory is off: ${(e as Error).message}`),
  );
  const memoryBudget = rt.config.memory?.budget ?? MEMORY_BUDGET;
  const promptExtras: PromptExtras =
    opts.promptExtras ??
    (async (input) => {
      const r = await selectSkillsForWorker({
        paths: ctx.paths,
        projectRoot: s.repo_root,
        task: input.task,
        fileScope: input.fileScope,
        perspective: input.perspective,
        requireSigned: s.options.requireSignedSkills,
        preloaded: skills(),
      });
      for (const x of r.refused) events.emit('skill.refused', `skill ${x.name} not loaded: ${x.reason}`);
      const memory = memoryBudget > 0 ? retrieveMemory(rt, input, memoryBudget) : undefined;
      return memory ? [...r.blocks, memory] : r.blocks;
    });
  const external = createExternalAgentDeps({ paths: ctx.paths, tmux: ctx.tmux, env: ctx.env, clock: ctx.clock });
  const research = createResearch({ config: rt.config.research, env: ctx.env, now: ctx.now });
  const toolDeps: ToolDeps = {
    rt,
    stats: toolStats,
    promptExtras,
    external,
    research,
    version: ctx.version,
    onWorkerActivity: (id) => monitor.touch(id),
  };
  // A lead tool call tells the monitor the lead works (leadStartTimeout no longer applies).
  const leadDeps: ToolDeps = {
    ...toolDeps,
    stats: {
      record(tool, ms, isError) {
        monitor.leadActivity();
        toolStats.record(tool, ms, isError);
      },
    },
  };
  // The lead prompt lists exactly the tools the MCP server registers for the lead.
  const leadTools = listLeadTools(toolDeps);
  // Lead tokens whose holder listed crewmux's tools: the lead's prompt is typed only after that (deliverLeadPrompt).
  // Keyed by token, so after a rotation (resume) only the relaunched lead's list counts.
  const listedBy = new Set<string>();
  rt.leadToolsListed = (token) => listedBy.has(token);
  // Tokens are read from state.db per request: a rotation (resume) takes effect at once, and the old ones are
  // refused. Every comparison is constant-time (src/mcp/principal.ts).
  const mcp = createMcpHttpServer({
    onToolsListed: (p) => {
      const token = p.role === 'lead' ? store.getSession(sid)?.lead_token : undefined;
      if (!token || listedBy.has(token)) return;
      listedBy.add(token);
      events.emit('lead.tools_listed', `the lead's MCP client listed crewmux's ${leadTools.length} lead tools`);
    },
    book: {
      get lead() {
        return store.getSession(sid)?.lead_token ?? '';
      },
      workerByToken: workerTokenLookup(() => store.listWorkers(sid)),
    },
    buildServer: (p) => buildMcpServer(p, p.role === 'lead' ? leadDeps : toolDeps),
    socketFiles: { removeStale: removeStaleSocket, makeOwnerOnly },
  });

  // A worker node's agent reaches this server through a loopback port on its node (app/nodes/node-runtime.ts).
  rt.allowMcpHost = (hostPort) => mcp.allowRelayedHost(hostPort);

  const manual = isManualSession(s);
  // A manual session ends with its worker's turn; settling runs one at a time (it merges), after the event.
  let settling = Promise.resolve();
  const settle = () => {
    settling = settling.then(() => settleManualSession(rt));
    return settling;
  };
  // Three listeners, each with one concern: the session's end, memory (peaks and the queue), a manual session.
  const unsubscribers = [
    events.subscribe((e) => {
      if (isSessionEnd(e.type)) finished();
    }),
    // A turn's end: its peak is learned for its agent, and memory it held may admit a queued worker.
    events.subscribe((e) => {
      if (!isWorkerEnd(e.type) || !e.workerId) return;
      const w = store.getWorker(sid, e.workerId);
      if (w) learnPeak(rt, w);
      void startQueued(true).catch(() => undefined);
    }),
    ...(manual
      ? [
          events.subscribe((e) => {
            if (e.workerId && isFinishedState(e.type.slice('worker.'.length))) void settle();
          }),
        ]
      : []),
  ];
  process.on('SIGTERM', () => {
    void endSession(rt, 'stopped', 'stopped (the supervisor received SIGTERM)');
  });
  process.on('SIGHUP', () => {
    void endSession(rt, 'stopped', 'stopped (the supervisor received SIGHUP)');
  });
  const onCrash = (e: unknown) => {
    process.stderr.write(`supervisor internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    void endSession(
      rt,
      'failed',
      `crewmux internal error in the supervisor: ${e instanceof Error ? e.message : String(e)}`,
    );
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  try {
    // Nodes' relays lead to the MCP server's Unix socket (0600 in the 0700 runtime dir): no other user can stand in
    // for this server there while it is down, so a node worker's token, which only ever travels that way, is kept on
    // resume (its agent on the node runs on and cannot be handed a new one). Listened on before the rotation, which
    // runs before any request is read (docs/security/tokens.md).
    rt.mcpSocket = await listenMcpSocket(mcp, join(ctx.paths.runtimeDir, 'mcp'), sid).catch((e) => {
      events.emit('monitor.error', `the MCP server cannot listen on its Unix socket: ${(e as Error).message}`);
      return undefined;
    });
    // On resume, every other token is replaced before the MCP server listens: whoever bound the freed port while the
    // supervisor was down may hold the old ones (docs/security/tokens.md). resumeSession relaunches live agents.
    if (opts.resume) rotateTokens(store, sid, (w) => Boolean(rt.mcpSocket) && nodeOf(rt, w) !== undefined);
    // On resume, the old port is tried first (then any free port); agents are relaunched with the new URL anyway.
    let port: number;
    let newPort: number | undefined;
    if (opts.resume && s.mcp_port) {
      port = await mcp.listen(s.mcp_port).catch(async () => {
        newPort = await mcp.listen(0);
        return newPort;
      });
    } else {
      port = await mcp.listen(0);
    }
    rt.mcpUrl = `http://127.0.0.1:${port}/mcp`;
    store.updateSession(sid, { mcp_port: port });
    events.emit('mcp.listening', `MCP server on ${rt.mcpUrl}`);
    let lead: LeadLaunch | undefined;
    if (opts.resume && manual) {
      await resumeManualSession(rt, monitor, { freshTmux: Boolean(opts.freshTmux) }, promptExtras);
    } else if (opts.resume) {
      // Before the monitor starts, so what happened while crewmux was down is told as such.
      lead = await resumeSession(rt, monitor, { freshTmux: Boolean(opts.freshTmux), newPort }, leadTools);
    } else if (manual) {
      await startManualWorker(rt, promptExtras);
      store.updateSession(sid, { status: 'running' });
      events.emit('session.started', `manual session ${sid} running: one worker, no lead`);
    } else {
      lead = await launchLead(rt, leadTools);
      store.updateSession(sid, { status: 'running' });
      events.emit('session.started', `session ${sid} running`);
    }
    // In the background: verify (the first user of the integration worktree) joins it.
    void prepareIntegrationWorktree(rt);
    monitor.start();
    // After the lead is up: the pool's checkouts never delay the lead's start (a manual session has one worker).
    if (!manual) {
      rt.pool = createWorktreePool(rt, {
        size: rt.config.worktree?.pool ?? DEFAULT_POOL_SIZE,
        prepare: (path) => preparePoolWorktree(rt, path),
        teardown: (path) => teardownPoolWorktree(rt, path),
        // Each ready worktree also holds a pane waiting in it (issue 15 item 6: a pane is most of a pooled spawn).
        panes: createPoolPanes(rt),
      });
      rt.pool.fill();
    }
    // The worker may have ended before the session was running (a fast agent, or while crewmux was down).
    if (manual) await settle();
    // After the monitor starts, so a lead that cannot work is noticed while its prompt waits for its tools.
    if (lead) {
      try {
        await deliverLeadPrompt(rt, lead);
      } catch (e) {
        await endSession(rt, 'failed', `the lead's prompt could not be delivered: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    await endSession(rt, 'failed', `the supervisor could not start: ${(e as Error).message}`);
  }

  await over;
  for (const off of unsubscribers) off();
  await ctx.clock.sleep(opts.closeDelayMs ?? 700);
  // Each close is bounded and a failing one does not stop the others: the supervisor always exits.
  const memory = rt.memory;
  await closeSteps(
    [
      { name: 'the monitor', close: () => monitor.close(), timeoutMs: 5_000 },
      { name: 'the conflict radar', close: () => radar.close(), timeoutMs: 5_000 },
      // Hooks in flight (session.done ones) end within their own timeout.
      {
        name: 'the hooks',
        close: async () => {
          await hookRunner.drain();
          hookRunner.close();
        },
        timeoutMs: (Math.max(0, ...hooks.map((h) => h.timeoutS)) + 5) * 1000,
      },
      // The run's last notification (session.done) goes out before the tmux session does.
      {
        name: 'the notifiers',
        close: async () => {
          await notifier?.drain();
          notifier?.close();
        },
        timeoutMs: NOTIFY_TIMEOUT_MS * 2 + 1_000,
      },
      { name: 'the tool stats', close: () => toolStats.close(), timeoutMs: 5_000 },
      { name: 'memory', close: () => memory.close(), timeoutMs: 5_000 },
      { name: 'the router', close: () => routerHandle.close(), timeoutMs: 5_000 },
      { name: 'the MCP server', close: () => mcp.close(), timeoutMs: 10_000 },
      // The node copies of finished node workers whose commits are home (app/nodes/node-gc.ts); a node that does
      // not answer keeps them for `crewmux gc`.
      { name: 'the node worktrees', close: () => cleanNodeWorkers(rt).then(() => undefined), timeoutMs: 120_000 },
      // The node channels (ssh); the workers there were stopped with the others above.
      { name: 'the node channels', close: () => closeNodeRuntimes(rt), timeoutMs: 10_000 },
      // Ready worktrees never outlive their session (the workers' own worktrees stay until gc).
      { name: 'the worktree pool', close: () => rt.pool?.drain() ?? Promise.resolve(), timeoutMs: 30_000 },
      // Stop every agent's process tree (ours excepted) before the session goes, so no agent is still
      // writing its files, or alive at all, once `run --wait` returns (SIGHUP alone is not waited for).
      ...(s.options.keepSession
        ? []
        : [
            {
              name: 'the agents and the tmux session',
              timeoutMs: 30_000,
              close: async () => {
                // When tmux does not answer, kill-session below still ends every pane (with SIGHUP).
                const panes = await rt.tmux.listPanes(s.tmux_session).catch(() => []);
                await Promise.all(
                  panes
                    .filter((p) => !p.dead && !processTree(p.pid).includes(process.pid))
                    .map((p) => killTree(p.pid).catch(() => undefined)),
                );
                await rt.tmux.killSession(s.tmux_session);
              },
            },
          ]),
      { name: 'the tmux control client', close: () => rt.tmux.close?.() ?? Promise.resolve(), timeoutMs: 5_000 },
    ],
    (problem) => {
      process.stderr.write(`supervisor: closing ${problem}\n`);
      try {
        events.emit('supervisor.close_failed', `closing ${problem}`);
      } catch {
        /* the store may be what failed */
      }
    },
  );
  try {
    return store.getSession(sid)?.status === 'done' ? 0 : 1;
  } catch {
    return 1;
  }
}

/**
 * Serves the MCP endpoint on `<dir>/<hash of sid>.sock` too (dir 0700), for nodes' relays; resolves with the path, or
 * undefined where ssh could not forward to it (a path with `:`, or too long for a Unix socket).
 */
async function listenMcpSocket(
  mcp: { listenSocket(path: string): Promise<void> },
  dir: string,
  sid: string,
): Promise<string | undefined> {
  const path = join(dir, `${createHash('sha256').update(sid).digest('hex').slice(0, 16)}.sock`);
  // ssh's -R spec is split on ':'; sun_path holds 104 bytes on macOS (108 on Linux).
  if (path.includes(':') || Buffer.byteLength(path) > 103) return undefined;
  ensureDir(dir, 0o700);
  await mcp.listenSocket(path);
  return path;
}
