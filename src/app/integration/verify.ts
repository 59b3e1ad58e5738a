/**
 * verify: runs the verify commands in the integration worktree, each with a timeout and its output in
 * a file, and records the result against the integration head. A run that outlasts the caller's tool
 * timeout keeps going; calling verify again while the head is unchanged returns that run, not a new one.
 */
import { join } from 'node:path';
import { normalizeCommand, splitCommand } from '../../core/integration/verify-commands.js';
import { stripAnsi, tailLines } from '../../core/text/ansi.js';
import { ToolError } from '../../core/errors.js';
import { ensureDir, fileSize, readFrom } from '../../adapters/system/files.js';
import type { VerifyCommandResult, VerifyRow } from '../../core/session/rows.js';
import type { Runtime } from '../runtime.js';
import { redactSecrets } from '../../core/text/redact.js';
import { missingModuleHint } from '../../core/worktrees/bootstrap.js';
import { prepareIntegrationWorktree } from '../worktrees/session-worktrees.js';

interface Planned {
  command: string;
  argv?: string[];
}

/**
 * The commands to run: the lead's, else the session's configured ones (config.json `verify`, else PROJECT.md
 * `## How to verify`, both as the user's checkout held them when the session started). A lead-given command
 * runs only when it is one of the configured ones (then as configured), or when the config sets
 * `verifyAllowAdHoc` (then split into argv, without a shell); anything else is a ToolError that names the
 * configured commands. Text from the MCP is not trusted to choose what runs.
 */
export function planVerify(rt: Runtime, commands?: string[]): { planned: Planned[]; source: string } {
  const configured = configuredVerify(rt);
  if (commands?.length) {
    const known = new Map(configured?.commands.map((c) => [normalizeCommand(c), c]));
    const adHoc = commands.filter((c) => !known.has(normalizeCommand(c)));
    if (adHoc.length && !rt.config.verifyAllowAdHoc) throw new ToolError(refusal(adHoc, configured));
    return {
      source: adHoc.length ? 'the lead' : `the lead (from ${configured!.source})`,
      planned: commands.map((c) => {
        const same = known.get(normalizeCommand(c));
        if (same !== undefined) return { command: same };
        const split = splitCommand(c);
        if ('error' in split) throw new ToolError(`Error: ${split.error}.`);
        return { command: c, argv: split.argv };
      }),
    };
  }
  if (configured) return { source: configured.source, planned: configured.commands.map((command) => ({ command })) };
  throw new ToolError(
    'Error: no verify commands: add "verify" to .crewmux/config.json or a "## How to verify" section to .crewmux/PROJECT.md (crewmux init writes one); with "verifyAllowAdHoc": true in the config you may also pass commands to verify.',
  );
}

/** The session's configured verify commands (config.json `verify`, else PROJECT.md `## How to verify`), if any. */
function configuredVerify(rt: Runtime): { source: string; commands: string[] } | undefined {
  // Recorded from the user's checkout when the session started: a merged worker branch that edits
  // .crewmux/config.json or PROJECT.md in the integration worktree cannot choose these shell commands.
  const configured = rt.configuredVerify ?? { source: '.crewmux/config.json', commands: rt.config.verify ?? [] };
  return configured.commands.length ? configured : undefined;
}

function refusal(adHoc: string[], configured: { source: string; commands: string[] } | undefined): string {
  const list = configured
    ? `The configured verify commands (${configured.source}) are: ${configured.commands.map((c) => `"${c}"`).join(', ')}; call verify with no commands to run them, or pass some of them exactly.`
    : 'No verify commands are configured: the user adds them to .crewmux/config.json "verify" or to .crewmux/PROJECT.md "## How to verify".';
  return `Error: verify refused ${adHoc.map((c) => `"${c}"`).join(', ')}: the lead may run only configured verify commands. ${list} To let the lead run commands of its own, the user sets "verifyAllowAdHoc": true in .crewmux/config.json.`;
}

