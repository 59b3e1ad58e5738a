/**
 * Agent panes. A worker's pane is created, its output piped to a log and remain-on-exit set in one
 * chained tmux invocation (Tmux.startPane), so a fast crash or an early sentinel line is never missed;
 * the lead's pane waits at a gate (`read _ < FIFO && exec sh LAUNCH`) that crewmux opens once its log is
 * piped. The pane's shell records the agent's exit status itself because tmux 3.3 often reports a dead
 * pane with no status at all (seen with node agents, with `respawn-pane -k` over a placeholder, and with
 * a `tmux wait-for` gate). The shell reads no input and exits with the agent, so typed text can never
 * reach a shell.
 */
import { shellExports, shellQuote } from '../../core/text/shell-quote.js';
import { overflowWindowName } from '../../core/session/naming.js';
import { placeWorker, type WindowLoad } from '../../core/workers/layout.js';
import { dirname, join } from 'node:path';
import {
  appendText,
  createFifo,
  moveFile,
  openFifoGate,
  readIfExists,
  removeOnceEmptied,
  writeFileAtomic,
} from '../../adapters/system/files.js';
import type { PaneGate, PaneInfo, PanePlace, SpawnPane, Tmux } from '../ports/tmux.js';

export const LEAD_WINDOW = 'lead';
export const SUPERVISOR_WINDOW = 'supervisor';
/** The hidden window holding the worktree pool's parked panes (app/workers/pool-panes.ts); never a worker's. */
export const POOL_WINDOW = 'crewmux-pool';
export const PANES_PER_WINDOW = 5;

export interface PaneRef {
  paneId: string;
  windowId: string;
}

/** A pane to start with its environment; `withEnvFile` turns it into a SpawnPane (tmux never sees the values). */
export interface PaneSpec extends SpawnPane {
  env?: Record<string, string>;
}

/**
 * The pane `p` with its environment moved off the command line: the values go to `envFile` (0600, in a
 * crewmux-owned 0700 directory, replaced by rename so a planted symlink is never followed) as `export`
 * lines, and the pane's shell sources the file and deletes it before running `p.command`. tmux's
 * `-e K=V` would have put every value (API keys, CREWMUX_MCP_TOKEN) in /proc/PID/cmdline.
 */
export function withEnvFile(p: PaneSpec, envFile: string, o: { emptied?: boolean } = {}): SpawnPane {
  const env = p.env ?? {};
  if (Object.keys(env).length === 0) return { cwd: p.cwd, command: p.command };
  writeFileAtomic(envFile, shellExports(env), 0o600);
  const f = shellQuote(envFile);
  // `emptied`: the shell empties the file with a builtin (`: >`, no process on the pane's start) and the supervisor
  // removes the empty file (removeOnceEmptied); else `rm -f`, a process.
  return { cwd: p.cwd, command: `. ${f} && ${o.emptied ? `: > ${f}` : `rm -f ${f}`} && ${p.command}` };
}

/** The file holding the exit status of the agent whose pane log is `logFile`. */
export function exitStatusFile(logFile: string): string {
  return join(dirname(logFile), 'exit-status');
}

/** Why an agent's pane is dead, from its saved exit status (else tmux's): "exited with status 3". */
export function deathReason(savedStatus: string | undefined, pane: PaneInfo | undefined): string {
  const n = savedStatus?.trim() ? Number(savedStatus.trim()) : NaN;
  if (Number.isInteger(n)) return n > 128 ? `killed by signal ${n - 128}` : `exited with status ${n}`;
  if (!pane) return 'its pane was closed';
  if (pane.deadSignal) return `killed by signal ${pane.deadSignal}`;
  return pane.deadStatus !== null
    ? `exited with status ${pane.deadStatus}`
    : 'exited (status unknown: killed with its shell)';
}

/** The production pane gate: a named pipe the pane's shell reads (`read _ < FIFO`). */
export const FIFO_GATE: PaneGate = { create: (path) => createFifo(path), open: (path) => openFifoGate(path) };

/**
 * The gate of a parked pane (openParkedPane): its shell waits at it already, so one that is not there within a second
 * died since the pool checked it (the spawn then opens a new pane).
 */
export const PARKED_GATE: PaneGate = { create: (path) => createFifo(path), open: (path) => openFifoGate(path, 1_000) };

