/**
 * Launching the lead agent into the first pane of the lead window, with its prompt (and a recap on resume).
 * A lead whose profile says `leadPrompt: 'after-tools'` starts without its prompt: deliverLeadPrompt types it
 * once the lead's MCP client has listed crewmux's tools, so the model never sees the goal without them.
 */
import { join } from 'node:path';
import { buildLeadPrompt, type LeadToolInfo } from '../../core/workers/prompts.js';
import { readIfExists, removeFile, writeFileAtomic } from '../../adapters/system/files.js';
import { loadProjectContext } from './config.js';
import { requireAgent } from '../agents/agent-table.js';
import { prepareLaunch } from '../agents/launch.js';
import { FIFO_GATE, LEAD_WINDOW, leadGate, openGate, writeLaunchScript } from '../workers/panes.js';
import { shellQuote } from '../../core/text/shell-quote.js';
import { deliverText } from '../workers/deliver.js';
import { waitUntil } from '../../core/clock.js';
import { TERMINAL_SESSION_STATUSES } from '../../core/session/rows.js';
import { LEAD_START_TIMEOUT_S } from '../../core/workers/blockers.js';
import { session, type Runtime } from '../runtime.js';

/** Where the lead's launch script lives (the lead pane's gate runs it). */
export function leadScriptPath(sessionDir: string): string {
  return join(sessionDir, 'lead', 'launch.sh');
}

/** A started lead: its pane, and whether its prompt is still to be typed (deliverLeadPrompt). */
export interface LeadLaunch {
  paneId: string;
  /** The prompt is typed by crewmux, not read by the agent at launch. */
  typed: boolean;
  /** Typed only once the lead's MCP client has listed crewmux's tools (profile `leadPrompt: 'after-tools'`). */
  afterTools: boolean;
}

/**
 * Milliseconds deliverLeadPrompt waits at least for the lead's tools/list before it types the prompt anyway; with a
 * longer leadStartTimeout it waits half of that (a CLI slow to boot on a loaded machine, such as OpenCode, lists
 * its tools only once its TUI is up, minutes after it started).
 */
export const LEAD_TOOLS_WAIT_MS = 60_000;

/**
 * Milliseconds deliverLeadPrompt waits after each Enter for the lead to show it took its prompt (OpenCode 1.18 under
 * load took 6.5 s to empty its input box after the Enter that submitted).
 */
const LEAD_CONFIRM_MS = 15_000;

/**
 * Starts the lead in the lead window's first pane; its prompt lists `tools` (the lead tools the MCP server
 * registers; the composition root passes them) and `recap` (on resume) is appended. With `replace`, the pane is
 * respawned even when it is not dead (resume, after the old lead was stopped). A lead whose prompt is typed
 * (prompt mode 'type', or `leadPrompt: 'after-tools'`, launched without it) does not have it yet: the caller
 * runs deliverLeadPrompt. Throws when the lead window is gone or the agent cannot launch.
 */
