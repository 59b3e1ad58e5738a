/**
 * Resuming a session in a new supervisor (goal, workers, branches and worker counters all come from the
 * state database; the MCP tokens were just rotated by the supervisor, docs/security/tokens.md): the
 * monitor notices workers that finished while crewmux was down (their flag, their sentinel line);
 * workers whose agent is gone become `crashed` (restart_worker relaunches them); active workers whose
 * agent still runs are relaunched on their worktree with their new token, and the lead is relaunched
 * with a recap, because a running agent cannot be handed a new token.
 */
import { isActive } from '../../core/workers/state.js';
import { waitUntil } from '../../core/clock.js';
import { buildRecap, type LeadToolInfo, type RecapWorker } from '../../core/workers/prompts.js';
import { compactedSummary } from '../llm/compaction.js';
import { RECAP_INSTRUCTION, summarize } from '../llm/summarize.js';
import { launchLead, type LeadLaunch } from './lead.js';
import { changeWorkerState } from '../workers/state-change.js';
import { relaunchLiveWorker } from '../workers/restart.js';
import { gateResumeNote } from '../review/gate.js';
import { session, type Runtime } from '../runtime.js';
import type { Monitor } from '../workers/monitor.js';
import { fenceDataInline } from '../../core/text/data-fence.js';
import { sessionFenceMarker } from './data-fence.js';

export interface ResumeFacts {
  /** The tmux server or session was gone and has been recreated: no old pane id is valid. */
  freshTmux: boolean;
  /** Set when the MCP server could not get its old port back. */
  newPort?: number;
}

/** Why live agents are relaunched on resume (told to the workers and in the recap). */
const ROTATED = 'crewmux resumed and replaced every MCP token (the old ones are refused)';

/**
 * Adopts a session in a new supervisor whose tokens were rotated: watches its active workers again, marks those
 * whose agent is gone `crashed`, relaunches those whose agent still runs (a failed relaunch leaves the worker
 * `crashed` and is told in the recap), and relaunches the lead with a recap (its prompt listing `leadTools`),
 * stopping a lead that still runs first; a tmux or lead launch failure rejects. Resolves to the relaunched lead,
 * whose prompt the caller delivers (deliverLeadPrompt: typed once its MCP client has listed crewmux's tools).
 */
export async function resumeSession(
  rt: Runtime,
  monitor: Monitor,
  facts: ResumeFacts,
  leadTools: LeadToolInfo[],
): Promise<LeadLaunch> {
  const s = session(rt);
  const panes = freshPanes(await rt.tmux.listPanes(rt.tmuxSession), facts.freshTmux);
  const livePane = (id: string | null) => (id ? panes.find((p) => p.paneId === id && !p.dead) : undefined);
  const notes: string[] = [];
  if (facts.newPort) notes.push(`the MCP server moved to ${rt.mcpUrl}`);

  for (const w of rt.store.listWorkers(rt.sid)) {
    // A queued worker has nothing to relaunch: it stays queued and starts when memory admits it.
    if (!isActive(w.state) || w.state === 'queued') continue;
    monitor.watch(w);
    await monitor.checkNow(w.id);
    const now = rt.store.getWorker(rt.sid, w.id)!;
    if (!isActive(now.state)) {
      notes.push(`${w.id} finished while crewmux was down (${now.state})`);
      continue;
    }
    const pane = livePane(w.pane_id);
    if (pane) {
      try {
        await relaunchLiveWorker(rt, w.id, pane.pid, ROTATED);
        notes.push(`${w.id} was relaunched on its worktree with a new token`);
      } catch (e) {
        notes.push(`${w.id} could not be relaunched (${(e as Error).message}); it is crashed`);
      }
      continue;
    }
    changeWorkerState(rt, now, 'crashed', 'its agent was gone when the session resumed', {
      exit_info: 'lost in restart',
      summary: now.summary ?? 'lost in restart',
    });
    monitor.unwatch(w.id);
  }
  const gateNote = gateResumeNote(rt);
  if (gateNote) notes.push(gateNote);
  rt.store.updateSession(rt.sid, { status: 'running', ended_at: null, outcome_reason: null, report: null });
  const marker = sessionFenceMarker(rt);
  const recap = buildRecap(await recapWorkers(rt), notes, (id, summary) =>
    fenceDataInline(marker, `worker ${id} summary`, summary),
  );
  rt.events.emit(
    'session.resumed',
    `session resumed${facts.freshTmux ? ' in a new tmux session' : ''}: ${notes.length ? notes.join('; ') : 'nothing changed while down'}`,
  );
  // A live lead holds the old token: it is stopped and relaunched with the recap (its conversation is lost).
  const lead = facts.freshTmux ? undefined : livePane(s.lead_pane);
  if (lead) {
    await rt.runner.killTree(lead.pid);
    // Respawned only once tmux has seen it die: a live pane keeps its output pipe, which the relaunch's
    // `pipe-pane -o` would then toggle off (tmux: -o opens a pipe only if none exists).
    await waitUntil(
      async () => (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === lead.paneId)?.dead !== false,
      { timeoutMs: 5_000, intervalMs: 50, clock: rt.clock },
    );
  }
  return launchLead(rt, leadTools, recap, { replace: Boolean(lead) });
}

function freshPanes<T>(panes: T[], freshTmux: boolean): T[] {
  // Pane ids restart at %0 in a new tmux server: an old id could name a new, unrelated pane.
  return freshTmux ? [] : panes;
}

/** Longest worker summary the recap carries as it is; a longer one is compressed by the router (or cut). */
const RECAP_SUMMARY_CHARS = 400;

/** The workers as the recap shows them: compacted digests where compact_session made them, long summaries compressed. */
async function recapWorkers(rt: Runtime): Promise<RecapWorker[]> {
  return Promise.all(
    rt.store.listWorkers(rt.sid).map(async (w) => {
      let { summary } = compactedSummary(rt, w);
      if (summary && summary.length > RECAP_SUMMARY_CHARS) {
        const s = await summarize(rt.router, {
          purpose: 'recap',
          instruction: RECAP_INSTRUCTION,
          text: summary,
          maxChars: RECAP_SUMMARY_CHARS,
          timeoutMs: 20_000,
        });
        summary = s.text;
      }
      // The recap shows one line per worker.
      return {
        id: w.id,
        agent: w.agent,
        perspective: w.perspective,
        state: w.state,
        branch: w.branch,
        summary: summary?.replace(/\s*\n+\s*/g, ' ') ?? null,
      };
    }),
  );
}