async function execute(rt: Runtime, id: number, planned: Planned[]): Promise<VerifyRow> {
  const dir = join(rt.sessionDir, 'verify', String(id));
  ensureDir(dir);
  const timeoutMs = (rt.config.verifyTimeout ?? 600) * 1000;
  // The integration worktree gets a worker's bootstrap (include, clone, setup) before its first verify.
  const boot = await prepareIntegrationWorktree(rt);
  const env = { ...process.env, ...rt.baseEnv, ...(boot?.env ?? {}) };
  const results: VerifyCommandResult[] = [];
  for (const [i, p] of planned.entries()) {
    const outputFile = join(dir, `${i + 1}.log`);
    const r = p.argv
      ? await rt.runner.execToFile(p.argv[0]!, p.argv.slice(1), {
          cwd: rt.integrationWorktree,
          env,
          outputFile,
          timeoutMs,
        })
      : await rt.runner.execToFile(p.command, [], {
          cwd: rt.integrationWorktree,
          env,
          outputFile,
          timeoutMs,
          shell: true,
        });
    const size = fileSize(outputFile);
    const tail = tailLines(stripAnsi(readFrom(outputFile, Math.max(0, size - 8192), 8192).text), 20);
    results.push({
      command: p.command,
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      outputFile,
      tail,
    });
  }
  const passed = results.every((r) => r.exitCode === 0);
  rt.store.finishVerify(id, passed ? 'passed' : 'failed', results);
  rt.events.emit(
    'verify.done',
    `verify ${passed ? 'passed' : 'FAILED'}: ${results.map((r) => `[${r.timedOut ? 'timeout' : r.exitCode}] ${redactSecrets(r.command)}`).join(', ')}`,
    null,
    { id, passed },
  );
  return rt.store.listVerifies(rt.sid).find((v) => v.id === id)!;
}

const sameCommands = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Starts (or joins) a verify of the current integration head; resolves with the run when it finishes
 * within `waitMs`, else with the still-running record.
 */
export async function verify(rt: Runtime, commands: string[] | undefined, waitMs: number): Promise<VerifyRow> {
  const head = await rt.git.revParse(rt.integrationWorktree, 'HEAD');
  const latest = rt.store.listVerifies(rt.sid).at(-1);
  let run: Promise<VerifyRow> | undefined;
  const reusable = latest && (rt.verifyRuns.has(latest.id) || latest.id > (rt.verifyForgotten ?? 0));
  if (
    latest &&
    reusable &&
    latest.commit_sha === head &&
    (!commands?.length || sameCommands(commands, latest.commands))
  ) {
    run = rt.verifyRuns.get(latest.id) ?? Promise.resolve(latest);
  } else {
    const { planned, source } = planVerify(rt, commands);
    const id = rt.store.startVerify(
      rt.sid,
      head,
      planned.map((p) => p.command),
    );
    rt.events.emit(
      'verify.started',
      `verify on ${head.slice(0, 10)} (commands from ${source}): ${planned.map((p) => p.command).join(', ')}`,
      null,
      { id },
    );
    run = execute(rt, id, planned).finally(() => rt.verifyRuns.delete(id));
    rt.verifyRuns.set(id, run);
  }
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), waitMs).unref());
  const done = await Promise.race([run, timeout]);
  return done ?? rt.store.listVerifies(rt.sid).at(-1)!;
}

/**
 * What the lead should know about a failed verify beyond its output: the integration worktree's setup failed, or a
 * command failed on a missing module (the fix: `worktree.clone`, `worktree.setup`, `.worktreeinclude`). Undefined
 * for a pass or an ordinary failure.
 */
export async function verifyHint(rt: Runtime, v: VerifyRow): Promise<string | undefined> {
  if (v.status !== 'failed') return undefined;
  const boot = await rt.integrationPrepared;
  if (boot && !boot.ok)
    return `the integration worktree's setup failed, so verify ran without it; its output ends: ${tailLines(boot.tail, 5)}`;
  return missingModuleHint(
    v.results
      .filter((r) => r.exitCode !== 0)
      .map((r) => r.tail)
      .join('\n'),
  );
}

/** The latest finished verify of `head`, if any. */
export function lastVerifyOf(rt: Runtime, head: string): VerifyRow | undefined {
  return rt.store
    .listVerifies(rt.sid)
    .filter((v) => v.commit_sha === head)
    .at(-1);
}

/**
 * clear_tool_results' part for verify: finished verify results are no longer reused, so the next
 * verify runs again even on an unchanged head (a run in progress is still joined). Returns how many
 * results were set aside.
 */
export function forgetVerifyResults(rt: Runtime): number {
  const finished = rt.store
    .listVerifies(rt.sid)
    .filter((v) => v.status !== 'running' && v.id > (rt.verifyForgotten ?? 0));
  const latest = rt.store.listVerifies(rt.sid).at(-1);
  if (latest) rt.verifyForgotten = rt.verifyRuns.has(latest.id) ? latest.id - 1 : latest.id;
  return finished.length;
}