export async function launchLead(
  rt: Runtime,
  tools: LeadToolInfo[],
  recap?: string,
  opts: { replace?: boolean } = {},
): Promise<LeadLaunch> {
  const s = session(rt);
  const lead = requireAgent(rt.agents, s.lead_agent, 'lead');
  const leadDir = join(rt.sessionDir, 'lead');
  const promptFile = join(leadDir, 'prompt.md');
  const base = buildLeadPrompt({
    sessionId: rt.sid,
    goal: s.goal,
    agents: s.options.agents,
    maxWorkers: s.options.maxWorkers,
    projectContext: loadProjectContext(s.repo_root),
    tools,
  });
  writeFileAtomic(promptFile, recap ? `${base}\n${recap}\n` : base);
  const afterTools = lead.profile.leadPrompt === 'after-tools';
  const launch = await prepareLaunch({
    deferPrompt: afterTools,
    profile: lead.profile,
    binary: lead.binary,
    baseEnv: rt.baseEnv,
    git: rt.git,
    ctx: {
      role: 'lead',
      sessionId: rt.sid,
      cwd: s.integration_worktree,
      mcpUrl: rt.mcpUrl,
      mcpToken: s.lead_token,
      promptFile,
      stateDir: leadDir,
      toolTimeoutS: s.options.toolWaitS,
      userHome: rt.userHome,
      env: rt.baseEnv,
    },
  });
  const panes = (await rt.tmux.listPanes(rt.tmuxSession)).filter((p) => p.windowName === LEAD_WINDOW);
  const first = panes.sort((a, b) => a.paneIndex - b.paneIndex)[0];
  if (!first) throw new Error('the lead window is gone');
  const log = join(leadDir, 'pane.log');
  if (readIfExists(log) === undefined) writeFileAtomic(log, '');
  removeFile(join(leadDir, 'exit-status'));
  const script = leadScriptPath(rt.sessionDir);
  writeLaunchScript(script, launch.pane);
  const gate = leadGate(script);
  // A pane at its gate starts the script when the gate opens; a dead or replaced lead pane (resume) is respawned
  // behind a new gate.
  if (first.dead || opts.replace) {
    await (rt.paneGate ?? FIFO_GATE).create(gate);
    await rt.tmux.respawnPane(first.paneId, {
      cwd: s.integration_worktree,
      command: `read _ < ${shellQuote(gate)} && exec /bin/sh ${shellQuote(script)}`,
    });
    // The old lead's output pipe survives respawn-pane and would make openGate's `pipe-pane -o` close it; it is
    // closed here, while the pane waits at its gate (tmux refuses pipe-pane on a dead pane).
    await rt.tmux.pipePane(first.paneId, '');
  }
  await openGate(rt.tmux, first.paneId, gate, log, rt.paneGate);
  rt.store.updateSession(rt.sid, { lead_pane: first.paneId });
  const typed = launch.prompt === 'type';
  rt.events.emit(
    'lead.started',
    `lead ${lead.profile.name}${lead.profile.scripted ? ' (scripted, no model)' : ''} started in pane ${first.paneId}${recap ? ' with a recap of the session' : ''}${afterTools ? "; its prompt is typed once its MCP client has listed crewmux's tools" : ''}`,
  );
  return { paneId: first.paneId, typed, afterTools: typed && afterTools };
}

/**
 * Types the lead's prompt (its prompt file, goal fenced as built) into `lead.paneId` when it is `typed`, and
 * confirms it was submitted (deliverText). With `afterTools`, first waits until the lead's MCP client has listed
 * crewmux's tools (rt.leadToolsListed for the lead's current token, `lead.tools_listed`), at most `waitMs`
 * (default LEAD_TOOLS_WAIT_MS, or half the session's leadStartTimeout when that is longer); past that it logs `lead.tools_not_listed` and types anyway. Types nothing once
 * the session is ending. Rejects with a DeliveryError when the agent never takes the text.
 */
export async function deliverLeadPrompt(rt: Runtime, lead: LeadLaunch, o: { waitMs?: number } = {}): Promise<void> {
  if (!lead.typed) return;
  const s = session(rt);
  const ended = () => rt.ending !== undefined || TERMINAL_SESSION_STATUSES.includes(session(rt).status);
  const profile = requireAgent(rt.agents, s.lead_agent, 'lead').profile;
  if (lead.afterTools) {
    const startS = s.options.leadStartTimeoutS ?? LEAD_START_TIMEOUT_S;
    const waitMs = o.waitMs ?? Math.max(LEAD_TOOLS_WAIT_MS, (startS * 1000) / 2);
    const listed = await waitUntil(() => ended() || (rt.leadToolsListed?.(session(rt).lead_token) ?? false), {
      timeoutMs: waitMs,
      intervalMs: 50,
      clock: rt.clock,
    });
    if (ended()) return;
    if (!listed)
      rt.events.emit(
        'lead.tools_not_listed',
        `the lead's MCP client had not listed crewmux's tools ${waitMs / 1000} s after it started; its prompt is typed anyway`,
      );
  }
  const leadDir = join(rt.sessionDir, 'lead');
  await deliverText(rt.tmux, lead.paneId, readIfExists(join(leadDir, 'prompt.md')) ?? '', {
    readyMarkers: profile.markers.ready,
    busyMarkers: profile.markers.busy,
    // A lead CLI can be slow to draw its first screen on a loaded machine (OpenCode): it has the lead's start-up
    // time (leadStartTimeout, after which the monitor reports a lead that made no MCP call) to show its prompt.
    readyTimeoutMs: (session(rt).options.leadStartTimeoutS ?? LEAD_START_TIMEOUT_S) * 1000,
    confirmMs: LEAD_CONFIRM_MS,
    tmpDir: leadDir,
    clock: rt.clock,
  });
  rt.events.emit('lead.prompted', `the lead's prompt was typed into pane ${lead.paneId} and submitted`);
}
