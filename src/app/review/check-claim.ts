/**
 * Evidence, not claims: before the lead sees a worker's "done", crewmux checks it. The branch has commits (or the
 * worker said why it changed nothing), nothing is left uncommitted after the snapshot, and the commands of its
 * pass_criteria pass in its worktree. A failed check makes the turn `unverified` with the output tail.
 */
import { join } from 'node:path';
import { stripAnsi, tailLines } from '../../core/text/ansi.js';
import { perspectiveInfo, type Perspective } from '../../core/workers/perspectives.js';
import { redactSecrets } from '../../core/text/redact.js';
import { ensureDir, fileSize, readFrom } from '../../adapters/system/files.js';
import type { WorkerRow } from '../../core/session/rows.js';
import type { Completion } from '../../core/workers/completion.js';
import type { PassCriterion } from '../../core/review/verdict.js';
import { ToolError } from '../../core/errors.js';
import { planVerify } from '../integration/verify.js';
import { workerWorktreeEnv } from '../worktrees/session-worktrees.js';
import { workerDir, type Runtime } from '../runtime.js';

/** What failed in the check of worker `w`'s done claim (empty when it holds), each with its evidence. */
export interface ClaimCheck {
  problems: string[];
  /** Commands run: id, command, exit code (null: timed out or could not start), output tail. */
  commands: { id: string; command: string; exitCode: number | null; tail: string }[];
}

/**
 * Checks worker `w`'s claim `c` once its leftover work was snapshot-committed (`excludes`: paths the snapshot leaves
 * out). Only a done of a perspective that changes code is checked; read-only perspectives report, they do not
 * commit. A pass_criteria command the session's verify policy no longer allows is reported, not run.
 */
export async function checkDoneClaim(
  rt: Runtime,
  w: WorkerRow,
  c: Completion,
  source: 'mcp' | 'flag' | 'line',
  excludes: string[],
): Promise<ClaimCheck> {
  const out: ClaimCheck = { problems: [], commands: [] };
  if (c.status !== 'done' || perspectiveInfo(w.perspective as Perspective).readOnly) return out;
  const ahead = await rt.git.commitsAhead(rt.repoRoot, w.base_commit, w.branch).catch(() => -1);
  // Only worker_done can say why nothing changed (no_changes); a done.flag or sentinel line cannot, so for them
  // a done without commits stands (the uncommitted-work and command checks still apply).
  if (ahead === 0 && source === 'mcp' && !c.noChanges?.trim())
    out.problems.push(
      `no commits on ${w.branch} beyond its start, and the worker did not say why it changed nothing (worker_done no_changes)`,
    );
  const dirty = (await rt.git.dirtyPaths(w.worktree, true).catch(() => [] as string[])).filter(
    (p) => !excludes.some((x) => p === x || p.startsWith(`${x}/`)),
  );
  if (dirty.length)
    out.problems.push(`uncommitted changes remain after the snapshot: ${dirty.slice(0, 10).join(', ')}`);
  const criteria =
    rt.store
      .review()
      .workerCriteria(rt.sid)
      .find((x) => x.worker === w.id)?.criteria ?? [];
  const withCommand = criteria.filter((x) => x.command);
  if (!withCommand.length) return out;
  const dir = join(workerDir(rt, w.id), 'checks', String(rt.now()));
  ensureDir(dir);
  const env = { ...process.env, ...rt.baseEnv, ...workerWorktreeEnv(rt, w.id) };
  const timeoutMs = (rt.config.verifyTimeout ?? 600) * 1000;
  for (const [i, crit] of withCommand.entries()) {
    let planned;
    try {
      planned = planVerify(rt, [crit.command!]).planned[0]!;
    } catch (e) {
      out.problems.push(`pass criterion ${crit.id}: its command was not run: ${(e as Error).message}`);
      continue;
    }
    const outputFile = join(dir, `${i + 1}.log`);
    const r = planned.argv
      ? await rt.runner.execToFile(planned.argv[0]!, planned.argv.slice(1), {
          cwd: w.worktree,
          env,
          outputFile,
          timeoutMs,
        })
      : await rt.runner.execToFile(planned.command, [], { cwd: w.worktree, env, outputFile, timeoutMs, shell: true });
    const size = fileSize(outputFile);
    const tail = tailLines(stripAnsi(readFrom(outputFile, Math.max(0, size - 8192), 8192).text), 20);
    const exitCode = r.timedOut ? null : r.exitCode;
    out.commands.push({ id: crit.id, command: redactSecrets(planned.command), exitCode, tail });
    if (exitCode !== 0)
      out.problems.push(
        `pass criterion ${crit.id} "${redactSecrets(planned.command)}" ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}; output ends:\n${tailLines(tail, 10)}`,
      );
  }
  return out;
}

/**
 * spawn_worker's check of structured pass_criteria before the worker starts: ids unique, and every command one the
 * session's verify policy lets run (a configured verify command, or any with `verifyAllowAdHoc`); else a ToolError.
 */
export function checkPassCriteria(rt: Runtime, criteria: readonly PassCriterion[]): void {
  const ids = criteria.map((c) => c.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length)
    throw new ToolError(`Error: pass_criteria ids must be unique; ${[...new Set(twice)].join(', ')} appear twice.`);
  const commands = criteria.flatMap((c) => (c.command ? [c.command] : []));
  if (commands.length) planVerify(rt, commands);
}

/** The prompt text of structured pass_criteria: one `- [id] text` line each, with its command when it has one. */
export function passCriteriaText(criteria: readonly PassCriterion[]): string {
  return criteria
    .map((c) => `- [${c.id}] ${c.text}${c.command ? ` (checked when you say done: \`${c.command}\` must exit 0)` : ''}`)
    .join('\n');
}
