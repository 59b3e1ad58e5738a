/**
 * Resuming a session in a new supervisor (goal, workers, branches, tokens and worker counters all come
 * from the state database): live panes are adopted, not restarted; the monitor notices workers that
 * finished while crewmux was down (their flag, their sentinel line, a worker_done the agent retries);
 * workers whose agent is gone become `crashed` (restart_worker relaunches them); the lead is told, or
 * relaunched with a recap when it is gone.
 */
import { isActive } from '../../core/workers/state.js';
import { buildRecap, type LeadToolInfo, type RecapWorker } from '../../core/workers/prompts.js';
import { compactedSummary } from '../llm/compaction.js';
import { RECAP_INSTRUCTION, summarize } from '../llm/summarize.js';
import { deliverText } from '../workers/deliver.js';
import { launchLead } from './lead.js';
import { changeWorkerState } from '../workers/state-change.js';
import { session, type Runtime } from '../runtime.js';
import type { Monitor } from '../workers/monitor.js';
import { join } from 'node:path';
import { fenceDataInline } from '../../core/text/data-fence.js';
import { sessionFenceMarker } from './data-fence.js';

export interface ResumeFacts {
  /** The tmux server or session was gone and has been recreated: no old pane id is valid. */
  freshTmux: boolean;
  /** Set when the MCP server could not get its old port back. */
  newPort?: number;
}

/**
 * Adopts a session in a new supervisor: watches its active workers again, marks those whose agent is gone
 * `crashed`, and types a recap into the live lead or relaunches the lead with it (its prompt listing
 * `leadTools`); a tmux or launch failure rejects.
 */
export async function resumeSession(
  rt: Runtime,
  monitor: Monitor,
  facts: ResumeFacts,
  leadTools: LeadToolInfo[],
): Promise<void> {
  const s = session(rt);
  const panes = freshPanes(await rt.tmux.listPanes(rt.tmuxSession), facts.freshTmux);
  const alive = (id: string | null) => Boolean(id && panes.some((p) => p.paneId === id && !p.dead));
  const notes: string[] = [];
  if (facts.newPort)
    notes.push(`the MCP server moved to ${rt.mcpUrl}; agents started before this must be restarted to reach it`);

  for (const w of rt.store.listWorkers(rt.sid)) {
    if (!isActive(w.state)) continue;
    monitor.watch(w);
    await monitor.checkNow(w.id);
    const now = rt.store.getWorker(rt.sid, w.id)!;
    if (!isActive(now.state)) {
      notes.push(`${w.id} finished while crewmux was down (${now.state})`);
      continue;
    }
    if (alive(w.pane_id)) continue;
    changeWorkerState(rt, now, 'crashed', 'its agent was gone when the session resumed', {
      exit_info: 'lost in restart',
      summary: now.summary ?? 'lost in restart',
    });
    monitor.unwatch(w.id);
  }
  rt.store.updateSession(rt.sid, { status: 'running', ended_at: null, outcome_reason: null, report: null });
  const marker = sessionFenceMarker(rt);
  const recap = buildRecap(await recapWorkers(rt), notes, (id, summary) =>
    fenceDataInline(marker, `worker ${id} summary`, summary),
  );
  rt.events.emit(
    'session.resumed',
    `session resumed${facts.freshTmux ? ' in a new tmux session' : ''}: ${notes.length ? notes.join('; ') : 'nothing changed while down'}`,
  );
  if (alive(s.lead_pane) && !facts.freshTmux) {
    // Typed in the background: a lead busy in a tool call takes it when it is back at its prompt.
    const lead = rt.agents.get(s.lead_agent)?.profile;
    void deliverText(rt.tmux, s.lead_pane!, `crewmux: the supervisor restarted. ${recap.replace(/\n/g, ' ')}`, {
      readyMarkers: lead?.markers.ready,
      tmpDir: join(rt.sessionDir, 'lead'),
      readyTimeoutMs: 60_000,
      clock: rt.clock,
    }).catch((e) =>
      rt.events.emit('lead.recap_failed', `could not type the recap into the lead: ${(e as Error).message}`),
    );
  } else {
    await launchLead(rt, leadTools, recap);
  }
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
