/** Launching the lead agent into the first pane of the lead window, with its prompt (and a recap on resume). */
import { join } from 'node:path';
import { buildLeadPrompt, type LeadToolInfo } from '../../core/workers/prompts.js';
import { readIfExists, removeFile, writeFileAtomic } from '../../adapters/files.js';
import { loadProjectContext } from './config.js';
import { requireAgent } from '../agents/agent-table.js';
import { prepareLaunch } from '../agents/launch.js';
import { FIFO_GATE, LEAD_WINDOW, leadGate, openGate, writeLaunchScript } from '../workers/panes.js';
import { shellQuote } from '../../core/text/shell-quote.js';
import { deliverText } from '../workers/deliver.js';
import { session, type Runtime } from '../runtime.js';

/** Where the lead's launch script lives (the lead pane's gate runs it). */
export function leadScriptPath(sessionDir: string): string {
  return join(sessionDir, 'lead', 'launch.sh');
}

/**
 * Starts the lead in the lead window's first pane with its prompt, which lists `tools` (the lead tools the
 * MCP server registers; the composition root passes them); `recap` (on resume) is appended. With `replace`,
 * the pane is respawned even when it is not dead (resume, after the old lead was stopped). Returns the
 * lead's pane id; throws when the lead window is gone or the agent cannot launch.
 */
export async function launchLead(
  rt: Runtime,
  tools: LeadToolInfo[],
  recap?: string,
  opts: { replace?: boolean } = {},
): Promise<string> {
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
  const launch = await prepareLaunch({
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
  rt.events.emit(
    'lead.started',
    `lead ${lead.profile.name}${lead.profile.scripted ? ' (scripted, no model)' : ''} started in pane ${first.paneId}${recap ? ' with a recap of the session' : ''}`,
  );
  if (launch.prompt === 'type')
    await deliverText(rt.tmux, first.paneId, readIfExists(promptFile) ?? '', {
      readyMarkers: lead.profile.markers.ready,
      tmpDir: leadDir,
      clock: rt.clock,
    });
  return first.paneId;
}