/** Pipes the pane's output to `logFile`, then opens its gate. */
export async function openGate(
  tmux: Tmux,
  paneId: string,
  fifo: string,
  logFile: string,
  gate: PaneGate = FIFO_GATE,
): Promise<void> {
  await tmux.pipePane(paneId, `cat >> ${shellQuote(logFile)}`);
  await gate.open(fifo);
}

/** `command` with its exit status saved in a 0600 file (umask 077 after the agent: the tmux server's may be 022). */
export function recordingExit(command: string, statusFile: string): string {
  return `{ ${command}; s=$?; umask 077; echo $s > ${shellQuote(statusFile)}; }`;
}

/**
 * Starts a worker's agent in a new pane: a split of the lead's window, or an overflow window, its output
 * piped to `logFile` in the same tmux invocation that creates it (Tmux.startPane), so nothing is missed
 * and no start gate is needed. Its environment reaches it through an `env` file beside `logFile`
 * (`withEnvFile`), never through argv. `listing` is the session's panes when the caller already asked tmux for
 * them (spawn_worker does, alongside its other steps); else they are listed now.
 */
export async function openWorkerPane(
  tmux: Tmux,
  session: string,
  pane: PaneSpec,
  logFile: string,
  listing?: Promise<PaneInfo[]>,
): Promise<PaneRef> {
  const envFile = join(dirname(logFile), 'env');
  const spec = withEnvFile({ ...pane, command: recordingExit(pane.command, exitStatusFile(logFile)) }, envFile, {
    emptied: true,
  });
  if (Object.keys(pane.env ?? {}).length) removeOnceEmptied(envFile);
  return openPaneInLayout(tmux, session, spec, `cat >> ${shellQuote(logFile)}`, listing);
}

/**
 * Opens a pane running `spec` where the next worker's pane goes (a split of the lead's window, or an overflow
 * window), its output piped to `pipeTo` ('' for none) in the same tmux invocation. `listing` as for openWorkerPane.
 */
export async function openPaneInLayout(
  tmux: Tmux,
  session: string,
  spec: SpawnPane,
  pipeTo: string,
  listing?: Promise<PaneInfo[]>,
): Promise<PaneRef> {
  return inLayout(tmux, session, listing, (at) => tmux.startPane(at, spec, pipeTo));
}

/** Where the next worker's pane goes (placeWorker on the session's panes): `put` it there, re-tiling once for room. */
async function inLayout(
  tmux: Tmux,
  session: string,
  listing: Promise<PaneInfo[]> | undefined,
  put: (at: PanePlace) => Promise<PaneRef>,
): Promise<PaneRef> {
  const windows = new Map<string, WindowLoad>();
  for (const p of await (listing ?? tmux.listPanes(session))) {
    if (p.windowName === SUPERVISOR_WINDOW || p.windowName === POOL_WINDOW) continue;
    const w = windows.get(p.windowId) ?? { windowId: p.windowId, name: p.windowName, panes: 0 };
    w.panes++;
    windows.set(p.windowId, w);
  }
  const all = [...windows.values()];
  const lead = all.find((w) => w.name === LEAD_WINDOW);
  if (!lead) throw new Error(`the lead window of tmux session ${session} is gone`);
  const place = placeWorker(
    lead,
    all.filter((w) => w !== lead),
    PANES_PER_WINDOW,
    overflowWindowName,
  );
  if (place.kind !== 'split') return put({ session, window: place.name });
  try {
    return await put({ split: place.windowId });
  } catch {
    // "no space for new pane": re-tile so the split has room, then try once more.
    await tmux.selectLayout(place.windowId, 'tiled');
    return put({ split: place.windowId });
  }
}

/**
 * A pane started ahead for a worktree of the pool (app/workers/pool-panes.ts): its shell runs in that worktree and
 * waits at `gate` (a named pipe, `read _ < gate`), then sources `launch`, the script the worker's spawn writes.
 */
export interface ParkedPane {
  paneId: string;
  /** Its shell's process id: alive while it waits. */
  pid: number;
  gate: string;
  launch: string;
  /** Where its output goes already (piped at park time); the spawn renames it to the worker's pane log. */
  log: string;
}

/** Makes the parked pane's piped log `from` the worker's `logFile` (what `logFile` held is appended to it first). */
function adoptLog(from: string, logFile: string): void {
  // Appended, not rewritten: the pipe's `cat` writes to this file itself, whatever its name.
  const before = readIfExists(logFile);
  if (before) appendText(from, before);
  moveFile(from, logFile);
}

