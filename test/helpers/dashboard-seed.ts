/** Seeding a state database for dashboard tests and the bench: a session and workers, no tmux or agents. */
import type { RunOptions } from '../../src/core/session/rows.js';
import type { Store } from '../../src/app/ports/store.js';

export const SEED_OPTIONS: RunOptions = {
  maxWorkers: 4,
  workerTimeoutS: null,
  timeoutS: null,
  stuckAfterS: 600,
  toolWaitS: 45,
  agents: ['scripted-worker'],
  keepSession: false,
  requireSignedSkills: false,
  attach: false,
  env: {},
};

export interface SeedSession {
  id: string;
  goal?: string;
  repo?: string;
  baseCommit?: string;
  tmuxSocket?: string | null;
  leadToken?: string;
}

/** Creates session `s.id` (status running) in `store`. */
export function seedSession(store: Store, s: SeedSession): void {
  store.createSession({
    id: s.id,
    goal: s.goal ?? 'a seeded goal',
    status: 'running',
    lead_agent: 'scripted-lead',
    repo_root: s.repo ?? '/nonexistent',
    base_commit: s.baseCommit ?? '0'.repeat(40),
    integration_branch: `crewmux/${s.id}/integration`,
    integration_worktree: '/nonexistent/integration',
    session_dir: '/nonexistent/session',
    tmux_socket: s.tmuxSocket ?? null,
    tmux_session: `crewmux-${s.id}`,
    mcp_port: null,
    lead_token: s.leadToken ?? 'lead-token-secret',
    lead_pane: null,
    options: SEED_OPTIONS,
    supervisor_pid: null,
  });
}

/** Creates worker wNN of session `sid`; `extra` overrides columns. */
export function seedWorker(
  store: Store,
  sid: string,
  num: number,
  extra: Partial<Parameters<Store['createWorker']>[0]> = {},
): string {
  const id = `w${String(num).padStart(2, '0')}`;
  store.createWorker({
    session_id: sid,
    id,
    num,
    agent: 'scripted-worker',
    perspective: 'implementer',
    task: `task ${num}`,
    state: 'running',
    branch: `crewmux/${sid}/${id}-implementer`,
    worktree: '/nonexistent',
    pane_id: null,
    window_id: null,
    token: `worker-token-secret-${num}`,
    nonce: `nonce-${num}`,
    prompt_file: '/nonexistent/prompt.md',
    log_file: '/nonexistent/pane.log',
    done_file: '/nonexistent/done.flag',
    pid: null,
    base_commit: '0'.repeat(40),
    ...extra,
  });
  return id;
}