/** The command of a parked pane: it waits at its gate, then runs its launch script in the same shell (no exec). */
export function parkedCommand(gate: string, launch: string): string {
  return `read _ < ${shellQuote(gate)} && . ${shellQuote(launch)}`;
}

/**
 * Starts worker pane `pane` in the parked pane `parked` instead of a new one: the same command and env file rules as
 * openWorkerPane (the values only in the 0600 env file, which the shell empties once read), written to the parked
 * pane's launch script (0600). Its output is piped since it was parked: that log file is renamed to `logFile` (the
 * pipe's `cat` keeps writing to it; no fork in tmux on the spawn's path). Then ONE tmux invocation moves it where a
 * new pane would go (Tmux.adoptPane), and its gate opens. Nothing is typed into the pane. Rejects when a step fails
 * (the caller kills the parked pane and starts a new one); `listing` as for openWorkerPane. The parked shell has the
 * session environment of park time: the launch script first sets it as it is now (what a new pane would get, e.g. the
 * DISPLAY and SSH_AUTH_SOCK of the client that attached since); the worker's env file still has the last word.
 */
export async function openParkedPane(
  tmux: Tmux,
  session: string,
  parked: ParkedPane,
  pane: PaneSpec,
  logFile: string,
  listing?: Promise<PaneInfo[]>,
  gate: PaneGate = PARKED_GATE,
): Promise<PaneRef> {
  const envFile = join(dirname(logFile), 'env');
  const spec = withEnvFile({ ...pane, command: recordingExit(pane.command, exitStatusFile(logFile)) }, envFile, {
    emptied: true,
  });
  if (Object.keys(pane.env ?? {}).length) removeOnceEmptied(envFile);
  // Asked first, so it is answered before the move (one control client answers in order); none if tmux cannot say.
  const sessionEnv = tmux.sessionEnvironment(session).catch(() => undefined);
  adoptLog(parked.log, logFile);
  const ref = await inLayout(tmux, session, listing, (at) => tmux.adoptPane(parked.paneId, at, ''));
  // The pane's shell started in the worktree; `cd` again all the same (a builtin: it costs no process).
  const launch = `${sessionEnvScript(await sessionEnv)}cd ${shellQuote(spec.cwd)} || exit 1\n${spec.command}\n`;
  writeFileAtomic(parked.launch, launch, 0o600);
  await gate.open(parked.gate);
  return ref;
}

/** Shell lines that set `env` (a tmux session environment): `export NAME='value'`, or `unset NAME` for a removed one. */
export function sessionEnvScript(env: ReadonlyMap<string, string | undefined> | undefined): string {
  let out = '';
  for (const [name, value] of env ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    out += value === undefined ? `unset ${name}\n` : `export ${name}=${shellQuote(value)}\n`;
  }
  return out;
}

/**
 * Creates the tmux session: window `lead` (its pane waits at the lead's gate for `leadScript`) and
 * window `supervisor`.
 */
export async function createSessionWindows(
  tmux: Tmux,
  session: string,
  cwd: string,
  leadScript: string,
  supervisor: SpawnPane,
): Promise<{ lead: PaneRef; supervisor: PaneRef }> {
  const fifo = leadGate(leadScript);
  await createFifo(fifo);
  const lead = await tmux.newSession(session, LEAD_WINDOW, {
    cwd,
    command: `read _ < ${shellQuote(fifo)} && exec /bin/sh ${shellQuote(leadScript)}`,
  });
  await tmux.setWindowOption(lead.windowId, 'remain-on-exit', 'on');
  const sup = await tmux.newWindow(session, SUPERVISOR_WINDOW, supervisor);
  await tmux.selectWindow(lead.windowId);
  return { lead, supervisor: sup };
}

/** The gate of the lead's pane: a pipe beside its launch script. */
export function leadGate(leadScript: string): string {
  return join(dirname(leadScript), 'gate.fifo');
}

/**
 * Writes a launch script for a pane: its environment exported, then its command (crewmux-built argv only), then its
 * exit status saved to `statusFile` (default `exit-status` beside the script).
 */
export function writeLaunchScript(
  file: string,
  pane: PaneSpec,
  statusFile: string = join(dirname(file), 'exit-status'),
): void {
  const lines = ['# written by crewmux: the first agent of this session', `cd ${shellQuote(pane.cwd)} || exit 1`];
  lines.push(shellExports(pane.env ?? {}).trimEnd());
  lines.push(pane.command, `echo $? > ${shellQuote(statusFile)}`, '');
  writeFileAtomic(file, lines.join('\n'), 0o600);
}
